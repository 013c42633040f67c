import { describe, expect, it } from "@effect/vitest"
import { testWorkflowTracer } from "@victor/core/testing/WorkflowTracerContract"
import * as CountingTracer from "@victor/example-custom-tracer-layer/CountingTracer"
import { simulatedWorkflow } from "@victor/example-custom-tracer-layer/main"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/TestClock"

// The layer behaves as every tracer must: it runs the work unchanged and never fails (it records no trace).
testWorkflowTracer("CountingTracer (examples/custom-tracer-layer)", () => CountingTracer.layer, { records: false })

describe("CountingTracer", () => {
  it.effect("counts the nodes and tool calls of a run it traces in place of the default tracer", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(simulatedWorkflow)
      yield* TestClock.adjust("2 seconds")
      const trace = yield* Fiber.join(fiber)
      expect(trace.nodes).toEqual([])
      expect(yield* Ref.get(yield* CountingTracer.NodeCounts)).toEqual({ nodes: 3, failedNodes: 0, toolCalls: 4 })
    }).pipe(Effect.provide(CountingTracer.layer)))
})
