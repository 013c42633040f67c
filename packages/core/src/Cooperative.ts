/**
 * Long computations over big traces that stay interruptible. JavaScript runs one thing at a time: a loop over
 * 200,000 node records that never lets go keeps Ctrl-C and SIGTERM waiting until it ends, because the runtime's
 * signal handler (which interrupts the main fiber) only runs between macrotasks. `Effect.yieldNow` is not enough: it
 * resumes on a microtask, and signals wait behind thousands of those.
 *
 * A computation is written once, as a generator ({@link Work}) that `yield`s every few thousand items (a yield costs a
 * call, nothing more). {@link run} drives it as an Effect that hands the event loop a turn (a `setTimeout`, so
 * independent of `TestClock`) whenever {@link sliceMillis} of work have passed, so an interruption lands within about
 * one slice; {@link runSync} drives the same generator straight through, for callers outside Effect.
 */
import * as Effect from "effect/Effect"

/** A computation that yields now and then; its return value is the result. */
export type Work<A> = Generator<void, A, void>

/** Milliseconds of work between two turns of the event loop under {@link run}. */
export const sliceMillis = 20

/** How many items a loop handles between two `yield`s: a power of two less one, for `(i & every) === every`. */
export const every = 1023

/** Hands the event loop one turn (a macrotask), so that timers, I/O and signal handlers run; interruptible. */
export const turn: Effect.Effect<void> = Effect.async<void>((resume) => {
  const handle = setTimeout(() => resume(Effect.void), 0)
  return Effect.sync(() => clearTimeout(handle))
})

/** Runs a computation as an Effect that gives the event loop a turn about every {@link sliceMillis}. */
export const run = <A>(work: () => Work<A>): Effect.Effect<A> =>
  Effect.suspend(() => {
    const iterator = work()
    const slice = (): Effect.Effect<A> => {
      const deadline = performance.now() + sliceMillis
      for (;;) {
        const next = iterator.next()
        if (next.done === true) return Effect.succeed(next.value)
        if (performance.now() >= deadline) return Effect.zipRight(turn, Effect.suspend(slice))
      }
    }
    return slice()
  })

/** Runs a computation to its end without pausing. */
export const runSync = <A>(work: () => Work<A>): A => {
  const iterator = work()
  for (;;) {
    const next = iterator.next()
    if (next.done === true) return next.value
  }
}
