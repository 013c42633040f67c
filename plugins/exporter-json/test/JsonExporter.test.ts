import { describe, expect, it } from "@effect/vitest"
import { sampleTrace } from "@victor/core/testing/TraceStoreContract"
import * as TraceJson from "@victor/core/TraceJson"
import * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as JsonExporter from "@victor/exporter-json/JsonExporter"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { expectGuideTraceStructure } from "@victor/core/testing/GuideTraceStructure"

const bigTrace = (count: number): WorkflowTrace.WorkflowTrace => {
  const node = sampleTrace().nodes[0]!
  return sampleTrace({
    traceId: "big",
    nodes: Array.from({ length: count }, (_, i) => ({ ...node, nodeId: `node_${i}` })),
    events: Array.from({ length: count }, (_, i) => ({
      eventType: "node_completed" as const,
      timestamp: i,
      nodeId: `node_${i}`
    }))
  })
}

const collect = (stream: Stream.Stream<Uint8Array, unknown>) =>
  Effect.map(Stream.runCollect(stream), (chunks) => Chunk.toReadonlyArray(chunks))

const text = (chunks: ReadonlyArray<Uint8Array>): string => {
  const decoder = new TextDecoder()
  return chunks.map((chunk) => decoder.decode(chunk, { stream: true })).join("") + decoder.decode()
}

describe("JsonExporter", () => {
  it("describes itself as the json format", () => {
    const exporter = JsonExporter.make()
    expect(exporter).toMatchObject({ name: "json", fileExtension: "json", mediaType: "application/json" })
    expect(exporter.description.length).toBeGreaterThan(0)
  })

  it.effect("exports JSON that parses and decodes back to the same trace", () =>
    Effect.gen(function*() {
      const trace = sampleTrace({ events: [{ eventType: "node_failed", timestamp: 3, nodeId: "read", error: "boom" }] })
      const output = text(yield* collect(JsonExporter.make().export(trace)))
      expect(output).toBe(JSON.stringify(WorkflowTrace.encode(trace), null, 2))
      expect(yield* WorkflowTrace.decodeUnknown(JSON.parse(output))).toEqual(trace)
    }))

  it.effect("honours the indent option", () =>
    Effect.gen(function*() {
      const trace = sampleTrace()
      const output = text(yield* collect(JsonExporter.make({ indent: 0 }).export(trace)))
      expect(output).toBe(JSON.stringify(WorkflowTrace.encode(trace)))
    }))

  it.effect("writes every key of the guide's Trace Structure", () =>
    Effect.gen(function*() {
      const parsed = JSON.parse(text(yield* collect(JsonExporter.make().export(sampleTrace()))))
      expect(parsed.nodes[0].tool_calls).toHaveLength(1)
      expectGuideTraceStructure(parsed)
      expect(parsed.nodes[0].error).toBeNull()
    }))

  it.effect("streams a 100,000-node trace in many bounded chunks", () =>
    Effect.gen(function*() {
      const trace = bigTrace(100_000)
      const chunks = yield* collect(JsonExporter.make().export(trace))
      expect(chunks.length).toBeGreaterThan(100)
      const largest = Math.max(...chunks.map((chunk) => chunk.byteLength))
      expect(largest).toBeLessThanOrEqual(3 * TraceJson.DEFAULT_BATCH_SIZE)
      const parsed = JSON.parse(text(chunks))
      expect(parsed.nodes).toHaveLength(100_000)
      expect(parsed.events).toHaveLength(100_000)
      expect(parsed.nodes[99_999].node_id).toBe("node_99999")
    }), 60_000)

  it.effect("computes nothing until pulled, and only what is pulled", () =>
    Effect.gen(function*() {
      let reads = 0
      const base = bigTrace(100_000)
      const trace = { ...base, get nodes() {
        reads += 1
        return base.nodes
      } } as WorkflowTrace.WorkflowTrace
      const stream = JsonExporter.make().export(trace)
      expect(reads).toBe(0)
      const first = yield* collect(Stream.take(stream, 1))
      expect(first).toHaveLength(1)
      expect(first[0]!.byteLength).toBeLessThanOrEqual(3 * TraceJson.DEFAULT_BATCH_SIZE)
      expect(reads).toBeGreaterThan(0)
    }))

  it.effect("fails with an ExportError for a value JSON cannot hold", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(collect(JsonExporter.make().export(sampleTrace({ inputs: { n: 1n } }))))
      expect(error).toMatchObject({ _tag: "ExportError", format: "json" })
      expect((error as Error).message).toContain("trace-1")
    }))
})
