/**
 * Execution events: the ordered stream of what happened during a workflow run (the guide's "Trace Queries" and
 * "Real-time Monitoring"). A trace's `events` is this stream; its `nodes` are derived from it.
 */
import * as Schema from "effect/Schema"
import { JsonObject } from "./Json.ts"

/** Every kind of execution event: Victor's own values plus Victor-TS additions (tool calls, models, people). */
export const ExecutionEventType = {
  WORKFLOW_STARTED: "workflow_started",
  WORKFLOW_COMPLETED: "workflow_completed",
  WORKFLOW_FAILED: "workflow_failed",
  WORKFLOW_PAUSED: "workflow_paused",
  WORKFLOW_RESUMED: "workflow_resumed",
  WORKFLOW_CANCELLED: "workflow_cancelled",
  NODE_STARTED: "node_started",
  NODE_COMPLETED: "node_completed",
  NODE_FAILED: "node_failed",
  NODE_SKIPPED: "node_skipped",
  NODE_PAUSED: "node_paused",
  BREAKPOINT_HIT: "breakpoint_hit",
  ERROR_OCCURRED: "error_occurred",
  ERROR_RECOVERED: "error_recovered",
  STATE_CAPTURED: "state_captured",
  RETRY_ATTEMPT: "retry_attempt",
  TOOL_CALL_STARTED: "tool_call_started",
  TOOL_CALL_COMPLETED: "tool_call_completed",
  TOOL_CALL_FAILED: "tool_call_failed",
  MODEL_CALL_COMPLETED: "model_call_completed",
  HITL_REQUESTED: "hitl_requested",
  HITL_RESOLVED: "hitl_resolved"
} as const

/** One of the string values of {@link ExecutionEventType}, so `event.eventType === "node_completed"` works. */
export type ExecutionEventType = (typeof ExecutionEventType)[keyof typeof ExecutionEventType]

/** Schema of an event type: any of the known string values. */
export const ExecutionEventTypeSchema = Schema.Enums(ExecutionEventType)

/** One execution event; optional fields are omitted from JSON when absent. */
export const ExecutionEvent = Schema.Struct({
  eventType: Schema.propertySignature(ExecutionEventTypeSchema).pipe(Schema.fromKey("event_type")),
  timestamp: Schema.Number,
  nodeId: Schema.optionalWith(Schema.String, { exact: true }).pipe(Schema.fromKey("node_id")),
  toolName: Schema.optionalWith(Schema.String, { exact: true }).pipe(Schema.fromKey("tool_name")),
  status: Schema.optionalWith(Schema.String, { exact: true }),
  durationSeconds: Schema.optionalWith(Schema.Number, { exact: true }).pipe(Schema.fromKey("duration_seconds")),
  error: Schema.optionalWith(Schema.String, { exact: true }),
  data: Schema.optionalWith(JsonObject, { exact: true })
}).annotations({ identifier: "ExecutionEvent" })

/** An execution event as the TypeScript side sees it (camelCase). */
export interface ExecutionEvent extends Schema.Schema.Type<typeof ExecutionEvent> {}

/** An execution event as it is written to JSON (the guide's snake_case keys). */
export interface ExecutionEventEncoded extends Schema.Schema.Encoded<typeof ExecutionEvent> {}
