import { describe, expect, it } from "@effect/vitest"
import * as ExecutionEvent from "@victor/core/ExecutionEvent"
import * as Journal from "@victor/core/Journal"
import * as Json from "@victor/core/Json"
import * as Payload from "@victor/core/Payload"
import * as Redaction from "@victor/core/Redaction"
import * as TraceJson from "@victor/core/TraceJson"
import * as TraceJournals from "@victor/core/TraceJournals"
import * as TraceStore from "@victor/core/TraceStore"
import type * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

// Built by JSON.parse, which is iterative: values far deeper than any recursive walk can go.
const deepArray = (depth: number): unknown => JSON.parse("[".repeat(depth) + "]".repeat(depth))
const deepObject = (depth: number): unknown => {
  let value: unknown = "bottom"
  for (let i = 0; i < depth; i++) value = { a: value }
  return value
}

// How many objects and arrays are nested in a value, counted without recursion.
const depthOf = (value: unknown): number => {
  let depth = 0
  let current = value
  while (typeof current === "object" && current !== null) {
    depth++
    current = Array.isArray(current) ? current[0] : Object.values(current)[0]
  }
  return depth
}

// What a bounded value holds at its bottom: the marker.
const bottomOf = (value: unknown): unknown => {
  let current = value
  while (typeof current === "object" && current !== null) {
    current = Array.isArray(current) ? current[0] : Object.values(current)[0]
  }
  return current
}

const traceWith = (inputs: Record<string, unknown>): WorkflowTrace.WorkflowTrace => ({
  schemaVersion: 1,
  traceId: "deep",
  workflowName: "deep",
  status: "succeeded",
  startTime: 1,
  endTime: 2,
  durationSeconds: 1,
  error: null,
  inputs,
  outputs: {},
  metadata: {},
  parentTraceId: null,
  traceParent: null,
  nodes: [{
    nodeId: "n",
    nodeType: "compute",
    timestamp: 1,
    durationSeconds: 1,
    success: true,
    error: null,
    inputs,
    outputs: {},
    toolCalls: [{
      toolName: "t",
      inputs,
      outputs: {},
      durationSeconds: 0,
      success: true,
      error: null,
      timestamp: 1
    }],
    metadata: {}
  }],
  events: [{ eventType: ExecutionEvent.ExecutionEventType.STATE_CAPTURED, timestamp: 1, data: inputs }]
})

describe("values nested deeper than Json.MAX_DEPTH", () => {
  it("Json.bounded keeps 64 levels and puts the marker below them, for 100,000 levels and for cycles", () => {
    for (const value of [deepArray(100_000), deepObject(100_000)]) {
      const bounded = Json.bounded(value)
      expect(depthOf(bounded)).toBe(Json.MAX_DEPTH)
      expect(bottomOf(bounded)).toBe(Json.DEPTH_LIMIT)
    }
    const cyclic: Record<string, unknown> = { name: "loop" }
    cyclic["self"] = cyclic
    expect(JSON.stringify(Json.bounded(cyclic))).toContain(Json.DEPTH_LIMIT)
    // Shallow enough: the value itself, not a copy.
    const shallow = { a: [1, { b: deepObject(60) }] }
    expect(Json.bounded(shallow)).toBe(shallow)
    expect(Json.bounded(deepObject(64))).toEqual(deepObject(64))
    expect(bottomOf(Json.bounded(deepObject(65)))).toBe(Json.DEPTH_LIMIT)
  })

  it("Json.stringify writes a value too deep for JSON.stringify bounded, and anything else exactly", () => {
    expect(() => JSON.stringify(deepArray(100_000))).toThrow(RangeError)
    expect(JSON.parse(Json.stringify({ v: deepArray(100_000) }))).toEqual(Json.bounded({ v: deepArray(100_000) }))
    expect(Json.stringify({ a: [1, "x"] }, 2)).toBe(JSON.stringify({ a: [1, "x"] }, null, 2))
  })

  it("redaction cuts a value at 64 levels on its way, without recursing deeper", () => {
    const redactor = Redaction.make(Redaction.defaults({ API_TOKEN: "s3cr3t-value" }))
    const redacted = redactor.object({ v: deepObject(100_000), token: "x" }, "inputs")
    expect(redacted["token"]).toBe(Redaction.REDACTED)
    expect(depthOf(redacted)).toBe(Json.MAX_DEPTH)
    expect(bottomOf(redacted)).toBe(Json.DEPTH_LIMIT)
    // The secrets of a context are looked for within the same 64 levels.
    expect(redactor.withSecretsOf({ v: deepArray(100_000) })).toBe(redactor)
    // Without rules only the depth is limited (what the tracer uses when it writes a trace out).
    const limited = Redaction.depthLimit.trace(traceWith({ v: deepArray(100_000) }))
    expect(bottomOf(limited.inputs)).toBe(Json.DEPTH_LIMIT)
    expect(bottomOf(limited.nodes[0]!.toolCalls[0]!.inputs)).toBe(Json.DEPTH_LIMIT)
    expect(bottomOf(limited.events[0]!.data)).toBe(Json.DEPTH_LIMIT)
    const shallow = traceWith({ v: [1] })
    expect(Redaction.depthLimit.trace(shallow)).toBe(shallow)
  })

  it("TraceJson and the journal's lines write a 100,000-level value bounded, and read back", () => {
    const trace = traceWith({ v: deepArray(100_000) })
    const json = JSON.parse(TraceJson.encodeToString(trace)) as {
      inputs: unknown
      nodes: Array<{ inputs: unknown; tool_calls: Array<{ inputs: unknown }> }>
      events: Array<{ data: unknown }>
    }
    for (const value of [json.inputs, json.nodes[0]!.inputs, json.nodes[0]!.tool_calls[0]!.inputs, json.events[0]!.data]) {
      expect(depthOf(value)).toBe(Json.MAX_DEPTH)
      expect(bottomOf(value)).toBe(Json.DEPTH_LIMIT)
    }
    const header = Journal.encodeHeader(Journal.headerOf(trace))
    expect(Journal.parseHeader(header)._tag).toBe("Right")
    for (const entry of [Journal.node(trace.nodes[0]!), Journal.event(trace.events[0]!)]) {
      const line = Journal.encodeEntry(entry)
      expect(line).toContain(Json.DEPTH_LIMIT)
      expect(Journal.decodeLine(line)?._tag).toBe(entry._tag)
    }
  })

  it.effect("payload capture of a deep value: its preview and hash, never a stack overflow", () =>
    Effect.gen(function*() {
      // A deep value beside a large one (a blob), and one that is both.
      const large = "x".repeat(200_000)
      const trace = traceWith({ deep: deepObject(100_000), large, both: [deepArray(200_000), large] })
      const captured = yield* Payload.make({ mode: "full" }).trace(trace)
      expect(captured.blobs.length).toBeGreaterThan(0)
      expect(TraceJson.encodeToString(captured.trace)).toContain(Json.DEPTH_LIMIT)
      const none = yield* Payload.make({ mode: "none" }).trace(trace)
      expect(JSON.stringify(none.trace.inputs)).toContain("$omitted")
    }))

  it.effect("a run with a 100,000-level context is stored with it bounded, with redaction on or off", () =>
    Effect.gen(function*() {
      for (const redaction of [Layer.empty, Redaction.layer(Redaction.defaults({}))]) {
        // A store that journals (as the file store does) and keeps what it is given.
        const memory = yield* TraceStore.makeMemory
        const lines: Array<string> = []
        const store: TraceStore.TraceStore["Type"] & TraceJournals.TraceJournals["Type"] = {
          ...memory,
          recover: Effect.succeed([]),
          begin: (header) =>
            Effect.sync(() => {
              lines.push(Journal.encodeHeader(header))
              return {
                traceId: header.traceId,
                append: (entries) => Effect.sync(() => void lines.push(...entries.map(Journal.encodeEntry))),
                finish: (trace) => memory.save(trace),
                abandon: Effect.void
              }
            })
        }
        const context = { v: deepArray(100_000), w: deepObject(100_000) }
        const trace = yield* Effect.gen(function*() {
          const tracer = yield* WorkflowTracer.WorkflowTracer
          yield* tracer.startTrace({ workflowName: "deep", inputs: context })
          yield* tracer.withNode({ nodeId: "n", nodeType: "compute", inputs: context }, Effect.succeed(1), () => ({
            outputs: context
          }))
          return yield* tracer.endTrace()
        }).pipe(
          Effect.provide(Layer.mergeAll(
            WorkflowTracer.layer().pipe(Layer.provide(Layer.merge(Layer.succeed(TraceStore.TraceStore, store), Layer.succeed(TraceJournals.TraceJournals, store)))),
            redaction
          ))
        )
        const stored = yield* memory.get(trace.traceId)
        expect(bottomOf(stored.inputs["v"])).toBe(Json.DEPTH_LIMIT)
        expect(bottomOf(stored.nodes[0]!.outputs["w"])).toBe(Json.DEPTH_LIMIT)
        expect(JSON.parse(TraceJson.encodeToString(stored)).status).toBe("succeeded")
        expect(lines.some((line) => line.includes(Json.DEPTH_LIMIT))).toBe(true)
      }
    }))
})
