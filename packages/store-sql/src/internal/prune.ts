/**
 * The prune of the SQL store: the traces `TracePruning.planPrune` selects from the summaries and sizes (`bytes`, the
 * document's size) of the finished traces (running traces always stay), deleted by id with their facts and blob
 * references; then the blobs no trace and no running journal refers to any more. A blob a writer is about to refer
 * to is locked by its foreign-key check and skipped (FOR UPDATE SKIP LOCKED); see `schema.ts`. With `dryRun`, only
 * says what would go.
 */
import * as TracePruning from "@victor/core/TracePruning"
import * as TraceStore from "@victor/core/TraceStore"
import * as Effect from "effect/Effect"
import type * as Db from "./db.ts"
import type * as Recovery from "./recovery.ts"
import * as TraceRows from "./traceRows.ts"

const BATCH = 5_000

/** The store's `prune`. */
export const make = (db: Db.Db, recovery: Recovery.Recovery) =>
(options: TracePruning.PruneOptions): Effect.Effect<TracePruning.PruneResult, TraceStore.TraceStoreError> =>
  Effect.gen(function*() {
    yield* recovery.sweep
    const cannot = db.unavailable("prune traces")
    const stored = yield* db.values(
      `SELECT ${TraceRows.SUMMARY_COLUMNS}, bytes::double precision FROM victor_traces WHERE document IS NOT NULL`
    ).pipe(Effect.mapError(cannot))
    const plan = TracePruning.planPrune(
      stored.map((row) => ({ summary: TraceRows.summaryOf(row), bytes: row[8] as number })),
      options
    )
    const ids = plan.map((p) => p.summary.traceId)
    const dryRun = options.dryRun === true
    let freedBytes = plan.reduce((sum, p) => sum + p.bytes, 0)
    let blobsRemoved = 0
    if (dryRun) {
      // The blobs only the planned traces refer to.
      const [row] = yield* db.values(
        `SELECT count(*)::integer, coalesce(sum(b.bytes), 0)::double precision FROM victor_blobs b
         WHERE NOT EXISTS (SELECT 1 FROM victor_trace_blobs r
           WHERE r.sha256 = b.sha256 AND NOT (r.trace_id = ANY($1::text[])))`,
        [ids]
      ).pipe(Effect.mapError(cannot))
      blobsRemoved = (row?.[0] as number | undefined) ?? 0
      freedBytes += (row?.[1] as number | undefined) ?? 0
    } else {
      for (let i = 0; i < ids.length; i += BATCH) {
        // A trace listed as finished stays removable; a journal's row (no document) never goes here.
        yield* db.run(`DELETE FROM victor_traces WHERE trace_id = ANY($1::text[]) AND document IS NOT NULL`, [
          ids.slice(i, i + BATCH)
        ]).pipe(Effect.mapError(cannot))
      }
      // A reference committed between this statement's snapshot and its lock fails it (foreign key): retried.
      const removed = yield* db.transaction(db.values(
        `DELETE FROM victor_blobs WHERE sha256 IN (
           SELECT b.sha256 FROM victor_blobs b
           WHERE NOT EXISTS (SELECT 1 FROM victor_trace_blobs r WHERE r.sha256 = b.sha256)
           FOR UPDATE SKIP LOCKED)
         RETURNING bytes`
      )).pipe(Effect.mapError(cannot))
      blobsRemoved = removed.length
      for (const row of removed) freedBytes += row[0] as number
    }
    return { removed: plan.map((p) => p.summary), freedBytes, blobsRemoved, dryRun }
  })
