/**
 * Recording nodes and tool calls: opening and closing node records, tool-call records, annotations and free-form
 * events, and the tracer members made of them (`startNode`, `endNode`, `traceNode`, `traceToolCall`,
 * `withToolCall`, `annotateNode`, `recordEvent`; `withNode` is in `nodeScope.ts`).
 *
 * A fiber's place (its trace and node) is its cursor (see `activeTrace.ts`), updated in place: recording a node costs
 * no FiberRef copy. Records are built by constructors (see `records.ts`); events go to the trace's compact log.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import { type ExecutionEvent, ExecutionEventType } from "../ExecutionEvent.ts"
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
  type OpenNode,
  type OpenToolCall,
  removeOpen,
  spanBridge
} from "./activeTrace.ts"
import { emit, lastEventHooks, nodeHooks, runHooks, toolCallHooks } from "./hooks.ts"
import { NodeRecord, ToolCall } from "./records.ts"
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
  const node: OpenNode = {
    trace,
    nodeId: options.nodeId,
    nodeType: options.nodeType,
    startTime: trace.now(),
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
  removeOpen(trace, node)
  node.record = record
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
  autoToolCalls: boolean,
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
  return Effect.as(toolCallHooks(trace, record, owner?.nodeId), record)
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
      Effect.uninterruptibleMask((restore) =>
        Effect.withFiberRuntime<JsonObject, E | TracerError, R>((fiber) => {
          const cursor = fiber.getFiberRef(currentCursor)
          const node = cursor?.node
          const trace = traceOf(state, cursor?.trace, node)
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
              return Effect.zipRight(recordToolCall(autoToolCalls, trace, node, record, endTime), Effect.failCause(cause))
            },
            onSuccess: (outputs) => {
              const endTime = now()
              const record = new ToolCall(toolName, inputs, outputs ?? emptyObject, endTime - start, true, null, start)
              if (call !== undefined) leaveToolCall(fiber, call, outer, record)
              return Effect.as(recordToolCall(autoToolCalls, trace, node, record, endTime), outputs)
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
        const trace = traceOf(state, cursor?.trace, cursor?.node)
        if (trace === undefined) return Effect.fail(noActiveTrace)
        return emit(trace, { eventType, timestamp: now(), ...options })
      })
  }
}
