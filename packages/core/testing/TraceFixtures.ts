/**
 * Builders for constructed traces in tests of analysis and comparison: times are offsets in seconds from a fixed start,
 * chosen exact in binary so that expected numbers compare with `toEqual`.
 */
import type { ExecutionEvent } from "../src/ExecutionEvent.ts"
import type { NodeTraceRecord, ToolCallRecord, WorkflowTrace } from "../src/WorkflowTrace.ts"

export const T0 = 1_000_000

export const call = (
  toolName: string,
  start: number,
  seconds: number,
  options: { readonly success?: boolean; readonly error?: string } = {}
): ToolCallRecord => ({
  toolName,
  inputs: {},
  outputs: {},
  durationSeconds: seconds,
  success: options.success ?? options.error === undefined,
  error: options.error ?? null,
  timestamp: T0 + start
})

export const node = (
  nodeId: string,
  start: number,
  seconds: number,
  options: {
    readonly type?: string
    readonly error?: string
    readonly calls?: ReadonlyArray<ToolCallRecord>
    readonly metadata?: Record<string, unknown>
    readonly inputs?: Record<string, unknown>
  } = {}
): NodeTraceRecord => ({
  nodeId,
  nodeType: options.type ?? "compute",
  timestamp: T0 + start,
  durationSeconds: seconds,
  success: options.error === undefined,
  error: options.error ?? null,
  inputs: options.inputs ?? {},
  outputs: {},
  toolCalls: options.calls ?? [],
  metadata: options.metadata ?? { iteration: 1 }
})

export const parallel = (nodeId: string, start: number, seconds: number, children: ReadonlyArray<string>) =>
  node(nodeId, start, seconds, { type: "parallel", inputs: { parallel_nodes: children, join_strategy: "all" } })

export const trace = (
  nodes: ReadonlyArray<NodeTraceRecord>,
  options: { readonly traceId?: string; readonly workflowName?: string; readonly events?: ReadonlyArray<ExecutionEvent> } = {}
): WorkflowTrace => {
  const end = Math.max(T0, ...nodes.map((n) => n.timestamp + n.durationSeconds))
  return {
    schemaVersion: 1,
    traceId: options.traceId ?? "t1",
    workflowName: options.workflowName ?? "wf",
    status: nodes.every((n) => n.success) ? "succeeded" : "failed",
    startTime: T0,
    endTime: end,
    durationSeconds: end - T0,
    error: null,
    inputs: {},
    outputs: {},
    metadata: {},
    parentTraceId: null,
    traceParent: null,
    nodes,
    events: options.events ?? []
  }
}
