import { describe, expect, it } from "@effect/vitest"
import { sampleTrace } from "@victor/core/testing/TraceStoreContract"
import * as TraceJson from "@victor/core/TraceJson"
import * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as Effect from "effect/Effect"

const bigTrace = (count: number): WorkflowTrace.WorkflowTrace => {
  const base = sampleTrace()
  const node = base.nodes[0]!
  return sampleTrace({
    traceId: "big",
    nodes: Array.from({ length: count }, (_, i) => ({ ...node, nodeId: `node_${i}`, success: i % 7 !== 0 })),
    events: Array.from({ length: count }, (_, i) => ({
      eventType: "node_started" as const,
      timestamp: i,
      nodeId: `node_${i}`
    }))
  })
}

describe("TraceJson", () => {
  it.effect("round-trips through WorkflowTrace.decodeUnknown", () =>
    Effect.gen(function*() {
      const trace = sampleTrace({
        events: [
          { eventType: "workflow_started", timestamp: 1 },
          {
            eventType: "tool_call_failed",
            timestamp: 2,
            nodeId: "read",
            toolName: "read",
            error: "boom",
            data: { a: [1] }
          }
        ]
      })
      const decoded = yield* WorkflowTrace.decodeUnknown(JSON.parse(TraceJson.encodeToString(trace)))
      expect(decoded).toEqual(trace)
    }))

  it("parses to exactly WorkflowTrace.encode and matches JSON.stringify byte for byte", () => {
    const trace = bigTrace(3)
    for (const indent of [undefined, 0, 2, 4]) {
      const text = TraceJson.encodeToString(trace, indent === undefined ? {} : { indent })
      expect(JSON.parse(text)).toEqual(WorkflowTrace.encode(trace))
      expect(text).toBe(JSON.stringify(WorkflowTrace.encode(trace), null, indent ?? 2))
    }
  })

  it("matches the schema encoding byte for byte for every optional event field and awkward values", () => {
    class Money {
      constructor(readonly cents: number) {}
      toJSON() {
        return `${this.cents / 100} EUR`
      }
    }
    const odd = Object.assign(new Money(150), { note: "<b>&\u2028é😀\ud800" }) as unknown as Record<string, unknown>
    const trace = sampleTrace({
      inputs: { "2": "numeric key first", b: [1, null, { c: undefined }], a: NaN, when: new Date(0) },
      outputs: odd,
      events: [
        { eventType: "workflow_started", timestamp: 1 },
        {
          eventType: "tool_call_failed",
          timestamp: 2.5,
          nodeId: "read",
          toolName: "read",
          status: "failed",
          durationSeconds: 0.25,
          error: "line\nbreak \"quoted\"",
          data: { nested: { deep: [1, "two"] } }
        },
        { eventType: "node_skipped", timestamp: 3, nodeId: "skip", data: odd }
      ]
    })
    for (const indent of [0, 1, 2, 7]) {
      const expected = JSON.stringify(WorkflowTrace.encode(trace), null, indent)
      expect(TraceJson.encodeToString(trace, { indent })).toBe(expected)
      expect(Array.from(TraceJson.chunks(trace, { indent })).join("")).toBe(expected)
      const decoder = new TextDecoder()
      const viaBytes = Array.from(TraceJson.bytes(trace, { indent, batchSize: 64 }))
        .map((batch) => decoder.decode(batch, { stream: true })).join("") + decoder.decode()
      expect(viaBytes).toBe(expected)
    }
  })

  it("writes the guide's keys in the schema's order, snake_case throughout", () => {
    const trace = sampleTrace()
    const parsed = JSON.parse(TraceJson.encodeToString(trace))
    expect(Object.keys(parsed)).toEqual(Object.keys(WorkflowTrace.encode(trace)))
    expect(Object.keys(parsed)).toEqual([
      "schema_version",
      "trace_id",
      "workflow_name",
      "status",
      "start_time",
      "end_time",
      "duration_seconds",
      "error",
      "inputs",
      "outputs",
      "metadata",
      "parent_trace_id",
      "trace_parent",
      "nodes",
      "events"
    ])
    expect(Object.keys(parsed.nodes[0])).toEqual([
      "node_id",
      "node_type",
      "timestamp",
      "duration_seconds",
      "success",
      "error",
      "inputs",
      "outputs",
      "tool_calls",
      "metadata"
    ])
    expect(Object.keys(parsed.nodes[0].tool_calls[0])).toEqual([
      "tool_name",
      "inputs",
      "outputs",
      "duration_seconds",
      "success",
      "error",
      "timestamp"
    ])
    expect(parsed.events[0]).toEqual({ event_type: "workflow_started", timestamp: 1_700_000_000 })
  })

  it("writes empty nodes and events as empty arrays", () => {
    const trace = sampleTrace({ nodes: [], events: [] })
    const text = TraceJson.encodeToString(trace)
    expect(text).toContain(`"nodes": [],\n  "events": []\n}`)
    expect(JSON.parse(text)).toEqual(WorkflowTrace.encode(trace))
    expect(Array.from(TraceJson.chunks(trace))).toHaveLength(1)
  })

  it("computes nothing until iterated, and only what is pulled", () => {
    let nodeReads = 0
    const base = bigTrace(1_000)
    const trace = {
      ...base,
      get nodes() {
        nodeReads += 1
        return base.nodes
      }
    } as WorkflowTrace.WorkflowTrace
    const iterator = TraceJson.chunks(trace)[Symbol.iterator]()
    expect(nodeReads).toBe(0)
    const first = iterator.next()
    expect(first.done).toBe(false)
    expect(first.value).toMatch(/^\{\n  "schema_version": 1,[\s\S]*"nodes": \[$/)
    expect(iterator.next().value).toMatch(/^\n    \{\n      "node_id": "node_0",/)
  })

  it("yields one chunk per node and event for a 10,000-node trace", () => {
    const trace = bigTrace(10_000)
    const pieces = Array.from(TraceJson.chunks(trace))
    expect(pieces.length).toBeGreaterThanOrEqual(20_000)
    const longest = Math.max(...pieces.map((piece) => piece.length))
    expect(longest).toBeLessThan(1_000)
    expect(JSON.parse(pieces.join(""))).toEqual(WorkflowTrace.encode(trace))
    // Re-iterable: each iteration starts over.
    expect(Array.from(TraceJson.chunks(trace)).join("")).toBe(pieces.join(""))
  })

  it("batches UTF-8 bytes without splitting characters", () => {
    const trace = sampleTrace({ inputs: { text: "é😀".repeat(50_000) }, nodes: bigTrace(2_000).nodes })
    const batches = Array.from(TraceJson.bytes(trace, { batchSize: 4096 }))
    expect(batches.length).toBeGreaterThan(20)
    for (const batch of batches) expect(batch.byteLength).toBeLessThanOrEqual(3 * 4096)
    const decoder = new TextDecoder("utf-8", { fatal: true })
    for (const batch of batches) decoder.decode(batch) // throws on a split character
    const joined = new Uint8Array(batches.reduce((n, b) => n + b.byteLength, 0))
    let offset = 0
    for (const batch of batches) {
      joined.set(batch, offset)
      offset += batch.byteLength
    }
    expect(decoder.decode(joined)).toBe(TraceJson.encodeToString(trace))
  })

  it("throws a TypeError for values JSON cannot hold", () => {
    const trace = sampleTrace({ inputs: { big: 1n } })
    expect(() => TraceJson.encodeToString(trace)).toThrow(TypeError)
  })
})
