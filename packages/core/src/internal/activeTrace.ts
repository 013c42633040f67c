/**
 * Mutable bookkeeping for traces and nodes that are still open. Only the tracer touches these; everything it hands
 * out (node records, tool-call records, finished traces) is a plain immutable snapshot.
 */
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"
import type { ExecutionEvent } from "../ExecutionEvent.ts"
import { emptyObject, type JsonObject } from "../Json.ts"
import type { EventLog } from "./eventLog.ts"
import type { Persistence } from "./journalWriter.ts"
import type { TraceHandler } from "../TraceHandler.ts"
import type { NodeTraceRecord, SpanRecord, ToolCallRecord, TraceStatus, WorkflowTrace } from "../WorkflowTrace.ts"
import { schemaVersionFor } from "../WorkflowTrace.ts"

/** A trace between `startTrace` and `endTrace`. */
export interface ActiveTrace {
  readonly traceId: string
  readonly workflowName: string
  readonly startTime: number
  readonly inputs: JsonObject
  readonly metadata: JsonObject
  readonly parentTraceId: string | null
  readonly traceParent: string | null
  readonly nodes: Array<NodeTraceRecord>
  /** Its events, compact until read (see `EventLog`). */
  readonly events: EventLog
  /**
   * The newest node started and not yet ended; with `OpenNode.previousOpen` the list ending the trace closes. A list
   * threaded through the nodes costs no hashing and no allocation per node, unlike a `Set`.
   */
  lastOpen: OpenNode | undefined
  /** Tool calls recorded outside any node; attached to the next `traceNode` (the guide's imperative style). */
  pendingToolCalls: Array<ToolCallRecord>
  /** The trace handlers in context when the trace started; they observe this trace only. */
  readonly handlers: ReadonlyArray<TraceHandler>
  ended: boolean
  /** The trace as `endTrace` returned it, once ended. */
  final: WorkflowTrace | undefined
  /** Its journal and redactor, set right after it starts (see `journalWriter.ts`). */
  persistence?: Persistence | undefined
  /** The tracer's clock (unix seconds), which Effect spans recorded into the trace read as its nodes do. */
  readonly now: () => number
  /** Effect spans that ended outside any node (see `EffectSpans`); absent until the first. */
  spans: Array<SpanRecord> | undefined
  /** How many Effect spans the trace holds anywhere: a trace with any is written as schema version 2. */
  spanCount: number
  /** How many of its nodes failed, so that ending a long trace need not look through its nodes. */
  failedNodes: number
}

/**
 * A node between `startNode` and `endNode`. A class rather than an object literal: one is made for every node, and a
 * constructor makes it with its fields laid out once (see `records.ts`).
 */
export class OpenNode {
  /**
   * Its tool calls; absent until the first, which arrives as a one-element array (a pushed-to empty array would keep
   * room for 17). Once the node is closed this is the very array its record holds, so late calls still land there.
   */
  declare toolCalls: Array<ToolCallRecord> | undefined
  /** Its record, once closed. */
  declare record: NodeTraceRecord | undefined
  /** Whether the node is still in its trace's list of open nodes. */
  declare open: boolean
  declare previousOpen: OpenNode | undefined
  declare nextOpen: OpenNode | undefined
  /** The cursor of the fiber that opened it through `NodeLoop.open`, which `NodeLoop.close` gives back. */
  declare cursor: Cursor | undefined
  /**
   * Its Effect spans (see `EffectSpans`); absent until the first. Once the node is closed this is the very array its
   * record holds, so that spans ending later (in a fiber the node forked) still land there, as tool calls do.
   */
  declare spans: Array<SpanRecord> | undefined

  constructor(
    readonly trace: ActiveTrace,
    readonly nodeId: string,
    readonly nodeType: string,
    readonly startTime: number,
    readonly inputs: JsonObject,
    /** Replaced (never mutated) by `annotateNode`, so records already handed out keep what they had. */
    public metadata: JsonObject,
    /** The node that was current when this one started (nested nodes, e.g. a parallel node's children). */
    readonly parent: OpenNode | undefined,
    toolCalls: Array<ToolCallRecord> | undefined
  ) {
    this.toolCalls = toolCalls
    this.record = undefined
    this.open = false
    this.previousOpen = undefined
    this.nextOpen = undefined
    this.cursor = undefined
    this.spans = undefined
  }
}

/**
 * A tool call between its start and its end in `withToolCall`. The Effect spans made inside it are its own (see
 * `EffectSpans`): its record is made when it ends, with the spans it has by then; later ones join the record's array.
 * On `withToolCall`'s fast path it also sits on its fiber's list of open scopes (see `Cursor.open`), so that a call
 * an interruption abandoned is still recorded, as cancelled.
 */
export class OpenToolCall {
  declare spans: Array<SpanRecord> | undefined
  declare record: ToolCallRecord | undefined
  /** Until it is recorded: its end, or its cancellation once abandoned by an interruption. */
  declare open: boolean

  constructor(
    readonly trace: ActiveTrace,
    /** The node that was current in the fiber when the call started: a node opened inside the call takes its spans. */
    readonly node: OpenNode | undefined,
    /** The node its record joins (the tracer's `autoToolCalls`), else undefined. */
    readonly owner: OpenNode | undefined,
    /** Whether a call outside any node waits for the next `traceNode` (the tracer's `autoToolCalls`). */
    readonly pending: boolean,
    readonly toolName: string,
    readonly inputs: JsonObject,
    readonly startTime: number,
    /** The call that was running in the fiber around this one, given back when it ends (with a span bridge). */
    readonly outer: OpenToolCall | undefined
  ) {
    this.spans = undefined
    this.record = undefined
    this.open = true
  }
}

/** Adds a node to its trace's open nodes. */
export const addOpen = (trace: ActiveTrace, node: OpenNode): void => {
  node.open = true
  node.previousOpen = trace.lastOpen
  if (trace.lastOpen !== undefined) trace.lastOpen.nextOpen = node
  trace.lastOpen = node
}

/** Removes a node from its trace's open nodes; nothing when it is no longer there. */
export const removeOpen = (trace: ActiveTrace, node: OpenNode): void => {
  if (!node.open) return
  node.open = false
  const { nextOpen, previousOpen } = node
  if (previousOpen !== undefined) previousOpen.nextOpen = nextOpen
  if (nextOpen !== undefined) nextOpen.previousOpen = previousOpen
  else trace.lastOpen = previousOpen
  node.previousOpen = undefined
  node.nextOpen = undefined
}

/** The open nodes of a trace, newest first. */
export const openNodesNewestFirst = (trace: ActiveTrace): Array<OpenNode> => {
  const nodes: Array<OpenNode> = []
  for (let node = trace.lastOpen; node !== undefined; node = node.previousOpen) nodes.push(node)
  return nodes
}

/**
 * A fiber's place in the traces: its current trace and current node. It is the value of a FiberRef, but mutated in
 * place by the fiber that holds it, so that starting and ending a node does not copy the fiber's FiberRefs. A fork
 * gives the child its own copy (`forkCursor`), so fibers never share one: concurrent nodes never mix. Joining a child
 * updates the parent's cursor in place too (`joinCursor`), so a fiber keeps one cursor from its first trace on.
 */
export interface Cursor {
  trace: ActiveTrace | undefined
  node: OpenNode | undefined
  /** What the cursor held when its fiber was forked: joining adopts only what the child changed. */
  readonly forkedTrace: ActiveTrace | undefined
  readonly forkedNode: OpenNode | undefined
  /**
   * The nodes and tool calls this cursor's fiber has open through the fast paths of `withNode` and `withToolCall` or
   * through `NodeLoop.open`, innermost last (see `recorder.ts`); made on the fiber's first one. Never handed to a
   * forked child, which has scopes of its own.
   */
  open: Array<OpenNode | OpenToolCall> | undefined
  /** The tool call running in this fiber (`withToolCall`), which a forked child inherits; never adopted at a join. */
  call: OpenToolCall | undefined
}

/** A new cursor, for a fiber that has none. */
export const makeCursor = (trace: ActiveTrace | undefined, node: OpenNode | undefined): Cursor => ({
  trace,
  node,
  forkedTrace: undefined,
  forkedNode: undefined,
  open: undefined,
  call: undefined
})

/** The child's cursor at a fork: the parent's place at that moment, in a cursor of its own. */
export const forkCursor = (parent: Cursor | undefined): Cursor | undefined =>
  parent === undefined ? undefined : {
    trace: parent.trace,
    node: parent.node,
    forkedTrace: parent.trace,
    forkedNode: parent.node,
    open: undefined,
    call: parent.call
  }

/**
 * The parent's cursor after joining a child: the parent keeps its own place, except for a trace or node the child
 * started and left current (as a plain FiberRef would hand it over).
 */
export const joinCursor = (parent: Cursor | undefined, child: Cursor | undefined): Cursor | undefined => {
  if (child === undefined) return parent
  const traceChanged = child.trace !== child.forkedTrace
  const nodeChanged = child.node !== child.forkedNode
  if (!traceChanged && !nodeChanged) return parent
  if (parent === undefined) {
    return {
      trace: traceChanged ? child.trace : undefined,
      node: nodeChanged ? child.node : undefined,
      forkedTrace: undefined,
      forkedNode: undefined,
      open: undefined,
      call: undefined
    }
  }
  // The parent's own cursor (only the joining fiber holds it), kept so that what refers to it stays right.
  if (traceChanged) parent.trace = child.trace
  if (nodeChanged) parent.node = child.node
  return parent
}

/**
 * The calling fiber's current trace and node, in one cursor that the fiber updates in place (see `Cursor`): a
 * FiberRef set per node would copy all of the fiber's FiberRefs twice per node. Read by the tracer and by the Effect
 * span bridge (`EffectSpans`).
 */
export const currentCursor = globalValue(
  "@victor/core/WorkflowTracer/currentCursor",
  () => FiberRef.unsafeMake<Cursor | undefined>(undefined, { fork: forkCursor, join: joinCursor })
)

/**
 * Whether an Effect span bridge (`EffectSpans`) has been made in this process: only then does `withToolCall` mark
 * the tool call running in its fiber, so that without one a tool call costs nothing more than it did.
 */
export const spanBridge = globalValue("@victor/core/EffectSpans/installed", () => ({ installed: false }))

/** What holds an Effect span: the tool call, node or trace that was innermost in its fiber when it started. */
export type SpanOwner =
  | { readonly _tag: "ToolCall"; readonly trace: ActiveTrace; readonly call: OpenToolCall }
  | { readonly _tag: "Node"; readonly trace: ActiveTrace; readonly node: OpenNode }
  | { readonly _tag: "Trace"; readonly trace: ActiveTrace }

/**
 * What a span starting in a fiber with this cursor belongs to, or undefined outside any open trace: the tool call
 * running in the fiber (unless a node opened inside it is current), else the fiber's node, else its trace. The trace is
 * chosen as the tracer chooses it for a tool call (the current node's, else the fiber's), never another fiber's.
 */
export const spanOwnerOf = (cursor: Cursor | undefined): SpanOwner | undefined => {
  if (cursor === undefined) return undefined
  const node = cursor.node
  const trace = node !== undefined && !node.trace.ended
    ? node.trace
    : cursor.trace !== undefined && !cursor.trace.ended
    ? cursor.trace
    : undefined
  if (trace === undefined) return undefined
  const call = cursor.call
  if (call !== undefined && call.trace === trace && call.node === node) return { _tag: "ToolCall", trace, call }
  if (node !== undefined && node.trace === trace) return { _tag: "Node", trace, node }
  return { _tag: "Trace", trace }
}

/** Whether two owners are the same tool call, node or trace. */
export const sameOwner = (a: SpanOwner, b: SpanOwner): boolean =>
  a._tag === "ToolCall"
    ? b._tag === "ToolCall" && a.call === b.call
    : a._tag === "Node"
    ? b._tag === "Node" && a.node === b.node
    : b._tag === "Trace" && a.trace === b.trace

/**
 * Records a finished span with its owner and asks the journal to write it. A span that ends after its owner (in a
 * fiber the owner forked) joins the array the owner's record holds; one that ends after its trace is not recorded.
 */
export const addSpan = (owner: SpanOwner, span: SpanRecord): boolean => {
  const trace = owner.trace
  if (trace.ended) return false
  switch (owner._tag) {
    case "ToolCall": {
      const call = owner.call
      if (call.spans !== undefined) call.spans.push(span)
      else {
        call.spans = [span]
        if (call.record !== undefined) (call.record as { spans?: ReadonlyArray<SpanRecord> }).spans = call.spans
      }
      break
    }
    case "Node": {
      const node = owner.node
      if (node.spans !== undefined) node.spans.push(span)
      else {
        node.spans = [span]
        if (node.record !== undefined) (node.record as { spans?: ReadonlyArray<SpanRecord> }).spans = node.spans
      }
      break
    }
    case "Trace": {
      if (trace.spans !== undefined) trace.spans.push(span)
      else trace.spans = [span]
      break
    }
  }
  trace.spanCount++
  trace.persistence?.wakeUnannounced()
  return true
}

/** A snapshot of an active trace as a `WorkflowTrace` with the given end state. */
export const snapshot = (
  trace: ActiveTrace,
  end: {
    readonly status: TraceStatus
    readonly endTime: number | null
    readonly outputs: JsonObject
    readonly error: string | null
  }
): WorkflowTrace => {
  // The events are built when first read: a trace that is only stored in memory, or only summarised, never pays for
  // them. The snapshot reads the log as it is now, however long the trace goes on.
  const log = trace.events
  const eventCount = log.length
  let events: ReadonlyArray<ExecutionEvent> | undefined
  const spans = trace.spans
  const snap: WorkflowTrace = {
  schemaVersion: schemaVersionFor(trace.spanCount > 0),
  traceId: trace.traceId,
  workflowName: trace.workflowName,
  status: end.status,
  startTime: trace.startTime,
  endTime: end.endTime,
  durationSeconds: end.endTime === null ? 0 : end.endTime - trace.startTime,
  error: end.error,
  inputs: trace.inputs,
  outputs: end.outputs,
  metadata: trace.metadata,
  parentTraceId: trace.parentTraceId,
  traceParent: trace.traceParent,
  nodes: trace.nodes.slice(),
  get events(): ReadonlyArray<ExecutionEvent> {
    if (events === undefined) {
      const all = log.toArray()
      events = all.length === eventCount ? all : all.slice(0, eventCount)
    }
    return events
  }
}
  // Only a trace with spans of its own has the key, so that every other trace is what it was before spans existed.
  if (spans !== undefined) (snap as { spans?: ReadonlyArray<SpanRecord> }).spans = spans.slice()
  return snap
}
