/**
 * The guide's `analyze_trace` (`tracer.analyze_trace(trace)` there, `TraceAnalysis.analyze(trace)` here: a pure
 * function of the trace, not a tracer member): totals, slowest nodes and most used tools of one trace. Deeper
 * analysis (percentiles, critical path, comparisons) lives in the analysis plugins (`AnalyzerRegistry`).
 */
import * as Schema from "effect/Schema"
import type { NodeTraceRecord, WorkflowTrace } from "./WorkflowTrace.ts"

/** How many entries `slowestNodes` and `mostUsedTools` hold. */
export const TOP_N = 5

/** The analysis of one trace; encodes to the guide's keys (`total_duration_seconds`, `slowest_nodes`, ...). */
export const TraceAnalysis = Schema.Struct({
  traceId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("trace_id")),
  workflowName: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("workflow_name")),
  totalDurationSeconds: Schema.propertySignature(Schema.Number).pipe(Schema.fromKey("total_duration_seconds")),
  totalNodes: Schema.propertySignature(Schema.Number).pipe(Schema.fromKey("total_nodes")),
  successfulNodes: Schema.propertySignature(Schema.Number).pipe(Schema.fromKey("successful_nodes")),
  failedNodes: Schema.propertySignature(Schema.Number).pipe(Schema.fromKey("failed_nodes")),
  totalToolCalls: Schema.propertySignature(Schema.Number).pipe(Schema.fromKey("total_tool_calls")),
  slowestNodes: Schema.propertySignature(
    Schema.Array(Schema.Struct({
      nodeId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("node_id")),
      duration: Schema.Number
    }))
  ).pipe(Schema.fromKey("slowest_nodes")),
  mostUsedTools: Schema.propertySignature(
    Schema.Array(Schema.Struct({ tool: Schema.String, calls: Schema.Number }))
  ).pipe(Schema.fromKey("most_used_tools")),
  errorCount: Schema.propertySignature(Schema.Number).pipe(Schema.fromKey("error_count"))
})

/** The analysis of one trace. */
export interface TraceAnalysis extends Schema.Schema.Type<typeof TraceAnalysis> {}

/** Encodes an analysis with the guide's keys. */
export const encode = Schema.encodeSync(TraceAnalysis)

/**
 * Analyzes a trace. Ties keep trace order (the slowest of equal nodes is the earlier one; tools with equal counts
 * appear in order of first use). `errorCount` counts failed nodes plus failed tool calls.
 */
export const analyze = (trace: WorkflowTrace): TraceAnalysis => {
  let successfulNodes = 0
  let totalToolCalls = 0
  let errorCount = 0
  const toolCounts = new Map<string, number>()
  for (const node of trace.nodes) {
    if (node.success) successfulNodes++
    else errorCount++
    for (const call of node.toolCalls) {
      totalToolCalls++
      if (!call.success) errorCount++
      toolCounts.set(call.toolName, (toolCounts.get(call.toolName) ?? 0) + 1)
    }
  }
  // The TOP_N slowest in one pass, kept sorted while scanning: sorting 200,000 records for five would be O(n log n).
  const slowest: Array<NodeTraceRecord> = []
  for (const node of trace.nodes) {
    const duration = node.durationSeconds
    if (slowest.length === TOP_N && !(duration > slowest[TOP_N - 1]!.durationSeconds)) continue
    let at = slowest.length
    while (at > 0 && duration > slowest[at - 1]!.durationSeconds) at--
    slowest.splice(at, 0, node)
    if (slowest.length > TOP_N) slowest.pop()
  }
  const slowestNodes = slowest.map((node) => ({ nodeId: node.nodeId, duration: node.durationSeconds }))
  const mostUsedTools = Array.from(toolCounts, ([tool, calls]) => ({ tool, calls }))
    .sort((a, b) => b.calls - a.calls) // stable: ties stay in order of first use
    .slice(0, TOP_N)
  return {
    traceId: trace.traceId,
    workflowName: trace.workflowName,
    totalDurationSeconds: trace.durationSeconds,
    totalNodes: trace.nodes.length,
    successfulNodes,
    failedNodes: trace.nodes.length - successfulNodes,
    totalToolCalls,
    slowestNodes,
    mostUsedTools,
    errorCount
  }
}
