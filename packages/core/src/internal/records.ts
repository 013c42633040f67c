/**
 * The records the tracer makes. Object literals, each made at one place: V8 watches what becomes of the objects
 * each literal makes, and once they outlive the young generation (records are kept as long as their trace) it
 * allocates that literal's objects in the old generation directly, so that the scavenges a run's garbage causes do
 * not copy every record twice. To every reader they are plain data: own enumerable fields in the schema's order.
 */
import type { JsonObject } from "../Json.ts"
import type { NodeTraceRecord, ToolCallRecord } from "../WorkflowTrace.ts"

/** A node record. */
export const nodeRecord = (
  nodeId: string,
  nodeType: string,
  timestamp: number,
  durationSeconds: number,
  success: boolean,
  error: string | null,
  inputs: JsonObject,
  outputs: JsonObject,
  toolCalls: ReadonlyArray<ToolCallRecord>,
  metadata: JsonObject
): NodeTraceRecord => ({
  nodeId,
  nodeType,
  timestamp,
  durationSeconds,
  success,
  error,
  inputs,
  outputs,
  toolCalls,
  metadata
})

/** A tool-call record. */
export const toolCallRecord = (
  toolName: string,
  inputs: JsonObject,
  outputs: JsonObject,
  durationSeconds: number,
  success: boolean,
  error: string | null,
  timestamp: number
): ToolCallRecord => ({ toolName, inputs, outputs, durationSeconds, success, error, timestamp })
