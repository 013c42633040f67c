/**
 * The history of stored traces: the guide's `get_trace_by_id` and `get_trace_history`, as functions over the
 * `TraceStore` in context rather than members of the tracer (which only records). Any store layer answers them: the
 * in-memory one, the file system's, or a shared database's.
 *
 * | guide (Python)                       | Victor                                                  |
 * |--------------------------------------|---------------------------------------------------------|
 * | `tracer.get_trace_by_id(trace_id)`   | `TraceHistory.get(traceId)`                             |
 * | `tracer.get_trace_history(...)`      | `TraceHistory.history({ workflowName?, status?, since?, limit? })` |
 *
 * For summaries only (no nodes), list the store itself: `TraceStore.list(query)`.
 */
import * as Effect from "effect/Effect"
import { type TraceQuery, TraceStore, type TraceStoreError } from "./TraceStore.ts"
import type { WorkflowTrace } from "./WorkflowTrace.ts"

/** A stored trace by id (the guide's `get_trace_by_id`); fails with `NotFound` when the store has none. */
export const get = (traceId: string): Effect.Effect<WorkflowTrace, TraceStoreError, TraceStore> =>
  Effect.flatMap(TraceStore, (store) => store.get(traceId))

/** The stored traces the query selects, oldest first (the guide's `get_trace_history`). */
export const history = (
  query?: TraceQuery
): Effect.Effect<ReadonlyArray<WorkflowTrace>, TraceStoreError, TraceStore> =>
  Effect.flatMap(TraceStore, (store) =>
    Effect.flatMap(store.list(query), (summaries) => Effect.forEach(summaries, (summary) => store.get(summary.traceId))))
