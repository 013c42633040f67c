/**
 * The `parallel` node kind: the nodes in `parallel_nodes` (its children) run concurrently, at most the run's
 * `concurrency` of them at once, each on its own copy of the state as it was when the parallel node started.
 *
 * Each child is traced as a node of its own (with its own retries and timeout), inside the parallel node's record,
 * whose outputs give every child's status (`succeeded`, `failed`, `cancelled`, or `skipped` when a `first` join
 * ended before it started). `all` needs every child to succeed and fails, once all have finished, naming the failed
 * ones; `any` needs one success and lets every child finish; `first` takes the first child to succeed and interrupts
 * the others (their records end failed with "cancelled"). The successful children's state updates are then merged
 * in list order (a later child wins a key both set); under `first` only the winner's. The parallel node stores its
 * own outputs only under an explicit `output:`; a failed join is not retried as a whole (its children had their own
 * retries). Children never continue the run (their `next` and branches are ignored): the parallel node follows its
 * own `next`, or auto-chains to the next node of the list that is not a child. Only the parallel node's own
 * `timeout` (not `default_node_timeout`, which bounds each child) limits the whole fan-out.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type { JsonObject } from "@victor/core/Json"
import * as NodeFields from "../NodeFields.ts"
import * as NodeKind from "../NodeKind.ts"
import type * as WorkflowDefinition from "../WorkflowDefinition.ts"

/** How a `parallel` node joins its children: all must succeed, any may, or the first to succeed wins. */
export const JoinStrategy = Schema.Literal("all", "any", "first").annotations({ identifier: "JoinStrategy" })

/** How a `parallel` node joins its children. */
export type JoinStrategy = typeof JoinStrategy.Type

/** A `parallel` node: runs the nodes it lists concurrently on copies of state, then merges their updates. */
export const ParallelNode = Schema.Struct({
  type: Schema.Literal("parallel"),
  ...NodeFields.common,
  parallelNodes: Schema.propertySignature(
    NodeFields.StringList.pipe(Schema.minItems(1, { message: () => "must list at least one node id" }))
  ).pipe(Schema.fromKey("parallel_nodes")),
  joinStrategy: Schema.optionalWith(JoinStrategy, { default: () => "all" as const }).pipe(
    Schema.fromKey("join_strategy")
  )
}).annotations({ identifier: "ParallelNode" })

/** A `parallel` node. */
export interface ParallelNode extends Schema.Schema.Type<typeof ParallelNode> {}

/** How one child of a parallel node ended; `skipped` children never started. */
type ChildResult =
  | { readonly status: "succeeded"; readonly updates: JsonObject }
  | { readonly status: "failed"; readonly error: string }
  | { readonly status: "cancelled" | "skipped" }

/** `'a': error; 'b': error` for the failed children of a parallel node. */
const describeFailures = (
  members: ReadonlyArray<WorkflowDefinition.Node>,
  results: ReadonlyArray<ChildResult>
): string =>
  results.flatMap((result, i) => result.status === "failed" ? [`'${members[i]!.id}': ${result.error}`] : []).join("; ")

// Its children run on copies of the state; what it returns is their merged updates.
const prepare = (node: ParallelNode, visit: NodeKind.Visit): NodeKind.Prepared => {
  const { deadline, next, run } = visit
  const snapshot: JsonObject = { ...visit.state }
  const members = node.parallelNodes.map((id) => run.node(id)!)
  const strategy = node.joinStrategy
  const limit = run.concurrency
  return {
    inputs: { parallel_nodes: node.parallelNodes, join_strategy: strategy, concurrency: limit },
    body: Effect.suspend(() => {
      const results: Array<ChildResult> = members.map(() => ({ status: "skipped" }))
      // A child interrupted before it started stays `skipped`: it has no node record.
      const started = members.map(() => false)
      const runChild = (child: WorkflowDefinition.Node, i: number): Effect.Effect<ChildResult> =>
        Effect.suspend(() => {
          started[i] = true
          return run.attemptNode(child, { ...snapshot }, run.visit(child.id), deadline)
        }).pipe(
          Effect.onInterrupt(() =>
            Effect.sync(() => {
              if (started[i]) results[i] = { status: "cancelled" }
            })
          ),
          Effect.either,
          Effect.map((result) =>
            results[i] = Either.isRight(result)
              ? { status: "succeeded", updates: result.right.updates }
              : { status: "failed", error: result.left.message }
          )
        )
      // The indices of the children whose updates are merged, in list order. `first` turns a success into a
      // failure, so that `forEach` stops there and interrupts the other children (and starts no more).
      const join: Effect.Effect<ReadonlyArray<number>> = strategy === "first"
        ? Effect.forEach(
          members,
          (child, i) =>
            Effect.flatMap(runChild(child, i), (result) =>
              result.status === "succeeded" ? Effect.fail(i) : Effect.void),
          { concurrency: limit, discard: true }
        ).pipe(Effect.flip, Effect.map((winner) => [winner]), Effect.orElseSucceed(() => []))
        : Effect.map(
          Effect.forEach(members, runChild, { concurrency: limit }),
          (done) => done.flatMap((result, i) => (result.status === "succeeded" ? [i] : []))
        )
      return Effect.flatMap(join, (merged): Effect.Effect<NodeKind.Outcome, NodeKind.NodeFailure> => {
        const failedCount = results.filter((result) => result.status === "failed").length
        if (strategy === "all" && failedCount > 0) {
          return Effect.fail(
            new NodeKind.NodeFailure({
              message: `${failedCount} of ${members.length} children failed: ${describeFailures(members, results)}`,
              final: true
            })
          )
        }
        if (merged.length === 0) {
          return Effect.fail(
            new NodeKind.NodeFailure({
              message: `no child succeeded (join_strategy: ${strategy}): ${describeFailures(members, results)}`,
              final: true
            })
          )
        }
        const updates: Record<string, unknown> = {}
        for (const i of merged) {
          const result = results[i]!
          if (result.status === "succeeded") Object.assign(updates, result.updates)
        }
        const errors = Object.fromEntries(
          results.flatMap((result, i) => (result.status === "failed" ? [[members[i]!.id, result.error]] : []))
        )
        const outputs: JsonObject = {
          join_strategy: strategy,
          children: Object.fromEntries(results.map((result, i) => [members[i]!.id, result.status])),
          ...(strategy === "first" ? { winner: members[merged[0]!]!.id } : {}),
          ...(failedCount === 0 ? {} : { errors })
        }
        return Effect.succeed({
          outputs,
          updates: node.output === undefined ? updates : { ...updates, [node.output]: outputs },
          next
        })
      })
    })
  }
}

/** The `parallel` kind. */
export const kind: NodeKind.NodeKind<ParallelNode> = NodeKind.make({
  type: "parallel",
  schema: ParallelNode,
  children: { key: "parallel_nodes", of: (node) => node.parallelNodes },
  check: (node, graph) => {
    const issues: Array<NodeKind.Issue> = []
    const listed = new Set<string>()
    node.parallelNodes.forEach((child, j) => {
      const at = ["parallel_nodes", j]
      if (child === node.id) {
        issues.push(NodeKind.error(
          at,
          `parallel node '${node.id}' lists itself in parallel_nodes`,
          "list the ids of the nodes it runs concurrently"
        ))
      } else if (listed.has(child)) {
        issues.push(NodeKind.error(
          at,
          `parallel node '${node.id}' lists '${child}' twice in parallel_nodes`,
          "list each child once"
        ))
      } else {
        const missing = graph.missing(node.id, child, at, "has parallel_nodes entry")
        if (missing !== undefined) issues.push(missing)
      }
      listed.add(child)
    })
    return issues
  },
  // The default node timeout bounds each child, not the whole fan-out.
  timeout: "own",
  prepare
})
