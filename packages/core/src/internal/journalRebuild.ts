/**
 * Rebuilding a trace from its journal (`Journal.rebuild`): every event, every finished node, and the nodes still open
 * closed as failed. Kept apart from the line format, which it never reads; `Journal` re-exports it.
 */
import type { ExecutionEvent } from "../ExecutionEvent.ts"
import type { JournalEntry, JournalHeader, StartedNode } from "../Journal.ts"
import { emptyObject } from "../Json.ts"
import {
  type NodeTraceRecord,
  schemaVersionFor,
  type SpanRecord,
  type ToolCallRecord,
  type TraceStatus,
  type WorkflowTrace
} from "../WorkflowTrace.ts"

/** The error of a trace rebuilt from the journal of a run that stopped. */
export const INCOMPLETE_ERROR = "the run stopped before it finished (recovered from its journal)"

/** The error of a node still open when its run stopped. */
export const UNFINISHED_NODE_ERROR = "the run stopped before this node finished"

interface OpenNode {
  readonly nodeId: string
  readonly timestamp: number
  readonly toolCalls: Array<ToolCallRecord>
  readonly spans: Array<SpanRecord>
  started: StartedNode | undefined
}

/**
 * The trace a journal holds: every event, every finished node, and each node still open closed as failed with the
 * tool calls it had finished. `status` is `running` for a live journal and `incomplete` for one whose run is gone;
 * `lastAlive` (unix seconds, e.g. the journal's last heartbeat) says until when the run was seen alive, so that the
 * durations of a recovered trace and of its unfinished nodes reach that far.
 */
export const rebuild = (
  header: JournalHeader,
  entries: ReadonlyArray<JournalEntry>,
  status: Extract<TraceStatus, "running" | "incomplete">,
  lastAlive?: number
): WorkflowTrace => {
  const events: Array<ExecutionEvent> = []
  const nodes: Array<NodeTraceRecord> = []
  const spans: Array<SpanRecord> = []
  let anySpans = false
  // Open nodes by id, a stack each: a node can run again (loops) and nested nodes can share nothing but the trace.
  const open = new Map<string, Array<OpenNode>>()
  let last = header.startTime
  const see = (timestamp: number) => {
    if (timestamp > last) last = timestamp
  }
  for (const entry of entries) {
    switch (entry._tag) {
      case "Event": {
        const e = entry.event
        events.push(e)
        see(e.timestamp)
        if (e.eventType === "node_started" && e.nodeId !== undefined) {
          const stack = open.get(e.nodeId)
          const started: OpenNode = {
            nodeId: e.nodeId,
            timestamp: e.timestamp,
            toolCalls: [],
            spans: [],
            started: undefined
          }
          if (stack === undefined) open.set(e.nodeId, [started])
          else stack.push(started)
        }
        break
      }
      case "NodeStarted": {
        const stack = open.get(entry.node.nodeId)
        const top = stack?.[stack.length - 1]
        if (top !== undefined && top.started === undefined) top.started = entry.node
        break
      }
      case "Node": {
        nodes.push(entry.node)
        see(entry.node.timestamp + entry.node.durationSeconds)
        open.get(entry.node.nodeId)?.pop()
        if (entry.node.spans !== undefined || entry.node.toolCalls.some((call) => call.spans !== undefined)) {
          anySpans = true
        }
        break
      }
      case "ToolCall": {
        see(entry.toolCall.timestamp + entry.toolCall.durationSeconds)
        if (entry.toolCall.spans !== undefined) anySpans = true
        if (entry.nodeId !== undefined) {
          const stack = open.get(entry.nodeId)
          stack?.[stack.length - 1]?.toolCalls.push(entry.toolCall)
        }
        break
      }
      case "Span": {
        see(entry.span.timestamp + entry.span.durationSeconds)
        anySpans = true
        if (entry.nodeId === undefined) spans.push(entry.span)
        else {
          const stack = open.get(entry.nodeId)
          stack?.[stack.length - 1]?.spans.push(entry.span)
        }
        break
      }
    }
  }
  if (lastAlive !== undefined) see(lastAlive)
  const unfinished = Array.from(open.values()).flat().sort((a, b) => a.timestamp - b.timestamp)
  for (const node of unfinished) {
    nodes.push({
      nodeId: node.nodeId,
      nodeType: node.started?.nodeType ?? "unknown",
      timestamp: node.timestamp,
      durationSeconds: Math.max(0, last - node.timestamp),
      success: status === "running",
      error: status === "running" ? null : UNFINISHED_NODE_ERROR,
      inputs: node.started?.inputs ?? emptyObject,
      outputs: emptyObject,
      toolCalls: node.toolCalls,
      metadata: { unfinished: true },
      ...(node.spans.length === 0 ? {} : { spans: node.spans })
    })
  }
  return {
    schemaVersion: anySpans ? Math.max(header.schemaVersion, schemaVersionFor(true)) : header.schemaVersion,
    traceId: header.traceId,
    workflowName: header.workflowName,
    status,
    startTime: header.startTime,
    endTime: status === "running" ? null : last,
    durationSeconds: last - header.startTime,
    error: status === "running" ? null : INCOMPLETE_ERROR,
    inputs: header.inputs,
    outputs: emptyObject,
    metadata: header.metadata,
    parentTraceId: header.parentTraceId,
    traceParent: header.traceParent,
    nodes,
    events,
    ...(spans.length === 0 ? {} : { spans })
  }
}
