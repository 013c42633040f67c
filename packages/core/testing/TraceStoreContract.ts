/**
 * The TraceStore contract suite: every TraceStore implementation runs it (`testTraceStore("memory", layer)`), so all
 * stores behave alike for save, get, list, filters and remove.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as TraceStore from "../src/TraceStore.ts"
import type { WorkflowTrace } from "../src/WorkflowTrace.ts"

/** A small finished trace for store tests. */
export const sampleTrace = (overrides: Partial<WorkflowTrace> = {}): WorkflowTrace => ({
  schemaVersion: 1,
  traceId: "trace-1",
  workflowName: "review",
  status: "succeeded",
  startTime: 1_700_000_000,
  endTime: 1_700_000_002.5,
  durationSeconds: 2.5,
  error: null,
  inputs: { task: "fix bug" },
  outputs: { result: "ok" },
  metadata: { env: "test" },
  parentTraceId: null,
  traceParent: null,
  nodes: [{
    nodeId: "read",
    nodeType: "compute",
    timestamp: 1_700_000_000.1,
    durationSeconds: 1.25,
    success: true,
    error: null,
    inputs: { path: "a.txt" },
    outputs: { content: "hello" },
    toolCalls: [{
      toolName: "read",
      inputs: { path: "a.txt" },
      outputs: { content: "hello" },
      durationSeconds: 0.5,
      success: true,
      error: null,
      timestamp: 1_700_000_000.2
    }],
    metadata: {}
  }],
  events: [{ eventType: "workflow_started", timestamp: 1_700_000_000 }],
  ...overrides
})

/** Runs the contract against a store layer; the layer must start empty for each test. */
export const testTraceStore = <E>(name: string, makeLayer: () => Layer.Layer<TraceStore.TraceStore, E>) =>
  describe(`TraceStore contract: ${name}`, () => {
    const run = <A, E2>(effect: Effect.Effect<A, E2, TraceStore.TraceStore>) =>
      Effect.provide(effect, makeLayer())

    it.effect("saves and gets a trace back unchanged", () =>
      run(Effect.gen(function*() {
        const store = yield* TraceStore.TraceStore
        const trace = sampleTrace()
        yield* store.save(trace)
        expect(yield* store.get("trace-1")).toEqual(trace)
      })))

    it.effect("fails with NotFound for an unknown id and InvalidId for a path", () =>
      run(Effect.gen(function*() {
        const store = yield* TraceStore.TraceStore
        const missing = yield* Effect.flip(store.get("nope"))
        expect(missing.reason).toBe("NotFound")
        for (const bad of ["../etc/passwd", "/abs", "a/b", "", ".."]) {
          const invalid = yield* Effect.flip(store.get(bad))
          expect(invalid.reason).toBe("InvalidId")
        }
        expect((yield* Effect.flip(store.save(sampleTrace({ traceId: "../x" })))).reason).toBe("InvalidId")
      })))

    it.effect("lists oldest first and filters by workflow, status, time and limit", () =>
      run(Effect.gen(function*() {
        const store = yield* TraceStore.TraceStore
        yield* store.save(sampleTrace({ traceId: "c", startTime: 30, workflowName: "b", status: "failed" }))
        yield* store.save(sampleTrace({ traceId: "a", startTime: 10 }))
        yield* store.save(sampleTrace({ traceId: "b", startTime: 20 }))
        const ids = (query?: TraceStore.TraceQuery) =>
          Effect.map(store.list(query), (list) => list.map((s) => s.traceId))
        expect(yield* ids()).toEqual(["a", "b", "c"])
        expect(yield* ids({ workflowName: "review" })).toEqual(["a", "b"])
        expect(yield* ids({ status: "failed" })).toEqual(["c"])
        expect(yield* ids({ since: 15 })).toEqual(["b", "c"])
        expect(yield* ids({ limit: 2 })).toEqual(["b", "c"])
        const [first] = yield* store.list({ limit: 1 })
        expect(first).toMatchObject({ traceId: "c", nodeCount: 1, failedNodeCount: 0, status: "failed" })
      })))

    it.effect("replaces a trace saved again under the same id", () =>
      run(Effect.gen(function*() {
        const store = yield* TraceStore.TraceStore
        yield* store.save(sampleTrace({ status: "running" }))
        yield* store.save(sampleTrace({ status: "failed" }))
        expect((yield* store.list()).map((s) => s.status)).toEqual(["failed"])
      })))

    it.effect("removes a trace", () =>
      run(Effect.gen(function*() {
        const store = yield* TraceStore.TraceStore
        yield* store.save(sampleTrace())
        yield* store.remove("trace-1")
        expect(yield* store.list()).toEqual([])
        expect((yield* Effect.flip(store.remove("trace-1"))).reason).toBe("NotFound")
      })))
  })
