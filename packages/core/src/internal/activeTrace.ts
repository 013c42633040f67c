/**
 * Mutable bookkeeping for traces and nodes that are still open. Only the tracer touches these; everything it hands
 * out (node records, tool-call records, finished traces) is a plain immutable snapshot.
 */
import type { ExecutionEvent } from "../ExecutionEvent.ts"
import type { JsonObject } from "../Json.ts"
import type { TraceHandler } from "../TraceHandler.ts"
import type { NodeTraceRecord, ToolCallRecord, TraceStatus, WorkflowTrace } from "../WorkflowTrace.ts"
import { SCHEMA_VERSION } from "../WorkflowTrace.ts"

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
  readonly events: Array<ExecutionEvent>
  /** Nodes started and not yet ended, so that ending the trace can close them. */
  readonly openNodes: Set<OpenNode>
  /** Tool calls recorded outside any node; attached to the next `traceNode` (the guide's imperative style). */
  pendingToolCalls: Array<ToolCallRecord>
  /** The trace handlers in context when the trace started; they observe this trace only. */
  readonly handlers: ReadonlyArray<TraceHandler>
  ended: boolean
}

/** A node between `startNode` and `endNode`. */
export interface OpenNode {
  readonly trace: ActiveTrace
  readonly nodeId: string
  readonly nodeType: string
  readonly startTime: number
  readonly inputs: JsonObject
  readonly metadata: JsonObject
  readonly toolCalls: Array<ToolCallRecord>
  /** The node that was current when this one started (nested nodes, e.g. a parallel node's children). */
  readonly parent: OpenNode | undefined
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
): WorkflowTrace => ({
  schemaVersion: SCHEMA_VERSION,
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
  events: trace.events.slice()
})
