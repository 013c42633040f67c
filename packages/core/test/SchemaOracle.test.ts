/**
 * The Schemas of `@victor/core` are the single source of the trace's shape. The hand-written fast paths kept for speed
 * (`TraceJson`'s encoder, `TraceDecoder`'s checks, the journal's line decoder, the summary codec) are held to them
 * here, with Schema as the oracle, on values generated from the same Schemas by Effect's `Arbitrary`:
 *
 * - Encoding: the fast encoder's text is exactly `JSON.stringify(Schema.encode(value), null, indent)`, byte for byte
 *   (key order included), for every generated value, even values JSON cannot hold (`NaN`, `-0`, `undefined` inside an
 *   object): both go through `JSON.stringify` of the same values, so anything short of equal bytes is a difference.
 * - Decoding: the fast decoders are specified for what `JSON.parse` produces, so they are fed the parsed text of
 *   written values and of corrupted ones (a field removed, nulled, or of the wrong type). A fast decoder accepts
 *   exactly what Schema accepts and gives what Schema gives (`toStrictEqual`: same keys, same values, no stray
 *   `undefined`). The one input they leave to Schema by design is an object with an own `__proto__` key (Schema reads
 *   it in its own way); there the public decoder, which asks Schema, must still give Schema's answer.
 * - Round trip: what is read back encodes to the same bytes again (nothing is lost on the way). Exact equality with
 *   the generated value holds only for values JSON can hold, which the stable bytes cover without filtering.
 *
 * Sizes are bounded (fast-check's `xsmall`, with explicit array lengths) so the file runs in a few seconds.
 */
import { describe, expect, it } from "@effect/vitest"
import { ExecutionEvent } from "@victor/core/ExecutionEvent"
import * as Journal from "@victor/core/Journal"
import * as TraceDecoder from "@victor/core/TraceDecoder"
import * as TraceId from "@victor/core/TraceId"
import * as TraceJson from "@victor/core/TraceJson"
import * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as Arbitrary from "effect/Arbitrary"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as fc from "effect/FastCheck"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

// fast-check reads the size when an arbitrary is built, and `Arbitrary.make` builds some while generating: the size is
// set for this whole file (Vitest gives every test file its own modules). At the default size a generated trace is
// up to a megabyte; at `xsmall` arrays hold 0 or 1 item, so the arrays that matter get explicit lengths below.
fc.configureGlobal({ ...fc.readConfigureGlobal(), baseSize: "xsmall" })

const some = <A>(item: fc.Arbitrary<A>, maxLength: number) => fc.array(item, { maxLength, size: "max" })

const toolCall = Arbitrary.make(WorkflowTrace.ToolCallRecord)
const node = fc.tuple(Arbitrary.make(WorkflowTrace.NodeTraceRecord), some(toolCall, 3))
  .map(([node, toolCalls]): WorkflowTrace.NodeTraceRecord => ({ ...node, toolCalls }))
const event = Arbitrary.make(ExecutionEvent)

/** Traces from the `WorkflowTrace` Schema, with a few nodes (a few tool calls each) and events. */
const trace: fc.Arbitrary<WorkflowTrace.WorkflowTrace> = fc
  .tuple(Arbitrary.make(WorkflowTrace.WorkflowTrace), some(node, 6), some(event, 8))
  .map(([trace, nodes, events]) => ({ ...trace, nodes, events }))

const params = { fastCheck: { numRuns: 300 } }

// ---------------------------------------------------------------------------------------------------------------
// Corrupting what was written
// ---------------------------------------------------------------------------------------------------------------

type Path = ReadonlyArray<string | number>

const pathsOf = (value: unknown, at: Path = [], out: Array<Path> = []): Array<Path> => {
  out.push(at)
  if (typeof value === "object" && value !== null && at.length < 6) {
    if (Array.isArray(value)) value.forEach((item, i) => pathsOf(item, [...at, i], out))
    else for (const key of Object.keys(value)) pathsOf((value as Record<string, unknown>)[key], [...at, key], out)
  }
  return out
}

/** What a corruption does to the value at a path: `undefined` removes it. */
type Corruption = (value: unknown) => unknown

const withProtoKey: Corruption = (value) => {
  const object: Record<string, unknown> = typeof value === "object" && value !== null && !Array.isArray(value)
    ? { ...value }
    : {}
  Object.defineProperty(object, "__proto__", { value: { x: 1 }, enumerable: true, writable: true, configurable: true })
  return object
}

const corruptions: ReadonlyArray<Corruption> = [
  () => undefined,
  () => null,
  () => "text",
  () => 1.5,
  () => -1,
  () => true,
  () => [],
  () => ({}),
  () => [1],
  () => ({ x: 1 }),
  withProtoKey
]

/** A JSON value with one corruption at one of its paths, as `JSON.parse` reads it. */
const corrupt = (json: unknown, pick: number, corruption: Corruption): unknown => {
  const paths = pathsOf(json)
  const path = paths[pick % paths.length]!
  const copy = JSON.parse(JSON.stringify(json)) as unknown
  let result = copy
  if (path.length === 0) result = corruption(copy) ?? null
  else {
    let parent = copy as Record<string | number, unknown>
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>
    const last = path[path.length - 1]!
    const replaced = corruption(parent[last])
    if (replaced !== undefined) parent[last] = replaced
    else if (Array.isArray(parent)) parent.splice(last as number, 1)
    else delete parent[last]
  }
  return JSON.parse(JSON.stringify(result))
}

const corrupted = <A>(values: fc.Arbitrary<A>, toJson: (value: A) => unknown): fc.Arbitrary<unknown> =>
  fc.tuple(values, fc.nat(), fc.constantFrom(...corruptions)).map(([value, pick, corruption]) =>
    corrupt(toJson(value), pick, corruption)
  )

const hasProtoKey = (value: unknown): boolean =>
  typeof value === "object" && value !== null &&
  (Object.prototype.hasOwnProperty.call(value, "__proto__") || Object.values(value).some(hasProtoKey))

/** A fast decoder agrees with the Schema on one JSON value (see the header). */
const agree = <A>(
  json: unknown,
  fast: A | undefined,
  oracle: Either.Either<A, unknown>,
  decoded: Either.Either<A, unknown>
) => {
  if (fast !== undefined) expect(Either.getOrThrow(oracle)).toStrictEqual(fast)
  else if (!hasProtoKey(json)) expect(Either.isLeft(oracle)).toBe(true)
  if (Either.isRight(oracle)) expect(Either.getOrThrow(decoded)).toStrictEqual(oracle.right)
  else expect(Either.isLeft(decoded)).toBe(true)
}

// ---------------------------------------------------------------------------------------------------------------
// Traces
// ---------------------------------------------------------------------------------------------------------------

const schemaDecode = Schema.decodeUnknownEither(WorkflowTrace.WorkflowTrace, {
  errors: "all",
  onExcessProperty: "ignore"
})
const schemaJson = (trace: WorkflowTrace.WorkflowTrace, indent = 2) =>
  JSON.stringify(WorkflowTrace.encode(trace), null, indent)

const agreeOnTrace = (json: unknown) =>
  agree(json, TraceDecoder.decodeFast(json), schemaDecode(json), TraceDecoder.decodeUnknownEither(json))

describe("TraceJson against the WorkflowTrace Schema", () => {
  it.prop("writes exactly JSON.stringify(WorkflowTrace.encode(trace)), whatever the indent", [
    trace,
    fc.integer({ min: 0, max: 4 })
  ], ([trace, indent]) => {
    const expected = schemaJson(trace, indent)
    expect(TraceJson.encodeToString(trace, { indent })).toBe(expected)
    // Streamed in pieces of a few records, the same text.
    expect(Array.from(TraceJson.chunks(trace, { indent })).join("")).toBe(expected)
    const decoder = new TextDecoder()
    expect(Array.from(TraceJson.bytes(trace, { indent, batchSize: 64 }), (b) => decoder.decode(b)).join(""))
      .toBe(expected)
  }, params)

  it("regression: a value's own `__proto__` key is left out, as Schema's Record encoding leaves it out", () => {
    // `JSON.parse` makes `__proto__` an own key (a tool's output read from JSON can hold one). Schema's Record assigns
    // it to a fresh object, which sets the prototype instead, so the key never reaches the JSON; the fast encoder
    // wrote it, so a trace file held a key its journal did not and that no reader gives back.
    const inputs = JSON.parse(`{"__proto__": {"x": 1}, "a": 2}`) as WorkflowTrace.WorkflowTrace["inputs"]
    const base = Either.getOrThrow(schemaDecode({ trace_id: "t", workflow_name: "w", start_time: 1 }))
    const traces: ReadonlyArray<WorkflowTrace.WorkflowTrace> = [
      { ...base, inputs },
      {
        ...base,
        nodes: [{
          nodeId: "n",
          nodeType: "compute",
          timestamp: 1,
          durationSeconds: 1,
          success: true,
          error: null,
          inputs: {},
          outputs: inputs,
          toolCalls: [],
          metadata: {}
        }],
        events: [{ eventType: "node_started", timestamp: 1, data: inputs }]
      }
    ]
    for (const trace of traces) {
      expect(TraceJson.encodeToString(trace)).toBe(schemaJson(trace))
      expect(TraceJson.encodeToString(trace)).not.toContain("__proto__")
    }
  })
})

describe("TraceDecoder against the WorkflowTrace Schema", () => {
  it.prop("decodes written traces exactly as Schema does", [trace], ([trace]) => {
    const json = JSON.parse(TraceJson.encodeToString(trace))
    agreeOnTrace(json)
    // Every trace the Schema reads is also read by the fast path (nothing written falls back to Schema).
    if (Either.isRight(schemaDecode(json))) expect(TraceDecoder.decodeFast(json)).toBeDefined()
  }, params)

  it.prop("accepts and refuses corrupted traces as Schema does", [
    corrupted(trace, (trace) => WorkflowTrace.encode(trace))
  ], ([json]) => agreeOnTrace(json), { fastCheck: { numRuns: 1000 } })

  it.prop("reads back what it writes: the same bytes again", [trace], ([trace]) => {
    const text = TraceJson.encodeToString(trace)
    const decoded = TraceDecoder.decodeUnknownEither(JSON.parse(text))
    // A trace holding a number JSON cannot hold (NaN, Infinity) is written with `null` there and not read back.
    if (Either.isRight(decoded)) expect(TraceJson.encodeToString(decoded.right)).toBe(text)
  }, params)
})

// ---------------------------------------------------------------------------------------------------------------
// Journal lines
// ---------------------------------------------------------------------------------------------------------------

const entryNodeId = fc.option(fc.string(), { nil: undefined })

const entry: fc.Arbitrary<Journal.JournalEntry> = fc.oneof(
  event.map(Journal.event),
  Arbitrary.make(Journal.StartedNode).map(Journal.nodeStarted),
  node.map(Journal.node),
  fc.tuple(toolCall, entryNodeId).map(([call, nodeId]) => Journal.toolCall(call, nodeId)),
  fc.tuple(Arbitrary.make(WorkflowTrace.SpanRecord), entryNodeId).map(([span, nodeId]) => Journal.span(span, nodeId))
)

// The oracle of a journal line: one Schema per kind of line, the kind told by its key, as the format says.
const lineSchemas: ReadonlyArray<
  readonly [string, (json: unknown) => Either.Either<Journal.JournalEntry, unknown>]
> = [
  ["event", (json) =>
    Either.map(Schema.decodeUnknownEither(Schema.Struct({ event: ExecutionEvent }))(json), (l) =>
      Journal.event(l.event))],
  ["node_started", (json) =>
    Either.map(Schema.decodeUnknownEither(Schema.Struct({ node_started: Journal.StartedNode }))(json), (l) =>
      Journal.nodeStarted(l.node_started))],
  ["node", (json) =>
    Either.map(Schema.decodeUnknownEither(Schema.Struct({ node: WorkflowTrace.NodeTraceRecord }))(json), (l) =>
      Journal.node(l.node))],
  ["tool_call", (json) =>
    Either.map(
      Schema.decodeUnknownEither(
        Schema.Struct({ tool_call: WorkflowTrace.ToolCallRecord, node_id: Schema.optional(Schema.String) })
      )(json),
      (l) => Journal.toolCall(l.tool_call, l.node_id)
    )],
  ["span", (json) =>
    Either.map(
      Schema.decodeUnknownEither(
        Schema.Struct({ span: WorkflowTrace.SpanRecord, node_id: Schema.optional(Schema.String) })
      )(json),
      (l) => Journal.span(l.span, l.node_id)
    )]
]

const headerLine = Schema.decodeUnknownEither(Schema.Struct({
  journal: Schema.Number,
  header: Journal.JournalHeader,
  owner: Schema.optional(Journal.JournalOwner)
}))

const lineOracle = (json: unknown): Either.Either<Journal.JournalEntry, unknown> => {
  if (typeof json !== "object" || json === null) return Either.left("not an object")
  for (const [key, decode] of lineSchemas) if (key in json) return decode(json)
  return Either.left("no known key")
}

const agreeOnLine = (json: unknown) => {
  const decoded = Journal.decodeLine(JSON.stringify(json))
  const oracle = lineOracle(json)
  if (Either.isRight(oracle)) expect(decoded).toStrictEqual(oracle.right)
  else expect(decoded).toBeUndefined()
}

describe("Journal lines against their Schemas", () => {
  it.prop("decodes written lines exactly as Schema does, and writes them again byte for byte", [entry], ([entry]) => {
    const line = Journal.encodeEntry(entry)
    agreeOnLine(JSON.parse(line))
    const decoded = Journal.decodeLine(line)
    if (decoded !== undefined) expect(Journal.encodeEntry(decoded)).toBe(line)
  }, { fastCheck: { numRuns: 500 } })

  it.prop("accepts and refuses corrupted lines as Schema does", [
    corrupted(entry, (entry) => JSON.parse(Journal.encodeEntry(entry)))
  ], ([json]) => agreeOnLine(json), { fastCheck: { numRuns: 1000 } })

  it.prop("reads back a header and its owner", [
    Arbitrary.make(Journal.JournalHeader),
    fc.option(Arbitrary.make(Journal.JournalOwner), { nil: undefined })
  ], ([header, owner]) => {
    const line = Journal.encodeHeader(header, owner)
    const parsed = Journal.parseHeader(line)
    const oracle = headerLine(JSON.parse(line))
    if (Either.isLeft(oracle)) expect(Either.isLeft(parsed)).toBe(true)
    else {
      const read = Either.getOrThrow(parsed)
      expect(read.header).toStrictEqual(oracle.right.header)
      expect(read.owner).toStrictEqual(oracle.right.owner)
      expect(Journal.encodeHeader(read.header, read.owner)).toBe(line)
    }
  }, params)
})

// ---------------------------------------------------------------------------------------------------------------
// Summaries and ids
// ---------------------------------------------------------------------------------------------------------------

const summary = Arbitrary.make(WorkflowTrace.TraceSummary)
const summaryDecode = Schema.decodeUnknownEither(WorkflowTrace.TraceSummary, { onExcessProperty: "ignore" })

const agreeOnSummary = (json: unknown) =>
  agree(
    json,
    TraceDecoder.decodeSummaryFast(json),
    summaryDecode(json),
    Either.fromOption(TraceDecoder.decodeSummary(json), () => "refused")
  )

describe("TraceSummary", () => {
  it.prop("encodeSummary is Schema.encode(TraceSummary), keys in the same order", [summary], ([summary]) => {
    const encoded = WorkflowTrace.encodeSummary(summary)
    expect(encoded).toStrictEqual(Schema.encodeSync(WorkflowTrace.TraceSummary)(summary))
    expect(JSON.stringify(encoded)).toBe(JSON.stringify(Schema.encodeSync(WorkflowTrace.TraceSummary)(summary)))
    agreeOnSummary(JSON.parse(JSON.stringify(encoded)))
  }, params)

  it.prop("decodeSummary accepts and refuses corrupted summaries as Schema does", [
    corrupted(summary, WorkflowTrace.encodeSummary)
  ], ([json]) => agreeOnSummary(json), { fastCheck: { numRuns: 1000 } })

  it.prop("the summary of any trace is a TraceSummary", [trace], ([trace]) => {
    expect(Schema.is(WorkflowTrace.TraceSummary)(WorkflowTrace.summarize(trace))).toBe(true)
  }, params)

  it("refuses counts that are not whole, and keys that are missing", () => {
    const good = WorkflowTrace.encodeSummary({
      traceId: "t",
      workflowName: "w",
      status: "failed",
      startTime: 1,
      endTime: null,
      durationSeconds: 0,
      nodeCount: 2,
      failedNodeCount: 1
    })
    expect(Option.isSome(TraceDecoder.decodeSummary(good))).toBe(true)
    const { end_time: _, ...noEnd } = good
    for (const bad of [{ ...good, node_count: 1.5 }, { ...good, failed_node_count: -1 }, noEnd]) {
      agreeOnSummary(bad)
      expect(Option.isNone(TraceDecoder.decodeSummary(bad))).toBe(true)
    }
  })
})

describe("TraceId", () => {
  it.effect("make mints ids the TraceId schema accepts, a new one each time", () =>
    Effect.gen(function*() {
      const ids = yield* Effect.all(Array.from({ length: 100 }, () => TraceId.make))
      for (const id of ids) expect(Schema.is(TraceId.TraceId)(id)).toBe(true)
      expect(new Set(ids).size).toBe(ids.length)
    }))
})
