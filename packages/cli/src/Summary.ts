/**
 * The terminal summary of a finished run (the guide's "View Trace Summary"): workflow, trace id, status, duration,
 * node counts, failed nodes with their errors, slowest nodes and most used tools; and for `--repeat`, one line per
 * run and a summary of the runs. Names, ids and errors are escaped for the terminal (`TerminalText`) before they are
 * laid out, so columns line up and nothing in them runs.
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

const labelled = (rows: ReadonlyArray<readonly [string, string]>): Array<string> => {
  const width = Math.max(...rows.map(([label]) => label.length))
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${text(value)}`)
}

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
  const lines = labelled(rows)
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

/** How one run of a `--repeat` ended, as its summary needs it (not the trace: ten thousand runs stay small). */
export interface RunOutcome {
  /** Its number, from 1. */
  readonly run: number
  readonly traceId: string
  readonly status: WorkflowTrace["status"]
  readonly durationSeconds: number
}

/** What a run of a `--repeat` is remembered by. */
export const outcomeOf = (run: number, trace: WorkflowTrace): RunOutcome => ({
  run,
  traceId: trace.traceId,
  status: trace.status,
  durationSeconds: trace.durationSeconds
})

/**
 * The line of one run of a `--repeat`: `run 3/50: <trace id> succeeded in 12ms`; a run that did not succeed adds
 * its first failed node and error, so that a flaky failure shows where it happened without opening the trace.
 */
export const runLine = (trace: WorkflowTrace, run: number, of: number): string => {
  const line = `run ${run}/${of}: ${text(trace.traceId)} ${trace.status} in ${formatDuration(trace.durationSeconds)}`
  if (trace.status === "succeeded") return line
  const failed = trace.nodes.find((node) => !node.success)
  const error = failed !== undefined
    ? `${failed.nodeId}: ${failed.error ?? "failed"}`
    : trace.error
  return error === null ? line : `${line}: ${oneLine(error, 120)}`
}

// The runs a summary names one by one; the others were each on their line already.
const namedRuns = 20

/**
 * The summary of a `--repeat`: the workflow, how many runs ended how (of how many asked for, when they stopped
 * early), their shortest, median and longest durations, and the runs that did not succeed by trace id.
 */
export const renderRuns = (
  workflowName: string,
  runs: ReadonlyArray<RunOutcome>,
  asked: number,
  extra: ReadonlyArray<readonly [string, string]> = []
): string => {
  const counts = (["succeeded", "failed", "cancelled", "incomplete"] as const)
    .map((status) => [status, runs.filter((run) => run.status === status).length] as const)
    .filter(([status, count]) => status === "succeeded" || count > 0)
    .map(([status, count]) => `${count} ${status}`)
  const durations = runs.map((run) => run.durationSeconds).sort((a, b) => a - b)
  const median = durations.length === 0
    ? 0
    : durations.length % 2 === 1
    ? durations[(durations.length - 1) / 2]!
    : (durations[durations.length / 2 - 1]! + durations[durations.length / 2]!) / 2
  const rows: Array<readonly [string, string]> = [
    ["Workflow", workflowName],
    ["Runs", `${runs.length === asked ? asked : `${runs.length} of ${asked}`}: ${counts.join(", ")}`],
    ...(durations.length === 0 ? [] : [[
      "Durations",
      `min ${formatDuration(durations[0]!)}, median ${formatDuration(median)}, max ${
        formatDuration(durations[durations.length - 1]!)
      }`
    ] as const]),
    ...extra
  ]
  const lines = labelled(rows)
  const unsuccessful = runs.filter((run) => run.status !== "succeeded")
  if (unsuccessful.length > 0) {
    const width = String(asked).length
    lines.push("", "Runs that did not succeed:")
    for (const run of unsuccessful.slice(0, namedRuns)) {
      lines.push(`  run ${String(run.run).padStart(width)}  ${run.status.padEnd(10)}  ${text(run.traceId)}`)
    }
    if (unsuccessful.length > namedRuns) lines.push(`  ... and ${unsuccessful.length - namedRuns} more`)
  }
  return lines.join("\n")
}
