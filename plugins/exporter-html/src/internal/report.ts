/**
 * The numbers of an HTML report, computed once on the exporting side: summary statistics, slowest nodes, tool and
 * model usage, the critical path (`@victor/core/CriticalPath`, the path `trace analyze` prints), and what the page's
 * script reads when a row is opened. Numbers read as everywhere else in Victor (`@victor/core/Display`).
 */
import type * as CriticalPath from "@victor/core/CriticalPath"
import * as Display from "@victor/core/Display"
import { type NodeTraceRecord, type SpanRecord, spanTree, type WorkflowTrace } from "@victor/core/WorkflowTrace"
import type { ModelCalls } from "./modelCalls.ts"

/** A row of the slowest-nodes table. */
export interface SlowNode {
  readonly nodeId: string
  readonly nodeType: string
  readonly duration: string
  readonly success: boolean
  readonly share: string
}

/** A row of the tool-usage table. */
export interface ToolUsage {
  readonly toolName: string
  readonly calls: number
  readonly failures: number
  readonly total: string
  readonly average: string
}

/** A row of the model-usage table. */
export interface ModelUsage {
  readonly model: string
  readonly calls: number
  readonly inputTokens: string
  readonly outputTokens: string
  readonly average: string
  readonly cost: string
}

/** What the report's Handlebars template shows. */
export interface Model {
  readonly title: string
  readonly workflowName: string
  readonly traceId: string
  readonly status: string
  readonly statusClass: "ok" | "fail" | "other"
  readonly error: string | null
  readonly parentTraceId: string | null
  readonly started: string
  readonly ended: string
  readonly duration: string
  readonly nodeCount: string
  readonly succeeded: string
  readonly failed: string
  readonly anyFailed: boolean
  readonly successRate: string
  readonly averageNode: string
  readonly toolCallCount: string
  readonly failedToolCalls: string
  readonly anyFailedToolCalls: boolean
  readonly modelCallCount: string
  /** Input and output tokens together, or null without model calls. */
  readonly tokens: string | null
  readonly tokenSplit: string
  readonly cost: string | null
  readonly criticalCount: number
  readonly criticalDuration: string
  readonly nodeTypes: ReadonlyArray<{ readonly name: string; readonly count: number }>
  readonly slowest: ReadonlyArray<SlowNode>
  readonly tools: ReadonlyArray<ToolUsage>
  readonly models: ReadonlyArray<ModelUsage>
}

/** What the page's script needs besides the rows (the `meta` of the embedded data). */
export interface Meta {
  /** The time origin of every offset in the rows: the trace's start (unix seconds), or an earlier record's. */
  readonly origin: number
  /** Seconds from the origin to the end of the last record or of the trace. */
  readonly span: number
  /** Nodes per block of details (inputs, outputs), each block its own script element, parsed on demand. */
  readonly detailBlock: number
  readonly workflowName: string
  readonly traceId: string
  readonly status: string
  readonly error: string | null
  /** The trace's own duration (the workflow row's bar). */
  readonly duration: number
  /** Put before a cost (`$`, `€`, `USD `); costs are shown only when the exporter was given prices. */
  readonly currency: string
}

/** A duration for people, as Victor prints them everywhere: `0.4ms`, `850ms`, `12.40s`, `3m 05s`. */
export const formatDuration = Display.duration

const iso = (seconds: number | null): string =>
  seconds === null || !Number.isFinite(seconds) ? "–" : new Date(seconds * 1000).toISOString()

const integer = Display.integer

/** A count in a few characters: `950`, `13.1K`, `2.4M`. */
const compact = Display.compactCount

/** A cost for people: four significant digits below one unit, cents above. */
export const formatCost = (currency: string, cost: number): string =>
  currency + (cost === 0 ? "0" : cost < 1 ? cost.toPrecision(4).replace(/0+$/, "").replace(/\.$/, "") : cost.toFixed(2))

/** Summary, tables and the time frame of a trace; the critical path and the model calls are passed in. */
export const model = (
  trace: WorkflowTrace,
  path: CriticalPath.CriticalPath,
  calls: ModelCalls,
  detailBlock: number,
  currency: string
): { readonly model: Model; readonly meta: Meta } => {
  const nodes = trace.nodes
  let failed = 0
  let nodeTime = 0
  let toolCallCount = 0
  let failedToolCalls = 0
  let origin = trace.startTime
  let last = trace.endTime ?? trace.startTime + trace.durationSeconds
  const types = new Map<string, number>()
  const tools = new Map<string, { calls: number; failures: number; total: number }>()
  for (const node of nodes) {
    if (!node.success) failed++
    nodeTime += node.durationSeconds
    types.set(node.nodeType, (types.get(node.nodeType) ?? 0) + 1)
    if (node.timestamp < origin) origin = node.timestamp
    const end = node.timestamp + node.durationSeconds
    if (end > last) last = end
    for (const call of node.toolCalls) {
      toolCallCount++
      if (!call.success) failedToolCalls++
      const usage = tools.get(call.toolName) ?? { calls: 0, failures: 0, total: 0 }
      usage.calls++
      if (!call.success) usage.failures++
      usage.total += call.durationSeconds
      tools.set(call.toolName, usage)
      if (call.timestamp > 0 && call.timestamp < origin) origin = call.timestamp
      if (call.timestamp + call.durationSeconds > last) last = call.timestamp + call.durationSeconds
    }
  }
  const models = new Map<string, { calls: number; input: number; output: number; time: number; cost: number | null }>()
  let inputTokens = 0
  let outputTokens = 0
  let cost: number | null = null
  for (let k = 0; k < calls.count; k++) {
    const name = calls.model[k]!
    const usage = models.get(name) ?? { calls: 0, input: 0, output: 0, time: 0, cost: null }
    usage.calls++
    usage.input += calls.inputTokens[k] ?? 0
    usage.output += calls.outputTokens[k] ?? 0
    usage.time += calls.duration[k]!
    const callCost = calls.cost[k]
    if (callCost !== null && callCost !== undefined) {
      usage.cost = (usage.cost ?? 0) + callCost
      cost = (cost ?? 0) + callCost
    }
    models.set(name, usage)
    inputTokens += calls.inputTokens[k] ?? 0
    outputTokens += calls.outputTokens[k] ?? 0
    if (calls.start[k]! < origin) origin = calls.start[k]!
  }
  const span = Math.max(0, last - origin)
  // The ten slowest, without sorting 100,000 records: a small sorted list kept while scanning.
  const slowest: Array<NodeTraceRecord> = []
  for (const node of nodes) {
    if (slowest.length === 10 && node.durationSeconds <= slowest[9]!.durationSeconds) continue
    let at = slowest.findIndex((other) => node.durationSeconds > other.durationSeconds)
    if (at < 0) at = slowest.length
    slowest.splice(at, 0, node)
    if (slowest.length > 10) slowest.pop()
  }
  const status = trace.status
  return {
    model: {
      title: `${trace.workflowName} — Victor trace report`,
      workflowName: trace.workflowName,
      traceId: trace.traceId,
      status,
      statusClass: status === "succeeded" ? "ok" : status === "failed" || status === "cancelled" ? "fail" : "other",
      error: trace.error,
      parentTraceId: trace.parentTraceId,
      started: iso(trace.startTime),
      ended: iso(trace.endTime),
      duration: formatDuration(trace.durationSeconds),
      nodeCount: integer(nodes.length),
      succeeded: integer(nodes.length - failed),
      failed: integer(failed),
      anyFailed: failed > 0,
      // Never rounded up to 100% while a node failed (nor down to 0% while one succeeded).
      successRate: nodes.length === 0 ? "–" : Display.percent((nodes.length - failed) / nodes.length),
      averageNode: nodes.length === 0 ? "–" : formatDuration(nodeTime / nodes.length),
      toolCallCount: integer(toolCallCount),
      failedToolCalls: integer(failedToolCalls),
      anyFailedToolCalls: failedToolCalls > 0,
      modelCallCount: integer(calls.count),
      tokens: calls.count === 0 ? null : integer(inputTokens + outputTokens),
      tokenSplit: `${compact(inputTokens)} in · ${compact(outputTokens)} out`,
      cost: cost === null ? null : formatCost(currency, cost),
      criticalCount: path.steps.length,
      criticalDuration: path.steps.length === 0 ? "–" : formatDuration(path.durationSeconds),
      nodeTypes: Array.from(types, ([name, count]) => ({ name, count })).sort((a, b) => a.name.localeCompare(b.name)),
      slowest: slowest.map((node) => ({
        nodeId: node.nodeId,
        nodeType: node.nodeType,
        duration: formatDuration(node.durationSeconds),
        success: node.success,
        share: span > 0 ? Display.percent(Math.min(1, node.durationSeconds / span)) : "–"
      })),
      tools: Array.from(tools, ([toolName, usage]) => ({
        toolName,
        calls: usage.calls,
        failures: usage.failures,
        total: formatDuration(usage.total),
        average: formatDuration(usage.total / usage.calls)
      })).sort((a, b) => b.calls - a.calls || a.toolName.localeCompare(b.toolName)),
      models: Array.from(models, ([name, usage]) => ({
        model: name,
        calls: usage.calls,
        inputTokens: integer(usage.input),
        outputTokens: integer(usage.output),
        average: formatDuration(usage.time / usage.calls),
        cost: usage.cost === null ? "–" : formatCost(currency, usage.cost)
      })).sort((a, b) => b.calls - a.calls || a.model.localeCompare(b.model))
    },
    meta: {
      origin,
      span: round(span),
      detailBlock,
      workflowName: trace.workflowName,
      traceId: trace.traceId,
      status,
      error: trace.error,
      duration: Math.max(0, trace.durationSeconds),
      currency
    }
  }
}

const round = (seconds: number) => Math.round(seconds * 1e6) / 1e6

/** Seconds from the report's origin, to the microsecond (the page needs no more, and the data stays small). */
export const offset = (seconds: number, origin: number): number => round(seconds - origin)

/**
 * Effect spans as the page's script reads them, parents first (see `WorkflowTrace.spanTree`): `[name, start offset,
 * duration, ok, error, depth, kind, attributes, events]`, each event `[name, offset, attributes]` (or `null` when
 * there are none).
 */
export const spanRows = (
  spans: ReadonlyArray<SpanRecord> | undefined,
  origin: number
): ReadonlyArray<ReadonlyArray<unknown>> =>
  spanTree(spans).map(({ depth, span }) => [
    span.name,
    round(span.timestamp - origin),
    span.durationSeconds,
    span.success ? 1 : 0,
    span.error,
    depth,
    span.kind,
    span.attributes,
    span.events === undefined
      ? null
      : span.events.map((event) => [event.name, round(event.timestamp - origin), event.attributes])
  ])

/**
 * What the page parses only when a row is opened: `[inputs, outputs, [[tool inputs, tool outputs, tool's Effect
 * spans?], ...], node's Effect spans?, metadata?]`, spans as {@link spanRows} lays them out, each only when there are
 * some (the node's spans are `null` when it has none but has metadata). The metadata holds what the node's model
 * calls recorded (`model_calls`), its iteration and attempt, and a sub-workflow's `child_trace_id`.
 */
export const detail = (node: NodeTraceRecord, origin: number): ReadonlyArray<unknown> => {
  const calls = node.toolCalls.map((call) =>
    call.spans === undefined || call.spans.length === 0
      ? [call.inputs, call.outputs]
      : [call.inputs, call.outputs, spanRows(call.spans, origin)]
  )
  const spans = node.spans === undefined || node.spans.length === 0 ? null : spanRows(node.spans, origin)
  let metadata = false
  for (const _ in node.metadata) {
    metadata = true
    break
  }
  return metadata
    ? [node.inputs, node.outputs, calls, spans, node.metadata]
    : spans === null
    ? [node.inputs, node.outputs, calls]
    : [node.inputs, node.outputs, calls, spans]
}

/** What the page shows for the workflow row: `[inputs, outputs, Effect spans outside any node (or null), metadata]`. */
export const runDetail = (trace: WorkflowTrace, origin: number): ReadonlyArray<unknown> => [
  trace.inputs,
  trace.outputs,
  trace.spans === undefined || trace.spans.length === 0 ? null : spanRows(trace.spans, origin),
  trace.metadata
]
