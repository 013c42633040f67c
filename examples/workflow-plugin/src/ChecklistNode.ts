/**
 * The `checklist` node kind: a node type of its own, with its own field `items` (a label per expression over
 * state), checked when the workflow loads and evaluated when the node runs. Its record shows the items as inputs and
 * what was checked as outputs; the outputs go to state under the node's output key. With `required` (the default) an
 * unchecked item fails the node, naming the items, so a checklist can gate a release.
 *
 * ```yaml
 * - id: release_checklist
 *   type: checklist
 *   items:
 *     tests pass: test_results.failed == 0
 *     release notes written: notes_size.word_count.words >= 5
 * ```
 */
import * as Expression from "@victor/workflow/Expression"
import * as NodeFields from "@victor/workflow/NodeFields"
import * as NodeKind from "@victor/workflow/NodeKind"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"

/** A `checklist` node as written. */
export const ChecklistNode = Schema.Struct({
  type: Schema.Literal("checklist"),
  ...NodeFields.common,
  /** What must hold: a label and the expression over state that checks it. */
  items: Schema.Record({ key: Schema.String, value: Schema.String }),
  /** Whether an unchecked item fails the node (default true); without it the node only records them. */
  required: Schema.optionalWith(Schema.Boolean, { default: () => true })
})

/** A `checklist` node. */
export interface ChecklistNode extends Schema.Schema.Type<typeof ChecklistNode> {}

/** The kind: `type: checklist`. */
export const kind = NodeKind.make({
  type: "checklist",
  schema: ChecklistNode,
  // Every item's expression must parse, so a typo is a load error naming the item, before anything runs.
  check: (node) =>
    Object.entries(node.items).flatMap(([label, source]) =>
      Either.match(Expression.parse(source), {
        onLeft: (error) => [NodeKind.error(["items", label], `checklist item '${label}': ${error.message}`)],
        onRight: () => []
      })
    ),
  validate: (node) =>
    Object.keys(node.items).length === 0
      ? [NodeKind.warning(["items"], `checklist node '${node.id}' has no items: it checks nothing`)]
      : [],
  prepare: (node, visit) => {
    const checked: Array<string> = []
    const unchecked: Array<string> = []
    for (const [label, source] of Object.entries(node.items)) {
      const value = Expression.evaluateString(source, visit.state, { now: visit.now })
      if (Either.isLeft(value)) {
        return NodeKind.failed({ items: node.items }, `checklist item '${label}': ${value.left.message}`)
      }
      if (Expression.isTruthy(value.right)) checked.push(label)
      else unchecked.push(label)
    }
    const outputs = { checked, unchecked, complete: unchecked.length === 0 }
    return {
      inputs: { items: node.items, required: node.required },
      body: node.required && unchecked.length > 0
        ? Effect.fail(
          new NodeKind.NodeFailure({
            message: `checklist '${node.id}': not done: ${unchecked.map((label) => `'${label}'`).join(", ")}`
          })
        )
        : Effect.succeed({ outputs, updates: { [NodeKind.outputKey(node)]: outputs }, next: visit.next })
    }
  }
})
