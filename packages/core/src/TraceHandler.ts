/**
 * Custom trace handlers (the guide's "Custom Trace Handlers"): plugins called as a trace is recorded, instead of
 * subclassing the tracer. Any number can be installed; each is called in order, and a handler that fails or dies is
 * logged and never breaks the run it observes. A trace uses the handlers in context when it starts, so a caller can
 * observe one run by providing extra handlers around it (`provideMore`).
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { ExecutionEvent } from "./ExecutionEvent.ts"
import type { NodeTraceRecord, ToolCallRecord } from "./WorkflowTrace.ts"

/** Which trace a hook call belongs to. */
export interface TraceRef {
  readonly traceId: string
  readonly workflowName: string
}

/** A trace handler: a name and any of the three hooks. */
export interface TraceHandler {
  readonly name: string
  /** Called for every execution event, as it happens. */
  readonly onEvent?: (event: ExecutionEvent, trace: TraceRef) => Effect.Effect<void>
  /** Called when a node record is complete. */
  readonly onNodeComplete?: (node: NodeTraceRecord, trace: TraceRef) => Effect.Effect<void>
  /** Called for every recorded tool call; `nodeId` is the node it belongs to, when there is one. */
  readonly onToolCall?: (toolCall: ToolCallRecord, nodeId: string | undefined, trace: TraceRef) => Effect.Effect<void>
}

/** Builds a handler from a name and hooks. */
export const make = (name: string, hooks: Omit<TraceHandler, "name">): TraceHandler => ({ name, ...hooks })

/** The installed handlers; none unless a layer provides some. */
export class TraceHandlers extends Context.Reference<TraceHandlers>()("@victor/core/TraceHandlers", {
  defaultValue: (): ReadonlyArray<TraceHandler> => []
}) {}

/** Installs these handlers (replacing any installed before). */
export const layer = (...handlers: ReadonlyArray<TraceHandler>): Layer.Layer<never> =>
  Layer.succeed(TraceHandlers, handlers)

/** Runs an effect with these handlers added to those already installed (for observing one run). */
export const provideMore = (...more: ReadonlyArray<TraceHandler>) =>
<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(TraceHandlers, (installed) => Effect.provideService(effect, TraceHandlers, [...installed, ...more]))
