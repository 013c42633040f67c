/**
 * A third-party exporter, as a plugin author would write one: the `markdown` format, a trace as a Markdown summary
 * and node table for pull requests and wikis. It follows the same contract as the bundled exporters (a stable name,
 * a file extension for `-o report.md`, and a pure `export` that streams bytes).
 */
import * as Exporter from "@victor/core/Exporter"
import type { NodeTraceRecord, WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as Stream from "effect/Stream"

/** The format name, as given to `--format`. */
export const name = "markdown"

/** Text safe inside a Markdown table cell: no pipe, line break or markup can escape the cell. */
export const cell = (text: string): string =>
  text
    .replace(/[\\|`]/g, (c) => `\\${c}`)
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replace(/\r\n|\r|\n/g, "<br>")

const seconds = (value: number) => `${value.toFixed(3)} s`

const row = (node: NodeTraceRecord) =>
  `| ${cell(node.nodeId)} | ${cell(node.nodeType)} | ${node.success ? "✅ ok" : "❌ failed"} | ${
    seconds(node.durationSeconds)
  } | ${node.toolCalls.length} | ${node.error === null ? "" : cell(node.error)} |\n`

function* lines(trace: WorkflowTrace): Generator<string> {
  const failed = trace.nodes.filter((node) => !node.success).length
  yield [
    `# ${cell(trace.workflowName)}`,
    "",
    `Trace \`${trace.traceId.replaceAll("`", "")}\` · **${trace.status}** · ${seconds(trace.durationSeconds)}`,
    "",
    `| nodes | failed | tool calls |`,
    `|---:|---:|---:|`,
    `| ${trace.nodes.length} | ${failed} | ${trace.nodes.reduce((n, node) => n + node.toolCalls.length, 0)} |`,
    "",
    "| node | type | status | duration | tool calls | error |",
    "|---|---|---|---:|---:|---|",
    ""
  ].join("\n")
  let batch = ""
  for (const node of trace.nodes) {
    batch += row(node)
    if (batch.length > 64 * 1024) {
      yield batch
      batch = ""
    }
  }
  if (batch.length > 0) yield batch
}

/** A Markdown exporter. */
export const make = (): Exporter.Exporter =>
  Exporter.make({
    name,
    fileExtension: "md",
    mediaType: "text/markdown; charset=utf-8",
    description: "a Markdown summary and node table (example plugin)",
    export: (trace) =>
      Stream.suspend(() => {
        const encoder = new TextEncoder()
        return Stream.fromIterable(lines(trace)).pipe(Stream.map((text) => encoder.encode(text)))
      })
  })
