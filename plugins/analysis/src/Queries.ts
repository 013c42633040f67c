/**
 * The guide's trace queries ("Trace Queries", "Filtering Traces") as functions: events by node, events by type,
 * failed nodes, nodes slower than a threshold, nodes with tool calls. Results keep trace order.
 */
import type { ExecutionEvent, ExecutionEventType } from "@victor/core/ExecutionEvent"
import * as WorkflowTrace from "@victor/core/WorkflowTrace"

/** The events of one node, in order (the guide's `trace.get_events_by_node("agent_1")`). */
export const eventsByNode = (trace: WorkflowTrace.WorkflowTrace, nodeId: string): ReadonlyArray<ExecutionEvent> =>
  WorkflowTrace.getEventsByNode(trace, nodeId)

/** The events of one type, in order (the guide's `trace.get_events_by_type(ExecutionEventType.NODE_FAILED)`). */
export const eventsByType = (
  trace: WorkflowTrace.WorkflowTrace,
  eventType: ExecutionEventType
): ReadonlyArray<ExecutionEvent> => WorkflowTrace.getEventsByType(trace, eventType)

/** The nodes that failed (`not node.success`). */
export const failedNodes = (trace: WorkflowTrace.WorkflowTrace): ReadonlyArray<WorkflowTrace.NodeTraceRecord> =>
  WorkflowTrace.failedNodes(trace)

/** The nodes that took strictly longer than `seconds` (the guide's `node.duration_seconds > 1.0`). */
export const slowerThan = (
  trace: WorkflowTrace.WorkflowTrace,
  seconds: number
): ReadonlyArray<WorkflowTrace.NodeTraceRecord> => trace.nodes.filter((node) => node.durationSeconds > seconds)

/** The nodes that made at least one tool call. */
export const withToolCalls = (trace: WorkflowTrace.WorkflowTrace): ReadonlyArray<WorkflowTrace.NodeTraceRecord> =>
  trace.nodes.filter((node) => node.toolCalls.length > 0)

/** The records of one node id (every iteration and attempt), in trace order. */
export const nodesById = (
  trace: WorkflowTrace.WorkflowTrace,
  nodeId: string
): ReadonlyArray<WorkflowTrace.NodeTraceRecord> => trace.nodes.filter((node) => node.nodeId === nodeId)
