/**
 * The JSON text of a trace in the guide's wire format ("Trace Structure", snake_case keys), produced piece by piece.
 * Node records and events are encoded one at a time, so a 100,000-node trace is never held as one giant string.
 * Every writer of trace JSON (the JSON exporter, the file store) goes through here, so they all write the same bytes:
 * exactly `JSON.stringify(WorkflowTrace.encode(trace), null, indent)`, written by a hand-made encoder of the wire
 * format (within about 1.5× of a bare `JSON.stringify` of the trace).
 *
 * The values in inputs, outputs, metadata and event data must be JSON values; like `JSON.stringify`, iterating throws
 * a `TypeError` on a BigInt or a cycle, which callers turn into their own typed errors. A value nested too deep for
 * `JSON.stringify` is written as `Json.bounded` makes it (parts deeper than `Json.MAX_DEPTH` levels replaced by
 * `"[depth limit]"`), never a stack overflow.
 */
import type { ExecutionEvent } from "./ExecutionEvent.ts"
import * as Json from "./Json.ts"
import type { JsonObject } from "./Json.ts"
import * as WorkflowTrace from "./WorkflowTrace.ts"

/** How the JSON is laid out. */
export interface Options {
  /** Spaces per nesting level, 0 to 10 like `JSON.stringify`; 0 writes compact JSON. Defaults to 2, like the guide. */
  readonly indent?: number
}

/** Options of {@link bytes}. */
export interface BytesOptions extends Options {
  /** About how many characters go into one byte chunk; defaults to {@link DEFAULT_BATCH_SIZE}. */
  readonly batchSize?: number
}

/** The indent used when none is given: two spaces, as in the guide. */
export const DEFAULT_INDENT = 2

/** The default size of a byte chunk of {@link bytes}, in characters: 64 KiB. */
export const DEFAULT_BATCH_SIZE = 64 * 1024

/** The trace's JSON as a lazy sequence of strings (one per node record or event, plus the parts around them). */
export const chunks = (trace: WorkflowTrace.WorkflowTrace, options: Options = {}): Iterable<string> => ({
  [Symbol.iterator]: () => generate(trace, normalizeIndent(options.indent), 1)
})

/** The trace's JSON as one string; for small traces (big ones should use {@link chunks} or {@link bytes}). */
export const encodeToString = (trace: WorkflowTrace.WorkflowTrace, options: Options = {}): string =>
  Array.from(generate(trace, normalizeIndent(options.indent), { characters: DEFAULT_BATCH_SIZE })).join("")

/**
 * The trace's JSON as a lazy sequence of UTF-8 byte chunks: the strings of {@link chunks} gathered into batches of at
 * most `batchSize` characters (a longer string is split, never inside a surrogate pair) and then encoded, so that each
 * chunk is at most three bytes per character.
 */
export const bytes = (trace: WorkflowTrace.WorkflowTrace, options: BytesOptions = {}): Iterable<Uint8Array> => ({
  [Symbol.iterator]: () => {
    const size = normalizeBatchSize(options.batchSize)
    return batchBytes(generate(trace, normalizeIndent(options.indent), { characters: size }), size)
  }
})

// Mirrors how JSON.stringify reads a numeric indent, so that the output matches it byte for byte.
const normalizeIndent = (indent: number | undefined): number =>
  indent === undefined ? DEFAULT_INDENT : Number.isFinite(indent) ? Math.min(10, Math.max(0, Math.floor(indent))) : 0

const normalizeBatchSize = (size: number | undefined): number =>
  size === undefined || !Number.isFinite(size) ? DEFAULT_BATCH_SIZE : Math.max(16, Math.floor(size))

/*
 * The encoder is written by hand rather than through `Schema.encode` (which cost about 25 µs per node): each record is
 * mapped to a plain object with the wire keys in the schema's order and handed to the native `JSON.stringify`, many
 * records at a time. Absent optional event fields are `undefined`, which `JSON.stringify` leaves out, as the schema's
 * `exact` optional fields do. `TraceJson.test.ts` and `SchemaOracle.test.ts` check the bytes against
 * `JSON.stringify(WorkflowTrace.encode(..))`.
 */

const hasOwn = Object.prototype.hasOwnProperty

// Schema's Record encoding copies an object's own keys into a plain object by assignment; that only differs from the
// object itself when a `toJSON` (say, on a class prototype) would replace it, or when the object has an own
// `__proto__` key (`JSON.parse` makes one): assigning that sets the copy's prototype, so the key is not written. Only
// then is the copy made (`SchemaOracle.test.ts` holds the bytes to the schema's on generated traces).
const record = (value: JsonObject): JsonObject => {
  if (typeof (value as { readonly toJSON?: unknown }).toJSON !== "function" && !hasOwn.call(value, "__proto__")) {
    return value
  }
  const copy: Record<string, unknown> = {}
  for (const key of Object.keys(value)) if (key !== "__proto__") copy[key] = value[key]
  return copy
}

// Bounded copies of the values a record holds, for a value nested too deep for `JSON.stringify` (see `Json`).
const boundedRecord = (value: JsonObject): JsonObject => Json.boundedObject(record(value))

const spanEventJson = (event: WorkflowTrace.SpanEvent, field: (value: JsonObject) => JsonObject) => ({
  name: event.name,
  timestamp: event.timestamp,
  attributes: field(event.attributes)
})

const spanJson = (span: WorkflowTrace.SpanRecord, field: (value: JsonObject) => JsonObject = record) => ({
  span_id: span.spanId,
  parent_span_id: span.parentSpanId,
  name: span.name,
  kind: span.kind,
  timestamp: span.timestamp,
  duration_seconds: span.durationSeconds,
  success: span.success,
  error: span.error,
  attributes: field(span.attributes),
  events: span.events === undefined ? undefined : span.events.map((event) => spanEventJson(event, field))
})

// Effect spans, when a record has them; `undefined` (left out, as the schema's exact optional field is) otherwise.
const spansJson = (
  spans: ReadonlyArray<WorkflowTrace.SpanRecord> | undefined,
  field: (value: JsonObject) => JsonObject
) => spans === undefined ? undefined : spans.map((span) => spanJson(span, field))

const toolCallJson = (call: WorkflowTrace.ToolCallRecord, field: (value: JsonObject) => JsonObject = record) => ({
  tool_name: call.toolName,
  inputs: field(call.inputs),
  outputs: field(call.outputs),
  duration_seconds: call.durationSeconds,
  success: call.success,
  error: call.error,
  timestamp: call.timestamp,
  spans: spansJson(call.spans, field)
})

const nodeJson = (node: WorkflowTrace.NodeTraceRecord, field: (value: JsonObject) => JsonObject = record) => ({
  node_id: node.nodeId,
  node_type: node.nodeType,
  timestamp: node.timestamp,
  duration_seconds: node.durationSeconds,
  success: node.success,
  error: node.error,
  inputs: field(node.inputs),
  outputs: field(node.outputs),
  tool_calls: node.toolCalls.map((call) => toolCallJson(call, field)),
  metadata: field(node.metadata),
  spans: spansJson(node.spans, field)
})

const eventJson = (event: ExecutionEvent, field: (value: JsonObject) => JsonObject = record) => ({
  event_type: event.eventType,
  timestamp: event.timestamp,
  node_id: event.nodeId,
  tool_name: event.toolName,
  status: event.status,
  duration_seconds: event.durationSeconds,
  error: event.error,
  data: event.data === undefined ? undefined : field(event.data)
})

// The wire keys of the trace itself, in the schema's order, up to (not including) the streamed `nodes` and `events`.
const headerJson = (trace: WorkflowTrace.WorkflowTrace, field: (value: JsonObject) => JsonObject = record) => ({
  schema_version: trace.schemaVersion,
  trace_id: trace.traceId,
  workflow_name: trace.workflowName,
  status: trace.status,
  start_time: trace.startTime,
  end_time: trace.endTime,
  duration_seconds: trace.durationSeconds,
  error: trace.error,
  inputs: field(trace.inputs),
  outputs: field(trace.outputs),
  metadata: field(trace.metadata),
  parent_trace_id: trace.parentTraceId,
  trace_parent: trace.traceParent
})

// `JSON.stringify` of what `make` builds with the values as they are; when a value is nested too deep for it, of
// what `make` builds with the values bounded (see `Json.MAX_DEPTH`).
const stringifyBounded = (
  make: (field: (value: JsonObject) => JsonObject) => unknown,
  indent: number
): string => {
  try {
    return JSON.stringify(make(record), null, indent)
  } catch (error) {
    if (!Json.isStackOverflow(error)) throw error
    return JSON.stringify(make(boundedRecord), null, indent)
  }
}

/**
 * The JSON pieces of a trace. `perPiece` is how many records go into one piece: a fixed count, or a target size in
 * characters (`{ characters }`) from which the count is adapted as records are written.
 */
function* generate(
  trace: WorkflowTrace.WorkflowTrace,
  indent: number,
  perPiece: number | { readonly characters: number }
): Generator<string, void, undefined> {
  const newline = indent > 0 ? "\n" : ""
  const pad = " ".repeat(indent)
  const colon = indent > 0 ? ": " : ":"
  const header = stringifyBounded((field) => headerJson(trace, field), indent)
  // The header without its closing brace; the arrays follow its last key.
  let out = header === "{}" ? "{" : header.slice(0, header.length - (indent > 0 ? 2 : 1)) + ","
  // `{"a": [items]}` laid out by JSON.stringify puts the items exactly two levels deep, as in the trace; what lies
  // between the brackets is cut out.
  const prefix = indent > 0 ? indent + 8 : 6
  const suffix = indent > 0 ? indent + 4 : 2
  // The trace's own spans only when it has the key, as the schema's exact optional field encodes.
  type Section = readonly [string, ReadonlyArray<unknown>, (item: never, field: (value: JsonObject) => JsonObject) => unknown]
  const sections: ReadonlyArray<Section> =
    trace.spans === undefined
      ? [["nodes", trace.nodes, nodeJson], ["events", trace.events, eventJson]]
      : [["nodes", trace.nodes, nodeJson], ["events", trace.events, eventJson], ["spans", trace.spans, spanJson]]
  for (let s = 0; s < sections.length; s++) {
    const [key, items, toJson] = sections[s]!
    out += (s === 0 ? "" : ",") + newline + pad + JSON.stringify(key) + colon
    if (items.length === 0) {
      out += "[]"
      continue
    }
    yield out + "["
    let count = typeof perPiece === "number" ? perPiece : 16
    for (let start = 0, end = 0; start < items.length; start = end) {
      end = Math.min(items.length, start + count)
      const json = stringifyBounded((field) => {
        const batch = new Array<unknown>(end - start)
        for (let i = start; i < end; i++) {
          batch[i - start] = (toJson as (item: unknown, field: (value: JsonObject) => JsonObject) => unknown)(
            items[i],
            field
          )
        }
        return { a: batch }
      }, indent)
      const inner = json.slice(prefix, json.length - suffix)
      if (typeof perPiece !== "number") {
        count = Math.max(1, Math.floor(perPiece.characters / Math.max(1, inner.length / (end - start))))
      }
      yield start === 0 ? inner : "," + inner
    }
    out = newline + pad + "]"
  }
  yield out + newline + "}"
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff

function* batchBytes(pieces: Iterable<string>, size: number): Generator<Uint8Array, void, undefined> {
  const encoder = new TextEncoder()
  let pending: Array<string> = []
  let length = 0
  const flush = () => {
    const batch = encoder.encode(pending.join(""))
    pending = []
    length = 0
    return batch
  }
  for (const piece of pieces) {
    let rest = piece
    while (rest.length > 0) {
      const room = size - length
      if (rest.length <= room) {
        pending.push(rest)
        length += rest.length
        break
      }
      let cut = room
      if (cut > 0 && isHighSurrogate(rest.charCodeAt(cut - 1))) cut -= 1
      if (cut > 0) {
        pending.push(rest.slice(0, cut))
        length += cut
        rest = rest.slice(cut)
      }
      yield flush()
    }
  }
  if (length > 0) yield flush()
}
