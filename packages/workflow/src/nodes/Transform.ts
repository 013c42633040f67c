/**
 * The `transform` node kind: `key = expression` lines evaluated against state, each seeing the lines above it, and
 * merged into state when every line succeeded; or, written as one bare name, a registered transform
 * (`FunctionRegistry`) whose returned object is merged. Its expressions may call the registry's functions
 * (`FunctionRegistry.FunctionPlugin.functions`), which validation checks by name. With an explicit `output:` the
 * assignments are also stored under it. Its record's inputs are its lines (or the transform's name), its outputs
 * what it assigned.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type { JsonObject } from "@victor/core/Json"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as Expression from "../Expression.ts"
import * as FunctionRegistry from "../FunctionRegistry.ts"
import * as Assignments from "../internal/assignments.ts"
import * as NodeFields from "../NodeFields.ts"
import * as NodeKind from "../NodeKind.ts"
import * as ToolRegistry from "../ToolRegistry.ts"

/** A `transform` node: `key = expression` lines evaluated against state and merged into it. */
export const TransformNode = Schema.Struct({
  type: Schema.Literal("transform"),
  ...NodeFields.common,
  transform: NodeFields.StringList
}).annotations({ identifier: "TransformNode" })

/** A `transform` node. */
export interface TransformNode extends Schema.Schema.Type<typeof TransformNode> {}

/**
 * The registered transform a transform node calls: its `transform:` is one bare name (`transform:
 * extract_error_patterns`), not `key = expression` lines.
 */
export const namedTransform = (node: TransformNode): string | undefined => {
  if (node.transform.length !== 1) return undefined
  const line = node.transform[0]!.trim()
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(line) ? line : undefined
}

// What a transform node's record shows as its inputs depends on its definition alone: made once per node, not per
// visit, so that a trace of many visits does not hold as many copies.
const inputsOfTransform = new WeakMap<TransformNode, JsonObject>()
const transformInputs = (node: TransformNode): JsonObject => {
  let inputs = inputsOfTransform.get(node)
  if (inputs === undefined) {
    const name = namedTransform(node)
    inputs = name === undefined
      ? Object.freeze({ expressions: Object.freeze(Assignments.lines(node.transform).map((line) => line.text)) })
      : Object.freeze({ transform: name })
    inputsOfTransform.set(node, inputs)
  }
  return inputs
}

const prepare = (node: TransformNode, visit: NodeKind.Visit): NodeKind.Prepared => {
  const { next, now, startedAt, state } = visit
  const inputs = transformInputs(node)
  // A named transform's inputs are `{ transform: name }` (made once per node, see `transformInputs`).
  const name = inputs.transform as string | undefined
  if (name !== undefined) {
    const transform = visit.run.functions.transforms.get(name)
    if (transform === undefined) return NodeKind.failed(inputs, `transform '${name}' is not registered`)
    return {
      inputs,
      body: Effect.suspend(() => {
        const result = transform({ ...state })
        return Effect.isEffect(result) ? result : Effect.succeed(result)
      }).pipe(
        Effect.mapError((error) => new NodeKind.NodeFailure({ message: `transform '${name}': ${error.message}` })),
        Effect.catchAllDefect((defect) =>
          Effect.fail(
            new NodeKind.NodeFailure({
              message: `transform '${name}' crashed: ${WorkflowTracer.describeCause(Cause.die(defect))}`
            })
          )
        ),
        Effect.map((assigned) => ({
          outputs: assigned,
          updates: node.output === undefined ? assigned : { ...assigned, [node.output]: assigned },
          next
        }))
      )
    }
  }
  const parsed = Assignments.parse(node.transform)
  if (Either.isLeft(parsed)) return NodeKind.failed(inputs, parsed.left.description)
  const assignments = parsed.right
  const functions = visit.run.functions.functions
  // Evaluated inside the node, so that the time its expressions take is the node's duration.
  return {
    inputs,
    body: Effect.suspend(() => {
      // Each line sees the assignments above it; state changes only when every line succeeded.
      const scratch: Record<string, unknown> = { ...state }
      const assigned: Record<string, unknown> = {}
      for (const { key, expression } of assignments) {
        const value = Expression.evaluate(expression, scratch, { now, startedAt, functions })
        if (Either.isLeft(value)) {
          return Effect.fail(new NodeKind.NodeFailure({ message: `${key}: ${value.left.message}` }))
        }
        scratch[key] = value.right
        assigned[key] = value.right
      }
      const updates = node.output === undefined ? assigned : { ...assigned, [node.output]: assigned }
      return Effect.succeed({ outputs: assigned, updates, next })
    })
  }
}

/** The `transform` kind. */
export const kind: NodeKind.NodeKind<TransformNode> = NodeKind.make({
  type: "transform",
  schema: TransformNode,
  check: (node) => {
    // One bare name calls a registered transform (checked against the registry by `validate`).
    if (namedTransform(node) !== undefined) return []
    const parsed = Assignments.parse(node.transform)
    return Either.isLeft(parsed)
      ? [
        NodeKind.error(["transform", parsed.left.item], parsed.left.description, "write one 'key = expression' per line")
      ]
      : []
  },
  // Its assignments are merged into state; its output key only holds them under an explicit `output:`.
  stateKeys: (node) => {
    const parsed = Assignments.parse(node.transform)
    return Either.isRight(parsed) ? parsed.right.map(({ key }) => key) : []
  },
  validate: (node, { functions }) => {
    const name = namedTransform(node)
    if (name !== undefined) {
      return functions.transforms.has(name) ? [] : [
        NodeKind.error(
          ["transform"],
          `node '${node.id}' uses transform '${name}', which is not registered`,
          `registered transforms: ${ToolRegistry.listNames(functions.transforms.keys())} (plugins add more)`
        )
      ]
    }
    // The functions its expressions call (a line that does not parse is `check`'s to report).
    const parsed = Assignments.parse(node.transform)
    if (Either.isLeft(parsed)) return []
    return parsed.right.flatMap(({ expression, item, key }) =>
      FunctionRegistry.functionProblems(functions, expression).map((problem) =>
        (problem.severity === "error" ? NodeKind.error : NodeKind.warning)(
          ["transform", item],
          `node '${node.id}', assignment '${key}': ${problem.description}`,
          problem.hint
        )
      )
    )
  },
  prepare
})
