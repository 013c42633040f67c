/**
 * What a cancelled run leaves for the command to finish with. When a signal interrupts a run, the executor still ends
 * its trace (status `cancelled`) and stores it before the interruption goes on, but an interrupted effect returns no
 * value: the command would have no trace to summarise and export. `layer` wraps the tracer so that the trace the run
 * ended with (and the error of storing it, if that failed) is kept as the tracer returns it; the command then finishes
 * a cancelled run as it finishes any other — summary, `-o` export, exit code.
 */
import type { WorkflowTrace } from "@victor/core/WorkflowTrace"
import type { TraceStoreError } from "@victor/core/TraceStore"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/** How a run ended: its trace, and the error of storing it (`null` when it was stored). */
export interface Ended {
  readonly trace: WorkflowTrace
  readonly saveError: TraceStoreError | null
}

/** Where the ended run is kept. */
export interface Capture {
  /** The run's ended trace, once the tracer has ended it. */
  ended: Ended | undefined
}

/** An empty capture. */
export const make = (): Capture => ({ ended: undefined })

/**
 * The tracer in context, keeping the trace with id `traceId` in `capture` when it ends (sub-workflows end their own
 * traces through the same tracer; only the run's own is kept).
 */
export const layer = (
  traceId: string,
  capture: Capture
): Layer.Layer<WorkflowTracer.WorkflowTracer, never, WorkflowTracer.WorkflowTracer> =>
  Layer.effect(
    WorkflowTracer.WorkflowTracer,
    Effect.map(WorkflowTracer.WorkflowTracer, (tracer) => ({
      ...tracer,
      endTrace: (options) =>
        tracer.endTrace(options).pipe(
          Effect.tap((trace) =>
            Effect.sync(() => {
              if (trace.traceId === traceId) capture.ended = { trace, saveError: null }
            })
          ),
          // Not stored: the ended trace is still the calling fiber's (`getTrace`), to be exported and summarised.
          Effect.tapError((error) =>
            error._tag === "TraceStoreError"
              ? Effect.flatMap(Effect.option(tracer.getTrace), (trace) =>
                Effect.sync(() => {
                  if (trace._tag === "Some" && trace.value.traceId === traceId) {
                    capture.ended = { trace: trace.value, saveError: error }
                  }
                }))
              : Effect.void
          )
        )
    }))
  )
