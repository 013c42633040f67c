/**
 * The guide's "Trace Structure" (EXECUTION_TRACING_GUIDE.md) as test expectations: every writer of trace JSON (the
 * tracer's encoding, the JSON exporter, the CLI's `-o`) is checked against this one statement of the format.
 */
import { expect } from "@effect/vitest"

/** The keys of a trace in the guide's example. */
export const traceKeys = [
  "trace_id",
  "workflow_name",
  "start_time",
  "end_time",
  "duration_seconds",
  "inputs",
  "outputs",
  "metadata",
  "nodes"
] as const

/** The keys of a node record in the guide's example. */
export const nodeKeys = [
  "node_id",
  "node_type",
  "timestamp",
  "duration_seconds",
  "success",
  "error",
  "inputs",
  "outputs",
  "tool_calls"
] as const

/** The keys of a tool-call record in the guide's example. */
export const toolCallKeys = ["tool_name", "duration_seconds", "success", "error"] as const

/** Asserts that parsed trace JSON has every key of the guide's structure, on the trace, every node and tool call. */
export const expectGuideTraceStructure = (parsed: unknown): void => {
  const trace = parsed as { readonly nodes: ReadonlyArray<{ readonly tool_calls: ReadonlyArray<unknown> }> }
  for (const key of traceKeys) expect(trace).toHaveProperty([key])
  for (const node of trace.nodes) {
    for (const key of nodeKeys) expect(node).toHaveProperty([key])
    for (const call of node.tool_calls) for (const key of toolCallKeys) expect(call).toHaveProperty([key])
  }
}
