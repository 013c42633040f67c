// Traces for the `victor ui` tests, written through the store API (the file system store `victor` uses), so that a
// history of any shape — many workflows, failed runs, hostile names — is there in a moment.
import * as NodeContext from "@effect/platform-node/NodeContext"
import type * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as FileSystemTraceStore from "@victor/store-fs/FileSystemTraceStore"
import * as Effect from "effect/Effect"
import { randomUUID } from "node:crypto"

export interface NodeSpec {
  readonly id: string
  readonly type?: string
  readonly seconds: number
  readonly error?: string
  readonly tool?: string
}

export interface TraceSpec {
  readonly id?: string
  readonly workflow: string
  readonly status?: WorkflowTrace.TraceStatus
  /** Unix seconds. */
  readonly start: number
  readonly nodes: ReadonlyArray<NodeSpec>
  readonly error?: string
}

/** A finished trace whose nodes run one after the other. */
export const makeTrace = (spec: TraceSpec): WorkflowTrace.WorkflowTrace => {
  let at = spec.start
  const nodes = spec.nodes.map((node): WorkflowTrace.NodeTraceRecord => {
    const timestamp = at
    at += node.seconds
    return {
      nodeId: node.id,
      nodeType: node.type ?? "compute",
      timestamp,
      durationSeconds: node.seconds,
      success: node.error === undefined,
      error: node.error ?? null,
      inputs: { step: node.id },
      outputs: node.error === undefined ? { done: true } : {},
      toolCalls: node.tool === undefined ? [] : [{
        toolName: node.tool,
        inputs: { step: node.id },
        outputs: { ok: node.error === undefined },
        durationSeconds: node.seconds / 2,
        success: node.error === undefined,
        error: node.error ?? null,
        timestamp
      }],
      metadata: {}
    }
  })
  const failed = nodes.some((n) => !n.success)
  return {
    schemaVersion: 1,
    traceId: spec.id ?? randomUUID(),
    workflowName: spec.workflow,
    status: spec.status ?? (failed ? "failed" : "succeeded"),
    startTime: spec.start,
    endTime: at,
    durationSeconds: at - spec.start,
    error: spec.error ?? (failed ? nodes.find((n) => !n.success)!.error : null),
    inputs: { task: spec.workflow },
    outputs: {},
    metadata: {},
    parentTraceId: null,
    traceParent: null,
    nodes,
    events: []
  }
}

/** Saves traces into the file system store in `directory`. */
export const saveTraces = (directory: string, traces: ReadonlyArray<WorkflowTrace.WorkflowTrace>): Promise<void> =>
  Effect.runPromise(
    Effect.gen(function*() {
      const store = yield* FileSystemTraceStore.make({ directory })
      yield* Effect.forEach(traces, (trace) => store.save(trace), { concurrency: 8, discard: true })
    }).pipe(Effect.provide(NodeContext.layer))
  )
