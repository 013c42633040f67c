import { describe, expect, it } from "@effect/vitest"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import { program } from "@victor/example-custom-tracer-layer/main"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"

describe("custom trace handlers example", () => {
  it.effect("warns about the slow node only and counts tools by name, driven by TestClock", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(program)
      yield* TestClock.adjust("2 seconds")
      const { alerts, trace, usage } = yield* Fiber.join(fiber)
      expect(trace.nodes.map((n) => [n.nodeId, Math.round(n.durationSeconds * 1000)])).toEqual([
        ["analyze", 5],
        ["fix", 1210],
        ["verify", 20]
      ])
      expect(alerts).toEqual(["WARNING: Slow node fix (1.21s)"])
      expect(Object.fromEntries(usage)).toEqual({ read_file: 2, write_file: 1, shell: 1 })
    }).pipe(Effect.provide(WorkflowTracer.layerMemory())))
})
