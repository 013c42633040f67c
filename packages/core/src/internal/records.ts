/**
 * The records the tracer makes, built by constructors instead of object literals. In a CPU profile of the workflow
 * benchmark, the object literal that made a node's record (two of its fields fractional numbers) was most of the cost
 * of closing a node; built by a constructor, the same record cost a small part of that, and tracing's overhead on a
 * run fell by about 1.5 points. To every reader they are plain data: own enumerable fields in the schema's order and
 * no methods, so JSON, spreads, schemas and comparisons see what a literal would give.
 */
import type { JsonObject } from "../Json.ts"
import type { NodeTraceRecord, ToolCallRecord } from "../WorkflowTrace.ts"

/** A node record. */
export class NodeRecord implements NodeTraceRecord {
  constructor(
    readonly nodeId: string,
    readonly nodeType: string,
    readonly timestamp: number,
    readonly durationSeconds: number,
    readonly success: boolean,
    readonly error: string | null,
    readonly inputs: JsonObject,
    readonly outputs: JsonObject,
    readonly toolCalls: ReadonlyArray<ToolCallRecord>,
    readonly metadata: JsonObject
  ) {}
}

/** A tool-call record. */
export class ToolCall implements ToolCallRecord {
  constructor(
    readonly toolName: string,
    readonly inputs: JsonObject,
    readonly outputs: JsonObject,
    readonly durationSeconds: number,
    readonly success: boolean,
    readonly error: string | null,
    readonly timestamp: number
  ) {}
}
