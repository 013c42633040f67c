/**
 * A custom clock layer: every reading is one millisecond after the last, from a fixed start. Victor's tracer reads
 * Effect's `Clock`, so under this layer a run's timestamps and durations are the same on every machine and every run
 * (golden files, snapshot tests). `sleep` does not wait.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

export const make = (startMillis: number, stepMillis = 1): Clock.Clock => {
  let now = startMillis - stepMillis
  const read = () => (now += stepMillis)
  return {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: read,
    unsafeCurrentTimeNanos: () => BigInt(read()) * 1_000_000n,
    currentTimeMillis: Effect.sync(read),
    currentTimeNanos: Effect.sync(() => BigInt(read()) * 1_000_000n),
    sleep: () => Effect.void
  }
}

/** Provides the stepping clock to everything built after it (e.g. `WorkflowTracer.layer()` over it). */
export const layer = (startMillis: number, stepMillis = 1): Layer.Layer<never> =>
  Layer.setClock(make(startMillis, stepMillis))
