/**
 * The numbers of an HTML report, computed once on the exporting side: summary statistics, slowest nodes, tool usage,
 * the critical path (`@victor/core/CriticalPath`, the path `trace analyze` prints), and each node as a compact row
 * for the page's script. Numbers read as everywhere else in Victor (`@victor/core/Display`).
 */
import type * as CriticalPath from "@victor/core/CriticalPath"
import * as Display from "@victor/core/Display"
import { type NodeTraceRecord, type SpanRecord, spanTree, type WorkflowTrace } from "@victor/core/WorkflowTrace"

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
  readonly nodeCount: number
  readonly succeeded: number
  readonly failed: number
  readonly successRate: string
  readonly averageNode: string
  readonly toolCallCount: number
  readonly failedToolCalls: number
  readonly criticalCount: number
  readonly criticalDuration: string
  readonly nodeTypes: ReadonlyArray<{ readonly name: string; readonly count: number }>
  readonly slowest: ReadonlyArray<SlowNode>
  readonly tools: ReadonlyArray<ToolUsage>
}

/** What the page's script needs beyond the node rows. */
export interface Meta {
  /** The time origin of every offset in the rows: the trace's start (unix seconds). */
  readonly origin: number
  /** Seconds from the origin to the end of the last node or of the trace. */
  readonly span: number
  readonly pageSize: number
  /** Nodes per block of details (inputs, outputs), each block its own script element, parsed on demand. */
  readonly detailBlock: number
  /** The Effect spans the run holds outside any node, as {@link spanRows} lays them out; absent when none. */
  readonly runSpans?: ReadonlyArray<ReadonlyArray<unknown>>
}

/** A duration for people, as Victor prints them everywhere: `0.4ms`, `850ms`, `12.40s`, `3m 05s`. */
export const formatDuration = Display.duration

const iso = (seconds: number | null): string =>
  seconds === null || !Number.isFinite(seconds) ? "–" : new Date(seconds * 1000).toISOString()

/** Summary, tables and the time frame of a trace; the critical path is passed in (computed once). */
export const model = (
  trace: WorkflowTrace,
  path: CriticalPath.CriticalPath,
  pageSize: number,
  detailBlock: number
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
    }
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
      nodeCount: nodes.length,
      succeeded: nodes.length - failed,
      failed,
      // Never rounded up to 100% while a node failed (nor down to 0% while one succeeded).
      successRate: nodes.length === 0 ? "–" : Display.percent((nodes.length - failed) / nodes.length),
      averageNode: nodes.length === 0 ? "–" : formatDuration(nodeTime / nodes.length),
      toolCallCount,
      failedToolCalls,
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
      })).sort((a, b) => b.calls - a.calls || a.toolName.localeCompare(b.toolName))
    },
    meta: {
      origin,
      span,
      pageSize,
      detailBlock,
      ...(trace.spans === undefined || trace.spans.length === 0 ? {} : { runSpans: spanRows(trace.spans, origin) })
    }
  }
}

const round = (seconds: number) => Math.round(seconds * 1e6) / 1e6

/**
 * One node as the page's script reads it at once: `[id, type, start offset, duration, ok, error, tool calls,
 * critical]`, each tool call `[name, start offset, duration, ok, error]`. Positional arrays keep the embedded data
 * small and quick to parse.
 */
export const row = (node: NodeTraceRecord, origin: number, critical: number): ReadonlyArray<unknown> => [
  node.nodeId,
  node.nodeType,
  round(node.timestamp - origin),
  node.durationSeconds,
  node.success ? 1 : 0,
  node.error,
  node.toolCalls.map((call) => [
    call.toolName,
    round(call.timestamp - origin),
    call.durationSeconds,
    call.success ? 1 : 0,
    call.error
  ]),
  critical
]

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
 * What the page parses only when a node is opened: `[inputs, outputs, [[tool inputs, tool outputs, tool's Effect
 * spans?], ...], node's Effect spans?]`, spans as {@link spanRows} lays them out, each only when there are some.
 */
export const detail = (node: NodeTraceRecord, origin: number): ReadonlyArray<unknown> => {
  const calls = node.toolCalls.map((call) =>
    call.spans === undefined || call.spans.length === 0
      ? [call.inputs, call.outputs]
      : [call.inputs, call.outputs, spanRows(call.spans, origin)]
  )
  return node.spans === undefined || node.spans.length === 0
    ? [node.inputs, node.outputs, calls]
    : [node.inputs, node.outputs, calls, spanRows(node.spans, origin)]
}
