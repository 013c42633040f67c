/**
 * How the tracer calls trace handlers. Hooks run only when a trace has handlers, so the hot path pays nothing for them
 * otherwise. Stored before said: what a handler is about to see is written to the journal first (see
 * `journalWriter.ts`), so that whatever the event stream or the live view showed survives the process being killed
 * right after. A handler that fails or dies is logged and the run goes on.
 */
import * as Effect from "effect/Effect"
import type { ExecutionEvent } from "../ExecutionEvent.ts"
import type { TraceHandler } from "../TraceHandler.ts"
import type { NodeTraceRecord, ToolCallRecord } from "../WorkflowTrace.ts"
import type { ActiveTrace } from "./activeTrace.ts"
import { refOf } from "./tracerState.ts"

/** Runs a hook of every handler of the trace, in order, once the journal holds what they are about to see. */
export const runHooks = (
  trace: ActiveTrace,
  call: (handler: TraceHandler) => Effect.Effect<void> | undefined
): Effect.Effect<void> => {
  const hooks = Effect.forEach(trace.handlers, (handler) => {
    const effect = call(handler)
    return effect === undefined ? Effect.void : effect.pipe(
      Effect.catchAllCause((cause) => Effect.logWarning(`trace handler "${handler.name}" failed; the run goes on`, cause))
    )
  }, { discard: true })
  return trace.persistence === undefined ? hooks : Effect.zipRight(trace.persistence.flush, hooks)
}

/** `onEvent` for an event. */
export const eventHooks = (trace: ActiveTrace, event: ExecutionEvent): Effect.Effect<void> =>
  runHooks(trace, (h) => h.onEvent?.(event, refOf(trace)))

/** `onEvent` for the event just logged by a synchronous step (a node start). */
export const lastEventHooks = (trace: ActiveTrace): Effect.Effect<void> => eventHooks(trace, trace.events.last())

/** Logs an event and tells the handlers. */
export const emit = (trace: ActiveTrace, event: ExecutionEvent): Effect.Effect<void> => {
  trace.events.push(event)
  trace.persistence?.wake()
  return trace.handlers.length === 0 ? Effect.void : eventHooks(trace, event)
}

/** `onEvent` for a node's end (the event just logged), then `onNodeComplete`. */
export const nodeHooks = (trace: ActiveTrace, record: NodeTraceRecord): Effect.Effect<void> =>
  trace.handlers.length === 0
    ? Effect.void
    : runHooks(trace, (h) => {
      const last = trace.events.last()
      const onEvent = h.onEvent?.(last, refOf(trace))
      const onNode = h.onNodeComplete?.(record, refOf(trace))
      return onEvent === undefined ? onNode : onNode === undefined ? onEvent : Effect.zipRight(onEvent, onNode)
    })

/** `onEvent` for a tool call's end (the event just logged), then `onToolCall`. */
export const toolCallHooks = (
  trace: ActiveTrace,
  record: ToolCallRecord,
  nodeId: string | undefined
): Effect.Effect<void> => {
  const event = trace.events.last()
  return runHooks(trace, (h) => {
    const onEvent = h.onEvent?.(event, refOf(trace))
    const onTool = h.onToolCall?.(record, nodeId, refOf(trace))
    return onEvent === undefined ? onTool : onTool === undefined ? onEvent : Effect.zipRight(onEvent, onTool)
  })
}
