import { describe, expect, it } from "@effect/vitest"
import { sampleTrace } from "@victor/core/testing/TraceStoreContract"
import type { SpanRecord, WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as OtlpExporter from "@victor/exporter-otlp/OtlpExporter"
import * as OtlpSpans from "@victor/exporter-otlp/OtlpSpans"
import { decode, type DecodedSpan } from "./otlpProto.ts"

const t0 = 1_700_000_000

const span = (spanId: string, name: string, overrides: Partial<SpanRecord> = {}): SpanRecord => ({
  spanId,
  parentSpanId: null,
  name,
  kind: "internal",
  timestamp: t0 + 0.3,
  durationSeconds: 0.1,
  success: true,
  error: null,
  attributes: {},
  ...overrides
})

const withSpans = (
  spans: { readonly trace?: ReadonlyArray<SpanRecord>; readonly node?: ReadonlyArray<SpanRecord>; readonly call?: ReadonlyArray<SpanRecord> }
): WorkflowTrace => {
  const base = sampleTrace()
  const node = base.nodes[0]!
  return {
    ...base,
    schemaVersion: 2,
    nodes: [{
      ...node,
      toolCalls: node.toolCalls.map((call) => (spans.call === undefined ? call : { ...call, spans: spans.call })),
      ...(spans.node === undefined ? {} : { spans: spans.node })
    }],
    ...(spans.trace === undefined ? {} : { spans: spans.trace })
  }
}

const named = (spans: ReadonlyArray<DecodedSpan>, name: string) => {
  const found = spans.filter((s) => s.name === name)
  expect(found, name).toHaveLength(1)
  return found[0]!
}

describe("OtlpSpans: Effect spans", () => {
  it("go under the run, the node or the tool call that holds them, or under their enclosing span", () => {
    const trace = withSpans({
      trace: [span("00000000000000c1", "startup")],
      node: [span("00000000000000b1", "node.work")],
      call: [
        span("00000000000000a2", "db.connect", { parentSpanId: "00000000000000a1", kind: "client" }),
        span("00000000000000a1", "db.query", { attributes: { "db.rows": 2 } })
      ]
    })
    const { spans } = decode(OtlpExporter.encodeProtobuf(trace))
    const root = named(spans, "invoke_workflow review")
    const node = named(spans, "compute read")
    const tool = named(spans, "execute_tool read")
    expect(named(spans, "startup")).toMatchObject({ spanId: "00000000000000c1", parentSpanId: root.spanId })
    expect(named(spans, "node.work")).toMatchObject({ spanId: "00000000000000b1", parentSpanId: node.spanId })
    expect(named(spans, "db.query")).toMatchObject({ spanId: "00000000000000a1", parentSpanId: tool.spanId, kind: 1 })
    expect(named(spans, "db.connect")).toMatchObject({ parentSpanId: "00000000000000a1", kind: 3 })
    expect(new Set(spans.map((s) => s.spanId)).size).toBe(spans.length)
    // Parents before children, and a node's spans stay with the node.
    expect(spans.map((s) => s.name)).toEqual([
      "invoke_workflow review",
      "startup",
      "compute read",
      "execute_tool read",
      "db.query",
      "db.connect",
      "node.work"
    ])
    expect(OtlpSpans.toReadableSpans(trace).map((s) => s.name)).toEqual(spans.map((s) => s.name))
  })

  it("map a failure to an ERROR status with its exception, and keep attributes and events", () => {
    const trace = withSpans({
      node: [span("00000000000000b1", "db.query", {
        success: false,
        error: "connection refused",
        attributes: { "db.system": "sqlite", rows: [1, 2], mixed: [1, "a"], nested: { a: 1 }, nothing: null },
        events: [{ name: "retrying", timestamp: t0 + 0.35, attributes: { attempt: 2 } }]
      })]
    })
    const { spans } = decode(OtlpExporter.encodeProtobuf(trace))
    const query = named(spans, "db.query")
    expect(query.status).toEqual({ code: 2, message: "connection refused" })
    expect(query.attributes).toEqual({
      "db.system": "sqlite",
      rows: [1, 2],
      mixed: `[1,"a"]`,
      nested: `{"a":1}`,
      nothing: "null",
      "error.type": "_OTHER"
    })
    expect(query.events.map((e) => [e.name, e.attributes])).toEqual([
      ["retrying", { attempt: 2 }],
      ["exception", { "exception.message": "connection refused" }]
    ])
    expect(query.startTimeUnixNano).toBe(1_700_000_000_300_000_000n)
  })

  it("give a hand-made file's bad, repeated or cyclic ids unique span ids, deterministically", () => {
    const trace = withSpans({
      node: [
        span("not-hex", "a"),
        span("00000000000000b1", "b"),
        span("00000000000000b1", "c"),
        span("00000000000000e1", "d", { parentSpanId: "00000000000000e2" }),
        span("00000000000000e2", "e", { parentSpanId: "00000000000000e1" }),
        span("0000000000000000", "zero")
      ]
    })
    const first = decode(OtlpExporter.encodeProtobuf(trace)).spans
    expect(decode(OtlpExporter.encodeProtobuf(trace)).spans).toEqual(first)
    expect(new Set(first.map((s) => s.spanId)).size).toBe(first.length)
    for (const s of first) expect(s.spanId).toMatch(/^(?!0{16})[0-9a-f]{16}$/)
    // A cycle of parents is broken: every span's parent is exported, and no span is its own ancestor.
    const byId = new Map(first.map((s) => [s.spanId, s]))
    for (const s of first) {
      const seen = new Set<string>()
      for (let at: DecodedSpan | undefined = s; at !== undefined; at = byId.get(at.parentSpanId)) {
        expect(seen.has(at.spanId)).toBe(false)
        seen.add(at.spanId)
      }
    }
  })

  it("leave a trace without spans exactly as before", () => {
    const trace = sampleTrace()
    expect(OtlpSpans.toReadableSpans(trace).map((s) => s.name)).toEqual(["invoke_workflow review", "compute read", "execute_tool read"])
  })
})
