/**
 * The workflow tracer: the guide's `WorkflowTracer` as an Effect service. It records nodes, tool calls and execution
 * events of a run, hands finished traces to the `TraceStore`, and answers history, export and analysis questions.
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
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type { ExecutionEvent } from "./ExecutionEvent.ts"
import { ExecutionEventType } from "./ExecutionEvent.ts"
import type { ExportError } from "./Exporter.ts"
import { ExporterRegistry, type UnknownFormatError } from "./ExporterRegistry.ts"
import {
  type ActiveTrace,
  addOpen,
  type Cursor,
  currentCursor,
  makeCursor,
  type OpenNode,
  openNodesNewestFirst,
  type OpenToolCall,
  removeOpen,
  snapshot,
  spanBridge
} from "./internal/activeTrace.ts"
import { EventLog } from "./internal/eventLog.ts"
import * as JournalWriter from "./internal/journalWriter.ts"
import { NodeRecord, ToolCall } from "./internal/records.ts"
import { emptyObject, type JsonObject } from "./Json.ts"
import * as Redaction from "./Redaction.ts"
import * as TraceAnalysis from "./TraceAnalysis.ts"
import { type TraceHandler, TraceHandlers, type TraceRef } from "./TraceHandler.ts"
import * as TraceId from "./TraceId.ts"
import { makeMemory, notFound, type TraceQuery, TraceStore, type TraceStoreError } from "./TraceStore.ts"
import type { NodeTraceRecord, SpanRecord, ToolCallRecord, TraceStatus, WorkflowTrace } from "./WorkflowTrace.ts"

/** Why a tracer call could not be honoured. */
export const TracerErrorReason = Schema.Literal("NoActiveTrace", "NoOpenNode", "NoTrace")

/** A tracer call was made out of order (a node without a trace, `endNode` without `startNode`, ...). */
export class TracerError extends Schema.TaggedError<TracerError>()("TracerError", {
  reason: TracerErrorReason,
  description: Schema.String
}) {
  override get message(): string {
    return this.description
  }
}

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

/** Options of `traceNode` (the guide's `trace_node`): a node execution that already happened. */
/** A failed tool call as `withToolCall` records it: the error text and the outputs it left behind. */
export interface FailedToolCall {
  readonly error: string
  readonly outputs: JsonObject
}

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

/**
 * A node opened by `unsafeOpenNode`, to be closed by `unsafeCloseNode`. Opaque: only the tracer that opened it reads
 * it.
 */
export interface NodeSpan {
  readonly nodeId: string
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

/** The tracer service. */
export interface WorkflowTracerService {
  /** Whether tool calls are attached to the node open in the calling fiber (the guide's `auto_tool_calls`). */
  readonly autoToolCalls: boolean
  /** Starts a trace and makes it the current trace of the calling fiber. */
  readonly startTrace: (options: StartTraceOptions) => Effect.Effect<TraceRef>
  /** Opens a node in the current trace and makes it the calling fiber's current node. */
  readonly startNode: (options: StartNodeOptions) => Effect.Effect<void, TracerError>
  /** Closes the calling fiber's current node and returns its record. */
  readonly endNode: (options?: EndNodeOptions) => Effect.Effect<NodeTraceRecord, TracerError>
  /**
   * Runs an effect as a node: the node is current inside it (so its tool calls attach to it), succeeds with the
   * outputs `toOutputs` makes of the result, and fails with the error of a failure, defect or interruption.
   */
  readonly withNode: <A, E, R>(
    options: StartNodeOptions,
    effect: Effect.Effect<A, E, R>,
    toOutputs?: (value: A) => EndNodeOptions
  ) => Effect.Effect<A, E | TracerError, R>
  /**
   * `withNode` for engines that run nodes in a loop of their own, as the workflow executor does: opens a node in the
   * fiber that is running the caller (call it from inside an effect, such as an `Effect.gen` body) and makes it
   * current, without an effect of its own. Close it with `unsafeCloseNode` in the same fiber, with the exit of the
   * node's work. Nodes abandoned by an interruption are closed as `cancelled`, as `withNode`'s are.
   *
   * Returns `undefined` when the node needs effects to open (the trace has handlers, or the fiber has no trace or a
   * node of another trace): use `withNode` then.
   */
  readonly unsafeOpenNode: (options: StartNodeOptions) => NodeSpan | undefined
  /** Closes a node `unsafeOpenNode` opened, from the exit of its work (as `withNode` ends its node). */
  readonly unsafeCloseNode: <A, E>(
    span: NodeSpan,
    exit: Exit.Exit<A, E>,
    toOutputs?: (value: A) => EndNodeOptions
  ) => void
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
  /** A stored trace by id. */
  readonly getTraceById: (traceId: string) => Effect.Effect<WorkflowTrace, TraceStoreError>
  /** Stored traces, oldest first (the guide's `get_trace_history`). */
  readonly getTraceHistory: (query?: TraceQuery) => Effect.Effect<ReadonlyArray<WorkflowTrace>, TraceStoreError>
  /** A trace in an export format, as bytes. */
  readonly exportTrace: (
    trace: WorkflowTrace,
    format: string
  ) => Stream.Stream<Uint8Array, ExportError | UnknownFormatError, ExporterRegistry>
  /** The guide's `analyze_trace`. */
  readonly analyzeTrace: (trace: WorkflowTrace) => TraceAnalysis.TraceAnalysis
}

/** The tracer service tag. */
export class WorkflowTracer extends Context.Tag("@victor/core/WorkflowTracer")<WorkflowTracer, WorkflowTracerService>() {}

/** Options of the tracer layers. */
export interface TracerOptions {
  /** Attach tool calls to the node open in the calling fiber; default true. */
  readonly autoToolCalls?: boolean
}

// Puts the fiber at a trace and node: in place, or by giving the fiber its cursor (once per fiber).
const moveTo = (
  cursor: Cursor | undefined,
  trace: ActiveTrace | undefined,
  node: OpenNode | undefined
): Effect.Effect<void> => {
  if (cursor === undefined) return FiberRef.set(currentCursor, makeCursor(trace, node))
  cursor.trace = trace
  cursor.node = node
  return Effect.void
}

const noEnd: EndNodeOptions = Object.freeze({})
// The tool calls of every node that made none: one array, not one per node.
const noToolCalls: ReadonlyArray<ToolCallRecord> = Object.freeze([])

const noActiveTrace = new TracerError({
  reason: "NoActiveTrace",
  description: "no active trace: call startTrace first"
})
const noOpenNode = new TracerError({
  reason: "NoOpenNode",
  description: "no open node in this fiber: call startNode first"
})

/** Turns any failure into the one-line error text stored in a record. */
export const describeCause = (cause: Cause.Cause<unknown>): string => {
  if (Cause.isInterruptedOnly(cause)) return "cancelled"
  const failure = Cause.failureOption(cause)
  if (failure._tag === "Some") return describeUnknown(failure.value)
  const defect = Cause.dieOption(cause)
  if (defect._tag === "Some") return describeUnknown(defect.value)
  return Cause.pretty(cause).split("\n")[0] ?? "failed"
}

const describeUnknown = (value: unknown): string => {
  if (value instanceof Error) return value.message || value.name
  if (typeof value === "string") return value
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

// The fiber running the caller, for the synchronous node API.
const currentFiber = (): Fiber.RuntimeFiber<unknown, unknown> | undefined => {
  const fiber = Fiber.getCurrentFiber()
  return fiber._tag === "Some" ? fiber.value : undefined
}

// Effect's live clock reads the time as a bigint (two allocations a reading); the tracer reads it three times a node.
// Over the live clock it reads `performance.now()` against the clock's own origin instead: the same time, as a number.
// Any other clock (`TestClock`, a custom one) is read through its interface.
const liveClockConstructor = Clock.make().constructor
const secondsOf = (clock: Clock.Clock): () => number => {
  if (clock.constructor !== liveClockConstructor || typeof performance === "undefined") {
    return () => Number(clock.unsafeCurrentTimeNanos()) / 1e9
  }
  const origin = Number(clock.unsafeCurrentTimeNanos()) / 1e9 - performance.now() / 1e3
  return () => origin + performance.now() / 1e3
}

/** Builds a tracer over the `TraceStore` in context. */
export const make = (options: TracerOptions = {}): Effect.Effect<WorkflowTracerService, never, TraceStore> =>
  Effect.gen(function*() {
    const store = yield* TraceStore
    const clock = yield* Effect.clock
    const autoToolCalls = options.autoToolCalls ?? true
    const now = secondsOf(clock)

    // The guide's imperative style: outside the starting fiber, the newest open trace is the current one.
    const openTraces: Array<ActiveTrace> = []
    let lastEnded: WorkflowTrace | undefined

    const traceOf = (fiberTrace: ActiveTrace | undefined, node: OpenNode | undefined): ActiveTrace | undefined =>
      node !== undefined && !node.trace.ended
        ? node.trace
        : fiberTrace !== undefined && !fiberTrace.ended
        ? fiberTrace
        : openTraces[openTraces.length - 1]

    const refOf = (trace: ActiveTrace): TraceRef => ({ traceId: trace.traceId, workflowName: trace.workflowName })

    // Hooks run only when handlers are installed, so the hot path pays nothing for them otherwise. Stored before said:
    // what a handler is about to see is written to the journal first (see `journalWriter.ts`), so that whatever the
    // event stream or the live view showed survives the process being killed right after.
    const runHooks = (
      trace: ActiveTrace,
      call: (handler: TraceHandler) => Effect.Effect<void> | undefined
    ): Effect.Effect<void> => {
      const hooks = Effect.forEach(trace.handlers, (handler) => {
        const effect = call(handler)
        return effect === undefined ? Effect.void : effect.pipe(
          Effect.catchAllCause((cause) =>
            Effect.logWarning(`trace handler "${handler.name}" failed; the run goes on`, cause)
          )
        )
      }, { discard: true })
      return trace.persistence === undefined ? hooks : Effect.zipRight(trace.persistence.flush, hooks)
    }

    // Runs `onEvent` for the event just pushed by a synchronous step (node starts).
    const lastEventHooks = (trace: ActiveTrace): Effect.Effect<void> => {
      const event = trace.events.last()
      return runHooks(trace, (h) => h.onEvent?.(event, refOf(trace)))
    }

    const emit = (trace: ActiveTrace, event: ExecutionEvent): Effect.Effect<void> => {
      trace.events.push(event)
      trace.persistence?.wake()
      return trace.handlers.length === 0 ? Effect.void : runHooks(trace, (h) => h.onEvent?.(event, refOf(trace)))
    }

    const closeNode = (node: OpenNode, end: EndNodeOptions): NodeTraceRecord => {
      const endTime = now()
      const error = end.error ?? null
      const success = end.success ?? error === null
      const durationSeconds = endTime - node.startTime
      // The record keeps the node's own array, so that a call recorded after the end still lands in it (a node
      // without calls shares one empty array until then: see `recordToolCall`); a node with several calls gets an
      // array without the room a push leaves.
      const calls = node.toolCalls
      const toolCalls = calls === undefined ? noToolCalls : calls.length > 1 ? calls.slice() : calls
      if (calls !== undefined) node.toolCalls = toolCalls as Array<ToolCallRecord>
      const record: NodeTraceRecord = new NodeRecord(
        node.nodeId,
        node.nodeType,
        node.startTime,
        durationSeconds,
        success,
        success ? error : error ?? "failed",
        node.inputs,
        end.outputs ?? emptyObject,
        toolCalls,
        end.metadata === undefined ? node.metadata : { ...node.metadata, ...end.metadata }
      )
      // Its Effect spans, when it has some: the node's own array, so that spans ending later still land in it.
      if (node.spans !== undefined) (record as { spans?: ReadonlyArray<SpanRecord> }).spans = node.spans
      const trace = node.trace
      removeOpen(trace, node)
      node.record = record
      trace.nodes.push(record)
      trace.events.nodeEnded(record, endTime)
      trace.persistence?.wake()
      return record
    }

    const nodeHooks = (trace: ActiveTrace, record: NodeTraceRecord): Effect.Effect<void> =>
      trace.handlers.length === 0
        ? Effect.void
        : runHooks(trace, (h) => {
          const last = trace.events.last()
          const onEvent = h.onEvent?.(last, refOf(trace))
          const onNode = h.onNodeComplete?.(record, refOf(trace))
          return onEvent === undefined ? onNode : onNode === undefined ? onEvent : Effect.zipRight(onEvent, onNode)
        })

    const openNode = (trace: ActiveTrace, parent: OpenNode | undefined, options: StartNodeOptions): OpenNode => {
      const node: OpenNode = {
        trace,
        nodeId: options.nodeId,
        nodeType: options.nodeType,
        startTime: now(),
        inputs: options.inputs ?? emptyObject,
        metadata: options.metadata ?? emptyObject,
        toolCalls: undefined,
        record: undefined,
        parent,
        open: false,
        previousOpen: undefined,
        nextOpen: undefined,
        cursor: undefined,
        spans: undefined
      }
      addOpen(trace, node)
      trace.events.nodeStarted(node.nodeId, node.startTime)
      trace.persistence?.wake()
      return node
    }

    const makeToolCall = (options: TraceToolCallOptions, endTime: number): ToolCallRecord => {
      const duration = options.durationSeconds ?? 0
      const error = options.error ?? null
      const success = options.success ?? error === null
      return new ToolCall(
        options.toolName,
        options.inputs ?? emptyObject,
        options.outputs ?? emptyObject,
        duration,
        success,
        success ? error : error ?? "failed",
        options.timestamp ?? endTime - duration
      )
    }

    // Attaches a finished tool call to the fiber's node (or the trace's pending list) and emits its event.
    const recordToolCall = (
      trace: ActiveTrace,
      node: OpenNode | undefined,
      record: ToolCallRecord,
      endTime: number
    ): Effect.Effect<ToolCallRecord> => {
      const owner = autoToolCalls && node !== undefined && node.trace === trace ? node : undefined
      if (owner !== undefined) {
        if (owner.toolCalls !== undefined) owner.toolCalls.push(record)
        else {
          owner.toolCalls = [record]
          // A call after the end of a node that had none (from a fiber the node forked): its record gets the array.
          const closed = owner.record as { toolCalls: ReadonlyArray<ToolCallRecord> } | undefined
          if (closed !== undefined) closed.toolCalls = owner.toolCalls
        }
      } else if (autoToolCalls) trace.pendingToolCalls.push(record)
      trace.events.toolCallEnded(record, owner?.nodeId, endTime)
      trace.persistence?.wake()
      if (trace.handlers.length === 0) return Effect.succeed(record)
      const event = trace.events.last()
      return Effect.as(
        runHooks(trace, (h) => {
          const onEvent = h.onEvent?.(event, refOf(trace))
          const onTool = h.onToolCall?.(record, owner?.nodeId, refOf(trace))
          return onEvent === undefined ? onTool : onTool === undefined ? onEvent : Effect.zipRight(onEvent, onTool)
        }),
        record
      )
    }

    const endNodeIn = (node: OpenNode, options: EndNodeOptions): Effect.Effect<NodeTraceRecord> => {
      const record = closeNode(node, options)
      return node.trace.handlers.length === 0 ? Effect.succeed(record) : Effect.as(nodeHooks(node.trace, record), record)
    }

    // Ends a tool call's mark in its fiber (see `withToolCall`): its record takes the spans made inside it, and the
    // fiber gets back the call that was running around it.
    const leaveToolCall = (
      fiber: Fiber.RuntimeFiber<unknown, unknown>,
      call: OpenToolCall,
      outer: OpenToolCall | undefined,
      record: ToolCallRecord
    ): void => {
      call.record = record
      if (call.spans !== undefined) (record as { spans?: ReadonlyArray<SpanRecord> }).spans = call.spans
      const cursor = fiber.getFiberRef(currentCursor)
      if (cursor !== undefined && cursor.call === call) cursor.call = outer
    }

    // Gives the fiber back the node that was current before a `withNode`, whatever cursor it holds by now.
    const leaveNode = (fiber: Fiber.RuntimeFiber<unknown, unknown>, previous: OpenNode | undefined): void => {
      const cursor = fiber.getFiberRef(currentCursor)
      if (cursor !== undefined) cursor.node = previous
    }

    // `withNode` when the trace has handlers, or the fiber has no cursor yet: the node is closed by a failure handler
    // made uninterruptible, so that the handlers' effects run even when the node is interrupted.
    const withNodeGuarded = <A, E, R>(
      options: StartNodeOptions,
      effect: Effect.Effect<A, E, R>,
      toOutputs: ((value: A) => EndNodeOptions) | undefined
    ): Effect.Effect<A, E | TracerError, R> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.withFiberRuntime<A, E | TracerError, R>((fiber) => {
          const cursor = fiber.getFiberRef(currentCursor)
          const previous = cursor?.node
          const trace = traceOf(cursor?.trace, previous)
          if (trace === undefined) return Effect.fail(noActiveTrace)
          const node = openNode(
            trace,
            previous !== undefined && previous.trace === trace ? previous : undefined,
            options
          )
          // The handlers see the node start before it becomes current, as they see a `startNode`.
          const enter = trace.handlers.length === 0
            ? moveTo(cursor, cursor?.trace, node)
            : restore(Effect.zipRight(
              lastEventHooks(trace),
              Effect.withFiberRuntime<void>((current) => {
                const held = current.getFiberRef(currentCursor)
                return moveTo(held, held?.trace, node)
              })
            ))
          const run = enter === Effect.void ? restore(effect) : Effect.zipRight(enter, restore(effect))
          return Effect.matchCauseEffect(run, {
            onFailure: (cause) => {
              leaveNode(fiber, previous)
              return Effect.zipRight(
                endNodeIn(node, { success: false, error: describeCause(cause) }),
                Effect.failCause(cause)
              )
            },
            onSuccess: (value) => {
              leaveNode(fiber, previous)
              return Effect.as(endNodeIn(node, toOutputs === undefined ? noEnd : toOutputs(value)), value)
            }
          })
        })
      )

    // The nodes a fiber has open through `withNode`'s fast path or `unsafeOpenNode`, innermost last, on the fiber's
    // cursor. An interrupted fiber skips the fast path's failure handler (Effect runs no handler of an interruptible
    // region once its fiber is interrupted), and an engine's loop never reaches its `unsafeCloseNode`; such a node
    // stays on the list and is closed, "cancelled", when an enclosing node closes or when the fiber ends, whichever
    // comes first. Made on the fiber's first node, with the observer that closes what is left when the fiber ends.
    const openNodesOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>, cursor: Cursor): Array<OpenNode> => {
      const nodes: Array<OpenNode> = []
      cursor.open = nodes
      fiber.addObserver(() => {
        if (nodes.length === 0) return
        // The fiber's place goes back to where it was before its first abandoned node, so that a parent that
        // adopts the fiber's place when joining it does not adopt a closed node.
        const current = fiber.getFiberRef(currentCursor)
        if (current !== undefined && current.node === nodes[nodes.length - 1]) current.node = nodes[0]!.parent
        cancelAbove(nodes, 0)
      })
      return nodes
    }

    // Takes the node at `depth` off its fiber's list, closing first (as cancelled) any left above it by an interruption.
    const leaveOpen = (open: Array<OpenNode>, depth: number): void => {
      if (open.length > depth + 1) cancelAbove(open, depth + 1)
      open.pop()
    }

    // Closes, innermost first, the nodes of a fiber's list above `depth` that were abandoned by an interruption.
    const cancelAbove = (open: Array<OpenNode>, depth: number): void => {
      for (let i = open.length - 1; i >= depth; i--) {
        const node = open[i]!
        if (node.open) closeNode(node, { success: false, error: "cancelled" })
      }
      open.length = depth
    }

    const service: WorkflowTracerService = {
      autoToolCalls,

      startTrace: (options) =>
        Effect.flatMap(
          Effect.all([
            options.traceId === undefined ? TraceId.make : Effect.succeed(options.traceId),
            TraceHandlers,
            Redaction.CurrentRedactor
          ]),
          ([traceId, installed, configured]) =>
            Effect.withFiberRuntime((fiber) => {
              // Secrets of the context (a `password` key) stay secret wherever their values turn up later.
              const redactor = configured.withSecretsOf(options.inputs ?? emptyObject)
              const trace: ActiveTrace = {
                traceId,
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
                spanCount: 0
              }
              openTraces.push(trace)
              const started: ExecutionEvent = {
                eventType: ExecutionEventType.WORKFLOW_STARTED,
                timestamp: trace.startTime
              }
              trace.events.push(started)
              return moveTo(fiber.getFiberRef(currentCursor), trace, undefined).pipe(
                // Journaled from here on, so that a run that dies is recovered rather than lost; the handlers see
                // the start once the journal holds it.
                Effect.zipRight(Effect.map(
                  Effect.provideService(JournalWriter.start(store, trace), Redaction.CurrentRedactor, redactor),
                  (p) => void (trace.persistence = p)
                )),
                Effect.zipRight(
                  trace.handlers.length === 0
                    ? Effect.void
                    // Made once the journal has begun, so that it is flushed first.
                    : Effect.suspend(() => runHooks(trace, (h) => h.onEvent?.(started, refOf(trace))))
                ),
                Effect.as(refOf(trace))
              )
            })
        ),

      startNode: (options) =>
        Effect.withFiberRuntime((fiber) => {
          const cursor = fiber.getFiberRef(currentCursor)
          const parent = cursor?.node
          const trace = traceOf(cursor?.trace, parent)
          if (trace === undefined) return Effect.fail(noActiveTrace)
          const node = openNode(trace, parent !== undefined && parent.trace === trace ? parent : undefined, options)
          const enter = moveTo(cursor, cursor?.trace, node)
          return trace.handlers.length === 0 ? enter : Effect.zipRight(enter, lastEventHooks(trace))
        }),

      endNode: (options = noEnd) =>
        Effect.withFiberRuntime((fiber) => {
          const cursor = fiber.getFiberRef(currentCursor)
          const node = cursor?.node
          if (cursor === undefined || node === undefined || node.trace.ended) return Effect.fail(noOpenNode)
          const record = closeNode(node, options)
          if (node.trace.handlers.length === 0) {
            cursor.node = node.parent
            return Effect.succeed(record)
          }
          // The node stays current while the handlers see its end.
          return Effect.as(
            Effect.zipRight(nodeHooks(node.trace, record), Effect.sync(() => leaveNode(fiber, node.parent))),
            record
          )
        }),

      withNode: <A, E, R>(
        options: StartNodeOptions,
        effect: Effect.Effect<A, E, R>,
        toOutputs?: (value: A) => EndNodeOptions
      ) =>
        // The fast path: no uninterruptible region, one handler, nothing but the records themselves. Interruption is
        // still accounted for (see `openNodesOf`).
        Effect.withFiberRuntime<A, E | TracerError, R>((fiber) => {
          const cursor = fiber.getFiberRef(currentCursor)
          const previous = cursor?.node
          const trace = traceOf(cursor?.trace, previous)
          if (trace === undefined) return Effect.fail(noActiveTrace)
          if (cursor === undefined || trace.handlers.length > 0) return withNodeGuarded(options, effect, toOutputs)
          const node = openNode(trace, previous !== undefined && previous.trace === trace ? previous : undefined, options)
          cursor.node = node
          const open = cursor.open ?? openNodesOf(fiber, cursor)
          const depth = open.length
          open.push(node)
          return Effect.matchCauseEffect(effect, {
            onFailure: (cause) => {
              leaveOpen(open, depth)
              leaveNode(fiber, previous)
              closeNode(node, { success: false, error: describeCause(cause) })
              return Effect.failCause(cause)
            },
            onSuccess: (value) => {
              leaveOpen(open, depth)
              leaveNode(fiber, previous)
              closeNode(node, toOutputs === undefined ? noEnd : toOutputs(value))
              return Effect.succeed(value)
            }
          })
        }),

      unsafeOpenNode: (options) => {
        const fiber = currentFiber()
        const cursor = fiber?.getFiberRef(currentCursor)
        if (fiber === undefined || cursor === undefined) return undefined
        const previous = cursor.node
        const trace = traceOf(cursor.trace, previous)
        if (trace === undefined || trace.handlers.length > 0 || (previous !== undefined && previous.trace !== trace)) {
          return undefined
        }
        const node = openNode(trace, previous, options)
        node.cursor = cursor
        cursor.node = node
        ;(cursor.open ?? openNodesOf(fiber, cursor)).push(node)
        return node
      },

      unsafeCloseNode: <A, E>(span: NodeSpan, exit: Exit.Exit<A, E>, toOutputs?: (value: A) => EndNodeOptions) => {
        const node = span as OpenNode
        // The fiber's cursor, as it was when the node opened: a fiber keeps the same one (see `joinCursor`).
        const cursor = node.cursor
        const open = cursor?.open
        if (open !== undefined) {
          const at = open.lastIndexOf(node)
          if (at >= 0) leaveOpen(open, at)
        }
        if (cursor !== undefined) cursor.node = node.parent
        // Already closed: cancelled by an enclosing node, or by the end of its trace.
        if (!node.open) return
        closeNode(
          node,
          exit._tag === "Success"
            ? toOutputs === undefined ? noEnd : toOutputs(exit.value)
            : { success: false, error: describeCause(exit.cause) }
        )
      },

      traceNode: (options) =>
        Effect.withFiberRuntime((fiber) => {
          const cursor = fiber.getFiberRef(currentCursor)
          const trace = traceOf(cursor?.trace, cursor?.node)
          if (trace === undefined) return Effect.fail(noActiveTrace)
          const endTime = now()
          const duration = options.durationSeconds ?? 0
          const explicit = (options.toolCalls ?? []).map((call) => makeToolCall(call, endTime))
          const toolCalls = autoToolCalls && trace.pendingToolCalls.length > 0
            ? [...trace.pendingToolCalls, ...explicit]
            : explicit
          if (autoToolCalls) trace.pendingToolCalls = []
          const node: OpenNode = {
            trace,
            nodeId: options.nodeId,
            nodeType: options.nodeType,
            startTime: options.timestamp ?? endTime - duration,
            inputs: options.inputs ?? emptyObject,
            metadata: options.metadata ?? emptyObject,
            toolCalls,
            record: undefined,
            parent: undefined,
            open: false,
            previousOpen: undefined,
            nextOpen: undefined,
            cursor: undefined,
            spans: undefined
          }
          const first = trace.events.length
          trace.events.nodeStarted(node.nodeId, node.startTime)
          for (const call of explicit) trace.events.toolCallEnded(call, node.nodeId, call.timestamp + call.durationSeconds)
          const end: EndNodeOptions = {
            ...(options.outputs === undefined ? {} : { outputs: options.outputs }),
            ...(options.success === undefined ? {} : { success: options.success }),
            ...(options.error === undefined ? {} : { error: options.error })
          }
          // A record of the past keeps its own duration rather than the time since `startTime` was computed.
          const record = { ...closeNode(node, end), durationSeconds: duration }
          trace.nodes[trace.nodes.length - 1] = record
          if (trace.handlers.length === 0) return Effect.succeed(record)
          // Handlers see the node's start and its tool calls before its end, as they would have live.
          const ref = refOf(trace)
          const before = runHooks(trace, (h) => {
            const steps: Array<Effect.Effect<void>> = []
            for (let index = first; index < trace.events.length - 1; index++) {
              const onEvent = h.onEvent?.(trace.events.at(index), ref)
              if (onEvent !== undefined) steps.push(onEvent)
            }
            for (const call of explicit) {
              const onTool = h.onToolCall?.(call, node.nodeId, ref)
              if (onTool !== undefined) steps.push(onTool)
            }
            return steps.length === 0 ? undefined : Effect.all(steps, { discard: true })
          })
          return Effect.as(Effect.zipRight(before, nodeHooks(trace, record)), record)
        }),

      traceToolCall: (options) =>
        Effect.withFiberRuntime((fiber) => {
          const cursor = fiber.getFiberRef(currentCursor)
          const node = cursor?.node
          const trace = traceOf(cursor?.trace, node)
          if (trace === undefined) return Effect.fail(noActiveTrace)
          const endTime = now()
          return recordToolCall(trace, node, makeToolCall(options, endTime), endTime)
        }),

      withToolCall: <E, R>(
        toolName: string,
        inputs: JsonObject,
        effect: Effect.Effect<JsonObject, E, R>,
        describeError?: (error: E) => string | FailedToolCall
      ) =>
        Effect.uninterruptibleMask((restore) =>
          Effect.withFiberRuntime<JsonObject, E | TracerError, R>((fiber) => {
            const cursor = fiber.getFiberRef(currentCursor)
            const node = cursor?.node
            const trace = traceOf(cursor?.trace, node)
            if (trace === undefined) return Effect.fail(noActiveTrace)
            const start = now()
            const nodeId = autoToolCalls && node !== undefined && node.trace === trace ? node.nodeId : undefined
            const started: ExecutionEvent = nodeId === undefined
              ? { eventType: ExecutionEventType.TOOL_CALL_STARTED, timestamp: start, toolName }
              : { eventType: ExecutionEventType.TOOL_CALL_STARTED, timestamp: start, toolName, nodeId }
            const hooks = emit(trace, started)
            // With an Effect span bridge, the call is marked in the fiber so that the spans made inside it are its own.
            const call: OpenToolCall | undefined = spanBridge.installed && cursor !== undefined
              ? { trace, node, spans: undefined, record: undefined }
              : undefined
            const outer = call === undefined ? undefined : cursor!.call
            if (call !== undefined) cursor!.call = call
            const run = trace.handlers.length === 0 ? restore(effect) : restore(Effect.zipRight(hooks, effect))
            return Effect.matchCauseEffect(run, {
              onFailure: (cause) => {
                const endTime = now()
                const expected = Cause.failureOption(cause)
                const described = describeError !== undefined && expected._tag === "Some"
                  ? describeError(expected.value)
                  : describeCause(cause)
                const error = typeof described === "string" ? described : described.error
                const outputs = typeof described === "string" ? emptyObject : described.outputs
                const record = new ToolCall(toolName, inputs, outputs, endTime - start, false, error, start)
                if (call !== undefined) leaveToolCall(fiber, call, outer, record)
                return Effect.zipRight(recordToolCall(trace, node, record, endTime), Effect.failCause(cause))
              },
              onSuccess: (outputs) => {
                const endTime = now()
                const record = new ToolCall(toolName, inputs, outputs ?? emptyObject, endTime - start, true, null, start)
                if (call !== undefined) leaveToolCall(fiber, call, outer, record)
                return Effect.as(recordToolCall(trace, node, record, endTime), outputs)
              }
            })
          })
        ),

      annotateNode: (metadata) =>
        Effect.withFiberRuntime((fiber) => {
          const node = fiber.getFiberRef(currentCursor)?.node
          if (node === undefined || node.trace.ended) return Effect.fail(noOpenNode)
          node.metadata = { ...node.metadata, ...metadata }
          return Effect.void
        }),

      recordEvent: (eventType, options = {}) =>
        Effect.withFiberRuntime((fiber) => {
          const cursor = fiber.getFiberRef(currentCursor)
          const trace = traceOf(cursor?.trace, cursor?.node)
          if (trace === undefined) return Effect.fail(noActiveTrace)
          return emit(trace, { eventType, timestamp: now(), ...options })
        }),

      endTrace: (options = {}) =>
        Effect.withFiberRuntime((fiber) => {
          const cursor = fiber.getFiberRef(currentCursor)
          const trace = traceOf(cursor?.trace, cursor?.node)
          if (trace === undefined) return Effect.fail(noActiveTrace)
          const closing = options.status === "cancelled" ? "cancelled" : "trace ended before the node finished"
          for (const node of openNodesNewestFirst(trace)) closeNode(node, { success: false, error: closing })
          const endTime = now()
          const status = options.status ?? (trace.nodes.some((n) => !n.success) ? "failed" : "succeeded")
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
          lastEnded = final
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
              runHooks(trace, (h) => h.onEvent?.(last, refOf(trace))),
              saved._tag === "Success" ? Effect.succeed(final) : Effect.failCause(saved.cause)
            ))
        }),

      getTrace: Effect.withFiberRuntime((fiber) => {
        const cursor = fiber.getFiberRef(currentCursor)
        // This fiber's own trace first, open or ended; then the guide's imperative fallbacks.
        const own = cursor?.node?.trace ?? cursor?.trace
        if (own?.final !== undefined) return Effect.succeed(own.final)
        const trace = traceOf(cursor?.trace, cursor?.node)
        if (trace !== undefined) {
          return Effect.succeed(snapshot(trace, { status: "running", endTime: null, outputs: emptyObject, error: null }))
        }
        return lastEnded === undefined
          ? Effect.fail(new TracerError({ reason: "NoTrace", description: "no trace has been started" }))
          : Effect.succeed(lastEnded)
      }),

      getTraceById: (traceId) => store.get(traceId),

      getTraceHistory: (query) =>
        Effect.flatMap(store.list(query), (summaries) => Effect.forEach(summaries, (s) => store.get(s.traceId))),

      exportTrace: (trace, format) =>
        Stream.unwrap(Effect.map(Effect.flatMap(ExporterRegistry, (registry) => registry.get(format)), (exporter) =>
          exporter.export(trace))),

      analyzeTrace: TraceAnalysis.analyze
    }
    return service
  })

/** The tracer over the `TraceStore` in context, with tool calls attached to their nodes. */
export const layer = (options: TracerOptions = {}): Layer.Layer<WorkflowTracer, never, TraceStore> =>
  Layer.effect(WorkflowTracer, make(options))

/** A tracer over a fresh in-memory store: for tests and programs that keep traces only in memory. */
export const layerMemory = (options: TracerOptions = {}): Layer.Layer<WorkflowTracer | TraceStore> =>
  Layer.provideMerge(layer(options), Layer.effect(TraceStore, makeMemory))

const noopNode = (options: { readonly nodeId?: string; readonly nodeType?: string }): NodeTraceRecord => ({
  nodeId: options.nodeId ?? "",
  nodeType: options.nodeType ?? "",
  timestamp: 0,
  durationSeconds: 0,
  success: true,
  error: null,
  inputs: emptyObject,
  outputs: emptyObject,
  toolCalls: [],
  metadata: emptyObject
})

const noopSpan: NodeSpan = Object.freeze({ nodeId: "" })

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
 * nodes still run; `getTrace` and `endTrace` return an empty trace.
 */
export const layerNoop: Layer.Layer<WorkflowTracer> = Layer.succeed(WorkflowTracer, {
  autoToolCalls: false,
  startTrace: (options) => Effect.succeed({ traceId: options.traceId ?? "noop", workflowName: options.workflowName }),
  startNode: () => Effect.void,
  endNode: () => Effect.succeed(noopNode({})),
  withNode: (_options, effect) => effect,
  unsafeOpenNode: () => noopSpan,
  unsafeCloseNode: () => {},
  traceNode: (options) => Effect.succeed(noopNode(options)),
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
  getTrace: Effect.succeed(noopTrace),
  getTraceById: (traceId) => Effect.fail(notFound(traceId)),
  getTraceHistory: () => Effect.succeed([]),
  exportTrace: () => Stream.empty,
  analyzeTrace: TraceAnalysis.analyze
})
