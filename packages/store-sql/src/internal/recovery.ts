/**
 * Recovery of the journals of runs that are gone, and the view of those that live.
 *
 * A journal's run is gone when its advisory lock can be taken (`lockSession.ts`: the run holds it on its connection
 * for as long as it lives). `sweep` finds such journals with one statement (`pg_try_advisory_xact_lock` per journal,
 * released when the statement ends), then recovers each in its own transaction: the transaction takes the lock
 * again (a transaction-level lock, so a recovering process that dies half-way leaves nothing held), reads the header
 * and the entries, stores `Journal.rebuild(header, entries, "incomplete")` (finished nodes kept, open nodes failed)
 * unless the run's real trace is there already, and deletes the journal. Several processes recovering at once are
 * safe: one takes the lock and the others skip the journal, or find it gone once they have the lock.
 *
 * A live journal is read in one statement (header and entries in one snapshot) and rebuilt as `running`.
 */
import * as Journal from "@victor/core/Journal"
import type * as TraceStore from "@victor/core/TraceStore"
import type * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Db from "./db.ts"
import * as Schema from "./schema.ts"
import type * as TraceRows from "./traceRows.ts"

/** What became of a journal a recovery looked at. */
export type Outcome =
  | { readonly _tag: "Recovered"; readonly trace: WorkflowTrace.WorkflowTrace }
  | { readonly _tag: "Live" }
  | { readonly _tag: "Gone" }

/** The recovery of a store. */
export interface Recovery {
  /** Recovers every journal whose run is gone; returns their ids. */
  readonly sweep: Effect.Effect<ReadonlyArray<string>, TraceStore.TraceStoreError>
  /** Recovers the journal of one trace if its run is gone. */
  readonly recoverOne: (traceId: string) => Effect.Effect<Outcome, TraceStore.TraceStoreError>
  /** The running traces of live journals, by id (those not found are gone: finished or recovered meanwhile). */
  readonly running: (
    traceIds: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlyMap<string, WorkflowTrace.WorkflowTrace>, TraceStore.TraceStoreError>
}

/** A journal as stored: its header line and entry lines, rebuilt. */
const rebuild = (
  headerText: string,
  entryTexts: ReadonlyArray<string> | null,
  status: "running" | "incomplete"
): WorkflowTrace.WorkflowTrace | undefined => {
  const parsed = Journal.parseHeader(headerText)
  if (parsed._tag === "Left") return undefined
  const entries: Array<Journal.JournalEntry> = []
  for (const text of entryTexts ?? []) {
    const entry = Journal.decodeLine(text)
    if (entry !== undefined) entries.push(entry)
  }
  return Journal.rebuild(parsed.right.header, entries, status)
}

/** The recovery of the store the database is of. */
export const make = (db: Db.Db, rows: TraceRows.TraceRows): Recovery => {
  const unreadable = (id: string) =>
    Effect.logWarning(`the journal of trace ${id} has no readable header (${db.target.label}); it is left as it is`)

  const recoverOne = (id: string): Effect.Effect<Outcome, TraceStore.TraceStoreError> =>
    db.transaction(Effect.gen(function*() {
      const [locked] = yield* db.values(`SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))`, [
        Schema.journalLock(id)
      ])
      if (locked?.[0] !== true) return { _tag: "Live" } as const
      // Under the lock: a journal another process recovered (or whose run finished) meanwhile is gone.
      const found = yield* db.values(
        `SELECT j.header, (SELECT array_agg(e.entry ORDER BY e.seq) FROM victor_journal_entries e
           WHERE e.trace_id = j.trace_id)
         FROM victor_journals j WHERE j.trace_id = $1`,
        [id]
      )
      const row = found[0]
      if (row === undefined) return { _tag: "Gone" } as const
      const trace = rebuild(row[0] as string, row[1] as ReadonlyArray<string> | null, "incomplete")
      if (trace === undefined) {
        yield* unreadable(id)
        return { _tag: "Gone" } as const
      }
      // Entries were captured when they were appended: their large payloads are blob references already.
      yield* rows.write([trace], { capture: false, onlyWhereRunning: true, finishing: id })
      return { _tag: "Recovered", trace } as const
    })).pipe(
      Effect.catchTag("SqlError", (error) => Effect.fail(db.unavailable(`recover the journal of trace ${id}`, id)(error)))
    )

  const sweep = Effect.gen(function*() {
    // The journals whose lock could be taken right now (each lock is let go when this statement ends).
    const dead = yield* db.values(
      `SELECT trace_id FROM victor_journals WHERE pg_try_advisory_xact_lock(lock_key) ORDER BY trace_id`
    ).pipe(Effect.mapError(db.unavailable("look for the journals of runs that are gone")))
    if (dead.length === 0) return []
    const outcomes = yield* Effect.forEach(dead, (row) => {
      const id = row[0] as string
      return Effect.map(recoverOne(id), (outcome) => outcome._tag === "Recovered" ? Option.some(id) : Option.none())
    }, { concurrency: 4 })
    return outcomes.flatMap(Option.toArray)
  })

  const running = (traceIds: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const found = new Map<string, WorkflowTrace.WorkflowTrace>()
      if (traceIds.length === 0) return found
      const journals = yield* db.values(
        `SELECT j.trace_id, j.header, (SELECT array_agg(e.entry ORDER BY e.seq) FROM victor_journal_entries e
           WHERE e.trace_id = j.trace_id)
         FROM victor_journals j WHERE j.trace_id = ANY($1::text[])`,
        [traceIds]
      ).pipe(Effect.mapError(db.unavailable("read the journals of running traces")))
      for (const row of journals) {
        const id = row[0] as string
        const trace = rebuild(row[1] as string, row[2] as ReadonlyArray<string> | null, "running")
        if (trace === undefined) yield* unreadable(id)
        else found.set(id, trace)
      }
      return found
    })

  return { sweep, recoverOne, running }
}
