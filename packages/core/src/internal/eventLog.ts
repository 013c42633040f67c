/**
 * The execution events of a running trace, kept compact. Every node produces the same three events (node started,
 * tool call completed or failed, node completed or failed), and they say nothing its records do not: the log keeps
 * a reference to the record (or the node id), the owning node id and the time, in three flat arrays, and builds the
 * event objects only when someone reads them. Event objects were most of a trace's heap and half of the cost of
 * recording a node. Any other event is stored as the object it is.
 */
import { type ExecutionEvent, ExecutionEventType } from "../ExecutionEvent.ts"
import type { NodeTraceRecord, ToolCallRecord } from "../WorkflowTrace.ts"

// What an entry refers to: a node id (node started), a node record (node ended), a tool-call record (tool call ended),
// or a ready event.
type Entry = string | NodeTraceRecord | ToolCallRecord | ExecutionEvent

const isEvent = (entry: object): entry is ExecutionEvent => "eventType" in entry
const isNodeRecord = (entry: object): entry is NodeTraceRecord => "nodeType" in entry
const isToolCall = (entry: Entry): entry is ToolCallRecord =>
  typeof entry !== "string" && !isEvent(entry) && !isNodeRecord(entry)

export class EventLog {
  // The entries in order, one slot each, except a tool call's, which is followed by the id of the node that made it
  // (or undefined). One array, so that logging an event is one or two pushes.
  private readonly entries: Array<Entry | undefined> = []
  // The time of each event, unboxed. Small at first: a typed array's buffer is costly to allocate (a zeroed block
  // outside the heap), and most traces are short; it doubles as it fills.
  private times = new Float64Array(32)
  private count = 0
  // Where the newest event's entry starts, for `last`.
  private lastStart = -1
  // The events built so far, in order, and how far into `entries` they go.
  private readonly built: Array<ExecutionEvent> = []
  private builtUpTo = 0

  /** How many events were logged. */
  get length(): number {
    return this.count
  }

  private time(timestamp: number): void {
    if (this.count === this.times.length) {
      const grown = new Float64Array(this.times.length * 2)
      grown.set(this.times)
      this.times = grown
    }
    this.times[this.count++] = timestamp
  }

  /** Logs a ready event. */
  push(event: ExecutionEvent): void {
    this.lastStart = this.entries.length
    this.entries.push(event)
    this.time(event.timestamp)
  }

  /** Logs `node_started` for a node id at a time. */
  nodeStarted(nodeId: string, timestamp: number): void {
    this.lastStart = this.entries.length
    this.entries.push(nodeId)
    this.time(timestamp)
  }

  /** Logs `node_completed` or `node_failed` for a record closed at `endTime`. */
  nodeEnded(record: NodeTraceRecord, endTime: number): void {
    this.lastStart = this.entries.length
    this.entries.push(record)
    this.time(endTime)
  }

  /** Logs `tool_call_completed` or `tool_call_failed` for a record that ended at `endTime`, made by `nodeId`. */
  toolCallEnded(record: ToolCallRecord, nodeId: string | undefined, endTime: number): void {
    this.lastStart = this.entries.length
    this.entries.push(record)
    this.entries.push(nodeId)
    this.time(endTime)
  }

  /** The newest event. */
  last(): ExecutionEvent {
    if (this.count === 0) throw new Error("EventLog.last: no events")
    return this.count <= this.built.length ? this.built[this.count - 1]! : this.build(this.lastStart, this.count - 1)
  }

  /** The event at an index. Events are built in order and kept, so reading them in order builds each once. */
  at(index: number): ExecutionEvent {
    if (index < 0 || index >= this.count) throw new RangeError(`EventLog.at: no event ${index} of ${this.count}`)
    this.buildUpTo(index + 1)
    return this.built[index]!
  }

  /** The events logged so far, as a new array. */
  toArray(): Array<ExecutionEvent> {
    this.buildUpTo(this.count)
    return this.built.slice(0, this.count)
  }

  private buildUpTo(count: number): void {
    const entries = this.entries
    let position = this.builtUpTo
    for (let index = this.built.length; index < count; index++) {
      this.built.push(this.build(position, index))
      position += isToolCall(entries[position]!) ? 2 : 1
    }
    this.builtUpTo = position
  }

  private build(position: number, index: number): ExecutionEvent {
    const entry = this.entries[position]!
    const timestamp = this.times[index]!
    if (typeof entry === "string") return { eventType: ExecutionEventType.NODE_STARTED, timestamp, nodeId: entry }
    if (isEvent(entry)) return entry
    if (isNodeRecord(entry)) {
      return entry.success
        ? {
          eventType: ExecutionEventType.NODE_COMPLETED,
          timestamp,
          nodeId: entry.nodeId,
          status: "success",
          durationSeconds: entry.durationSeconds
        }
        : {
          eventType: ExecutionEventType.NODE_FAILED,
          timestamp,
          nodeId: entry.nodeId,
          status: "failed",
          durationSeconds: entry.durationSeconds,
          error: entry.error ?? "failed"
        }
    }
    return toolCallEvent(entry, this.entries[position + 1] as string | undefined, timestamp)
  }
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
