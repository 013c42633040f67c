/**
 * The `condition` node kind: evaluates an expression over state (or calls a registered condition, when the
 * expression is one bare name that `FunctionRegistry` knows) and goes to the branch whose key equals the value as
 * text (`true:` matches `true`), else to `default`; no match and no `default` fails the node naming the value. The
 * expression may call the registry's functions (`FunctionRegistry.FunctionPlugin.functions`), checked by name. It
 * stores nothing: its value and branch are in its record. Its `next` is ignored, and a condition run as a parallel
 * node's child records its value without following a branch.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Expression from "../Expression.ts"
import * as FunctionRegistry from "../FunctionRegistry.ts"
import * as NodeFields from "../NodeFields.ts"
import * as NodeKind from "../NodeKind.ts"
import * as ToolRegistry from "../ToolRegistry.ts"

/** A `condition` node: evaluates an expression (or a registered condition) and follows the matching branch. */
export const ConditionNode = Schema.Struct({
  type: Schema.Literal("condition"),
  ...NodeFields.common,
  condition: Schema.String,
  branches: Schema.optionalWith(Schema.Record({ key: Schema.String, value: NodeFields.NodeId }), { default: () => ({}) })
}).annotations({ identifier: "ConditionNode" })

/** A `condition` node. */
export interface ConditionNode extends Schema.Schema.Type<typeof ConditionNode> {}

/**
 * The bare name a condition consists of when it is meant as a registered condition: a single name (no operators,
 * no `$ctx.`), which is not a state key the workflow sets itself.
 */
export const namedCondition = (
  node: ConditionNode,
  setKeys: NodeKind.StateKeys
): string | undefined => {
  const parsed = Expression.parse(node.condition)
  if (Either.isLeft(parsed)) return undefined
  const name = Expression.bareName(parsed.right)
  return name === undefined || setKeys.has(name) ? undefined : name
}

const prepare = (node: ConditionNode, visit: NodeKind.Visit): NodeKind.Prepared => {
  const { state } = visit
  const functions = visit.run.functions
  const parsed = Expression.parse(node.condition)
  if (Either.isLeft(parsed)) return NodeKind.failed({ expression: node.condition }, parsed.left.message)
  const name = Expression.bareName(parsed.right)
  const named = name === undefined ? undefined : functions.conditions.get(name)
  // A registered condition wins over a state key of the same name.
  const evaluated: Either.Either<unknown, string> = named !== undefined
    ? Either.try({
      try: () => named({ ...state }),
      catch: (error) => `condition '${name}' failed: ${error instanceof Error ? error.message : String(error)}`
    })
    : Either.mapLeft(
      Expression.evaluate(parsed.right, state, {
        now: visit.now,
        startedAt: visit.startedAt,
        functions: functions.functions
      }),
      (error) =>
        name === undefined
          ? error.message
          : `${error.message}, and no registered condition is named '${name}' (registered: ${
            ToolRegistry.listNames(functions.conditions.keys())
          })`
    )
  if (Either.isLeft(evaluated)) return NodeKind.failed({ expression: node.condition }, evaluated.left)
  const value = evaluated.right
  const text = Expression.toText(value)
  const branch = Object.hasOwn(node.branches, text)
    ? text
    : Object.hasOwn(node.branches, "default")
    ? "default"
    : undefined
  const inputs = { expression: node.condition, value }
  if (branch === undefined) {
    return NodeKind.failed(
      inputs,
      `condition ${JSON.stringify(node.condition)} evaluated to ${JSON.stringify(text)}, which matches no branch ` +
        `(branches: ${Object.keys(node.branches).join(", ")}) and there is no 'default' branch`
    )
  }
  const next = node.branches[branch]!
  return { inputs, body: Effect.succeed({ outputs: { value, branch, next }, updates: {}, next }) }
}

/** The `condition` kind. */
export const kind: NodeKind.NodeKind<ConditionNode> = NodeKind.make({
  type: "condition",
  schema: ConditionNode,
  check: (node, graph) => {
    const issues: Array<NodeKind.Issue> = []
    const parent = graph.parentOf(node.id)
    if (parent !== undefined) {
      issues.push(NodeKind.warning(
        ["branches"],
        `condition node '${node.id}' is a child of ${parent.type} node '${parent.id}': its value is recorded ` +
          "but its branches are not followed"
      ))
    }
    const parsed = Expression.parse(node.condition)
    if (Either.isLeft(parsed)) issues.push(NodeKind.error(["condition"], parsed.left.message))
    if (Object.keys(node.branches).length === 0) {
      issues.push(NodeKind.error(
        [],
        `condition node '${node.id}' has no branches`,
        "add 'branches:' mapping values to node ids, e.g. { true: next_step, default: fallback }"
      ))
    }
    if (node.next.length > 0 && parent === undefined) {
      issues.push(NodeKind.warning(
        ["next"],
        `condition node '${node.id}' has 'next', which is ignored: a condition follows its branches`
      ))
    }
    return issues
  },
  successors: (node) =>
    Object.entries(node.branches).map(([value, target]) => ({
      target,
      at: ["branches", value],
      what: `branch '${value}' goes to`
    })),
  // Its value is recorded, never stored.
  stateKeys: () => [],
  validate: (node, { functions, stateKeys }) => {
    const parsed = Expression.parse(node.condition)
    // An expression that does not parse is `check`'s to report.
    const problems = Either.isLeft(parsed) ? [] : FunctionRegistry.functionProblems(functions, parsed.right)
    const calls = problems.map((problem) =>
      (problem.severity === "error" ? NodeKind.error : NodeKind.warning)(
        ["condition"],
        `node '${node.id}': ${problem.description}`,
        problem.hint
      )
    )
    const name = namedCondition(node, stateKeys)
    return name === undefined || functions.conditions.has(name) ? calls : [
      ...calls,
      NodeKind.warning(
        ["condition"],
        `node '${node.id}': condition '${name}' is not a registered condition, and no node of the workflow ` +
          "sets a state key of that name",
        `registered conditions: ${
          ToolRegistry.listNames(functions.conditions.keys())
        }; register it with a plugin, or write '$ctx.${name}' when the run's context gives it`
      )
    ]
  },
  prepare
})
