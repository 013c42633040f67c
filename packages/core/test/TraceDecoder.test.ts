import { describe, expect, it } from "@effect/vitest"
import * as TraceDecoder from "@victor/core/TraceDecoder"
import * as TraceJson from "@victor/core/TraceJson"
import * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"

const schemaDecode = Schema.decodeUnknownEither(WorkflowTrace.WorkflowTrace, { errors: "all", onExcessProperty: "ignore" })

const minimal = { trace_id: "t-1", workflow_name: "wf", start_time: 1_700_000_000 }

// Traces as JSON in the shapes files hold: minimal, full, failed nodes, events with and without optional fields,
// blob references, nulls where the format allows them, extra keys.
const accepted: Array<unknown> = [
  minimal,
  { ...minimal, nodes: [], events: [], status: "running", end_time: null, error: null, inputs: null, outputs: null },
  {
    schema_version: 1,
    ...minimal,
    status: "failed",
    end_time: 1_700_000_003.5,
    duration_seconds: 3.5,
    error: "node b failed",
    inputs: { task: "fix", nested: { deep: [1, 2, { x: null }] } },
    outputs: {},
    metadata: { env: "ci", iteration: 2 },
    parent_trace_id: "parent-1",
    trace_parent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    extra_top_level: "ignored",
    nodes: [
      { node_id: "a", node_type: "agent", timestamp: 1_700_000_000, duration_seconds: 1, success: true },
      {
        node_id: "b",
        node_type: "compute",
        timestamp: 1_700_000_001,
        duration_seconds: 2.5,
        success: false,
        error: "connection refused",
        inputs: null,
        outputs: { partial: true },
        metadata: { iteration: 1, attempt: 2 },
        unknown_key: 1,
        tool_calls: [
          { tool_name: "shell", duration_seconds: 1, success: false, error: "exit 1", timestamp: 1_700_000_001.5 },
          {
            tool_name: "read",
            duration_seconds: 0.25,
            success: true,
            error: null,
            inputs: { path: "a.txt" },
            outputs: { $blob: { sha256: "a".repeat(64), bytes: 100_000, preview: "..." } }
          }
        ]
      }
    ],
    events: [
      { event_type: "workflow_started", timestamp: 1_700_000_000 },
      { event_type: "node_started", timestamp: 1_700_000_001, node_id: "b" },
      {
        event_type: "tool_call_failed",
        timestamp: 1_700_000_002,
        node_id: "b",
        tool_name: "shell",
        status: "failed",
        duration_seconds: 1,
        error: "exit 1",
        data: { exit_code: 1 },
        extra: "ignored"
      },
      { event_type: "node_failed", timestamp: 1_700_000_003.5, node_id: "b", error: "connection refused" }
    ]
  }
]

// Effect spans (schema version 2) on the trace, a node and a tool call, with and without their optional fields.
const effectSpan = {
  span_id: "00f067aa0ba902b7",
  name: "db.query",
  timestamp: 1_700_000_000.5,
  duration_seconds: 0.01,
  success: true
}
accepted.push({
  schema_version: 2,
  ...minimal,
  spans: [{ ...effectSpan, parent_span_id: null, kind: "client", error: null, attributes: null }],
  nodes: [{
    node_id: "a",
    node_type: "compute",
    timestamp: 1_700_000_000,
    duration_seconds: 1,
    success: true,
    spans: [
      effectSpan,
      {
        ...effectSpan,
        span_id: "00f067aa0ba902b8",
        parent_span_id: "00f067aa0ba902b7",
        success: false,
        error: "boom",
        attributes: { "db.rows": 2 },
        events: [{ name: "log", timestamp: 1_700_000_000.51 }, { name: "x", timestamp: 1, attributes: { a: 1 } }]
      }
    ],
    tool_calls: [{ tool_name: "db", duration_seconds: 1, success: true, spans: [] }]
  }]
})

// Each breaks one rule of the Schema.
const rejected: ReadonlyArray<unknown> = [
  null,
  [],
  "trace",
  { workflow_name: "wf", start_time: 1 },
  { ...minimal, start_time: "yesterday" },
  { ...minimal, status: "done" },
  { ...minimal, nodes: null },
  { ...minimal, events: {} },
  { ...minimal, inputs: [1] },
  { ...minimal, end_time: "never" },
  { ...minimal, nodes: [{ node_id: "a", node_type: "x", timestamp: 1, duration_seconds: 1, success: "yes" }] },
  { ...minimal, nodes: [{ node_id: "a", node_type: "x", timestamp: 1, duration_seconds: 1, success: true, tool_calls: null }] },
  {
    ...minimal,
    nodes: [{
      node_id: "a",
      node_type: "x",
      timestamp: 1,
      duration_seconds: 1,
      success: true,
      tool_calls: [{ tool_name: "t", duration_seconds: 1, success: true, timestamp: null }]
    }]
  },
  { ...minimal, events: [{ event_type: "no_such_type", timestamp: 1 }] },
  { ...minimal, events: [{ event_type: "node_started", timestamp: 1, node_id: null }] },
  { ...minimal, events: [{ event_type: "node_started", timestamp: 1, node_id: undefined }] },
  { ...minimal, events: [{ event_type: "node_started", timestamp: 1, data: null }] },
  { ...minimal, events: [{ event_type: "node_started", timestamp: 1, data: [] }] },
  { ...minimal, spans: null },
  { ...minimal, spans: [{ ...effectSpan, kind: "sideways" }] },
  { ...minimal, spans: [{ ...effectSpan, span_id: 7 }] },
  { ...minimal, spans: [{ ...effectSpan, events: null }] },
  { ...minimal, spans: [{ ...effectSpan, events: [{ name: "log" }] }] },
  { ...minimal, spans: [{ ...effectSpan, attributes: [] }] },
  { ...minimal, nodes: [{ node_id: "a", node_type: "x", timestamp: 1, duration_seconds: 1, success: true, spans: {} }] },
  {
    ...minimal,
    nodes: [{
      node_id: "a",
      node_type: "x",
      timestamp: 1,
      duration_seconds: 1,
      success: true,
      tool_calls: [{ tool_name: "t", duration_seconds: 1, success: true, spans: [{ ...effectSpan, success: "yes" }] }]
    }]
  }
]

describe("TraceDecoder", () => {
  it("decodes varied traces on the fast path to exactly what Schema gives", () => {
    for (const json of accepted) {
      const expected = schemaDecode(json)
      assertRight(expected)
      const fast = TraceDecoder.decodeFast(json)
      expect(fast).toBeDefined()
      expect(fast).toStrictEqual(expected.right)
      // Same keys in the same order: the encoded JSON of both is the same text.
      expect(JSON.stringify(fast)).toBe(JSON.stringify(expected.right))
    }
  })

  it("decodes what the store writes (TraceJson), round trip", () => {
    const json = JSON.parse(TraceJson.encodeToString(WorkflowTrace.decodeUnknown(accepted[2]).pipe(Effect.runSync)))
    expect(TraceDecoder.decodeFast(json)).toStrictEqual(Either.getOrThrow(schemaDecode(json)))
  })

  it("rejects what Schema rejects, with Schema's error", () => {
    for (const json of rejected) {
      expect(Either.isLeft(schemaDecode(json))).toBe(true)
      expect(TraceDecoder.decodeFast(json)).toBeUndefined()
      const decoded = TraceDecoder.decodeUnknownEither(json)
      assertLeft(decoded)
      expect(decoded.left.message).toBe(Either.flip(schemaDecode(json)).pipe(Either.getOrThrow).message)
    }
  })

  it("leaves inputs only Schema knows how to read to Schema", () => {
    class Header {
      readonly trace_id = "t-1"
      readonly workflow_name = "wf"
      readonly start_time = 1
    }
    const instance = new Header()
    expect(TraceDecoder.decodeFast(instance)).toBeUndefined()
    expect(TraceDecoder.decodeUnknownEither(instance)).toStrictEqual(schemaDecode(instance))
    const protoKey = JSON.parse(`{"trace_id":"t","workflow_name":"w","start_time":1,"metadata":{"__proto__":{"x":1}}}`)
    expect(TraceDecoder.decodeFast(protoKey)).toBeUndefined()
    expect(TraceDecoder.decodeUnknownEither(protoKey)).toStrictEqual(schemaDecode(protoKey))
  })

  it.effect("decodeUnknown fails with a ParseError naming the field", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(TraceDecoder.decodeUnknown({ ...minimal, status: "done" }))
      expect(error._tag).toBe("ParseError")
      expect(error.message).toContain("status")
    }))
})

function assertRight<A, E>(either: Either.Either<A, E>): asserts either is Either.Right<E, A> {
  expect(Either.isRight(either)).toBe(true)
}

function assertLeft<A, E>(either: Either.Either<A, E>): asserts either is Either.Left<E, A> {
  expect(Either.isLeft(either)).toBe(true)
}
