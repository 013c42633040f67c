/**
 * The `csv` exporter: the guide's CSV (one row per node, columns `node_id, node_type, timestamp, duration_seconds,
 * success, error, tool_calls_count`) or, with `rows: "tools"`, one row per tool call with its node. RFC 4180 text
 * (CRLF line ends, quotes doubled) written by `csv-stringify`, ISO 8601 UTC timestamps with microseconds, and text
 * cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) prefixed
 * with `'`. Rows are rendered a batch at a time, so a 100,000-node trace is streamed, never built as one string.
 */
import * as Exporter from "@victor/core/Exporter"
import type { NodeTraceRecord, ToolCallRecord, WorkflowTrace } from "@victor/core/WorkflowTrace"
import { stringify } from "csv-stringify/sync"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

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

type Cell = string | number | boolean | null

const nodeRow = (node: NodeTraceRecord): Array<Cell> => [
  node.nodeId,
  node.nodeType,
  isoTimestamp(node.timestamp),
  node.durationSeconds,
  node.success,
  node.error,
  node.toolCalls.length
]

const toolRow = (node: NodeTraceRecord, call: ToolCallRecord, index: number): Array<Cell> => [
  node.nodeId,
  node.nodeType,
  index,
  call.toolName,
  isoTimestamp(call.timestamp),
  call.durationSeconds,
  call.success,
  call.error
]

const stringifyOptions = {
  // RFC 4180: CRLF between records, fields with commas, quotes or line breaks quoted, quotes doubled.
  record_delimiter: "\r\n",
  eof: true,
  // csv-stringify prefixes `'` to strings starting with = + - @ tab or CR (numbers like -1 stay numbers).
  escape_formulas: true,
  cast: { boolean: (value: boolean) => (value ? "true" : "false") }
} as const

/** Rows of a trace in batches, the header row first. */
function* rowBatches(trace: WorkflowTrace, rows: Rows, batchRows: number): Generator<Array<Array<Cell>>> {
  let batch: Array<Array<Cell>> = [rows === "tools" ? [...TOOL_COLUMNS] : [...NODE_COLUMNS]]
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
      Stream.suspend(() => {
        const batches = rowBatches(trace, rows, batchRows)
        const encoder = new TextEncoder()
        return Stream.repeatEffectOption(
          Effect.try({
            try: () => {
              const next = batches.next()
              return next.done === true ? undefined : encoder.encode(stringify(next.value, stringifyOptions))
            },
            catch: (cause) =>
              Option.some(
                new Exporter.ExportError({
                  format: name,
                  description: `trace ${trace.traceId} cannot be written as CSV: ${
                    cause instanceof Error ? cause.message : String(cause)
                  }`
                })
              )
          }).pipe(Effect.flatMap((chunk) => chunk === undefined ? Effect.fail(Option.none()) : Effect.succeed(chunk)))
        )
      })
  })
}
