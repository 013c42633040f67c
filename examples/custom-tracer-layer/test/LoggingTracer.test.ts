import { describe, expect, it } from "@effect/vitest"
import { testWorkflowTracer } from "@victor/core/testing/WorkflowTracerContract"
import * as TraceStore from "@victor/core/TraceStore"
import * as LoggingTracer from "@victor/example-custom-tracer-layer/LoggingTracer"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"

// It records as Victor's tracer does (it is Victor's tracer, with logging added).
testWorkflowTracer("LoggingTracer (examples/custom-tracer-layer)", () =>
  LoggingTracer.layer.pipe(Layer.provide(TraceStore.layerMemory)), { records: true })

describe("LoggingTracer", () => {
  it.effect("logs each node as it ends, whichever member recorded it, and still records it", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const capture = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => void lines.push(String(message))))
      const trace = yield* Effect.gen(function*() {
        const tracer = yield* LoggingTracer.make
        yield* tracer.startTrace({ workflowName: "logged" })
        yield* tracer.withNode({ nodeId: "a", nodeType: "compute" }, Effect.succeed(1))
        yield* Effect.ignore(tracer.withNode({ nodeId: "b", nodeType: "agent" }, Effect.fail("boom")))
        yield* tracer.startNode({ nodeId: "c", nodeType: "transform" })
        yield* tracer.endNode({ outputs: {} })
        yield* tracer.traceNode({ nodeId: "d", nodeType: "hitl", success: false, error: "rejected" })
        return yield* tracer.endTrace()
      }).pipe(Effect.provide(Layer.merge(TraceStore.layerMemory, capture)))
      expect(lines).toEqual([
        "node a (compute) succeeded",
        "node b (agent) failed",
        "node c (transform) succeeded",
        "node d (hitl) failed"
      ])
      expect(trace.nodes.map((n) => [n.nodeId, n.success])).toEqual([["a", true], ["b", false], ["c", true], ["d", false]])
    }))
})
