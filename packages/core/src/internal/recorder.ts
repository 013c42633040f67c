/**
 * Recording nodes and tool calls: opening and closing node records, tool-call records, annotations and free-form
 * events, and the tracer members made of them (`startNode`, `endNode`, `traceNode`, `traceToolCall`,
 * `withToolCall`, `annotateNode`, `recordEvent`; `withNode` is in `nodeScope.ts`).
 *
 * A fiber's place (its trace and node) is its cursor (see `activeTrace.ts`), updated in place: recording a node costs
 * no FiberRef copy. Records are built by constructors (see `records.ts`); events go to the trace's compact log.
 *
 * `withToolCall` has two paths, as `withNode` has (see `nodeScope.ts`): without trace handlers, the tool runs inside
 * one match on its exit, with no uninterruptible region around it (which cost a tool call twice the effect steps of
 * the tool itself); the call sits on its fiber's list of open scopes meanwhile, so that a call an interruption
 * abandoned (Effect runs no failure handler of an interruptible region once its fiber is interrupted) is recorded as
 * cancelled when an enclosing node closes or when the fiber ends, whichever comes first. With handlers, the call is
 * closed by a failure handler made uninterruptible, so that the handlers' effects run even when it is interrupted.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import { emptyObject, type JsonObject } from "../Json.ts"
import type { NodeTraceRecord, SpanRecord, ToolCallRecord } from "../WorkflowTrace.ts"
import type {
  EndNodeOptions,
  FailedToolCall,
  StartNodeOptions,
  TraceToolCallOptions,
  WorkflowTracerService
} from "../WorkflowTracer.ts"
import {
  type ActiveTrace,
  addOpen,
  type Cursor,
  currentCursor,
  makeCursor,
  OpenNode,
  OpenToolCall,
  removeOpen,
  spanBridge
} from "./activeTrace.ts"
import { toolCallStartedEvent } from "./eventLog.ts"
import { emit, lastEventHooks, nodeHooks, runHooks, toolCallHooks } from "./hooks.ts"
import { nodeRecord, toolCallRecord } from "./records.ts"
import { describeCause, noActiveTrace, noOpenNode, type TracerError } from "./tracerError.ts"
import { refOf, traceOf, type TracerState } from "./tracerState.ts"

/** The end of a node that says nothing: a success without outputs. */
export const noEnd: EndNodeOptions = Object.freeze({})
// The tool calls of every node that made none: one array, not one per node.
const noToolCalls: ReadonlyArray<ToolCallRecord> = Object.freeze([])

/** Puts the fiber at a trace and node: in place, or by giving the fiber its cursor (once per fiber). */
export const moveTo = (
  cursor: Cursor | undefined,
  trace: ActiveTrace | undefined,
  node: OpenNode | undefined
): Effect.Effect<void> => {
  if (cursor === undefined) return FiberRef.set(currentCursor, makeCursor(trace, node))
  cursor.trace = trace
  cursor.node = node
  return Effect.void
}

/** Gives the fiber back the node that was current before a `withNode`, whatever cursor it holds by now. */
export const leaveNode = (fiber: Fiber.RuntimeFiber<unknown, unknown>, previous: OpenNode | undefined): void => {
  const cursor = fiber.getFiberRef(currentCursor)
  if (cursor !== undefined) cursor.node = previous
}

/** Opens a node in a trace (logging `node_started`); the caller makes it current. */
export const openNode = (trace: ActiveTrace, parent: OpenNode | undefined, options: StartNodeOptions): OpenNode => {
  const node = new OpenNode(
    trace,
    options.nodeId,
    options.nodeType,
    trace.now(),
    options.inputs ?? emptyObject,
    options.metadata ?? emptyObject,
    parent,
    undefined
  )
  addOpen(trace, node)
  trace.events.nodeStarted(node.nodeId, node.startTime)
  trace.persistence?.wake()
  return node
}

/** Closes a node: makes its record, adds it to the trace and logs its end. Tells no handler (see `endNodeIn`). */
export const closeNode = (node: OpenNode, end: EndNodeOptions): NodeTraceRecord => {
  const trace = node.trace
  const endTime = trace.now()
  const error = end.error ?? null
  const success = end.success ?? error === null
  const durationSeconds = endTime - node.startTime
  // The record keeps the node's own array, so that a call recorded after the end still lands in it (a node
  // without calls shares one empty array until then: see `recordToolCall`); a node with several calls gets an
  // array without the room a push leaves.
  const calls = node.toolCalls
  const toolCalls = calls === undefined ? noToolCalls : calls.length > 1 ? calls.slice() : calls
  if (calls !== undefined) node.toolCalls = toolCalls as Array<ToolCallRecord>
  const record: NodeTraceRecord = nodeRecord(
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
  removeOpen(trace, node)
  node.record = record
  if (!success) trace.failedNodes++
  trace.nodes.push(record)
  trace.events.nodeEnded(record, endTime)
  trace.persistence?.wake()
  return record
}

/** Closes a node and tells the handlers. */
export const endNodeIn = (node: OpenNode, options: EndNodeOptions): Effect.Effect<NodeTraceRecord> => {
  const record = closeNode(node, options)
  return node.trace.handlers.length === 0 ? Effect.succeed(record) : Effect.as(nodeHooks(node.trace, record), record)
}

/** A record of a tool call that already happened. */
const makeToolCall = (options: TraceToolCallOptions, endTime: number): ToolCallRecord => {
  const duration = options.durationSeconds ?? 0
  const error = options.error ?? null
  const success = options.success ?? error === null
  return toolCallRecord(
    options.toolName,
    options.inputs ?? emptyObject,
    options.outputs ?? emptyObject,
    duration,
    success,
    success ? error : error ?? "failed",
    options.timestamp ?? endTime - duration
  )
}

// Attaches a finished tool call to its node (or the trace's pending list) and logs its event.
const attachToolCall = (
  trace: ActiveTrace,
  owner: OpenNode | undefined,
  pending: boolean,
  record: ToolCallRecord,
  endTime: number
): void => {
  if (owner !== undefined) {
    if (owner.toolCalls !== undefined) owner.toolCalls.push(record)
    else {
      owner.toolCalls = [record]
      // A call after the end of a node that had none (from a fiber the node forked): its record gets the array.
      const closed = owner.record as { toolCalls: ReadonlyArray<ToolCallRecord> } | undefined
      if (closed !== undefined) closed.toolCalls = owner.toolCalls
    }
  } else if (pending) trace.pendingToolCalls.push(record)
  trace.events.toolCallEnded(record, owner?.nodeId, endTime)
  trace.persistence?.wake()
}

// The node a tool call made in a fiber at `node` joins: that node, when tool calls are attached to nodes at all.
const ownerOf = (autoToolCalls: boolean, trace: ActiveTrace, node: OpenNode | undefined): OpenNode | undefined =>
  autoToolCalls && node !== undefined && node.trace === trace ? node : undefined

// Attaches a finished tool call to the fiber's node (or the trace's pending list), emits its event, tells handlers.
const recordToolCall = (
  autoToolCalls: boolean,
  trace: ActiveTrace,
  node: OpenNode | undefined,
  record: ToolCallRecord,
  endTime: number
): Effect.Effect<ToolCallRecord> => {
  const owner = ownerOf(autoToolCalls, trace, node)
  attachToolCall(trace, owner, autoToolCalls, record, endTime)
  if (trace.handlers.length === 0) return Effect.succeed(record)
  return Effect.as(toolCallHooks(trace, record, owner?.nodeId), record)
}

// Ends a tool call's mark in its fiber (see `withToolCall`): its record takes the spans made inside it, and the
// fiber gets back the call that was running around it.
const leaveToolCall = (cursor: Cursor | undefined, call: OpenToolCall, record: ToolCallRecord): void => {
  call.open = false
  call.record = record
  if (call.spans !== undefined) (record as { spans?: ReadonlyArray<SpanRecord> }).spans = call.spans
  if (cursor !== undefined && cursor.call === call) cursor.call = call.outer
}

// Ends a tool call of `withToolCall`'s fast path with its record.
const endToolCall = (cursor: Cursor, call: OpenToolCall, record: ToolCallRecord, endTime: number): void => {
  leaveToolCall(cursor, call, record)
  attachToolCall(call.trace, call.owner, call.pending, record, endTime)
}

// A fast-path tool call abandoned by an interruption: recorded as cancelled now, unless its trace has ended since.
const cancelToolCall = (cursor: Cursor, call: OpenToolCall): void => {
  if (!call.open) return
  const trace = call.trace
  if (trace.ended) {
    call.open = false
    if (cursor.call === call) cursor.call = call.outer
    return
  }
  const endTime = trace.now()
  const record = toolCallRecord(
    call.toolName,
    call.inputs,
    emptyObject,
    endTime - call.startTime,
    false,
    "cancelled",
    call.startTime
  )
  endToolCall(cursor, call, record, endTime)
}

const cancelled: EndNodeOptions = Object.freeze({ success: false, error: "cancelled" })

/**
 * Closes, innermost first, the nodes and tool calls of a fiber's list of open scopes (see `Cursor.open`) above
 * `depth`, which an interruption abandoned: as cancelled.
 */
export const cancelAbove = (open: Array<OpenNode | OpenToolCall>, depth: number, cursor: Cursor): void => {
  for (let i = open.length - 1; i >= depth; i--) {
    const scope = open[i]!
    if (scope instanceof OpenNode) {
      if (scope.open) closeNode(scope, cancelled)
    } else cancelToolCall(cursor, scope)
  }
  open.length = depth
}

/** Takes the scope at `depth` off its fiber's list, closing first (as cancelled) any left above it by an interruption. */
export const leaveOpen = (open: Array<OpenNode | OpenToolCall>, depth: number, cursor: Cursor): void => {
  if (open.length > depth + 1) cancelAbove(open, depth + 1, cursor)
  open.pop()
}

/**
 * The fiber's list of open scopes, made on its first fast-path node or tool call with the observer that closes what is
 * left when the fiber ends.
 */
export const openScopesOf = (
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  cursor: Cursor
): Array<OpenNode | OpenToolCall> => {
  const scopes: Array<OpenNode | OpenToolCall> = []
  cursor.open = scopes
  fiber.addObserver(() => {
    if (scopes.length === 0) return
    // The fiber's place goes back to where it was before its first abandoned scope, so that a parent that adopts the
    // fiber's place when joining it does not adopt a closed node.
    const current = fiber.getFiberRef(currentCursor)
    if (current !== undefined && current.node !== undefined && abandons(scopes, current.node)) {
      const first = scopes[0]!
      current.node = first instanceof OpenNode ? first.parent : first.node
    }
    cancelAbove(scopes, 0, cursor)
  })
  return scopes
}

const abandons = (scopes: ReadonlyArray<OpenNode | OpenToolCall>, node: OpenNode): boolean => {
  for (const scope of scopes) if (scope === node) return true
  return false
}

// What a failed tool call records: `describeError`'s text (and outputs) for an expected failure, else the cause's text.
const describeFailure = <E>(
  cause: Cause.Cause<E>,
  describeError: ((error: E) => string | FailedToolCall) | undefined
): string | FailedToolCall => {
  if (describeError === undefined) return describeCause(cause)
  const expected = Cause.failureOption(cause)
  return expected._tag === "Some" ? describeError(expected.value) : describeCause(cause)
}

// `withToolCall`'s guarded path (see the module's header).
const withToolCallGuarded = <E, R>(
  state: TracerState,
  toolName: string,
  inputs: JsonObject,
  effect: Effect.Effect<JsonObject, E, R>,
  describeError: ((error: E) => string | FailedToolCall) | undefined
): Effect.Effect<JsonObject, E | TracerError, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.withFiberRuntime<JsonObject, E | TracerError, R>((fiber) => {
      const { autoToolCalls, now } = state
      const cursor = fiber.getFiberRef(currentCursor)
      const node = cursor?.node
      const trace = traceOf(state, cursor?.trace, node)
      if (trace === undefined) return Effect.fail(noActiveTrace)
      const start = now()
      const owner = ownerOf(autoToolCalls, trace, node)
      const started = toolCallStartedEvent(toolName, owner?.nodeId, start)
      const hooks = emit(trace, started)
      // With an Effect span bridge, the call is marked in the fiber so that the spans made inside it are its own.
      const call = spanBridge.installed && cursor !== undefined
        ? new OpenToolCall(trace, node, owner, autoToolCalls, toolName, inputs, start, cursor.call)
        : undefined
      if (call !== undefined) cursor!.call = call
      const run = trace.handlers.length === 0 ? restore(effect) : restore(Effect.zipRight(hooks, effect))
      return Effect.matchCauseEffect(run, {
        onFailure: (cause) => {
          const endTime = now()
          const described = describeFailure(cause, describeError)
          const error = typeof described === "string" ? described : described.error
          const outputs = typeof described === "string" ? emptyObject : described.outputs
          const record = toolCallRecord(toolName, inputs, outputs, endTime - start, false, error, start)
          if (call !== undefined) leaveToolCall(fiber.getFiberRef(currentCursor), call, record)
          return Effect.zipRight(recordToolCall(autoToolCalls, trace, node, record, endTime), Effect.failCause(cause))
        },
        onSuccess: (outputs) => {
          const endTime = now()
          const record = toolCallRecord(toolName, inputs, outputs ?? emptyObject, endTime - start, true, null, start)
          if (call !== undefined) leaveToolCall(fiber.getFiberRef(currentCursor), call, record)
          return Effect.as(recordToolCall(autoToolCalls, trace, node, record, endTime), outputs)
        }
      })
    })
  )

/** The recording members of a tracer, but `withNode` and the trace's start and end. */
export type Recorder = Pick<
  WorkflowTracerService,
  "startNode" | "endNode" | "traceNode" | "traceToolCall" | "withToolCall" | "annotateNode" | "recordEvent"
>

/** The recording members over a tracer's state. */
export const make = (state: TracerState): Recorder => {
  const { autoToolCalls, now } = state
  return {
    startNode: (options) =>
      Effect.withFiberRuntime((fiber) => {
        const cursor = fiber.getFiberRef(currentCursor)
        const parent = cursor?.node
        const trace = traceOf(state, cursor?.trace, parent)
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

    traceNode: (options) =>
      Effect.withFiberRuntime((fiber) => {
        const cursor = fiber.getFiberRef(currentCursor)
        const trace = traceOf(state, cursor?.trace, cursor?.node)
        if (trace === undefined) return Effect.fail(noActiveTrace)
        const endTime = now()
        const duration = options.durationSeconds ?? 0
        const explicit = (options.toolCalls ?? []).map((call) => makeToolCall(call, endTime))
        const toolCalls = autoToolCalls && trace.pendingToolCalls.length > 0
          ? [...trace.pendingToolCalls, ...explicit]
          : explicit
        if (autoToolCalls) trace.pendingToolCalls = []
        const node = new OpenNode(
          trace,
          options.nodeId,
          options.nodeType,
          options.timestamp ?? endTime - duration,
          options.inputs ?? emptyObject,
          options.metadata ?? emptyObject,
          undefined,
          toolCalls
        )
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
        const trace = traceOf(state, cursor?.trace, node)
        if (trace === undefined) return Effect.fail(noActiveTrace)
        const endTime = now()
        return recordToolCall(autoToolCalls, trace, node, makeToolCall(options, endTime), endTime)
      }),

    withToolCall: <E, R>(
      toolName: string,
      inputs: JsonObject,
      effect: Effect.Effect<JsonObject, E, R>,
      describeError?: (error: E) => string | FailedToolCall
    ) =>
      Effect.withFiberRuntime<JsonObject, E | TracerError, R>((fiber) => {
        const cursor = fiber.getFiberRef(currentCursor)
        const node = cursor?.node
        const trace = traceOf(state, cursor?.trace, node)
        if (trace === undefined) return Effect.fail(noActiveTrace)
        if (cursor === undefined || trace.handlers.length > 0) {
          return withToolCallGuarded(state, toolName, inputs, effect, describeError)
        }
        // The fast path (see the module's header).
        const start = now()
        const owner = ownerOf(autoToolCalls, trace, node)
        const call = new OpenToolCall(trace, node, owner, autoToolCalls, toolName, inputs, start, cursor.call)
        trace.events.toolCallStarted(toolName, owner?.nodeId, start)
        trace.persistence?.wake()
        // With an Effect span bridge, the call is marked in the fiber so that the spans made inside it are its own.
        if (spanBridge.installed) cursor.call = call
        const open = cursor.open ?? openScopesOf(fiber, cursor)
        const depth = open.length
        open.push(call)
        return Effect.matchCauseEffect(effect, {
          onFailure: (cause) => {
            leaveOpen(open, depth, cursor)
            const endTime = now()
            const described = describeFailure(cause, describeError)
            const record = typeof described === "string"
              ? toolCallRecord(toolName, inputs, emptyObject, endTime - start, false, described, start)
              : toolCallRecord(toolName, inputs, described.outputs, endTime - start, false, described.error, start)
            endToolCall(cursor, call, record, endTime)
            return Effect.failCause(cause)
          },
          onSuccess: (outputs) => {
            leaveOpen(open, depth, cursor)
            const endTime = now()
            endToolCall(
              cursor,
              call,
              toolCallRecord(toolName, inputs, outputs ?? emptyObject, endTime - start, true, null, start),
              endTime
            )
            return Effect.succeed(outputs)
          }
        })
      }),

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
        const trace = traceOf(state, cursor?.trace, cursor?.node)
        if (trace === undefined) return Effect.fail(noActiveTrace)
        return emit(trace, { eventType, timestamp: now(), ...options })
      })
  }
}
