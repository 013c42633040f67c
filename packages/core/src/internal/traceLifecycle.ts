/**
 * A trace's life in the tracer: `startTrace` (the fiber's place, the handlers and redactor of the run, the journal
 * from the first event on), `endTrace` (open nodes closed, the final event, the redacted trace saved through the
 * journal or the store) and `getTrace` (the trace as it stands, or the last ended one).
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { type ExecutionEvent, ExecutionEventType } from "../ExecutionEvent.ts"
import { emptyObject } from "../Json.ts"
import * as Redaction from "../Redaction.ts"
import { TraceHandlers } from "../TraceHandler.ts"
import * as TraceId from "../TraceId.ts"
import type { WorkflowTracerService } from "../WorkflowTracer.ts"
import { type ActiveTrace, currentCursor, openNodesNewestFirst, snapshot } from "./activeTrace.ts"
import { EventLog } from "./eventLog.ts"
import { eventHooks } from "./hooks.ts"
import * as JournalWriter from "./journalWriter.ts"
import { closeNode, moveTo } from "./recorder.ts"
import { noActiveTrace, noTrace } from "./tracerError.ts"
import { refOf, traceOf, type TracerState } from "./tracerState.ts"

/** The members of a tracer that start, end and read traces. */
export type TraceLifecycle = Pick<WorkflowTracerService, "startTrace" | "endTrace" | "getTrace">

/** Starting, ending and reading traces over a tracer's state. */
export const make = (state: TracerState): TraceLifecycle => {
  const { journals, now, openTraces, store } = state
  return {
    startTrace: (options) =>
      Effect.withFiberRuntime((fiber) => {
        // Read where the fiber stands rather than with effects of their own: a run starts one trace, and these steps
        // (and providing the redactor to the journal's start) were most of what starting one cost.
        const context = fiber.currentContext
        const installed = Context.get(context, TraceHandlers)
        // Secrets of the context (a `password` key) stay secret wherever their values turn up later.
        const redactor = Context.get(context, Redaction.CurrentRedactor).withSecretsOf(options.inputs ?? emptyObject)
        const trace: ActiveTrace = {
          traceId: options.traceId ?? TraceId.unsafeMake(),
          workflowName: options.workflowName,
          startTime: now(),
          inputs: options.inputs ?? emptyObject,
          metadata: options.metadata ?? emptyObject,
          parentTraceId: options.parentTraceId ?? null,
          traceParent: options.traceParent ?? null,
          nodes: [],
          events: new EventLog(),
          lastOpen: undefined,
          pendingToolCalls: [],
          // Every handler is a sink: it sees what the store would, redacted.
          handlers: redactor.active ? installed.map((handler) => Redaction.handler(redactor, handler)) : installed,
          ended: false,
          final: undefined,
          now,
          spans: undefined,
          spanCount: 0,
          failedNodes: 0
        }
        openTraces.push(trace)
        const started: ExecutionEvent = { eventType: ExecutionEventType.WORKFLOW_STARTED, timestamp: trace.startTime }
        trace.events.push(started)
        const ref = refOf(trace)
        const enter = moveTo(fiber.getFiberRef(currentCursor), trace, undefined)
        // Journaled from here on, so that a run that dies is recovered rather than lost.
        const begin = Effect.map(JournalWriter.start(store, journals, trace, redactor), (persistence) => {
          trace.persistence = persistence
          return ref
        })
        const begun = enter === Effect.void ? begin : Effect.zipRight(enter, begin)
        // The handlers see the start once the journal holds it (the hooks are made once it has begun, so that they
        // flush it first).
        return trace.handlers.length === 0
          ? begun
          : Effect.zipLeft(begun, Effect.suspend(() => eventHooks(trace, started)))
      }),

    endTrace: (options = {}) =>
      Effect.withFiberRuntime((fiber) => {
        const cursor = fiber.getFiberRef(currentCursor)
        const trace = traceOf(state, cursor?.trace, cursor?.node)
        if (trace === undefined) return Effect.fail(noActiveTrace)
        const closing = options.status === "cancelled" ? "cancelled" : "trace ended before the node finished"
        for (const node of openNodesNewestFirst(trace)) closeNode(node, { success: false, error: closing })
        const endTime = now()
        const status = options.status ?? (trace.failedNodes > 0 ? "failed" : "succeeded")
        const error = options.error ?? null
        const eventType = status === "succeeded"
          ? ExecutionEventType.WORKFLOW_COMPLETED
          : status === "cancelled"
          ? ExecutionEventType.WORKFLOW_CANCELLED
          : ExecutionEventType.WORKFLOW_FAILED
        trace.ended = true
        openTraces.splice(openTraces.indexOf(trace), 1)
        const last: ExecutionEvent = {
          eventType,
          timestamp: endTime,
          status,
          durationSeconds: endTime - trace.startTime,
          ...(error === null ? {} : { error })
        }
        trace.events.push(last)
        const ended = snapshot(trace, { status, endTime, outputs: options.outputs ?? emptyObject, error })
        // Redacted before anything is written: the store, the journal and exports all get this copy.
        const final = trace.persistence === undefined ? ended : trace.persistence.prepare(ended)
        state.lastEnded = final
        trace.final = final
        // The fiber leaves any node of the trace behind, but keeps the ended trace for its own `getTrace`
        // (recording skips ended traces), so that it never gets another fiber's trace instead.
        const current = fiber.getFiberRef(currentCursor)
        if (current !== undefined) current.node = undefined
        const save = trace.persistence === undefined ? store.save(final) : trace.persistence.finish(final)
        if (trace.handlers.length === 0) return Effect.as(save, final)
        // Stored before said: the handlers learn that the run ended once its final trace is stored (or storing it
        // failed), so that a run the event stream reported finished is stored finished even if killed right after.
        return Effect.flatMap(Effect.exit(save), (saved) =>
          Effect.zipRight(
            eventHooks(trace, last),
            saved._tag === "Success" ? Effect.succeed(final) : Effect.failCause(saved.cause)
          ))
      }),

    getTrace: Effect.withFiberRuntime((fiber) => {
      const cursor = fiber.getFiberRef(currentCursor)
      // This fiber's own trace first, open or ended; then the guide's imperative fallbacks.
      const own = cursor?.node?.trace ?? cursor?.trace
      if (own?.final !== undefined) return Effect.succeed(own.final)
      const trace = traceOf(state, cursor?.trace, cursor?.node)
      if (trace !== undefined) {
        return Effect.succeed(snapshot(trace, { status: "running", endTime: null, outputs: emptyObject, error: null }))
      }
      return state.lastEnded === undefined ? Effect.fail(noTrace) : Effect.succeed(state.lastEnded)
    })
  }
}
