import { describe, expect, it } from "@effect/vitest"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as SteppingClock from "@victor/example-custom-tracer-layer/SteppingClock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

const run = Effect.gen(function*() {
  const tracer = yield* WorkflowTracer.WorkflowTracer
  yield* tracer.startTrace({ workflowName: "timed", traceId: "timed-1" })
  yield* tracer.withNode({ nodeId: "a", nodeType: "compute" }, Effect.succeed(1))
  yield* tracer.withNode({ nodeId: "b", nodeType: "compute" }, Effect.succeed(2))
  return yield* tracer.endTrace()
})

// The tracer is built over the clock layer, so it reads that clock for every timestamp.
const tracerOnSteppingClock = () =>
  WorkflowTracer.layerMemory().pipe(Layer.provide(SteppingClock.layer(1_700_000_000_000, 5)))

describe("SteppingClock", () => {
  it.live("gives a run the same timestamps and durations every time, whatever the real time", () =>
    Effect.gen(function*() {
      const first = yield* Effect.provide(run, tracerOnSteppingClock())
      yield* Effect.sleep("20 millis")
      const second = yield* Effect.provide(run, tracerOnSteppingClock())
      const times = (trace: typeof first) => [
        trace.startTime,
        trace.endTime,
        ...trace.nodes.flatMap((n) => [n.timestamp, n.durationSeconds])
      ]
      expect(times(second)).toEqual(times(first))
      expect(first.startTime).toBe(1_700_000_000)
      expect(first.nodes.every((n) => n.durationSeconds > 0 && n.durationSeconds < 0.1)).toBe(true)
    }))
})
