/**
 * The store contract: what every place traces live must do — save a finished trace, get it back by id, list
 * summaries with filters, remove one. That is all a custom store needs (see the README's architecture section).
 *
 * A store may offer more, each as a service of its own that the tracer and the CLI use when it is there and do
 * without when it is not:
 * - `TraceJournals`: the journal of a running trace, for crash safety (without it a trace is saved when it ends);
 * - `TraceBlobs`: large payloads kept apart from their traces (without it nothing refers to a blob);
 * - `NodeFacts.NodeFactsIndex`: node facts for statistics without loading traces (without it traces are loaded);
 * - `TracePruning.TracePruner`: pruning that also frees blobs (without it, traces are listed and removed one by one).
 * `StoreServices` gathers them for a store that has them all. `layerMemory` is the reference implementation of the
 * contract and the test double; `TraceJournals.layerMemory` adds journals; `@victor/store-fs` keeps traces on disk
 * and `@victor/store-sql` in PostgreSQL.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as TraceId from "./TraceId.ts"
import { summarize, type TraceStatus, type TraceSummary, type WorkflowTrace } from "./WorkflowTrace.ts"

/**
 * Why a store operation failed. `Insecure`: the store refuses what it cannot trust (a symbolic link where it expects
 * its own file or directory, a directory that belongs to another user).
 */
export const TraceStoreErrorReason = Schema.Literal("NotFound", "InvalidId", "Corrupt", "Unavailable", "Insecure")

/** A store operation failed; `path` names the file or directory when there is one. */
export class TraceStoreError extends Schema.TaggedError<TraceStoreError>()("TraceStoreError", {
  reason: TraceStoreErrorReason,
  traceId: Schema.optional(Schema.String),
  path: Schema.optional(Schema.String),
  description: Schema.String
}) {
  override get message(): string {
    return this.description
  }
}

/** Which traces to list; all filters are optional and combine. */
export interface TraceQuery {
  /** Only traces of this workflow. */
  readonly workflowName?: string
  /** Only traces in this state. */
  readonly status?: TraceStatus
  /** Only traces started at or after this unix time (seconds). */
  readonly since?: number
  /** At most this many, the most recent ones. */
  readonly limit?: number
}

/** The store contract. History is ordered oldest first, like the guide's `get_trace_history()[-10:]`. */
export class TraceStore extends Context.Tag("@victor/core/TraceStore")<
  TraceStore,
  {
    /** Stores a trace, replacing one with the same id. */
    readonly save: (trace: WorkflowTrace) => Effect.Effect<void, TraceStoreError>
    /** The trace with this id, or a `NotFound` error. */
    readonly get: (traceId: string) => Effect.Effect<WorkflowTrace, TraceStoreError>
    /** Summaries of the stored traces matching the query, oldest first (`applyQuery` says how). */
    readonly list: (query?: TraceQuery) => Effect.Effect<ReadonlyArray<TraceSummary>, TraceStoreError>
    /** Removes a trace, or fails with `NotFound`. */
    readonly remove: (traceId: string) => Effect.Effect<void, TraceStoreError>
  }
>() {}

/** Fails with `InvalidId` unless the id is safe to use as a key or file name. */
export const validateId = (traceId: string): Effect.Effect<string, TraceStoreError> =>
  TraceId.isTraceId(traceId)
    ? Effect.succeed(traceId)
    : Effect.fail(
      new TraceStoreError({
        reason: "InvalidId",
        traceId,
        description: `invalid trace id ${JSON.stringify(traceId)}: use letters, digits, '-' or '_'`
      })
    )

/** A `NotFound` error for an id. */
export const notFound = (traceId: string): TraceStoreError =>
  new TraceStoreError({ reason: "NotFound", traceId, description: `no trace with id ${traceId}` })

/** Applies a query to summaries (oldest first), as every store implementation must. */
export const applyQuery = <S extends TraceSummary>(
  summaries: ReadonlyArray<S>,
  query: TraceQuery = {}
): ReadonlyArray<S> => {
  const matching = summaries
    .filter((s) =>
      (query.workflowName === undefined || s.workflowName === query.workflowName) &&
      (query.status === undefined || s.status === query.status) &&
      (query.since === undefined || s.startTime >= query.since)
    )
    .sort((a, b) => a.startTime - b.startTime || compareStrings(a.traceId, b.traceId))
  return query.limit === undefined ? matching : matching.slice(Math.max(0, matching.length - query.limit))
}

/** Orders strings by UTF-16 code units, as `applyQuery` breaks ties between traces started at the same time. */
export const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** An in-memory store: the reference implementation of the contract, and the store of tests. */
export const makeMemory: Effect.Effect<TraceStore["Type"]> = Effect.sync(() => {
  const traces = new Map<string, WorkflowTrace>()
  return TraceStore.of({
    save: (trace) => Effect.map(validateId(trace.traceId), (id) => void traces.set(id, trace)),
    get: (traceId) =>
      Effect.flatMap(validateId(traceId), (id) => {
        const trace = traces.get(id)
        return trace === undefined ? Effect.fail(notFound(id)) : Effect.succeed(trace)
      }),
    list: (query) => Effect.sync(() => applyQuery(Array.from(traces.values(), summarize), query)),
    remove: (traceId) =>
      Effect.flatMap(validateId(traceId), (id) => traces.delete(id) ? Effect.void : Effect.fail(notFound(id)))
  })
})

/** A fresh in-memory store. */
export const layerMemory: Layer.Layer<TraceStore> = Layer.effect(TraceStore, makeMemory)
