/**
 * The facts of node records that history statistics need (`victor trace stats`), and a store capability to list
 * them without loading whole traces: the file store keeps them in its index, the SQL store in a table. Without the
 * capability `listNodeFacts` loads each listed trace from the store.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type TraceQuery, TraceStore, type TraceStoreError } from "./TraceStore.ts"
import { summarize, type TraceSummary, type WorkflowTrace } from "./WorkflowTrace.ts"

/** What history statistics need of one node record. */
export interface NodeFacts {
  readonly nodeId: string
  /** `metadata.iteration` when the record has a positive whole one, else null. */
  readonly iteration: number | null
  readonly timestamp: number
  readonly durationSeconds: number
  readonly success: boolean
  readonly error: string | null
}

/** A stored trace's summary with the facts of its node records, in order. */
export interface TraceFacts extends TraceSummary {
  readonly nodes: ReadonlyArray<NodeFacts>
}

/** The facts of one node record. */
export const nodeFactsOf = (node: WorkflowTrace["nodes"][number]): NodeFacts => {
  const iteration = node.metadata["iteration"]
  return {
    nodeId: node.nodeId,
    iteration: typeof iteration === "number" && Number.isInteger(iteration) && iteration > 0 ? iteration : null,
    timestamp: node.timestamp,
    durationSeconds: node.durationSeconds,
    success: node.success,
    error: node.error
  }
}

/** The summary and node facts of a trace. */
export const factsOf = (trace: WorkflowTrace): TraceFacts => ({
  ...summarize(trace),
  nodes: trace.nodes.map(nodeFactsOf)
})

/** The node-facts capability of a store. */
export class NodeFactsIndex extends Context.Tag("@victor/core/NodeFactsIndex")<
  NodeFactsIndex,
  {
    /** What `TraceStore.list` gives for the query, each with the facts of every node record (`factsOf`). */
    readonly listNodeFacts: (query?: TraceQuery) => Effect.Effect<ReadonlyArray<TraceFacts>, TraceStoreError>
  }
>() {}

/**
 * What `list` gives for the query, with the facts of every node record: from the store's index when it has one,
 * else by loading each trace (one removed meanwhile is left out).
 */
export const listNodeFacts = (
  query?: TraceQuery
): Effect.Effect<ReadonlyArray<TraceFacts>, TraceStoreError, TraceStore> =>
  Effect.flatMap(Effect.serviceOption(NodeFactsIndex), (index) =>
    Option.isSome(index)
      ? index.value.listNodeFacts(query)
      : Effect.flatMap(TraceStore, (store) =>
        Effect.flatMap(store.list(query), (summaries) =>
          Effect.map(
            Effect.forEach(summaries, (summary) =>
              store.get(summary.traceId).pipe(
                Effect.map((trace): TraceFacts | undefined => ({ ...summary, nodes: trace.nodes.map(nodeFactsOf) })),
                Effect.catchIf((error) => error.reason === "NotFound", () => Effect.succeed(undefined))
              )),
            (facts) => facts.filter((f): f is TraceFacts => f !== undefined)
          ))))
