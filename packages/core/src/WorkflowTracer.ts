/**
 * The workflow tracer: the recording half of the guide's `WorkflowTracer` as an Effect service. It records the traces,
 * nodes, tool calls, annotations and execution events of a run and hands each finished trace to the `TraceStore`;
 * nothing else. What the guide's tracer also did are functions over the services they need, so that a tracer layer of
 * one's own implements recording only (`testing/WorkflowTracerContract.ts` is the behaviour every layer must have):
 *
 * | guide (Python)                            | Victor                                                         |
 * |-------------------------------------------|----------------------------------------------------------------|
 * | `start_trace`, `end_trace`, `get_trace`   | `startTrace`, `endTrace`, `getTrace` (this service)            |
 * | `trace_node`, `trace_tool_call`           | `traceNode`, `traceToolCall`; live: `withNode`, `withToolCall` |
 * | `get_trace_by_id(id)`                     | `TraceHistory.get(id)`, over the `TraceStore`                  |
 * | `get_trace_history(...)`                  | `TraceHistory.history(query)`, over the `TraceStore`           |
 * | `export_trace(trace, format)`             | `ExporterRegistry.exportTrace(trace, format)`                  |
 * | `analyze_trace(trace)`                    | `TraceAnalysis.analyze(trace)`, a pure function                |
 *
 * The current trace and the current node are fiber-local (one FiberRef, holding a cursor each fiber owns and a fork
 * copies): a tool call is attached to the node open in the fiber that made it, so nodes running concurrently on
 * different fibers can never be mixed up. Outside the fiber that started a trace (for instance when each call is run
 * with its own `Effect.runPromise`), the most recently started open trace is used, which matches the guide's
 * single-threaded imperative usage.
 *
 * All timestamps come from Effect's `Clock` (unix seconds as floats), so `TestClock` drives them in tests.
 *
 * Spans made with `Effect.withSpan` join the trace under the tool call or node they ran in once Effect's tracer is
 * Victor's bridge (`EffectSpans.layer`); the tracer keeps them with the records they belong to.
 *
 * The implementation is in internal modules by concern: `internal/traceLifecycle.ts` (start, end, read),
 * `internal/recorder.ts` (nodes, tool calls, events), `internal/nodeScope.ts` (`withNode` and its fast path, which
 * the workflow executor inlines through the internal `internal/nodeLoop.ts`), `internal/hooks.ts` (trace handlers),
 * `internal/journalWriter.ts` (the journal of a running trace).
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { ExecutionEventType } from "./ExecutionEvent.ts"
import * as NodeScope from "./internal/nodeScope.ts"
import * as Recorder from "./internal/recorder.ts"
import * as TraceLifecycle from "./internal/traceLifecycle.ts"
import type { TracerError } from "./internal/tracerError.ts"
import * as TracerState from "./internal/tracerState.ts"
import { emptyObject, type JsonObject } from "./Json.ts"
import type { TraceRef } from "./TraceHandler.ts"
import { TraceJournals } from "./TraceJournals.ts"
import { makeMemory, TraceStore, type TraceStoreError } from "./TraceStore.ts"
import type { NodeTraceRecord, ToolCallRecord, TraceStatus, WorkflowTrace } from "./WorkflowTrace.ts"

export {
  /** Turns any failure into the one-line error text stored in a record. */
  describeCause,
  /** A tracer call was made out of order (a node without a trace, `endNode` without `startNode`, ...). */
  TracerError,
  /** Why a tracer call could not be honoured. */
  TracerErrorReason
} from "./internal/tracerError.ts"

/** Options of `startTrace`. */
export interface StartTraceOptions {
  readonly workflowName: string
  readonly inputs?: JsonObject
  readonly metadata?: JsonObject
  /** A caller-chosen id (validated); a UUID v4 when absent. */
  readonly traceId?: string
  /** The trace of the workflow that started this one, for sub-workflows. */
  readonly parentTraceId?: string | null
  /** A W3C `traceparent` (or the guide's free-form `trace_parent`) this run continues. */
  readonly traceParent?: string | null
}

/** Options of `startNode` and `withNode`. */
export interface StartNodeOptions {
  readonly nodeId: string
  readonly nodeType: string
  readonly inputs?: JsonObject
  readonly metadata?: JsonObject
}

/** Options of `endNode`. A node succeeds unless `success: false` or an `error` is given. */
export interface EndNodeOptions {
  readonly outputs?: JsonObject
  readonly success?: boolean
  readonly error?: string | null
  readonly metadata?: JsonObject
}

/** Options of `traceToolCall` (the guide's `trace_tool_call`): a tool call that already happened. */
export interface TraceToolCallOptions {
  readonly toolName: string
  readonly inputs?: JsonObject
  readonly outputs?: JsonObject
  readonly durationSeconds?: number
  readonly success?: boolean
  readonly error?: string | null
  /** When it started (unix seconds); now minus the duration when absent. */
  readonly timestamp?: number
}

/** A failed tool call as `withToolCall` records it: the error text and the outputs it left behind. */
export interface FailedToolCall {
  readonly error: string
  readonly outputs: JsonObject
}

/** Options of `traceNode` (the guide's `trace_node`): a node execution that already happened. */
export interface TraceNodeOptions {
  readonly nodeId: string
  readonly nodeType: string
  readonly inputs?: JsonObject
  readonly outputs?: JsonObject
  readonly durationSeconds?: number
  readonly toolCalls?: ReadonlyArray<TraceToolCallOptions>
  readonly success?: boolean
  readonly error?: string | null
  readonly metadata?: JsonObject
  /** When it started (unix seconds); now minus the duration when absent. */
  readonly timestamp?: number
}

/** Options of `endTrace`. The status defaults to `failed` when any node failed, else `succeeded`. */
export interface EndTraceOptions {
  readonly outputs?: JsonObject
  readonly status?: Exclude<TraceStatus, "running">
  readonly error?: string | null
}

/** Options of a free-form event (`recordEvent`). */
export interface RecordEventOptions {
  readonly nodeId?: string
  readonly toolName?: string
  readonly status?: string
  readonly durationSeconds?: number
  readonly error?: string
  readonly data?: JsonObject
}

/**
 * The tracer service: recording only. A layer of one's own implements these members and nothing else (see
 * `layerNoop`, and `testing/WorkflowTracerContract.ts` for the behaviour they must have).
 */
export interface WorkflowTracerService {
  /** Starts a trace and makes it the current trace of the calling fiber. */
  readonly startTrace: (options: StartTraceOptions) => Effect.Effect<TraceRef>
  /** Opens a node in the current trace and makes it the calling fiber's current node. */
  readonly startNode: (options: StartNodeOptions) => Effect.Effect<void, TracerError>
  /** Closes the calling fiber's current node and returns its record. */
  readonly endNode: (options?: EndNodeOptions) => Effect.Effect<NodeTraceRecord, TracerError>
  /**
   * Runs an effect as a node: the node is current inside it (so its tool calls attach to it), succeeds with the
   * outputs `toOutputs` makes of the result, and fails with the error of a failure, defect or interruption. The one
   * node API, for engines too: with no trace handler installed it adds one match on the effect's exit and the records,
   * nothing more (the workflow executor runs this fast path inlined in its loop: see `internal/nodeLoop.ts`).
   */
  readonly withNode: <A, E, R>(
    options: StartNodeOptions,
    effect: Effect.Effect<A, E, R>,
    toOutputs?: (value: A) => EndNodeOptions
  ) => Effect.Effect<A, E | TracerError, R>
  /** Records a node execution that already happened (the guide's `trace_node`). */
  readonly traceNode: (options: TraceNodeOptions) => Effect.Effect<NodeTraceRecord, TracerError>
  /** Records a tool call that already happened (the guide's `trace_tool_call`). */
  readonly traceToolCall: (options: TraceToolCallOptions) => Effect.Effect<ToolCallRecord, TracerError>
  /**
   * Runs a tool as a traced tool call: emits `tool_call_started`, times it, records its outputs or error, emits
   * `tool_call_completed` or `tool_call_failed`. `describeError` turns a failure into the recorded error text, or
   * into the text and the outputs the failed call left as evidence (a command's stdout, stderr and exit code).
   */
  readonly withToolCall: <E, R>(
    toolName: string,
    inputs: JsonObject,
    effect: Effect.Effect<JsonObject, E, R>,
    describeError?: (error: E) => string | FailedToolCall
  ) => Effect.Effect<JsonObject, E | TracerError, R>
  /**
   * Merges metadata into the calling fiber's open node, as the work goes (like a span's attributes): kept whether the
   * node then succeeds or fails. Fails with `NoOpenNode` outside a node.
   */
  readonly annotateNode: (metadata: JsonObject) => Effect.Effect<void, TracerError>
  /** Records a free-form execution event in the current trace. */
  readonly recordEvent: (
    eventType: ExecutionEventType,
    options?: RecordEventOptions
  ) => Effect.Effect<void, TracerError>
  /**
   * Ends the current trace, closes nodes still open (as failed), saves it to the store and returns it. When saving
   * fails the error says so, and the ended trace is still available from `getTrace`.
   */
  readonly endTrace: (options?: EndTraceOptions) => Effect.Effect<WorkflowTrace, TracerError | TraceStoreError>
  /** The current trace as it stands (status `running`), or the last ended one. */
  readonly getTrace: Effect.Effect<WorkflowTrace, TracerError>
}

/** The tracer service tag. */
export class WorkflowTracer extends Context.Tag("@victor/core/WorkflowTracer")<WorkflowTracer, WorkflowTracerService>() {}

/** Options of the tracer layers. */
export interface TracerOptions {
  /** Attach tool calls to the node open in the calling fiber (the guide's `auto_tool_calls`); default true. */
  readonly autoToolCalls?: boolean
}

/**
 * Builds a tracer over the `TraceStore` in context, timed by the `Clock` in context. When the store also provides
 * `TraceJournals`, each running trace is journaled (crash safety); otherwise it is saved when it ends.
 */
export const make = (options: TracerOptions = {}): Effect.Effect<WorkflowTracerService, never, TraceStore> =>
  Effect.map(Effect.all([TraceStore, Effect.serviceOption(TraceJournals), Effect.clock]), ([store, journals, clock]) => {
    const state = TracerState.make(store, Option.getOrUndefined(journals), clock, options.autoToolCalls ?? true)
    return WorkflowTracer.of({
      ...TraceLifecycle.make(state),
      ...Recorder.make(state),
      withNode: NodeScope.make(state)
    })
  })

/** The tracer over the `TraceStore` in context, with tool calls attached to their nodes. */
export const layer = (options: TracerOptions = {}): Layer.Layer<WorkflowTracer, never, TraceStore> =>
  Layer.effect(WorkflowTracer, make(options))

/** A tracer over a fresh in-memory store: for tests and programs that keep traces only in memory. */
export const layerMemory = (options: TracerOptions = {}): Layer.Layer<WorkflowTracer | TraceStore> =>
  Layer.provideMerge(layer(options), Layer.effect(TraceStore, makeMemory))

const noopNode = (nodeId: string, nodeType: string): NodeTraceRecord => ({
  nodeId,
  nodeType,
  timestamp: 0,
  durationSeconds: 0,
  success: true,
  error: null,
  inputs: emptyObject,
  outputs: emptyObject,
  toolCalls: [],
  metadata: emptyObject
})

const noopTrace: WorkflowTrace = {
  schemaVersion: 1,
  traceId: "noop",
  workflowName: "",
  status: "succeeded",
  startTime: 0,
  endTime: 0,
  durationSeconds: 0,
  error: null,
  inputs: emptyObject,
  outputs: emptyObject,
  metadata: emptyObject,
  parentTraceId: null,
  traceParent: null,
  nodes: [],
  events: []
}

/**
 * A tracer that records nothing and stores nothing: for running workflows with tracing switched off. Tool calls and
 * nodes still run; the records and traces it returns are empty.
 */
export const layerNoop: Layer.Layer<WorkflowTracer> = Layer.succeed(WorkflowTracer, {
  startTrace: (options) => Effect.succeed({ traceId: options.traceId ?? "noop", workflowName: options.workflowName }),
  startNode: () => Effect.void,
  endNode: () => Effect.succeed(noopNode("", "")),
  withNode: (_options, effect) => effect,
  traceNode: (options) => Effect.succeed(noopNode(options.nodeId, options.nodeType)),
  traceToolCall: (options) =>
    Effect.succeed({
      toolName: options.toolName,
      inputs: emptyObject,
      outputs: emptyObject,
      durationSeconds: 0,
      success: true,
      error: null,
      timestamp: 0
    }),
  withToolCall: (_name, _inputs, effect) => effect,
  annotateNode: () => Effect.void,
  recordEvent: () => Effect.void,
  endTrace: () => Effect.succeed(noopTrace),
  getTrace: Effect.succeed(noopTrace)
})
