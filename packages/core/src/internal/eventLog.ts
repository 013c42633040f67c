/**
 * The execution events of a running trace, kept compact. Every node produces the same few events (node started, tool
 * call started, tool call completed or failed, node completed or failed), and they say nothing its records do not: the
 * log keeps a reference to the record (or the node id, or the tool's name), the owning node id and the time, in two flat
 * arrays, and builds the event objects only when someone reads them. Event objects were most of a trace's heap
 * and half of the cost of recording a node. Any other event is stored as the object it is.
 */
import { type ExecutionEvent, ExecutionEventType } from "../ExecutionEvent.ts"
import type { NodeTraceRecord, ToolCallRecord } from "../WorkflowTrace.ts"

// What an entry refers to: a node id (node started), a node record (node ended), a tool-call record (tool call ended,
// followed by the id of its node), the mark of a tool call's start (followed by the tool's name and the id of its
// node), or a ready event.
type Entry = string | NodeTraceRecord | ToolCallRecord | ExecutionEvent | typeof toolStartMark

// The mark of a `tool_call_started` entry.
const toolStartMark = { toolCallStarted: true } as const

const isEvent = (entry: object): entry is ExecutionEvent => "eventType" in entry
const isNodeRecord = (entry: object): entry is NodeTraceRecord => "nodeType" in entry

export class EventLog {
  // The entries in order, one slot each but for tool calls' (see `Entry`). One array, so that logging an event is a
  // push or two.
  private readonly entries: Array<Entry | undefined> = []
  // The time of each event. Only numbers go in, so V8 keeps them unboxed, 8 bytes each, on the heap: no number object
  // per event, and none of the cost of allocating a typed array's buffer (which short traces paid several times).
  private readonly times: Array<number> = []
  // Where the newest event's entry starts, for `last`.
  private lastStart = -1
  // The events built so far, in order, and how far into `entries` they go.
  private readonly built: Array<ExecutionEvent> = []
  private builtUpTo = 0

  /** How many events were logged. */
  get length(): number {
    return this.times.length
  }

  /** Logs a ready event. */
  push(event: ExecutionEvent): void {
    this.lastStart = this.entries.length
    this.entries.push(event)
    this.times.push(event.timestamp)
  }

  /** Logs `node_started` for a node id at a time. */
  nodeStarted(nodeId: string, timestamp: number): void {
    this.lastStart = this.entries.length
    this.entries.push(nodeId)
    this.times.push(timestamp)
  }

  /** Logs `node_completed` or `node_failed` for a record closed at `endTime`. */
  nodeEnded(record: NodeTraceRecord, endTime: number): void {
    this.lastStart = this.entries.length
    this.entries.push(record)
    this.times.push(endTime)
  }

  /** Logs `tool_call_started` for a tool started at a time by `nodeId`. */
  toolCallStarted(toolName: string, nodeId: string | undefined, timestamp: number): void {
    this.lastStart = this.entries.length
    this.entries.push(toolStartMark, toolName, nodeId)
    this.times.push(timestamp)
  }

  /** Logs `tool_call_completed` or `tool_call_failed` for a record that ended at `endTime`, made by `nodeId`. */
  toolCallEnded(record: ToolCallRecord, nodeId: string | undefined, endTime: number): void {
    this.lastStart = this.entries.length
    this.entries.push(record, nodeId)
    this.times.push(endTime)
  }

  /** The newest event. */
  last(): ExecutionEvent {
    const count = this.times.length
    if (count === 0) throw new Error("EventLog.last: no events")
    return count <= this.built.length ? this.built[count - 1]! : this.build(this.lastStart, count - 1)
  }

  /** The event at an index. Events are built in order and kept, so reading them in order builds each once. */
  at(index: number): ExecutionEvent {
    const count = this.times.length
    if (index < 0 || index >= count) throw new RangeError(`EventLog.at: no event ${index} of ${count}`)
    this.buildUpTo(index + 1)
    return this.built[index]!
  }

  /** The events logged so far, as a new array. */
  toArray(): Array<ExecutionEvent> {
    const count = this.times.length
    this.buildUpTo(count)
    return this.built.slice(0, count)
  }

  private buildUpTo(count: number): void {
    let position = this.builtUpTo
    for (let index = this.built.length; index < count; index++) {
      this.built.push(this.build(position, index))
      position += this.width(position)
    }
    this.builtUpTo = position
  }

  // How many entries the event at a position takes.
  private width(position: number): number {
    const entry = this.entries[position]!
    if (entry === toolStartMark) return 3
    return typeof entry === "string" || isEvent(entry) || isNodeRecord(entry) ? 1 : 2
  }

  private build(position: number, index: number): ExecutionEvent {
    const entries = this.entries
    const entry = entries[position]!
    const timestamp = this.times[index]!
    if (typeof entry === "string") return { eventType: ExecutionEventType.NODE_STARTED, timestamp, nodeId: entry }
    if (entry === toolStartMark) {
      return toolCallStartedEvent(entries[position + 1] as string, entries[position + 2] as string | undefined, timestamp)
    }
    if (isEvent(entry)) return entry
    if (isNodeRecord(entry)) return nodeEndedEvent(entry, timestamp)
    return toolCallEvent(entry as ToolCallRecord, entries[position + 1] as string | undefined, timestamp)
  }
}

/** The event of a started tool call, as `withToolCall` logs it. */
export const toolCallStartedEvent = (
  toolName: string,
  nodeId: string | undefined,
  timestamp: number
): ExecutionEvent =>
  nodeId === undefined
    ? { eventType: ExecutionEventType.TOOL_CALL_STARTED, timestamp, toolName }
    : { eventType: ExecutionEventType.TOOL_CALL_STARTED, timestamp, toolName, nodeId }

// The event of a closed node.
const nodeEndedEvent = (record: NodeTraceRecord, timestamp: number): ExecutionEvent =>
  record.success
    ? {
      eventType: ExecutionEventType.NODE_COMPLETED,
      timestamp,
      nodeId: record.nodeId,
      status: "success",
      durationSeconds: record.durationSeconds
    }
    : {
      eventType: ExecutionEventType.NODE_FAILED,
      timestamp,
      nodeId: record.nodeId,
      status: "failed",
      durationSeconds: record.durationSeconds,
      error: record.error ?? "failed"
    }

/** The event of a finished tool call. One object literal per shape, so that every event of a kind shares one. */
export const toolCallEvent = (
  record: ToolCallRecord,
  nodeId: string | undefined,
  endTime: number
): ExecutionEvent =>
  record.success
    ? nodeId === undefined
      ? {
        eventType: ExecutionEventType.TOOL_CALL_COMPLETED,
        timestamp: endTime,
        toolName: record.toolName,
        status: "success",
        durationSeconds: record.durationSeconds
      }
      : {
        eventType: ExecutionEventType.TOOL_CALL_COMPLETED,
        timestamp: endTime,
        toolName: record.toolName,
        status: "success",
        durationSeconds: record.durationSeconds,
        nodeId
      }
    : nodeId === undefined
    ? {
      eventType: ExecutionEventType.TOOL_CALL_FAILED,
      timestamp: endTime,
      toolName: record.toolName,
      status: "failed",
      durationSeconds: record.durationSeconds,
      error: record.error ?? "failed"
    }
    : {
      eventType: ExecutionEventType.TOOL_CALL_FAILED,
      timestamp: endTime,
      toolName: record.toolName,
      status: "failed",
      durationSeconds: record.durationSeconds,
      error: record.error ?? "failed",
      nodeId
    }
