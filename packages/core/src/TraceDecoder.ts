/**
 * Fast decoding of traces from their JSON (the guide's snake_case keys): hand-written checks that give exactly what
 * `WorkflowTrace.decodeUnknown` (Schema) gives for the values `JSON.parse` produces, in a fraction of the time
 * (Schema takes milliseconds per small trace; a store loading 10,000 of them cannot wait for it). Whatever the fast
 * path does not accept goes to Schema, which then gives the error naming the field (or, for an input only Schema
 * knows how to read, such as a class instance, the value). Summaries (`WorkflowTrace.TraceSummary`, what a store's index
 * keeps) are read the same way.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { type ExecutionEvent, ExecutionEventType } from "./ExecutionEvent.ts"
import type { JsonObject } from "./Json.ts"
import * as WorkflowTrace from "./WorkflowTrace.ts"

const eventTypes: ReadonlySet<unknown> = new Set(Object.values(ExecutionEventType))
const statuses: ReadonlySet<unknown> = new Set(WorkflowTrace.TraceStatus.literals)
const hasOwn = Object.prototype.hasOwnProperty

// Only plain objects take the fast path: Schema reads others (class instances, objects with a `__proto__` key) in ways
// a copy-free check cannot match, so they go to Schema.
const isPlain = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return (proto === Object.prototype || proto === null) && !hasOwn.call(v, "__proto__")
}
const isNumber = (v: unknown): v is number => typeof v === "number"
const isString = (v: unknown): v is string => typeof v === "string"
// Not there, or there as undefined: what `optionalWith(..., { default })` reads as absent.
const absent = (v: unknown) => v === undefined
// `optionalWith(..., { exact: true })`: absent only when the key is missing; a key holding undefined is an error.
const exactAbsent = (o: Record<string, unknown>, key: string) => o[key] === undefined && !hasOwn.call(o, key)
const nullableString = (v: unknown) => v === undefined || v === null || isString(v)
const defaultedObject = (v: unknown) => v === undefined || v === null || isPlain(v)
const objectOr = (v: unknown): JsonObject => (isPlain(v) ? v : {})

const spanKinds: ReadonlySet<unknown> = new Set(WorkflowTrace.SpanKind.literals)

const decodeSpanEvent = (e: unknown): WorkflowTrace.SpanEvent | undefined => {
  if (!isPlain(e) || !isString(e["name"]) || !isNumber(e["timestamp"]) || !defaultedObject(e["attributes"])) {
    return undefined
  }
  return { name: e["name"], timestamp: e["timestamp"], attributes: objectOr(e["attributes"]) }
}

/** An Effect span record from its JSON, or undefined when the fast check does not accept it. */
export const decodeSpan = (s: unknown): WorkflowTrace.SpanRecord | undefined => {
  if (
    !isPlain(s) || !isString(s["span_id"]) || !nullableString(s["parent_span_id"]) || !isString(s["name"]) ||
    !(absent(s["kind"]) || spanKinds.has(s["kind"])) || !isNumber(s["timestamp"]) ||
    !isNumber(s["duration_seconds"]) || typeof s["success"] !== "boolean" || !nullableString(s["error"]) ||
    !defaultedObject(s["attributes"])
  ) return undefined
  const span: { -readonly [K in keyof WorkflowTrace.SpanRecord]: WorkflowTrace.SpanRecord[K] } = {
    spanId: s["span_id"],
    parentSpanId: (s["parent_span_id"] as string | null | undefined) ?? null,
    name: s["name"],
    kind: (s["kind"] as WorkflowTrace.SpanKind | undefined) ?? "internal",
    timestamp: s["timestamp"],
    durationSeconds: s["duration_seconds"],
    success: s["success"],
    error: (s["error"] as string | null | undefined) ?? null,
    attributes: objectOr(s["attributes"])
  }
  const rawEvents = s["events"]
  if (Array.isArray(rawEvents)) {
    const events: Array<WorkflowTrace.SpanEvent> = []
    for (const raw of rawEvents) {
      const event = decodeSpanEvent(raw)
      if (event === undefined) return undefined
      events.push(event)
    }
    span.events = events
  } else if (!exactAbsent(s, "events")) return undefined
  return span
}

// The `spans` of a record (an exact optional field: absent, or an array of spans): `null` when the fast check does
// not accept them, `undefined` when there are none.
const decodeSpans = (
  o: Record<string, unknown>
): ReadonlyArray<WorkflowTrace.SpanRecord> | undefined | null => {
  const raw = o["spans"]
  if (!Array.isArray(raw)) return exactAbsent(o, "spans") ? undefined : null
  const spans: Array<WorkflowTrace.SpanRecord> = []
  for (const item of raw) {
    const span = decodeSpan(item)
    if (span === undefined) return null
    spans.push(span)
  }
  return spans
}

/** A tool call record from its JSON, or undefined when the fast check does not accept it. */
export const decodeToolCall = (c: unknown): WorkflowTrace.ToolCallRecord | undefined => {
  if (
    !isPlain(c) || !isString(c["tool_name"]) || !isNumber(c["duration_seconds"]) ||
    typeof c["success"] !== "boolean" || !nullableString(c["error"]) || !defaultedObject(c["inputs"]) ||
    !defaultedObject(c["outputs"]) || !(absent(c["timestamp"]) || isNumber(c["timestamp"]))
  ) return undefined
  const call: WorkflowTrace.ToolCallRecord = {
    toolName: c["tool_name"],
    inputs: objectOr(c["inputs"]),
    outputs: objectOr(c["outputs"]),
    durationSeconds: c["duration_seconds"],
    success: c["success"],
    error: (c["error"] as string | null | undefined) ?? null,
    timestamp: (c["timestamp"] as number | undefined) ?? 0
  }
  // The common case (no spans) checks one key and builds nothing more.
  if (c["spans"] === undefined && !hasOwn.call(c, "spans")) return call
  const spans = decodeSpans(c)
  return spans === null ? undefined : spans === undefined ? call : { ...call, spans }
}

/** A node record from its JSON, or undefined when the fast check does not accept it. */
export const decodeNode = (n: unknown): WorkflowTrace.NodeTraceRecord | undefined => {
  if (
    !isPlain(n) || !isString(n["node_id"]) || !isString(n["node_type"]) || !isNumber(n["timestamp"]) ||
    !isNumber(n["duration_seconds"]) || typeof n["success"] !== "boolean" || !nullableString(n["error"]) ||
    !defaultedObject(n["inputs"]) || !defaultedObject(n["outputs"]) || !defaultedObject(n["metadata"])
  ) return undefined
  const rawCalls = n["tool_calls"]
  if (!(absent(rawCalls) || Array.isArray(rawCalls))) return undefined
  const toolCalls: Array<WorkflowTrace.ToolCallRecord> = []
  if (rawCalls !== undefined) {
    for (const c of rawCalls as Array<unknown>) {
      const call = decodeToolCall(c)
      if (call === undefined) return undefined
      toolCalls.push(call)
    }
  }
  const node: WorkflowTrace.NodeTraceRecord = {
    nodeId: n["node_id"],
    nodeType: n["node_type"],
    timestamp: n["timestamp"],
    durationSeconds: n["duration_seconds"],
    success: n["success"],
    error: (n["error"] as string | null | undefined) ?? null,
    inputs: objectOr(n["inputs"]),
    outputs: objectOr(n["outputs"]),
    toolCalls,
    metadata: objectOr(n["metadata"])
  }
  if (n["spans"] === undefined && !hasOwn.call(n, "spans")) return node
  const spans = decodeSpans(n)
  return spans === null ? undefined : spans === undefined ? node : { ...node, spans }
}

/** An execution event from its JSON, or undefined when the fast check does not accept it. */
export const decodeEvent = (e: unknown): ExecutionEvent | undefined => {
  if (!isPlain(e) || !eventTypes.has(e["event_type"]) || !isNumber(e["timestamp"])) return undefined
  const out: { -readonly [K in keyof ExecutionEvent]: ExecutionEvent[K] } = {
    eventType: e["event_type"] as ExecutionEvent["eventType"],
    timestamp: e["timestamp"]
  }
  const nodeId = e["node_id"]
  if (isString(nodeId)) out.nodeId = nodeId
  else if (!exactAbsent(e, "node_id")) return undefined
  const toolName = e["tool_name"]
  if (isString(toolName)) out.toolName = toolName
  else if (!exactAbsent(e, "tool_name")) return undefined
  const status = e["status"]
  if (isString(status)) out.status = status
  else if (!exactAbsent(e, "status")) return undefined
  const duration = e["duration_seconds"]
  if (isNumber(duration)) out.durationSeconds = duration
  else if (!exactAbsent(e, "duration_seconds")) return undefined
  const error = e["error"]
  if (isString(error)) out.error = error
  else if (!exactAbsent(e, "error")) return undefined
  const data = e["data"]
  if (isPlain(data)) out.data = data
  else if (!exactAbsent(e, "data")) return undefined
  return out
}

const nullableNumber = (v: unknown) => v === undefined || v === null || isNumber(v)
const optionalArray = (v: unknown): v is ReadonlyArray<unknown> | undefined => v === undefined || Array.isArray(v)

/**
 * A whole trace from its JSON by the hand-written checks alone, or undefined when they do not accept it (then
 * `decodeUnknown` asks Schema). For what `JSON.parse` produces, a trace here is exactly Schema's.
 */
export const decodeFast = (json: unknown): WorkflowTrace.WorkflowTrace | undefined => {
  if (!isPlain(json)) return undefined
  const o = json
  if (
    !isString(o["trace_id"]) || !isString(o["workflow_name"]) || !isNumber(o["start_time"]) ||
    !(absent(o["schema_version"]) || isNumber(o["schema_version"])) ||
    !(absent(o["status"]) || statuses.has(o["status"])) || !nullableNumber(o["end_time"]) ||
    !(absent(o["duration_seconds"]) || isNumber(o["duration_seconds"])) || !nullableString(o["error"]) ||
    !defaultedObject(o["inputs"]) || !defaultedObject(o["outputs"]) || !defaultedObject(o["metadata"]) ||
    !nullableString(o["parent_trace_id"]) || !nullableString(o["trace_parent"])
  ) return undefined
  const rawNodes = o["nodes"]
  const rawEvents = o["events"]
  if (!optionalArray(rawNodes) || !optionalArray(rawEvents)) return undefined
  const nodes: Array<WorkflowTrace.NodeTraceRecord> = []
  if (rawNodes !== undefined) {
    for (const raw of rawNodes) {
      const node = decodeNode(raw)
      if (node === undefined) return undefined
      nodes.push(node)
    }
  }
  const events: Array<ExecutionEvent> = []
  if (rawEvents !== undefined) {
    for (const raw of rawEvents) {
      const event = decodeEvent(raw)
      if (event === undefined) return undefined
      events.push(event)
    }
  }
  const spans = decodeSpans(o)
  if (spans === null) return undefined
  const trace: WorkflowTrace.WorkflowTrace = {
    schemaVersion: (o["schema_version"] as number | undefined) ?? WorkflowTrace.BASE_SCHEMA_VERSION,
    traceId: o["trace_id"],
    workflowName: o["workflow_name"],
    status: (o["status"] as WorkflowTrace.TraceStatus | undefined) ?? "succeeded",
    startTime: o["start_time"],
    endTime: (o["end_time"] as number | null | undefined) ?? null,
    durationSeconds: (o["duration_seconds"] as number | undefined) ?? 0,
    error: (o["error"] as string | null | undefined) ?? null,
    inputs: objectOr(o["inputs"]),
    outputs: objectOr(o["outputs"]),
    metadata: objectOr(o["metadata"]),
    parentTraceId: (o["parent_trace_id"] as string | null | undefined) ?? null,
    traceParent: (o["trace_parent"] as string | null | undefined) ?? null,
    nodes,
    events
  }
  return spans === undefined ? trace : { ...trace, spans }
}

const decodeSlowEither = Schema.decodeUnknownEither(WorkflowTrace.WorkflowTrace, {
  errors: "all",
  onExcessProperty: "ignore"
})

/** Decodes an unknown JSON value into a trace: the fast checks, else Schema (whose errors name the field). */
export const decodeUnknownEither = (json: unknown): Either.Either<WorkflowTrace.WorkflowTrace, ParseResult.ParseError> => {
  const fast = decodeFast(json)
  return fast === undefined ? decodeSlowEither(json) : Either.right(fast)
}

/** `decodeUnknownEither` as an effect, a drop-in for `WorkflowTrace.decodeUnknown`. */
export const decodeUnknown = (json: unknown): Effect.Effect<WorkflowTrace.WorkflowTrace, ParseResult.ParseError> =>
  Effect.suspend(() => decodeUnknownEither(json))

// `Schema.NonNegativeInt`.
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0

/** A trace summary from its JSON (`WorkflowTrace.encodeSummary`), or undefined when the fast check does not accept it. */
export const decodeSummaryFast = (s: unknown): WorkflowTrace.TraceSummary | undefined => {
  if (
    !isPlain(s) || !isString(s["trace_id"]) || !isString(s["workflow_name"]) || !statuses.has(s["status"]) ||
    !isNumber(s["start_time"]) || !(s["end_time"] === null || isNumber(s["end_time"])) ||
    !isNumber(s["duration_seconds"]) || !isCount(s["node_count"]) || !isCount(s["failed_node_count"])
  ) return undefined
  return {
    traceId: s["trace_id"],
    workflowName: s["workflow_name"],
    status: s["status"] as WorkflowTrace.TraceStatus,
    startTime: s["start_time"],
    endTime: s["end_time"] as number | null,
    durationSeconds: s["duration_seconds"],
    nodeCount: s["node_count"],
    failedNodeCount: s["failed_node_count"]
  }
}

const decodeSummarySlow = Schema.decodeUnknownOption(WorkflowTrace.TraceSummary, { onExcessProperty: "ignore" })

/** Decodes an unknown JSON value into a trace summary: the fast check, else Schema. */
export const decodeSummary = (json: unknown): Option.Option<WorkflowTrace.TraceSummary> => {
  const fast = decodeSummaryFast(json)
  return fast === undefined ? decodeSummarySlow(json) : Option.some(fast)
}
