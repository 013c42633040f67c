/**
 * The store's `list` as the explorer uses it. A page asks for the history and for the sparklines at once, both over
 * every stored trace, and a listing is the expensive part of either (the file system store reads its directory and
 * index; 10,000 traces take a few hundred milliseconds): the unfiltered listing is therefore made once for the
 * requests that arrive together and kept for a moment (`ttl`). A filtered one goes to the store as it is, whose
 * filters the SQL store answers from its indexes. When the running traces change, the live stream drops the kept
 * listing (`invalidate`), so a page that refreshes on that news never sees the history from before it.
 */
import type * as TraceStore from "@victor/core/TraceStore"
import { TraceStore as Store } from "@victor/core/TraceStore"
import type * as WorkflowTrace from "@victor/core/WorkflowTrace"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

/** The listings of a store. */
export interface Listing {
  /** Every stored trace, oldest first: shared by the requests of a moment. */
  readonly all: Effect.Effect<ReadonlyArray<WorkflowTrace.TraceSummary>, TraceStore.TraceStoreError>
  /** The traces a query selects: `all` when it selects everything, else the store's own `list`. */
  readonly list: (
    query: TraceStore.TraceQuery
  ) => Effect.Effect<ReadonlyArray<WorkflowTrace.TraceSummary>, TraceStore.TraceStoreError>
  /** Forgets the kept listing: the next request lists again. */
  readonly invalidate: Effect.Effect<void>
}

const isEverything = (query: TraceStore.TraceQuery) =>
  query.workflowName === undefined && query.status === undefined && query.since === undefined &&
  query.limit === undefined

/** The listings of the store in context; a listing is kept for `ttl`. */
export const make = (ttl: Duration.DurationInput): Effect.Effect<Listing, never, TraceStore.TraceStore> =>
  Effect.gen(function*() {
    const store = yield* Store
    const [all, invalidate] = yield* Effect.cachedInvalidateWithTTL(store.list(), ttl)
    return { all, invalidate, list: (query) => (isEverything(query) ? all : store.list(query)) }
  })
