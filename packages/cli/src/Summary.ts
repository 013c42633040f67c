/**
 * The terminal summary of a finished run (the guide's "View Trace Summary"): workflow, trace id, status, duration,
 * node counts, failed nodes with their errors, slowest nodes and most used tools. Names, ids and errors are escaped
 * for the terminal (`TerminalText`) before they are laid out, so columns line up and nothing in them runs.
 */
import * as Display from "@victor/core/Display"
import * as TraceAnalysis from "@victor/core/TraceAnalysis"
import type { WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as TerminalText from "./TerminalText.ts"

/** Formats seconds for people, as every Victor report does: `0.4ms`, `12ms`, `1.24s`, `2m 03s` (`Display`). */
export const formatDuration = (seconds: number): string => Display.duration(seconds)

const statusLabel: Record<WorkflowTrace["status"], string> = {
  running: "running",
  succeeded: "✓ succeeded",
  failed: "✗ failed",
  cancelled: "✗ cancelled",
  incomplete: "! incomplete"
}

const oneLine = (text: string, max = 160): string => {
  const flat = TerminalText.escapeLine(text.replace(/\s+/g, " ").trim())
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

const text = TerminalText.escapeLine

/** The summary as lines of text (no colours: it must read the same in a terminal, a pipe and a CI log). */
export const render = (trace: WorkflowTrace, extra: ReadonlyArray<readonly [string, string]> = []): string => {
  const analysis = TraceAnalysis.analyze(trace)
  const rows: Array<readonly [string, string]> = [
    ["Workflow", trace.workflowName],
    ["Status", statusLabel[trace.status]],
    ["Trace ID", trace.traceId],
    ["Duration", formatDuration(trace.durationSeconds)],
    [
      "Nodes",
      `${analysis.totalNodes} run: ${analysis.successfulNodes} succeeded, ${analysis.failedNodes} failed`
    ],
    ["Tool calls", String(analysis.totalToolCalls)],
    ...extra
  ]
  const width = Math.max(...rows.map(([label]) => label.length))
  const lines = rows.map(([label, value]) => `${label.padEnd(width)}  ${text(value)}`)
  if (trace.error !== null) lines.push(`${"Error".padEnd(width)}  ${oneLine(trace.error)}`)

  const failed = trace.nodes.filter((node) => !node.success)
  if (failed.length > 0) {
    lines.push("", "Failed nodes:")
    for (const node of failed) {
      lines.push(`  ${text(node.nodeId)} (${text(node.nodeType)}): ${oneLine(node.error ?? "failed")}`)
    }
  }
  if (analysis.slowestNodes.length > 0) {
    const ids = analysis.slowestNodes.map((n) => text(n.nodeId))
    const idWidth = Math.max(...ids.map((id) => id.length))
    lines.push("", "Slowest nodes:")
    analysis.slowestNodes.forEach((node, i) => {
      lines.push(`  ${ids[i]!.padEnd(idWidth)}  ${formatDuration(node.duration).padStart(8)}`)
    })
  }
  if (analysis.mostUsedTools.length > 0) {
    const tools = analysis.mostUsedTools.map((t) => text(t.tool))
    const toolWidth = Math.max(...tools.map((tool) => tool.length))
    lines.push("", "Most used tools:")
    analysis.mostUsedTools.forEach((tool, i) => {
      lines.push(`  ${tools[i]!.padEnd(toolWidth)}  ${tool.calls} call${tool.calls === 1 ? "" : "s"}`)
    })
  }
  return lines.join("\n")
}
