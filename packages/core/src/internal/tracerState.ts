/**
 * What the parts of one tracer share (see `WorkflowTracer.make`): its store and journals, its clock, its options, and the traces it
 * has open, which the guide's imperative style falls back on outside the fiber that started a trace.
 */
import * as Clock from "effect/Clock"
import type { TraceRef } from "../TraceHandler.ts"
import type { TraceJournals } from "../TraceJournals.ts"
import type { TraceStore } from "../TraceStore.ts"
import type { WorkflowTrace } from "../WorkflowTrace.ts"
import type { ActiveTrace, OpenNode } from "./activeTrace.ts"

/** The shared state of one tracer. */
export interface TracerState {
  readonly store: TraceStore["Type"]
  /** The store's journals, when it has that capability (see `TraceJournals`). */
  readonly journals: TraceJournals["Type"] | undefined
  /** The time in unix seconds, from the tracer's `Clock` (see `secondsOf`). */
  readonly now: () => number
  /** Whether tool calls are attached to the node open in the calling fiber (the guide's `auto_tool_calls`). */
  readonly autoToolCalls: boolean
  /** The traces started and not yet ended, oldest first. */
  readonly openTraces: Array<ActiveTrace>
  /** The trace ended last, which `getTrace` returns outside any trace. */
  lastEnded: WorkflowTrace | undefined
}

/** A tracer's state, with nothing open yet. */
export const make = (
  store: TraceStore["Type"],
  journals: TraceJournals["Type"] | undefined,
  clock: Clock.Clock,
  autoToolCalls: boolean
): TracerState => ({
  store,
  journals,
  now: secondsOf(clock),
  autoToolCalls,
  openTraces: [],
  lastEnded: undefined
})

/**
 * The trace a call from a fiber records into: the trace of the fiber's node, else the fiber's own trace, else (the
 * guide's imperative style: each call run with its own `Effect.runPromise`) the newest open trace. Ended traces are
 * skipped.
 */
export const traceOf = (
  state: TracerState,
  fiberTrace: ActiveTrace | undefined,
  node: OpenNode | undefined
): ActiveTrace | undefined =>
  node !== undefined && !node.trace.ended
    ? node.trace
    : fiberTrace !== undefined && !fiberTrace.ended
    ? fiberTrace
    : state.openTraces[state.openTraces.length - 1]

/** How trace handlers are told which trace a call belongs to. */
export const refOf = (trace: ActiveTrace): TraceRef => ({ traceId: trace.traceId, workflowName: trace.workflowName })

// Effect's live clock reads the time as a bigint (two allocations a reading); the tracer reads it three times a node.
// Over the live clock it reads `performance.now()` against the clock's own origin instead: the same time, as a number.
// Any other clock (`TestClock`, a custom one) is read through its interface.
const liveClockConstructor = Clock.make().constructor

/** A reader of the clock in unix seconds, as a float. */
export const secondsOf = (clock: Clock.Clock): () => number => {
  if (clock.constructor !== liveClockConstructor || typeof performance === "undefined") {
    return () => Number(clock.unsafeCurrentTimeNanos()) / 1e9
  }
  const origin = Number(clock.unsafeCurrentTimeNanos()) / 1e9 - performance.now() / 1e3
  return () => origin + performance.now() / 1e3
}
