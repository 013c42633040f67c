/**
 * Blobs: large payloads (`@victor/core/Payload`) kept once each, by sha256, in `victor_blobs`, and which trace refers
 * to which in `victor_trace_blobs`. A writer inserts its blobs with ON CONFLICT DO NOTHING (two runs with the same
 * 5 MB output share one row) and its references in the same transaction, in hash order (so two writers sharing blobs
 * never deadlock); see `schema.ts` for how a prune and a writer racing over a blob stay safe.
 */
import * as Payload from "@victor/core/Payload"
import * as TraceBlobs from "@victor/core/TraceBlobs"
import * as TraceStore from "@victor/core/TraceStore"
import * as Effect from "effect/Effect"
import type * as SqlError from "@effect/sql/SqlError"
import type * as Db from "./db.ts"

const decoder = new TextDecoder()

/** The blobs of a store. */
export interface Blobs {
  /** Inserts blobs not stored yet (in a transaction of the caller's). */
  readonly insert: (blobs: ReadonlyArray<Payload.Blob>) => Effect.Effect<void, SqlError.SqlError>
  /** Records that traces refer to blobs (in the caller's transaction, after `insert`). */
  readonly refer: (refs: ReadonlyArray<readonly [traceId: string, sha256: string]>) => Effect.Effect<void, SqlError.SqlError>
  /** The JSON text of a blob, by its sha256. */
  readonly read: (sha256: string) => Effect.Effect<string, TraceStore.TraceStoreError>
}

/** The hashes a trace's (or an entry's) JSON refers to, with those the capture just made. */
export const hashesOf = (json: string, captured: ReadonlyArray<Payload.Blob>): ReadonlyArray<string> => {
  const hashes = new Set(captured.map((b) => b.sha256))
  // A trace saved again (from another store, or read back and changed) may refer to blobs it did not just make.
  if (json.includes("\"$blob\"")) for (const hash of Payload.referencedHashes(json)) hashes.add(hash)
  return Array.from(hashes)
}

/** The blobs of the store the database is of. */
export const make = (db: Db.Db): Blobs => {
  const insert = (blobs: ReadonlyArray<Payload.Blob>) => {
    if (blobs.length === 0) return Effect.void
    const unique = new Map<string, Payload.Blob>()
    for (const blob of blobs) unique.set(blob.sha256, blob)
    const sorted = Array.from(unique.values()).sort((a, b) => (a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0))
    return db.run(
      `INSERT INTO victor_blobs (sha256, content, bytes)
       SELECT * FROM unnest($1::text[], $2::text[], $3::integer[])
       ORDER BY 1
       ON CONFLICT (sha256) DO NOTHING`,
      [sorted.map((b) => b.sha256), sorted.map((b) => decoder.decode(b.bytes)), sorted.map((b) => b.bytes.length)]
    )
  }

  const refer = (refs: ReadonlyArray<readonly [traceId: string, sha256: string]>) => {
    if (refs.length === 0) return Effect.void
    const sorted = refs.slice().sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    return db.run(
      `INSERT INTO victor_trace_blobs (trace_id, sha256)
       SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT DO NOTHING`,
      [sorted.map((r) => r[0]), sorted.map((r) => r[1])]
    )
  }

  const read = (sha256: string) =>
    Effect.gen(function*() {
      const hash = yield* TraceBlobs.validateBlobName(sha256)
      const rows = yield* db.values(`SELECT content FROM victor_blobs WHERE sha256 = $1`, [hash]).pipe(
        Effect.mapError(db.unavailable(`read blob ${hash}`))
      )
      const row = rows[0]
      if (row === undefined) {
        return yield* new TraceStore.TraceStoreError({
          reason: "NotFound",
          description: `no blob ${hash} (${db.target.label}); the trace keeps its preview`
        })
      }
      return row[0] as string
    })

  return { insert, refer, read }
}
