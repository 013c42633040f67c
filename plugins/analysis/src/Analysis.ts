/**
 * The analysis of one trace: the guide's `analyze_trace` keys (from `@victor/core/TraceAnalysis`, unchanged) plus
 * per node type p50/p95, every node's self time, the critical path through parallel branches, tool failure rates and
 * token use. Encodes to snake_case keys. Definitions:
 * - iteration: `metadata.iteration` of a record (the executor numbers each visit from 1), else its position among
 *   the records of its node id in start order.
 * - self time: a node's duration minus the union of the intervals of its tool calls and child nodes (overlaps count
 *   once), clipped to the node's interval and never below 0.
 * - critical path: walking back from the end of the run, the node that ended last, then the node that ended last
 *   before it started, and so on; a parallel node is walked the same way inside its own window, so the path goes
 *   through the branch that finished last. Each step keeps the seconds that are its own (a parallel node only the
 *   time none of its path children cover); `duration_seconds` is their sum.
 * - p50 / p95: nearest rank over the durations of a node type's records.
 * - tokens: `metadata.model_calls` of each node (`input_tokens`, `output_tokens`, `model`); for node ids without it,
 *   the `model_call_completed` events of that node.
 */
import * as TraceAnalysis from "@victor/core/TraceAnalysis"
import type { WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as Schema from "effect/Schema"
import * as timeline from "./internal/timeline.ts"
import * as Percentile from "./Percentile.ts"
import * as Table from "./Table.ts"

const key = <S extends Schema.Schema.Any>(schema: S, name: string) =>
  Schema.propertySignature(schema).pipe(Schema.fromKey(name))

/** Durations of one node type. */
export const NodeTypeStats = Schema.Struct({
  nodeType: key(Schema.String, "node_type"),
  count: Schema.Number,
  totalSeconds: key(Schema.Number, "total_seconds"),
  p50Seconds: key(Schema.Number, "p50_seconds"),
  p95Seconds: key(Schema.Number, "p95_seconds")
})

/** One node record with its iteration and self time. */
export const NodeTiming = Schema.Struct({
  nodeId: key(Schema.String, "node_id"),
  iteration: Schema.Number,
  nodeType: key(Schema.String, "node_type"),
  parentNodeId: key(Schema.NullOr(Schema.String), "parent_node_id"),
  durationSeconds: key(Schema.Number, "duration_seconds"),
  selfSeconds: key(Schema.Number, "self_seconds"),
  toolCalls: key(Schema.Number, "tool_calls"),
  success: Schema.Boolean,
  error: Schema.NullOr(Schema.String)
})

/** One step of the critical path. */
export const PathStep = Schema.Struct({
  nodeId: key(Schema.String, "node_id"),
  iteration: Schema.Number,
  nodeType: key(Schema.String, "node_type"),
  seconds: Schema.Number
})

/** Calls and failures of one tool. */
export const ToolStats = Schema.Struct({
  tool: Schema.String,
  calls: Schema.Number,
  failures: Schema.Number,
  failureRate: key(Schema.Number, "failure_rate"),
  totalSeconds: key(Schema.Number, "total_seconds")
})

const TokenCounts = {
  modelCalls: key(Schema.Number, "model_calls"),
  inputTokens: key(Schema.Number, "input_tokens"),
  outputTokens: key(Schema.Number, "output_tokens")
}

/** Token use of the run, by model and by node. */
export const TokenUse = Schema.Struct({
  ...TokenCounts,
  totalTokens: key(Schema.Number, "total_tokens"),
  byModel: key(Schema.Array(Schema.Struct({ model: Schema.String, ...TokenCounts })), "by_model"),
  byNode: key(
    Schema.Array(Schema.Struct({ nodeId: key(Schema.String, "node_id"), iteration: Schema.Number, ...TokenCounts })),
    "by_node"
  )
})

/** The full analysis of one trace; the guide's keys first. */
export const Analysis = Schema.Struct({
  ...TraceAnalysis.TraceAnalysis.fields,
  nodeTypes: key(Schema.Array(NodeTypeStats), "node_types"),
  nodes: Schema.Array(NodeTiming),
  criticalPath: key(
    Schema.Struct({ durationSeconds: key(Schema.Number, "duration_seconds"), steps: Schema.Array(PathStep) }),
    "critical_path"
  ),
  tools: Schema.Array(ToolStats),
  tokens: TokenUse
})

/** The full analysis of one trace. */
export interface Analysis extends Schema.Schema.Type<typeof Analysis> {}

/** Encodes an analysis with snake_case keys. */
export const encode = Schema.encodeSync(Analysis)

const numberField = (object: unknown, field: string): number => {
  if (typeof object !== "object" || object === null) return 0
  const value = (object as Record<string, unknown>)[field]
  return typeof value === "number" && Number.isFinite(value) ? value : 0
}

const stringField = (object: unknown, field: string): string | undefined => {
  if (typeof object !== "object" || object === null) return undefined
  const value = (object as Record<string, unknown>)[field]
  return typeof value === "string" ? value : undefined
}

const tokenUse = (trace: WorkflowTrace, iterationOf: ReadonlyArray<number>): Analysis["tokens"] => {
  interface Counts {
    modelCalls: number
    inputTokens: number
    outputTokens: number
  }
  const byModel = new Map<string, Counts>()
  const byNode = new Map<number, Counts>()
  const add = (nodeIndex: number, model: string, input: number, output: number) => {
    for (const [map, k] of [[byModel, model], [byNode, nodeIndex]] as const) {
      const counts = (map as Map<typeof k, Counts>).get(k) ?? { modelCalls: 0, inputTokens: 0, outputTokens: 0 }
      counts.modelCalls++
      counts.inputTokens += input
      counts.outputTokens += output
      ;(map as Map<typeof k, Counts>).set(k, counts)
    }
  }
  const recorded = new Set<string>()
  trace.nodes.forEach((node, index) => {
    const calls = node.metadata["model_calls"]
    if (!Array.isArray(calls)) return
    recorded.add(node.nodeId)
    for (const call of calls) {
      add(index, stringField(call, "model") ?? "unknown", numberField(call, "input_tokens"), numberField(call, "output_tokens"))
    }
  })
  for (const event of trace.events) {
    if (event.eventType !== "model_call_completed" || event.nodeId === undefined || recorded.has(event.nodeId)) continue
    // The record of this node whose interval holds the event, else its first record.
    let first = -1
    let owner = -1
    trace.nodes.forEach((node, index) => {
      if (node.nodeId !== event.nodeId) return
      if (first === -1) first = index
      const inside = event.timestamp >= node.timestamp - timeline.EPSILON &&
        event.timestamp <= timeline.endOf(node) + timeline.EPSILON
      if (owner === -1 && inside) owner = index
    })
    if (owner === -1) owner = first
    if (owner === -1) continue
    add(owner, stringField(event.data, "model") ?? "unknown", numberField(event.data, "input_tokens"), numberField(event.data, "output_tokens"))
  }
  let modelCalls = 0
  let inputTokens = 0
  let outputTokens = 0
  for (const counts of byModel.values()) {
    modelCalls += counts.modelCalls
    inputTokens += counts.inputTokens
    outputTokens += counts.outputTokens
  }
  return {
    modelCalls,
    inputTokens,
    outputTokens,
    totalTokens: inputTokens + outputTokens,
    byModel: Array.from(byModel, ([model, counts]) => ({ model, ...counts })),
    byNode: Array.from(byNode)
      .sort((a, b) => a[0] - b[0])
      .map(([index, counts]) => ({ nodeId: trace.nodes[index]!.nodeId, iteration: iterationOf[index]!, ...counts }))
  }
}

/** Analyzes a trace: the guide's keys and the deeper findings described in this module's header. */
export const analyze = (trace: WorkflowTrace): Analysis => {
  const guide = TraceAnalysis.analyze(trace)
  const iterationOf = timeline.iterations(trace)
  const parentOf = timeline.parents(trace)
  const selfOf = timeline.selfTimes(trace, parentOf)

  const byType = new Map<string, Array<number>>()
  for (const node of trace.nodes) {
    const list = byType.get(node.nodeType)
    if (list === undefined) byType.set(node.nodeType, [node.durationSeconds])
    else list.push(node.durationSeconds)
  }
  const nodeTypes = Array.from(byType, ([nodeType, durations]) => {
    const sorted = durations.sort((a, b) => a - b)
    return {
      nodeType,
      count: sorted.length,
      totalSeconds: sorted.reduce((sum, d) => sum + d, 0),
      p50Seconds: Percentile.nearestRank(sorted, 50),
      p95Seconds: Percentile.nearestRank(sorted, 95)
    }
  })

  const nodes = trace.nodes.map((node, index) => ({
    nodeId: node.nodeId,
    iteration: iterationOf[index]!,
    nodeType: node.nodeType,
    parentNodeId: parentOf[index]! >= 0 ? trace.nodes[parentOf[index]!]!.nodeId : null,
    durationSeconds: node.durationSeconds,
    selfSeconds: selfOf[index]!,
    toolCalls: node.toolCalls.length,
    success: node.success,
    error: node.error
  }))

  const steps = timeline.criticalPath(trace, parentOf).map((step) => {
    const node = trace.nodes[step.index]!
    return { nodeId: node.nodeId, iteration: iterationOf[step.index]!, nodeType: node.nodeType, seconds: step.seconds }
  })

  const toolStats = new Map<string, { calls: number; failures: number; totalSeconds: number }>()
  for (const node of trace.nodes) {
    for (const call of node.toolCalls) {
      const stats = toolStats.get(call.toolName) ?? { calls: 0, failures: 0, totalSeconds: 0 }
      stats.calls++
      if (!call.success) stats.failures++
      stats.totalSeconds += call.durationSeconds
      toolStats.set(call.toolName, stats)
    }
  }
  const tools = Array.from(toolStats, ([tool, stats]) => ({
    tool,
    ...stats,
    failureRate: stats.failures / stats.calls
  })).sort((a, b) => b.calls - a.calls) // stable: ties stay in order of first use

  return {
    ...guide,
    nodeTypes,
    nodes,
    criticalPath: { durationSeconds: steps.reduce((sum, step) => sum + step.seconds, 0), steps },
    tools,
    tokens: tokenUse(trace, iterationOf)
  }
}

/** The analysis as plain aligned text for a terminal. */
export const render = (analysis: Analysis): string => {
  const sections: Array<string> = []
  sections.push([
    `Trace ${analysis.traceId} (${analysis.workflowName})`,
    `Total duration: ${Table.seconds(analysis.totalDurationSeconds)}`,
    `Nodes: ${analysis.totalNodes} (${analysis.successfulNodes} succeeded, ${analysis.failedNodes} failed)`,
    `Tool calls: ${analysis.totalToolCalls}   Errors: ${analysis.errorCount}`,
    ...(analysis.tokens.modelCalls > 0
      ? [`Tokens: ${analysis.tokens.inputTokens} in, ${analysis.tokens.outputTokens} out (${analysis.tokens.modelCalls} model calls)`]
      : [])
  ].join("\n"))
  sections.push(
    "Slowest nodes:\n" +
      Table.render(
        ["node", "iter", "type", "duration", "self", "tools", "status"],
        [...analysis.nodes]
          .map((node, index) => ({ node, index }))
          .sort((a, b) => b.node.durationSeconds - a.node.durationSeconds || a.index - b.index)
          .slice(0, 10)
          .map(({ node }) => [
            node.nodeId,
            String(node.iteration),
            node.nodeType,
            Table.seconds(node.durationSeconds),
            Table.seconds(node.selfSeconds),
            String(node.toolCalls),
            node.success ? "ok" : `FAILED: ${Table.oneLine(node.error ?? "failed", 60)}`
          ]),
        ["left", "right", "left", "right", "right", "right", "left"]
      )
  )
  if (analysis.nodeTypes.length > 0) {
    sections.push(
      "By node type:\n" +
        Table.render(
          ["type", "count", "p50", "p95", "total"],
          analysis.nodeTypes.map((t) => [
            t.nodeType,
            String(t.count),
            Table.seconds(t.p50Seconds),
            Table.seconds(t.p95Seconds),
            Table.seconds(t.totalSeconds)
          ]),
          ["left", "right", "right", "right", "right"]
        )
    )
  }
  if (analysis.criticalPath.steps.length > 0) {
    sections.push(
      `Critical path (${Table.seconds(analysis.criticalPath.durationSeconds)}): ` +
        analysis.criticalPath.steps
          .map((step) => `${step.nodeId}${step.iteration > 1 ? `#${step.iteration}` : ""} ${Table.seconds(step.seconds)}`)
          .join(" -> ")
    )
  }
  if (analysis.tools.length > 0) {
    sections.push(
      "Tools:\n" +
        Table.render(
          ["tool", "calls", "failures", "failure rate", "total"],
          analysis.tools.map((t) => [
            t.tool,
            String(t.calls),
            String(t.failures),
            Table.percent(t.failureRate),
            Table.seconds(t.totalSeconds)
          ]),
          ["left", "right", "right", "right", "right"]
        )
    )
  }
  const failed = analysis.nodes.filter((node) => !node.success)
  if (failed.length > 0) {
    sections.push(
      `Failed nodes: ${failed.length}\n` +
        failed.map((node) => `  ${node.nodeId}: ${Table.oneLine(node.error ?? "failed", 120)}`).join("\n")
    )
  }
  return sections.join("\n\n")
}
