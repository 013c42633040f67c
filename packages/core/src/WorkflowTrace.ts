/**
 * The trace model: a workflow run with its node records and tool-call records, in the guide's JSON wire format
 * ("Trace Structure"). TypeScript fields are camelCase; encoded JSON uses the guide's snake_case keys.
 *
 * Fields that older or foreign trace files (e.g. Victor's Python engine) may lack decode to defaults, so such files
 * load; anything of the wrong type fails to decode with an error naming the field.
 *
 * Schema version 2 adds Effect spans (`EffectSpans.layer`): an optional `spans` array on a tool call, a node record
 * and the trace itself, holding the spans that `Effect.withSpan` made while that tool call, that node, or the trace
 * outside any node was the innermost thing running in the fiber. Each element is a {@link SpanRecord}:
 *
 * | key | value |
 * |---|---|
 * | `span_id` | 16 lower-case hex digits (a W3C span id) |
 * | `parent_span_id` | the enclosing span's `span_id` in the same `spans` array, or `null`: the span is a child of the tool call, node or trace that holds the array |
 * | `name` | the span's name (`db.query`) |
 * | `kind` | `internal`, `server`, `client`, `producer` or `consumer` |
 * | `timestamp` | when it started, unix seconds (a float, on the trace's clock like every other time) |
 * | `duration_seconds` | how long it ran |
 * | `success`, `error` | how it ended: `error` is the failure's message, `"cancelled"` when it was interrupted |
 * | `attributes` | its attributes as JSON values, redacted like every payload |
 * | `events` | only when it has some: `{name, timestamp, attributes}` each (Effect logs inside a span become its events) |
 *
 * The array is in the order spans ended (a parent after its children); `spans` is absent when there are none. A trace
 * is written as version 2 only when it holds spans, so every trace without them stays version 1, byte for byte what
 * earlier versions wrote, and readable by them; a reader of version 1 ignores `spans`.
 */
import * as Schema from "effect/Schema"
import { ExecutionEvent, type ExecutionEventType } from "./ExecutionEvent.ts"
import { JsonObject } from "./Json.ts"

/** The first version of the trace format, and the version of every trace that holds no Effect spans. */
export const BASE_SCHEMA_VERSION = 1

/** The newest version of the trace format (version 1 plus Effect spans): the version of a trace that holds spans. */
export const SCHEMA_VERSION = 2

/** The version a trace is written as: the oldest that holds it, {@link SCHEMA_VERSION} only when it has spans. */
export const schemaVersionFor = (hasSpans: boolean): number => (hasSpans ? SCHEMA_VERSION : BASE_SCHEMA_VERSION)

const emptyJson = () => ({})
const withDefaultObject = Schema.optionalWith(JsonObject, { default: emptyJson, nullable: true })
const nullableError = Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null })

/** How a span relates to its parent, as Effect's `Tracer.SpanKind` (and OpenTelemetry's) says. */
export const SpanKind = Schema.Literal("internal", "server", "client", "producer", "consumer")

/** How a span relates to its parent. */
export type SpanKind = typeof SpanKind.Type

/** Something that happened during a span (Effect turns a log inside a span into one). */
export const SpanEvent = Schema.Struct({
  name: Schema.String,
  timestamp: Schema.Number,
  attributes: withDefaultObject
}).annotations({ identifier: "SpanEvent" })

/** Something that happened during a span. */
export interface SpanEvent extends Schema.Schema.Type<typeof SpanEvent> {}

/** A span made with `Effect.withSpan` inside a trace (see the module's header for the wire fields). */
export const SpanRecord = Schema.Struct({
  spanId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("span_id")),
  parentSpanId: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }).pipe(
    Schema.fromKey("parent_span_id")
  ),
  name: Schema.String,
  kind: Schema.optionalWith(SpanKind, { default: () => "internal" as const }),
  timestamp: Schema.Number,
  durationSeconds: Schema.propertySignature(Schema.Number).pipe(Schema.fromKey("duration_seconds")),
  success: Schema.Boolean,
  error: nullableError,
  attributes: withDefaultObject,
  events: Schema.optionalWith(Schema.Array(SpanEvent), { exact: true })
}).annotations({ identifier: "SpanRecord" })

/** A span made with `Effect.withSpan` inside a trace. */
export interface SpanRecord extends Schema.Schema.Type<typeof SpanRecord> {}

// Absent when there are none, so that a trace without spans encodes exactly as before they existed.
const optionalSpans = Schema.optionalWith(Schema.Array(SpanRecord), { exact: true })

/** One tool invocation: its name, inputs, outputs, timing and outcome. */
export const ToolCallRecord = Schema.Struct({
  toolName: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("tool_name")),
  inputs: withDefaultObject,
  outputs: withDefaultObject,
  durationSeconds: Schema.propertySignature(Schema.Number).pipe(Schema.fromKey("duration_seconds")),
  success: Schema.Boolean,
  error: nullableError,
  timestamp: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  spans: optionalSpans
}).annotations({ identifier: "ToolCallRecord" })

/** One tool invocation. */
export interface ToolCallRecord extends Schema.Schema.Type<typeof ToolCallRecord> {}

/** One node execution: what went in, what came out, how long it took, the tool calls it made. */
export const NodeTraceRecord = Schema.Struct({
  nodeId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("node_id")),
  nodeType: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("node_type")),
  timestamp: Schema.Number,
  durationSeconds: Schema.propertySignature(Schema.Number).pipe(Schema.fromKey("duration_seconds")),
  success: Schema.Boolean,
  error: nullableError,
  inputs: withDefaultObject,
  outputs: withDefaultObject,
  toolCalls: Schema.optionalWith(Schema.Array(ToolCallRecord), { default: () => [] }).pipe(
    Schema.fromKey("tool_calls")
  ),
  metadata: withDefaultObject,
  spans: optionalSpans
}).annotations({ identifier: "NodeTraceRecord" })

/** One node execution. */
export interface NodeTraceRecord extends Schema.Schema.Type<typeof NodeTraceRecord> {}

/** Where a run stands: running while it executes, then how it ended; `incomplete` is a run recovered after a crash. */
export const TraceStatus = Schema.Literal("running", "succeeded", "failed", "cancelled", "incomplete")

/** Where a run stands. */
export type TraceStatus = typeof TraceStatus.Type

/** A whole workflow run. */
export const WorkflowTrace = Schema.Struct({
  schemaVersion: Schema.optionalWith(Schema.Number, { default: () => BASE_SCHEMA_VERSION }).pipe(
    Schema.fromKey("schema_version")
  ),
  traceId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("trace_id")),
  workflowName: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("workflow_name")),
  status: Schema.optionalWith(TraceStatus, { default: () => "succeeded" as const }),
  startTime: Schema.propertySignature(Schema.Number).pipe(Schema.fromKey("start_time")),
  endTime: Schema.optionalWith(Schema.NullOr(Schema.Number), { default: () => null }).pipe(
    Schema.fromKey("end_time")
  ),
  durationSeconds: Schema.optionalWith(Schema.Number, { default: () => 0 }).pipe(Schema.fromKey("duration_seconds")),
  error: nullableError,
  inputs: withDefaultObject,
  outputs: withDefaultObject,
  metadata: withDefaultObject,
  parentTraceId: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }).pipe(
    Schema.fromKey("parent_trace_id")
  ),
  traceParent: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }).pipe(
    Schema.fromKey("trace_parent")
  ),
  nodes: Schema.optionalWith(Schema.Array(NodeTraceRecord), { default: () => [] }),
  events: Schema.optionalWith(Schema.Array(ExecutionEvent), { default: () => [] }),
  /** Effect spans that ran inside the trace but outside any node. */
  spans: optionalSpans
}).annotations({ identifier: "WorkflowTrace" })

/** A whole workflow run (camelCase TypeScript view). */
export interface WorkflowTrace extends Schema.Schema.Type<typeof WorkflowTrace> {}

/** A whole workflow run as written to JSON (the guide's keys). */
export interface WorkflowTraceEncoded extends Schema.Schema.Encoded<typeof WorkflowTrace> {}

/** Decodes an unknown JSON value into a trace (errors name the offending field). */
export const decodeUnknown = Schema.decodeUnknown(WorkflowTrace, { errors: "all", onExcessProperty: "ignore" })

/** Encodes a trace into its JSON shape. */
export const encode = Schema.encodeSync(WorkflowTrace)

/** Encodes one node record into its JSON shape. */
export const encodeNode = Schema.encodeSync(NodeTraceRecord)

/** The events of one node, in order (the guide's `trace.get_events_by_node`). */
export const getEventsByNode = (trace: WorkflowTrace, nodeId: string): ReadonlyArray<ExecutionEvent> =>
  trace.events.filter((event) => event.nodeId === nodeId)

/** The events of one type, in order (the guide's `trace.get_events_by_type`). */
export const getEventsByType = (
  trace: WorkflowTrace,
  eventType: ExecutionEventType
): ReadonlyArray<ExecutionEvent> => trace.events.filter((event) => event.eventType === eventType)

/** The nodes that failed, in order. */
export const failedNodes = (trace: WorkflowTrace): ReadonlyArray<NodeTraceRecord> =>
  trace.nodes.filter((node) => !node.success)

/** A span placed in its tree: how many spans of the same array enclose it (0 for a child of the array's holder). */
export interface PlacedSpan {
  readonly span: SpanRecord
  readonly depth: number
}

/**
 * The spans of one `spans` array as a tree read from the top: each span right after its parent, siblings by start
 * time. A span whose parent is not in the array is at the top; none is left out, whatever the file says (a cycle of
 * parents is broken where it is met).
 */
export const spanTree = (spans: ReadonlyArray<SpanRecord> | undefined): ReadonlyArray<PlacedSpan> => {
  if (spans === undefined || spans.length === 0) return []
  const ids = new Set<string>()
  for (const span of spans) ids.add(span.spanId)
  const children = new Map<string, Array<SpanRecord>>()
  const top: Array<SpanRecord> = []
  for (const span of spans) {
    const parent = span.parentSpanId
    if (parent === null || parent === span.spanId || !ids.has(parent)) top.push(span)
    else {
      const list = children.get(parent)
      if (list === undefined) children.set(parent, [span])
      else list.push(span)
    }
  }
  const byStart = (a: SpanRecord, b: SpanRecord) => a.timestamp - b.timestamp
  const out: Array<PlacedSpan> = []
  const placed = new Set<SpanRecord>()
  // Iterative, so that a long chain of parents cannot overflow the stack.
  const walk = (roots: ReadonlyArray<SpanRecord>) => {
    const pending: Array<PlacedSpan> = roots.slice().sort(byStart).reverse().map((span) => ({ span, depth: 0 }))
    while (pending.length > 0) {
      const next = pending.pop()!
      if (placed.has(next.span)) continue
      placed.add(next.span)
      out.push(next)
      const below = children.get(next.span.spanId)
      if (below === undefined) continue
      const sorted = below.slice().sort(byStart)
      for (let i = sorted.length - 1; i >= 0; i--) pending.push({ span: sorted[i]!, depth: next.depth + 1 })
    }
  }
  walk(top)
  if (out.length < spans.length) walk(spans.filter((span) => !placed.has(span)))
  return out
}

/**
 * A short listing of a stored trace, enough to list and filter history without loading every node: what a store's
 * index keeps and what `victor trace list --json` prints, under the guide's snake_case keys like the trace itself.
 */
export const TraceSummary = Schema.Struct({
  traceId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("trace_id")),
  workflowName: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("workflow_name")),
  status: TraceStatus,
  startTime: Schema.propertySignature(Schema.Number).pipe(Schema.fromKey("start_time")),
  endTime: Schema.propertySignature(Schema.NullOr(Schema.Number)).pipe(Schema.fromKey("end_time")),
  durationSeconds: Schema.propertySignature(Schema.Number).pipe(Schema.fromKey("duration_seconds")),
  nodeCount: Schema.propertySignature(Schema.NonNegativeInt).pipe(Schema.fromKey("node_count")),
  failedNodeCount: Schema.propertySignature(Schema.NonNegativeInt).pipe(Schema.fromKey("failed_node_count"))
}).annotations({ identifier: "TraceSummary" })

/** A short listing of a stored trace (camelCase TypeScript view). */
export interface TraceSummary extends Schema.Schema.Type<typeof TraceSummary> {}

/** A short listing of a stored trace as written to JSON (the guide's keys). */
export interface TraceSummaryEncoded extends Schema.Schema.Encoded<typeof TraceSummary> {}

/**
 * Encodes a summary into its JSON shape: exactly what `Schema.encode(TraceSummary)` gives, keys in the same order,
 * written out by hand because listing a history encodes one per trace (100,000 and more) and Schema takes microseconds
 * each. `SchemaOracle.test.ts` holds it to the Schema; `TraceDecoder.decodeSummary` reads it back.
 */
export const encodeSummary = (summary: TraceSummary): TraceSummaryEncoded => ({
  trace_id: summary.traceId,
  workflow_name: summary.workflowName,
  status: summary.status,
  start_time: summary.startTime,
  end_time: summary.endTime,
  duration_seconds: summary.durationSeconds,
  node_count: summary.nodeCount,
  failed_node_count: summary.failedNodeCount
})

/** The summary of a trace. */
export const summarize = (trace: WorkflowTrace): TraceSummary => ({
  traceId: trace.traceId,
  workflowName: trace.workflowName,
  status: trace.status,
  startTime: trace.startTime,
  endTime: trace.endTime,
  durationSeconds: trace.durationSeconds,
  nodeCount: trace.nodes.length,
  failedNodeCount: trace.nodes.reduce((count, node) => (node.success ? count : count + 1), 0)
})
