/**
 * The `workflow` node kind (a sub-workflow): the child runs with the same services in a fiber of its own, with its
 * own trace (stored like any other) whose `parent_trace_id` is this run and whose `trace_parent` is the W3C
 * `traceparent` of this node (`00-<trace id>-<span id>-01`: the trace id the whole tree shares, the node's span id
 * from `TraceContext.spanIdOf`). The node's metadata links `child_trace_id`, a trace id made with `TraceId.make`.
 * Its context is `input_mapping` resolved against state (a copy of the state without one); a child that does not
 * succeed fails the node with its error. `output_mapping` copies child keys back; the child's final state is stored
 * under `output` (default the node id) unless an `output_mapping` is given without an `output`. The loader loads the
 * child (`WorkflowDefinition.subWorkflows`).
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { JsonObject } from "@victor/core/Json"
import * as TraceContext from "@victor/core/TraceContext"
import * as TraceId from "@victor/core/TraceId"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import { lookup } from "../internal/plainData.ts"
import * as NodeFields from "../NodeFields.ts"
import * as NodeKind from "../NodeKind.ts"
import * as Template from "../Template.ts"

/**
 * A `workflow` node: runs another workflow as a sub-workflow, with its own trace. `workflow` names it (a workflow of
 * the same file, or of the file at `path`, relative to this file); `input_mapping` builds the child's context from
 * this state (`$ctx.key` or a bare state key reads a value, a `{key}` template renders text); `output_mapping`
 * (`parent_key: child_key`) copies keys of the child's final state back. The child's final state is also stored
 * under `output` (default: the node id), unless there is an `output_mapping` and no explicit `output`.
 */
export const WorkflowNode = Schema.Struct({
  type: Schema.Literal("workflow"),
  ...NodeFields.common,
  /** The workflow's name; optional with a `path` whose file holds one workflow. */
  workflow: Schema.optional(Schema.String),
  /** A workflow file, relative to the file of this workflow. */
  path: Schema.optional(Schema.String),
  outputMapping: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.String }), {
    default: () => ({})
  }).pipe(Schema.fromKey("output_mapping"))
}).annotations({ identifier: "WorkflowNode" })

/** A `workflow` node. */
export interface WorkflowNode extends Schema.Schema.Type<typeof WorkflowNode> {}

const bareKey = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*$/

/**
 * A sub-workflow's context: without `input_mapping` a copy of the state; with it, each child key gets `$ctx.key` or
 * a bare state key's value, or a template rendered against the state.
 */
const childContext = (
  node: WorkflowNode,
  state: JsonObject
): Either.Either<JsonObject, string> => {
  const entries = Object.entries(node.inputMapping)
  if (entries.length === 0) return Either.right({ ...state })
  const context: Record<string, unknown> = {}
  for (const [key, source] of entries) {
    if (bareKey.test(source)) {
      const value = lookup(state, source)
      if (Option.isNone(value)) {
        return Either.left(`input_mapping '${key}' reads '${source}', which is not in the workflow state`)
      }
      context[key] = value.value
      continue
    }
    const value = Template.resolve(source, state)
    if (Either.isLeft(value)) return Either.left(`input_mapping '${key}': ${value.left.message}`)
    context[key] = value.right
  }
  return Either.right(context)
}

const prepare = (
  node: WorkflowNode,
  visit: NodeKind.Visit
): NodeKind.Prepared | Effect.Effect<NodeKind.Prepared> => {
  const { iteration, attempt, next, run } = visit
  const child = run.workflow.subWorkflows?.[node.id]
  const mapped = childContext(node, visit.state)
  const inputs: JsonObject = {
    workflow: child?.name ?? node.workflow ?? null,
    ...(node.path === undefined ? {} : { path: node.path }),
    context: Either.isRight(mapped) ? mapped.right : null
  }
  if (child === undefined) {
    const message = `workflow node '${node.id}' has no loaded sub-workflow (load it with WorkflowLoader)`
    return NodeKind.failed(inputs, message)
  }
  if (Either.isLeft(mapped)) return NodeKind.failed(inputs, mapped.left)
  const key = NodeKind.outputKey(node)
  const storeWhole = node.output !== undefined || Object.keys(node.outputMapping).length === 0
  // The child's trace id is made before the node starts, so that the node's record links it from the start.
  return Effect.map(TraceId.make, (childTraceId): NodeKind.Prepared => {
    const traceParent = run.traceParentOf(node.id, iteration, attempt)
    const metadata: JsonObject = {
      child_trace_id: childTraceId,
      child_workflow: child.name,
      span_id: TraceContext.spanIdOf(run.traceId, node.id, iteration, attempt),
      traceparent: traceParent
    }
    return {
      inputs,
      metadata,
      body: Effect.gen(function*() {
        const runChild = run.execute(child, {
          context: mapped.right,
          traceId: childTraceId,
          parentTraceId: run.traceId,
          traceParent
        })
        // In a fiber of its own, so that its trace never becomes this fiber's current one.
        const fiber = yield* Effect.fork(runChild)
        // Awaited, not joined: joining would hand the child's trace to this fiber as its current trace.
        const exit = yield* Effect.onInterrupt(Fiber.await(fiber), () => Fiber.interrupt(fiber))
        if (Exit.isFailure(exit)) {
          return yield* new NodeKind.NodeFailure({
            message: `sub-workflow '${child.name}': ${WorkflowTracer.describeCause(exit.cause)}`
          })
        }
        const result = exit.value
        if (result.status !== "succeeded") {
          return yield* new NodeKind.NodeFailure({
            message: `sub-workflow '${child.name}' (trace ${childTraceId}) ${result.status}: ${
              result.error ?? result.status
            }`
          })
        }
        const updates: Record<string, unknown> = storeWhole ? { [key]: result.state } : {}
        for (const [parentKey, childKey] of Object.entries(node.outputMapping)) {
          const value = lookup(result.state, childKey)
          if (Option.isNone(value)) {
            return yield* new NodeKind.NodeFailure({
              message: `output_mapping '${parentKey}' reads '${childKey}', which is not in the final state of ` +
                `sub-workflow '${child.name}' (keys: ${Object.keys(result.state).join(", ") || "none"})`
            })
          }
          updates[parentKey] = value.value
        }
        return {
          outputs: { child_trace_id: childTraceId, status: result.status, outputs: result.state },
          updates,
          next
        }
      })
    }
  })
}

/** The `workflow` kind. */
export const kind: NodeKind.NodeKind<WorkflowNode> = NodeKind.make({
  type: "workflow",
  schema: WorkflowNode,
  // The child's final state (under its output key) and the keys its output mapping copies back.
  stateKeys: (node) => [...Object.keys(node.outputMapping), NodeKind.outputKey(node)],
  validate: (node, { workflow }) =>
    workflow.subWorkflows?.[node.id] === undefined
      ? [NodeKind.error(
        [node.path === undefined ? "workflow" : "path"],
        `workflow node '${node.id}' has no loaded sub-workflow`,
        "load the workflow with WorkflowLoader, which resolves sub-workflows"
      )]
      : [],
  prepare
})
