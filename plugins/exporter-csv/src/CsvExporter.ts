/**
 * The `csv` exporter: the guide's CSV (one row per node, columns `node_id, node_type, timestamp, duration_seconds,
 * success, error, tool_calls_count`) or, with `rows: "tools"`, one row per tool call with its node. ISO 8601 UTC
 * timestamps with microseconds. Rows are rendered a batch at a time, so a 100,000-node trace is streamed, never built
 * as one string.
 *
 * Node ids, tool names and errors come from workflows and tools, so every cell is written so that no spreadsheet
 * misreads it:
 * - RFC 4180 text (written by `csv-stringify`): CRLF between records, and every field holding a comma, a double quote,
 *   a CR or an LF quoted, with quotes doubled. A bare CR or LF inside a field is quoted too (csv-stringify leaves it
 *   bare once a record delimiter is set), so no line break in a value can start a new row.
 * - The formula guard (OWASP "CSV Injection"), on every text cell of both shapes: a cell that starts with `=`, `+`,
 *   `-`, `@`, a tab, a CR or an LF, or whose first visible character is one of `= + - @` (or their full-width forms
 *   U+FF1D, U+FF0B, U+FF0D, U+FF20) after leading whitespace, line breaks or invisible characters (`  =1+1`,
 *   `\r\n=HYPERLINK(...)`, a zero-width space), gets a `'` in front. Spreadsheets trim such leading characters (or
 *   may, depending on import options) and would then evaluate the rest. A formula after other text (`note\n=1+1`) is
 *   left as it is: the field is quoted, so the cell starts with plain text and no spreadsheet evaluates it.
 * - Numbers are numbers: a negative duration is written `-1.5` and read as a number, not a formula; a value that is
 *   not a finite number is an empty cell.
 */
import * as Exporter from "@victor/core/Exporter"
import type { NodeTraceRecord, ToolCallRecord, WorkflowTrace } from "@victor/core/WorkflowTrace"
import { stringify } from "csv-stringify/sync"

/** What one row stands for: a node (the guide's shape) or a tool call. */
export type Rows = "nodes" | "tools"

/** Options of the CSV exporter. */
export interface Options {
  /** One row per node (default, the guide's columns) or one row per tool call (`tools`). */
  readonly rows?: Rows
  /** Rows rendered per chunk of the stream; defaults to 2,000. */
  readonly batchRows?: number
}

/** The format name of this exporter, as given to `--format`. */
export const name = "csv"

/** The columns of the node shape, exactly the guide's, in its order. */
export const NODE_COLUMNS = [
  "node_id",
  "node_type",
  "timestamp",
  "duration_seconds",
  "success",
  "error",
  "tool_calls_count"
] as const

/** The columns of the tool-call shape: the node first, then the call. */
export const TOOL_COLUMNS = [
  "node_id",
  "node_type",
  "tool_index",
  "tool_name",
  "timestamp",
  "duration_seconds",
  "success",
  "error"
] as const

/**
 * A unix timestamp in seconds as ISO 8601 UTC with microseconds (`2023-11-14T22:13:20.100000Z`), the precision the
 * trace records; an empty cell when it is not a finite number.
 */
export const isoTimestamp = (seconds: number): string => {
  if (!Number.isFinite(seconds)) return ""
  const micros = Math.round(seconds * 1e6)
  const millis = Math.floor(micros / 1000)
  const date = new Date(millis)
  if (Number.isNaN(date.getTime())) return ""
  const iso = date.toISOString()
  return iso.slice(0, -1) + String(micros - millis * 1000).padStart(3, "0") + "Z"
}

// A formula a spreadsheet runs: a trigger first, or `= + - @` (or the full-width forms) after leading whitespace,
// line breaks or invisible characters (other controls, zero-width and bidi formatting characters).
const formulaLike = /^(?:[\t\r\n]|[\s\p{Cc}\p{Cf}]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20])/u

/** A text cell, with `'` in front when a spreadsheet could run it as a formula. */
const text = (value: string | null): string => (value === null ? "" : formulaLike.test(value) ? `'${value}` : value)

/** A number cell: the number itself (a negative one is not a formula), or empty when it is not finite. */
const number = (value: number): string => (Number.isFinite(value) ? String(value) : "")

const nodeRow = (node: NodeTraceRecord): Array<string> => [
  text(node.nodeId),
  text(node.nodeType),
  isoTimestamp(node.timestamp),
  number(node.durationSeconds),
  String(node.success),
  text(node.error),
  number(node.toolCalls.length)
]

const toolRow = (node: NodeTraceRecord, call: ToolCallRecord, index: number): Array<string> => [
  text(node.nodeId),
  text(node.nodeType),
  number(index),
  text(call.toolName),
  isoTimestamp(call.timestamp),
  number(call.durationSeconds),
  String(call.success),
  text(call.error)
]

const stringifyOptions = {
  // RFC 4180: CRLF between records; fields with commas or quotes quoted, quotes doubled.
  record_delimiter: "\r\n",
  // ... and fields with a CR or an LF anywhere quoted: with a record delimiter set, csv-stringify would quote only a
  // whole CRLF, leaving a bare line break that a spreadsheet reads as the start of a new row.
  quoted_match: /[\r\n]/,
  eof: true,
  // The formula guard is `text` above, applied to every text cell (csv-stringify's misses leading whitespace).
  escape_formulas: false
} as const

/** Rows of a trace in batches, the header row first. */
function* rowBatches(trace: WorkflowTrace, rows: Rows, batchRows: number): Generator<Array<Array<string>>> {
  let batch: Array<Array<string>> = [rows === "tools" ? [...TOOL_COLUMNS] : [...NODE_COLUMNS]]
  for (const node of trace.nodes) {
    if (rows === "tools") {
      node.toolCalls.forEach((call, index) => batch.push(toolRow(node, call, index)))
    } else {
      batch.push(nodeRow(node))
    }
    if (batch.length >= batchRows) {
      yield batch
      batch = []
    }
  }
  if (batch.length > 0) yield batch
}

/** A CSV exporter. Nothing is rendered until the stream is pulled, and then one batch of rows per pull. */
export const make = (options: Options = {}): Exporter.Exporter => {
  const rows = options.rows ?? "nodes"
  const batchRows = Math.max(1, Math.floor(options.batchRows ?? 2000))
  return Exporter.make({
    name,
    fileExtension: "csv",
    mediaType: "text/csv; charset=utf-8; header=present",
    description: rows === "tools"
      ? "one row per tool call with its node (tool_name, timestamp, duration_seconds, success, error)"
      : "the guide's CSV: one row per node (node_id, node_type, timestamp, duration_seconds, success, error, tool_calls_count)",
    export: (trace) =>
      Exporter.streamPieces(name, "CSV", trace, function*() {
        for (const batch of rowBatches(trace, rows, batchRows)) yield stringify(batch, stringifyOptions)
      })
  })
}
