// Stored traces for the analysis command tests, written through the file store library into a temp trace directory.
import * as NodeContext from "@effect/platform-node/NodeContext"
import type { NodeTraceRecord, WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as FileSystemTraceStore from "@victor/store-fs/FileSystemTraceStore"
import * as Effect from "effect/Effect"

/** A node record: `[id, start offset, seconds, error?]`. */
export type NodeSpec = readonly [id: string, start: number, seconds: number, error?: string]

/** A trace of `workflow` starting at `start` (unix seconds) with these nodes, one tool call each. */
export const makeTrace = (traceId: string, workflow: string, start: number, nodes: ReadonlyArray<NodeSpec>): WorkflowTrace => {
  const records: Array<NodeTraceRecord> = nodes.map(([nodeId, offset, seconds, error]) => ({
    nodeId,
    nodeType: "compute",
    timestamp: start + offset,
    durationSeconds: seconds,
    success: error === undefined,
    error: error ?? null,
    inputs: {},
    outputs: {},
    toolCalls: [{
      toolName: "shell",
      inputs: {},
      outputs: {},
      durationSeconds: seconds / 2,
      success: true,
      error: null,
      timestamp: start + offset
    }],
    metadata: { iteration: 1 }
  }))
  const end = Math.max(start, ...records.map((r) => r.timestamp + r.durationSeconds))
  return {
    schemaVersion: 1,
    traceId,
    workflowName: workflow,
    status: records.every((r) => r.success) ? "succeeded" : "failed",
    startTime: start,
    endTime: end,
    durationSeconds: end - start,
    error: null,
    inputs: {},
    outputs: {},
    metadata: {},
    parentTraceId: null,
    traceParent: null,
    nodes: records,
    events: []
  }
}

/** Saves traces into the store at `directory`. */
export const store = (directory: string, traces: ReadonlyArray<WorkflowTrace>): Promise<void> =>
  Effect.runPromise(
    Effect.gen(function*() {
      const s = yield* FileSystemTraceStore.make({ directory })
      for (const trace of traces) yield* s.save(trace)
    }).pipe(Effect.provide(NodeContext.layer))
  )
