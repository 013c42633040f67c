/**
 * The analysis of one trace: the guide's `analyze_trace` keys (from `@victor/core/TraceAnalysis`, unchanged) plus
 * per node type p50/p95, every node's self time, the critical path, tool failure rates and token use. Encodes to
 * snake_case keys. Definitions:
 * - iteration: `metadata.iteration` of a record (the executor numbers each visit from 1), else its position among
 *   the records of its node id in start order.
 * - self time: a node's duration minus the union of the intervals of its tool calls and child nodes (overlaps count
 *   once), clipped to the node's interval and never below 0. A node's parent is the one `CriticalPath` finds.
 * - critical path: `@victor/core/CriticalPath`, the same path the HTML report marks and `trace compare` compares:
 *   the chain of records each of which the next waited for, through a parallel join only the branch the join waited
 *   for; each step keeps the seconds that are its own, and `duration_seconds` is their sum.
 * - p50 / p95: nearest rank over the durations of a node type's records.
 * - tokens: `metadata.model_calls` of each node (`input_tokens`, `output_tokens`, `model`); for node ids without it,
 *   the `model_call_completed` events of that node.
 *
 * `analyze` is O(n log n) in the records and yields to the event loop as it goes (`Cooperative`), so that Ctrl-C
 * stops `trace analyze` on a 200,000-node trace at once; `analyzeSync` is the same in one go.
 */
import * as Cooperative from "@victor/core/Cooperative"
import * as CriticalPath from "@victor/core/CriticalPath"
import * as Display from "@victor/core/Display"
import * as TraceAnalysis from "@victor/core/TraceAnalysis"
import type { WorkflowTrace } from "@victor/core/WorkflowTrace"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as timeline from "./internal/timeline.ts"
import * as Percentile from "./Percentile.ts"
import * as Table from "./Table.ts"

const key = <S extends Schema.Schema.Any, K extends string>(schema: S, name: K) =>
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

/** An analysis as JSON: snake_case keys. */
export type Encoded = Schema.Schema.Encoded<typeof Analysis>

/**
 * Encodes an analysis with snake_case keys: exactly what `Schema.encodeSync(Analysis)` gives (the schema stays the
 * source of truth, and a test holds the two together), written out by hand because Schema takes seconds over the
 * 200,000 node entries of a large trace.
 */
export const encode = (analysis: Analysis): Encoded => ({
  trace_id: analysis.traceId,
  workflow_name: analysis.workflowName,
  total_duration_seconds: analysis.totalDurationSeconds,
  total_nodes: analysis.totalNodes,
  successful_nodes: analysis.successfulNodes,
  failed_nodes: analysis.failedNodes,
  total_tool_calls: analysis.totalToolCalls,
  slowest_nodes: analysis.slowestNodes.map((n) => ({ node_id: n.nodeId, duration: n.duration })),
  most_used_tools: analysis.mostUsedTools.map((t) => ({ tool: t.tool, calls: t.calls })),
  error_count: analysis.errorCount,
  node_types: analysis.nodeTypes.map((t) => ({
    node_type: t.nodeType,
    count: t.count,
    total_seconds: t.totalSeconds,
    p50_seconds: t.p50Seconds,
    p95_seconds: t.p95Seconds
  })),
  nodes: analysis.nodes.map((n) => ({
    node_id: n.nodeId,
    iteration: n.iteration,
    node_type: n.nodeType,
    parent_node_id: n.parentNodeId,
    duration_seconds: n.durationSeconds,
    self_seconds: n.selfSeconds,
    tool_calls: n.toolCalls,
    success: n.success,
    error: n.error
  })),
  critical_path: {
    duration_seconds: analysis.criticalPath.durationSeconds,
    steps: analysis.criticalPath.steps.map((s) => ({
      node_id: s.nodeId,
      iteration: s.iteration,
      node_type: s.nodeType,
      seconds: s.seconds
    }))
  },
  tools: analysis.tools.map((t) => ({
    tool: t.tool,
    calls: t.calls,
    failures: t.failures,
    failure_rate: t.failureRate,
    total_seconds: t.totalSeconds
  })),
  tokens: {
    model_calls: analysis.tokens.modelCalls,
    input_tokens: analysis.tokens.inputTokens,
    output_tokens: analysis.tokens.outputTokens,
    total_tokens: analysis.tokens.totalTokens,
    by_model: analysis.tokens.byModel.map((m) => ({
      model: m.model,
      model_calls: m.modelCalls,
      input_tokens: m.inputTokens,
      output_tokens: m.outputTokens
    })),
    by_node: analysis.tokens.byNode.map((n) => ({
      node_id: n.nodeId,
      iteration: n.iteration,
      model_calls: n.modelCalls,
      input_tokens: n.inputTokens,
      output_tokens: n.outputTokens
    }))
  }
})

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

function* tokenUse(trace: WorkflowTrace, iterationOf: ReadonlyArray<number>): Cooperative.Work<Analysis["tokens"]> {
  interface Counts {
    modelCalls: number
    inputTokens: number
    outputTokens: number
  }
  const byModel = new Map<string, Counts>()
  const byNode = new Map<number, Counts>()
  const count = <K>(map: Map<K, Counts>, key: K, input: number, output: number) => {
    let counts = map.get(key)
    if (counts === undefined) {
      counts = { modelCalls: 0, inputTokens: 0, outputTokens: 0 }
      map.set(key, counts)
    }
    counts.modelCalls++
    counts.inputTokens += input
    counts.outputTokens += output
  }
  const add = (nodeIndex: number, model: string, input: number, output: number) => {
    count(byModel, model, input, output)
    count(byNode, nodeIndex, input, output)
  }
  const nodes = trace.nodes
  const recorded = new Set<string>()
  for (let index = 0; index < nodes.length; index++) {
    const calls = nodes[index]!.metadata["model_calls"]
    if (Array.isArray(calls)) {
      recorded.add(nodes[index]!.nodeId)
      for (const call of calls) {
        add(index, stringField(call, "model") ?? "unknown", numberField(call, "input_tokens"), numberField(call, "output_tokens"))
      }
    }
    if ((index & Cooperative.every) === Cooperative.every) yield
  }
  // The records of each node id, in start order, made once the first event needs them.
  let recordsOf: Map<string, Array<number>> | undefined
  const firstOf = new Map<string, number>()
  const events = trace.events
  for (let e = 0; e < events.length; e++) {
    if ((e & Cooperative.every) === Cooperative.every) yield
    const event = events[e]!
    if (event.eventType !== "model_call_completed" || event.nodeId === undefined || recorded.has(event.nodeId)) continue
    if (recordsOf === undefined) {
      recordsOf = new Map()
      for (let i = 0; i < nodes.length; i++) {
        const list = recordsOf.get(nodes[i]!.nodeId)
        if (list === undefined) {
          recordsOf.set(nodes[i]!.nodeId, [i])
          firstOf.set(nodes[i]!.nodeId, i)
        } else list.push(i)
      }
      for (const list of recordsOf.values()) list.sort((a, b) => nodes[a]!.timestamp - nodes[b]!.timestamp || a - b)
      yield
    }
    const records = recordsOf.get(event.nodeId)
    if (records === undefined) continue
    // The record of this node whose interval holds the event (the last to start by then), else its first record in
    // trace order.
    let low = 0
    let high = records.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (nodes[records[middle]!]!.timestamp - timeline.EPSILON <= event.timestamp) low = middle + 1
      else high = middle
    }
    const candidate = low > 0 ? records[low - 1]! : -1
    const owner = candidate >= 0 && event.timestamp <= timeline.endOf(nodes[candidate]!) + timeline.EPSILON
      ? candidate
      : firstOf.get(event.nodeId)!
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
      .map(([index, counts]) => ({ nodeId: nodes[index]!.nodeId, iteration: iterationOf[index]!, ...counts }))
  }
}

/** The analysis as a computation that yields now and then (see `Cooperative`). */
export function* analysisWork(trace: WorkflowTrace): Cooperative.Work<Analysis> {
  const nodes = trace.nodes
  const guide = TraceAnalysis.analyze(trace)
  yield
  const iterationOf = yield* timeline.iterations(trace)
  const parentOf = yield* CriticalPath.parentsWork(trace)
  const selfOf = yield* timeline.selfTimes(trace, parentOf)
  const path = yield* CriticalPath.work(trace, parentOf)

  const byType = new Map<string, Array<number>>()
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!
    const list = byType.get(node.nodeType)
    if (list === undefined) byType.set(node.nodeType, [node.durationSeconds])
    else list.push(node.durationSeconds)
    if ((i & Cooperative.every) === Cooperative.every) yield
  }
  const nodeTypes: Array<Schema.Schema.Type<typeof NodeTypeStats>> = []
  for (const [nodeType, durations] of byType) {
    // A typed array sorts numbers natively, many times faster than a comparator.
    const sorted = Float64Array.from(durations).sort()
    let totalSeconds = 0
    for (const d of durations) totalSeconds += d
    nodeTypes.push({
      nodeType,
      count: sorted.length,
      totalSeconds,
      p50Seconds: Percentile.nearestRank(sorted, 50),
      p95Seconds: Percentile.nearestRank(sorted, 95)
    })
    yield
  }

  const timings = new Array<Schema.Schema.Type<typeof NodeTiming>>(nodes.length)
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!
    timings[i] = {
      nodeId: node.nodeId,
      iteration: iterationOf[i]!,
      nodeType: node.nodeType,
      parentNodeId: parentOf[i]! >= 0 ? nodes[parentOf[i]!]!.nodeId : null,
      durationSeconds: node.durationSeconds,
      selfSeconds: selfOf[i]!,
      toolCalls: node.toolCalls.length,
      success: node.success,
      error: node.error
    }
    if ((i & Cooperative.every) === Cooperative.every) yield
  }

  const steps = new Array<Schema.Schema.Type<typeof PathStep>>(path.steps.length)
  for (let k = 0; k < steps.length; k++) {
    const step = path.steps[k]!
    const node = nodes[step.index]!
    steps[k] = { nodeId: node.nodeId, iteration: iterationOf[step.index]!, nodeType: node.nodeType, seconds: step.seconds }
    if ((k & Cooperative.every) === Cooperative.every) yield
  }

  const toolStats = new Map<string, { calls: number; failures: number; totalSeconds: number }>()
  for (let i = 0; i < nodes.length; i++) {
    for (const call of nodes[i]!.toolCalls) {
      let stats = toolStats.get(call.toolName)
      if (stats === undefined) {
        stats = { calls: 0, failures: 0, totalSeconds: 0 }
        toolStats.set(call.toolName, stats)
      }
      stats.calls++
      if (!call.success) stats.failures++
      stats.totalSeconds += call.durationSeconds
    }
    if ((i & Cooperative.every) === Cooperative.every) yield
  }
  const tools = Array.from(toolStats, ([tool, stats]) => ({
    tool,
    ...stats,
    failureRate: stats.failures / stats.calls
  })).sort((a, b) => b.calls - a.calls) // stable: ties stay in order of first use

  return {
    ...guide,
    nodeTypes,
    nodes: timings,
    criticalPath: { durationSeconds: path.durationSeconds, steps },
    tools,
    tokens: yield* tokenUse(trace, iterationOf)
  }
}

/** Analyzes a trace (the guide's keys and the findings in this module's header), letting an interruption in. */
export const analyze = (trace: WorkflowTrace): Effect.Effect<Analysis> => Cooperative.run(() => analysisWork(trace))

/** Analyzes a trace in one go. */
export const analyzeSync = (trace: WorkflowTrace): Analysis => Cooperative.runSync(() => analysisWork(trace))

/** Up to `count` indices of the largest values, largest first (ties: the earlier index), in one pass. */
const topIndices = (length: number, value: (index: number) => number, count: number): Array<number> => {
  const top: Array<number> = []
  for (let i = 0; i < length; i++) {
    const v = value(i)
    if (top.length === count && v <= value(top[count - 1]!)) continue
    let at = top.length
    while (at > 0 && v > value(top[at - 1]!)) at--
    top.splice(at, 0, i)
    if (top.length > count) top.pop()
  }
  return top
}

const stepLabel = (step: Schema.Schema.Type<typeof PathStep>) =>
  `${step.nodeId}${step.iteration > 1 ? `#${step.iteration}` : ""} ${Display.duration(step.seconds)}`

/** The steps of the critical path shown in full; a longer path shows its ends and its heaviest steps. */
const PATH_SHOWN = 24

/** The analysis as plain aligned text for a terminal. */
export const render = (analysis: Analysis): string => {
  const sections: Array<string> = []
  sections.push([
    `Trace ${analysis.traceId} (${analysis.workflowName})`,
    `Total duration: ${Display.duration(analysis.totalDurationSeconds)}`,
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
        topIndices(analysis.nodes.length, (i) => analysis.nodes[i]!.durationSeconds, 10)
          .map((i) => analysis.nodes[i]!)
          .map((node) => [
            node.nodeId,
            String(node.iteration),
            node.nodeType,
            Display.duration(node.durationSeconds),
            Display.duration(node.selfSeconds),
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
            Display.duration(t.p50Seconds),
            Display.duration(t.p95Seconds),
            Display.duration(t.totalSeconds)
          ]),
          ["left", "right", "right", "right", "right"]
        )
    )
  }
  const steps = analysis.criticalPath.steps
  if (steps.length > 0) {
    const head = `Critical path (${Display.duration(analysis.criticalPath.durationSeconds)}, ${steps.length} node${
      steps.length === 1 ? "" : "s"
    }): `
    if (steps.length <= PATH_SHOWN) {
      sections.push(head + steps.map(stepLabel).join(" -> "))
    } else {
      const ends = PATH_SHOWN / 2
      const heaviest = topIndices(steps.length, (i) => steps[i]!.seconds, 5).map((i) => stepLabel(steps[i]!))
      sections.push(
        head + [
          ...steps.slice(0, ends).map(stepLabel),
          `... ${steps.length - 2 * ends} more ...`,
          ...steps.slice(-ends).map(stepLabel)
        ].join(" -> ") +
          `\n  longest steps: ${heaviest.join(", ")} (all steps: --json)`
      )
    }
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
            Display.percent(t.failureRate),
            Display.duration(t.totalSeconds)
          ]),
          ["left", "right", "right", "right", "right"]
        )
    )
  }
  const failed = analysis.nodes.filter((node) => !node.success)
  if (failed.length > 0) {
    const shown = failed.slice(0, 20)
    sections.push(
      `Failed nodes: ${failed.length}\n` +
        shown.map((node) => `  ${node.nodeId}: ${Table.oneLine(node.error ?? "failed", 120)}`).join("\n") +
        (failed.length > shown.length ? `\n  ... and ${failed.length - shown.length} more (all of them: --json)` : "")
    )
  }
  return sections.join("\n\n")
}
