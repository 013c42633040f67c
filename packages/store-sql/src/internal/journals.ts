/**
 * The journals of running traces. `begin` takes the trace's advisory lock (`lockSession.ts`) and then, in one
 * transaction, inserts the trace's row (status `running`, no document yet) and its journal's header; `append` inserts
 * a batch of entries in one statement (in one transaction with the blobs they refer to, when they refer to any), in
 * order; `finish` stores the final trace and deletes the journal (and its entries) in one transaction, then lets go
 * of the lock; `abandon` only lets go of the lock, so that the next `recover` anywhere stores the journal as an
 * `incomplete` trace. The lock is taken before the journal exists and let go after it is gone, so no other process
 * ever sees a journal of a live run without its lock held.
 */
import * as Journal from "@victor/core/Journal"
import type * as Payload from "@victor/core/Payload"
import * as TraceJournals from "@victor/core/TraceJournals"
import * as TraceStore from "@victor/core/TraceStore"
import * as Effect from "effect/Effect"
import type * as Blobs from "./blobs.ts"
import type * as Db from "./db.ts"
import type * as LockSession from "./lockSession.ts"
import * as Schema from "./schema.ts"
import * as Target from "./target.ts"
import type * as TraceRows from "./traceRows.ts"

/** What the journals need of the store. */
export interface JournalsOptions {
  readonly db: Db.Db
  readonly locks: LockSession.LockSession
  readonly blobs: Blobs.Blobs
  readonly rows: TraceRows.TraceRows
  readonly capturer: Payload.Capturer
  /** Whether the store's scope has closed: no journal can begin then (its lock would not be held). */
  readonly isClosed: () => boolean
}

const gone = (db: Db.Db, id: string) =>
  new TraceStore.TraceStoreError({
    reason: "Unavailable",
    traceId: id,
    description: `cannot append to the journal of trace ${id} (${db.target.label}): the journal is gone ` +
      `(this process lost its connection and another one recovered the trace, or it was removed)`
  })

/** The store's `begin`. */
export const make = (options: JournalsOptions) => {
  const { blobs, capturer, db, locks, rows } = options

  /** The header with its inputs captured as a trace's are, and the blobs that makes. */
  const captureHeader = (header: Journal.JournalHeader) =>
    Effect.gen(function*() {
      // The capturer takes traces and entries: the inputs go through it as those of a started node.
      const started = Journal.nodeStarted({ nodeId: "", nodeType: "", timestamp: header.startTime, inputs: header.inputs })
      const captured = yield* capturer.entries([started])
      const entry = captured.entries[0]
      if (entry === started || entry?._tag !== "NodeStarted") return { header, blobs: captured.blobs }
      return { header: { ...header, inputs: entry.node.inputs }, blobs: captured.blobs }
    })

  const begin = (header: Journal.JournalHeader): Effect.Effect<TraceJournals.TraceJournal, TraceStore.TraceStoreError> =>
    Effect.gen(function*() {
      const id = yield* TraceStore.validateId(header.traceId)
      if (options.isClosed()) {
        return yield* new TraceStore.TraceStoreError({
          reason: "Unavailable",
          traceId: id,
          description: `cannot begin the journal of trace ${id} (${db.target.label}): the store is closed`
        })
      }
      const key = Schema.journalLock(id)
      const cannot = (what: string) => db.unavailable(`${what} the journal of trace ${id}`, id)
      const locked = yield* Effect.mapError(locks.tryLock(key), cannot("lock"))
      if (!locked) {
        return yield* new TraceStore.TraceStoreError({
          reason: "Unavailable",
          traceId: id,
          description: `cannot begin the journal of trace ${id} (${db.target.label}): a live run is writing it`
        })
      }
      const captured = yield* captureHeader(header)
      const headerText = yield* Effect.try({
        try: () => Journal.encodeHeader(captured.header),
        catch: () => Target.corrupt(db.target, `the header of trace ${id} holds a value JSON cannot represent`, id)
      })
      yield* db.transaction(Effect.gen(function*() {
        yield* blobs.insert(captured.blobs)
        // A finished trace of the same id stays listed as it is; the journal is what a crash would leave.
        yield* db.run(
          `INSERT INTO victor_traces (trace_id, workflow_name, status, start_time, end_time, duration_seconds,
             node_count, failed_node_count, bytes, document)
           VALUES ($1, $2, 'running', $3, NULL, 0, 0, 0, 0, NULL)
           ON CONFLICT (trace_id) DO UPDATE SET workflow_name = EXCLUDED.workflow_name,
             start_time = EXCLUDED.start_time, status = 'running'
           WHERE victor_traces.document IS NULL`,
          [id, header.workflowName, header.startTime]
        )
        // A journal left by a dead run of the same id (its lock is ours now) is replaced.
        yield* db.run(`DELETE FROM victor_journals WHERE trace_id = $1`, [id])
        yield* db.run(
          `INSERT INTO victor_journals (trace_id, lock_key, header) VALUES ($1, hashtextextended($2, 0), $3)`,
          [id, key, headerText]
        )
        yield* blobs.refer(captured.blobs.map((b) => [id, b.sha256] as const))
      })).pipe(
        Effect.mapError(cannot("begin")),
        Effect.onError(() => locks.unlock(key))
      )

      // One write at a time, in order (the tracer's writer never overlaps itself, but `finish` may come meanwhile).
      const permit = yield* Effect.makeSemaphore(1)
      let next = 0
      let closed = false

      const append = (entries: ReadonlyArray<Journal.JournalEntry>) =>
        permit.withPermits(1)(Effect.gen(function*() {
          if (closed || entries.length === 0) return
          if (!locks.isHeld(key)) return yield* gone(db, id)
          const capturedEntries = yield* capturer.entries(entries)
          const texts = yield* Effect.try({
            try: () => capturedEntries.entries.map(Journal.encodeEntry),
            catch: (cause) =>
              Target.corrupt(
                db.target,
                `cannot journal trace ${id}: an entry holds a value JSON cannot represent (${
                  cause instanceof Error ? cause.message : String(cause)
                })`,
                id
              )
          })
          const insert = db.run(
            `INSERT INTO victor_journal_entries (trace_id, seq, entry)
             SELECT $1, $2 + u.ord - 1, u.entry FROM unnest($3::text[]) WITH ORDINALITY AS u(entry, ord)`,
            [id, next, texts]
          )
          const written = capturedEntries.blobs.length === 0 ? insert : db.transaction(Effect.gen(function*() {
            yield* blobs.insert(capturedEntries.blobs)
            yield* blobs.refer(capturedEntries.blobs.map((b) => [id, b.sha256] as const))
            yield* insert
          }))
          yield* written.pipe(
            Effect.catchTag("SqlError", (error) =>
              Effect.fail(Target.sqlStateOf(error) === "23503" ? gone(db, id) : cannot("append to")(error)))
          )
          next += texts.length
        }))

      const finish = (trace: Parameters<TraceJournals.TraceJournal["finish"]>[0]) =>
        permit.withPermits(1)(Effect.gen(function*() {
          if (trace.traceId !== id) {
            return yield* new TraceStore.TraceStoreError({
              reason: "InvalidId",
              traceId: trace.traceId,
              description: `the journal of trace ${id} cannot be finished with trace ${trace.traceId}`
            })
          }
          // The final trace replaces the journal in one transaction: a crash leaves one or the other.
          yield* rows.write([trace], { capture: true, finishing: id })
          closed = true
          yield* locks.unlock(key)
        }))

      const abandon = permit.withPermits(1)(Effect.suspend(() => {
        if (closed) return Effect.void
        closed = true
        return locks.unlock(key)
      }))

      return { traceId: id, append, finish, abandon } satisfies TraceJournals.TraceJournal
    })

  return { begin }
}
