/**
 * The trace model: a workflow run with its node records and tool-call records, in the guide's JSON wire format
 * ("Trace Structure"). TypeScript fields are camelCase; encoded JSON uses the guide's snake_case keys.
 *
 * Fields that older or foreign trace files (e.g. Victor's Python engine) may lack decode to defaults, so such files
 * load; anything of the wrong type fails to decode with an error naming the field.
 */
import * as Schema from "effect/Schema"
import { ExecutionEvent, type ExecutionEventType } from "./ExecutionEvent.ts"
import { JsonObject } from "./Json.ts"

/** The version of the trace format written by this package. */
export const SCHEMA_VERSION = 1

const emptyJson = () => ({})
const withDefaultObject = Schema.optionalWith(JsonObject, { default: emptyJson, nullable: true })
const nullableError = Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null })

/** One tool invocation: its name, inputs, outputs, timing and outcome. */
export const ToolCallRecord = Schema.Struct({
  toolName: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("tool_name")),
  inputs: withDefaultObject,
  outputs: withDefaultObject,
  durationSeconds: Schema.propertySignature(Schema.Number).pipe(Schema.fromKey("duration_seconds")),
  success: Schema.Boolean,
  error: nullableError,
  timestamp: Schema.optionalWith(Schema.Number, { default: () => 0 })
}).annotations({ identifier: "ToolCallRecord" })

/** One tool invocation. */
export interface ToolCallRecord extends Schema.Schema.Type<typeof ToolCallRecord> {}

/** One node execution: what went in, what came out, how long it took, the tool calls it made. */
export const NodeTraceRecord = Schema.Struct({
  nodeId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("node_id")),
  nodeType: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("node_type")),
  timestamp: Schema.Number,
  durationSeconds: Schema.propertySignature(Schema.Number).pipe(Schema.fromKey("duration_seconds")),
  success: Schema.Boolean,
  error: nullableError,
  inputs: withDefaultObject,
  outputs: withDefaultObject,
  toolCalls: Schema.optionalWith(Schema.Array(ToolCallRecord), { default: () => [] }).pipe(
    Schema.fromKey("tool_calls")
  ),
  metadata: withDefaultObject
}).annotations({ identifier: "NodeTraceRecord" })

/** One node execution. */
export interface NodeTraceRecord extends Schema.Schema.Type<typeof NodeTraceRecord> {}

/** Where a run stands: running while it executes, then how it ended; `incomplete` is a run recovered after a crash. */
export const TraceStatus = Schema.Literal("running", "succeeded", "failed", "cancelled", "incomplete")

/** Where a run stands. */
export type TraceStatus = typeof TraceStatus.Type

/** A whole workflow run. */
export const WorkflowTrace = Schema.Struct({
  schemaVersion: Schema.optionalWith(Schema.Number, { default: () => SCHEMA_VERSION }).pipe(
    Schema.fromKey("schema_version")
  ),
  traceId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("trace_id")),
  workflowName: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("workflow_name")),
  status: Schema.optionalWith(TraceStatus, { default: () => "succeeded" as const }),
  startTime: Schema.propertySignature(Schema.Number).pipe(Schema.fromKey("start_time")),
  endTime: Schema.optionalWith(Schema.NullOr(Schema.Number), { default: () => null }).pipe(
    Schema.fromKey("end_time")
  ),
  durationSeconds: Schema.optionalWith(Schema.Number, { default: () => 0 }).pipe(Schema.fromKey("duration_seconds")),
  error: nullableError,
  inputs: withDefaultObject,
  outputs: withDefaultObject,
  metadata: withDefaultObject,
  parentTraceId: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }).pipe(
    Schema.fromKey("parent_trace_id")
  ),
  traceParent: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }).pipe(
    Schema.fromKey("trace_parent")
  ),
  nodes: Schema.optionalWith(Schema.Array(NodeTraceRecord), { default: () => [] }),
  events: Schema.optionalWith(Schema.Array(ExecutionEvent), { default: () => [] })
}).annotations({ identifier: "WorkflowTrace" })

/** A whole workflow run (camelCase TypeScript view). */
export interface WorkflowTrace extends Schema.Schema.Type<typeof WorkflowTrace> {}

/** A whole workflow run as written to JSON (the guide's keys). */
export interface WorkflowTraceEncoded extends Schema.Schema.Encoded<typeof WorkflowTrace> {}

/** Decodes an unknown JSON value into a trace (errors name the offending field). */
export const decodeUnknown = Schema.decodeUnknown(WorkflowTrace, { errors: "all", onExcessProperty: "ignore" })

/** Encodes a trace into its JSON shape. */
export const encode = Schema.encodeSync(WorkflowTrace)

/** Encodes one node record into its JSON shape. */
export const encodeNode = Schema.encodeSync(NodeTraceRecord)

/** The events of one node, in order (the guide's `trace.get_events_by_node`). */
export const getEventsByNode = (trace: WorkflowTrace, nodeId: string): ReadonlyArray<ExecutionEvent> =>
  trace.events.filter((event) => event.nodeId === nodeId)

/** The events of one type, in order (the guide's `trace.get_events_by_type`). */
export const getEventsByType = (
  trace: WorkflowTrace,
  eventType: ExecutionEventType
): ReadonlyArray<ExecutionEvent> => trace.events.filter((event) => event.eventType === eventType)

/** The nodes that failed, in order. */
export const failedNodes = (trace: WorkflowTrace): ReadonlyArray<NodeTraceRecord> =>
  trace.nodes.filter((node) => !node.success)

/** A short listing of a stored trace, enough to list and filter history without loading every node. */
export interface TraceSummary {
  readonly traceId: string
  readonly workflowName: string
  readonly status: TraceStatus
  readonly startTime: number
  readonly endTime: number | null
  readonly durationSeconds: number
  readonly nodeCount: number
  readonly failedNodeCount: number
}

/** The summary of a trace. */
export const summarize = (trace: WorkflowTrace): TraceSummary => ({
  traceId: trace.traceId,
  workflowName: trace.workflowName,
  status: trace.status,
  startTime: trace.startTime,
  endTime: trace.endTime,
  durationSeconds: trace.durationSeconds,
  nodeCount: trace.nodes.length,
  failedNodeCount: trace.nodes.reduce((count, node) => (node.success ? count : count + 1), 0)
})
