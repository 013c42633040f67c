/**
 * A custom tracer layer in a few lines: Victor's own recorder, with each node also logged through Effect's logger as
 * it ends (to any sink a `Logger` layer sets). It replaces the members it changes and keeps the others; the workflow
 * executor calls the replaced `withNode`, so no node escapes it.
 */
import type { TraceStore } from "@victor/core/TraceStore"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

const logEnd = (nodeId: string, nodeType: string, success: boolean) =>
  success
    ? Effect.logInfo(`node ${nodeId} (${nodeType}) succeeded`)
    : Effect.logWarning(`node ${nodeId} (${nodeType}) failed`)

export const make = Effect.map(WorkflowTracer.make(), (recorder) =>
  WorkflowTracer.WorkflowTracer.of({
    ...recorder,
    withNode: (options, effect, toOutputs) =>
      recorder.withNode(options, effect, toOutputs).pipe(
        Effect.tapBoth({
          onSuccess: () => logEnd(options.nodeId, options.nodeType, true),
          onFailure: () => logEnd(options.nodeId, options.nodeType, false)
        })
      ),
    endNode: (options) =>
      Effect.tap(recorder.endNode(options), (node) => logEnd(node.nodeId, node.nodeType, node.success)),
    traceNode: (options) =>
      Effect.tap(recorder.traceNode(options), (node) => logEnd(node.nodeId, node.nodeType, node.success))
  }))

/** The logging tracer over the `TraceStore` in context. */
export const layer: Layer.Layer<WorkflowTracer.WorkflowTracer, never, TraceStore> = Layer.effect(
  WorkflowTracer.WorkflowTracer,
  make
)
