/**
 * A tracer layer of one's own. `WorkflowTracer` is recording only (history, export and analysis are functions over the
 * store and the registries), so a layer implements these eleven members and nothing else. This one keeps no trace: it
 * counts nodes, failed nodes and tool calls, say for a metrics endpoint, and runs the work it wraps unchanged. The
 * contract suite (`@victor/core/testing/WorkflowTracerContract`) checks that it does, as it checks Victor's own layers.
 */
import type { NodeTraceRecord, ToolCallRecord, WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"

/** What the tracer counted. */
export interface Counts {
  readonly nodes: number
  readonly failedNodes: number
  readonly toolCalls: number
}

/** The counts of the tracer in context. */
export class NodeCounts extends Context.Tag("@victor/example-custom-tracer-layer/NodeCounts")<
  NodeCounts,
  Ref.Ref<Counts>
>() {}

// The records the members return: what they were told, and nothing measured.
const node = (nodeId: string, nodeType: string, success = true): NodeTraceRecord => ({
  nodeId, nodeType, timestamp: 0, durationSeconds: 0, success, error: success ? null : "failed",
  inputs: {}, outputs: {}, toolCalls: [], metadata: {}
})
const call = (toolName: string): ToolCallRecord => ({
  toolName, inputs: {}, outputs: {}, durationSeconds: 0, success: true, error: null, timestamp: 0
})
const empty: WorkflowTrace = {
  schemaVersion: 1, traceId: "counted", workflowName: "", status: "succeeded", startTime: 0, endTime: 0,
  durationSeconds: 0, error: null, inputs: {}, outputs: {}, metadata: {}, parentTraceId: null, traceParent: null,
  nodes: [], events: []
}

const make = (counts: Ref.Ref<Counts>): WorkflowTracer.WorkflowTracerService => {
  const add = (nodes: number, failedNodes: number, toolCalls: number) =>
    Ref.update(counts, (c) => ({
      nodes: c.nodes + nodes,
      failedNodes: c.failedNodes + failedNodes,
      toolCalls: c.toolCalls + toolCalls
    }))
  return {
    startTrace: (options) => Effect.succeed({ traceId: options.traceId ?? "counted", workflowName: options.workflowName }),
    startNode: () => add(1, 0, 0),
    endNode: (options = {}) => {
      const success = options.success ?? (options.error ?? null) === null
      return Effect.as(add(0, success ? 0 : 1, 0), node("", "", success))
    },
    withNode: (options, effect) =>
      Effect.onExit(Effect.zipRight(add(1, 0, 0), effect), (exit) => add(0, Exit.isFailure(exit) ? 1 : 0, 0)),
    traceNode: (options) => {
      const success = options.success ?? (options.error ?? null) === null
      return Effect.as(add(1, success ? 0 : 1, options.toolCalls?.length ?? 0), node(options.nodeId, options.nodeType))
    },
    traceToolCall: (options) => Effect.as(add(0, 0, 1), call(options.toolName)),
    withToolCall: (_toolName, _inputs, effect) => Effect.zipRight(add(0, 0, 1), effect),
    annotateNode: () => Effect.void,
    recordEvent: () => Effect.void,
    endTrace: () => Effect.succeed(empty),
    getTrace: Effect.succeed(empty)
  }
}

/** The counting tracer, and its counts. */
export const layer: Layer.Layer<WorkflowTracer.WorkflowTracer | NodeCounts> = Layer.unwrapEffect(
  Effect.map(Ref.make<Counts>({ nodes: 0, failedNodes: 0, toolCalls: 0 }), (counts) =>
    Layer.merge(Layer.succeed(NodeCounts, counts), Layer.succeed(WorkflowTracer.WorkflowTracer, make(counts))))
)
