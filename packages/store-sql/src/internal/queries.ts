/**
 * What the SQL store is asked about its traces: `list` and `listNodeFacts` are one indexed query each over the
 * summary columns of `victor_traces` (filters and `limit` in SQL: `(workflow_name, start_time)`,
 * `(status, start_time)` and `(start_time)` indexes, newest first then reversed, so a limit reads only what it
 * returns), node facts aggregated per trace in the same statement; `get` reads one document by primary key; `remove`
 * deletes one row (its facts and blob references go with it). Running traces (a row without a document) are read
 * from their journals and rebuilt. `list`, `listNodeFacts` and `prune` run the recovery sweep first; `get` recovers
 * only the trace it reads.
 */
import * as NodeFacts from "@victor/core/NodeFacts"
import * as TraceStore from "@victor/core/TraceStore"
import * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as Effect from "effect/Effect"
import type * as Db from "./db.ts"
import type * as Recovery from "./recovery.ts"
import * as TraceRows from "./traceRows.ts"

/** The WHERE clause and parameters of a query's filters. */
const filtersOf = (query: TraceStore.TraceQuery, params: Array<unknown>): string => {
  const clauses: Array<string> = []
  if (query.workflowName !== undefined) {
    params.push(query.workflowName)
    clauses.push(`workflow_name = $${params.length}`)
  }
  if (query.status !== undefined) {
    params.push(query.status)
    clauses.push(`status = $${params.length}`)
  }
  if (query.since !== undefined) {
    params.push(query.since)
    clauses.push(`start_time >= $${params.length}`)
  }
  return clauses.length === 0 ? "" : `WHERE ${clauses.join(" AND ")}`
}

/**
 * The statement selecting the traces a query matches, oldest first: `columns` of `victor_traces`, with the filters
 * and the limit applied in SQL.
 */
export const selectStatement = (
  columns: string,
  query: TraceStore.TraceQuery = {}
): { readonly text: string; readonly params: ReadonlyArray<unknown> } => {
  const params: Array<unknown> = []
  const where = filtersOf(query, params)
  if (query.limit === undefined) {
    return { text: `SELECT ${columns} FROM victor_traces ${where} ORDER BY start_time, trace_id`, params }
  }
  params.push(Math.max(0, Math.floor(query.limit)))
  // The newest N, then oldest first: the index is read backwards and stops after N.
  return {
    text: `SELECT * FROM (SELECT ${columns} FROM victor_traces ${where}
      ORDER BY start_time DESC, trace_id DESC LIMIT $${params.length}) AS newest ORDER BY start_time, trace_id`,
    params
  }
}

// A node's facts as the statement aggregates them: [node_id, iteration, timestamp, duration, success, error].
type FactTuple = readonly [string, number | null, number, number, boolean, string | null]

const FACTS = `(SELECT json_agg(json_build_array(f.node_id, f.iteration, f."timestamp", f.duration_seconds, f.success,
  f.error) ORDER BY f.position) FROM victor_node_facts f WHERE f.trace_id = victor_traces.trace_id)`

/** What the queries need of the store. */
export interface QueriesOptions {
  readonly db: Db.Db
  readonly rows: TraceRows.TraceRows
  readonly recovery: Recovery.Recovery
}

/** The store's `get`, `list`, `listNodeFacts` and `remove`. */
export const make = (
  options: QueriesOptions
): Pick<TraceStore.TraceStore["Type"], "get" | "list" | "remove"> & NodeFacts.NodeFactsIndex["Type"] => {
  const { db, recovery, rows } = options

  const get = (traceId: string): Effect.Effect<WorkflowTrace.WorkflowTrace, TraceStore.TraceStoreError> =>
    Effect.gen(function*() {
      const id = yield* TraceStore.validateId(traceId)
      // A running trace can finish, or be recovered, while it is read: then its row is read again.
      for (let attempt = 0; attempt < 3; attempt++) {
        const found = yield* db.values(`SELECT document FROM victor_traces WHERE trace_id = $1`, [id]).pipe(
          Effect.mapError(db.unavailable(`read trace ${id}`, id))
        )
        const row = found[0]
        if (row === undefined) return yield* TraceStore.notFound(id)
        const document = row[0] as string | null
        if (document !== null) return yield* rows.decode(id, document)
        const outcome = yield* recovery.recoverOne(id)
        if (outcome._tag === "Recovered") return outcome.trace
        if (outcome._tag === "Live") {
          const live = (yield* recovery.running([id])).get(id)
          if (live !== undefined) return live
        }
      }
      return yield* TraceStore.notFound(id)
    })

  /**
   * An effect in one read-only snapshot (REPEATABLE READ: a running trace's row and its journal are read as they were
   * at one moment), with PostgreSQL's JIT compilation off: on these short scans it costs more than it saves.
   */
  const snapshot = <A, E>(effect: Effect.Effect<A, E>) =>
    db.sql.withTransaction(
      Effect.zipRight(
        Effect.zipRight(
          db.run(`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`),
          db.run(`SET LOCAL jit = off`)
        ),
        effect
      )
    )

  /** The rows a statement selects, with running traces (rows without a document) rebuilt from their journals. */
  const rowsOf = <A>(
    statement: { readonly text: string; readonly params: ReadonlyArray<unknown> },
    finished: (row: ReadonlyArray<unknown>, summary: WorkflowTrace.TraceSummary) => A,
    running: (trace: WorkflowTrace.WorkflowTrace) => A
  ) =>
    Effect.gen(function*() {
      const selected = yield* db.values(statement.text, statement.params)
      const out: Array<A> = new Array(selected.length)
      const journaled: Array<number> = []
      for (let i = 0; i < selected.length; i++) {
        const row = selected[i]!
        if (row[8] === true) journaled.push(i)
        else out[i] = finished(row, TraceRows.summaryOf(row))
      }
      if (journaled.length === 0) return { rows: out, complete: true }
      // Few, as a rule (the runs going on now).
      const live = yield* recovery.running(journaled.map((i) => selected[i]![0] as string))
      for (const i of journaled) {
        const trace = live.get(selected[i]![0] as string)
        if (trace !== undefined) out[i] = running(trace)
      }
      // A journal gone since the rows were read (its run finished, or was recovered) is read again in a snapshot.
      return { rows: out.filter((a) => a !== undefined), complete: live.size === journaled.length }
    })

  /**
   * The rows a query selects (`extra`: more columns after the summary's, handed to `finished` with the row). One
   * statement, unless running traces changed while it was read: then again in one snapshot (a running trace's row
   * and its journal as they were at one moment). With `heavy` (node facts), always in the snapshot, which also turns
   * PostgreSQL's JIT compilation off: on such a query it costs more than it saves.
   */
  const select = <A>(
    query: TraceStore.TraceQuery | undefined,
    extra: string,
    heavy: boolean,
    finished: (row: ReadonlyArray<unknown>, summary: WorkflowTrace.TraceSummary) => A,
    running: (trace: WorkflowTrace.WorkflowTrace) => A
  ): Effect.Effect<ReadonlyArray<A>, TraceStore.TraceStoreError> =>
    Effect.gen(function*() {
      yield* recovery.sweep
      const statement = selectStatement(
        `${TraceRows.SUMMARY_COLUMNS}, CASE WHEN status = 'running' THEN document IS NULL END${extra}`,
        query
      )
      if (!heavy) {
        const first = yield* rowsOf(statement, finished, running)
        if (first.complete) return first.rows
      }
      const again = yield* snapshot(rowsOf(statement, finished, running))
      return again.rows
    }).pipe(Effect.catchTag("SqlError", (error) => Effect.fail(db.unavailable("list traces")(error))))

  const list = (query?: TraceStore.TraceQuery) =>
    select(query, "", false, (_, summary) => summary, WorkflowTrace.summarize)

  const listNodeFacts = (query?: TraceStore.TraceQuery) =>
    select(query, `, ${FACTS}`, true, (row, summary): NodeFacts.TraceFacts => {
      const facts = (row[9] as ReadonlyArray<FactTuple> | null) ?? []
      return {
        ...summary,
        nodes: facts.map((f) => ({
          nodeId: f[0],
          iteration: f[1],
          timestamp: f[2],
          durationSeconds: f[3],
          success: f[4],
          error: f[5]
        }))
      }
    }, NodeFacts.factsOf)

  const remove = (traceId: string): Effect.Effect<void, TraceStore.TraceStoreError> =>
    Effect.gen(function*() {
      const id = yield* TraceStore.validateId(traceId)
      // Facts and blob references go with the row (ON DELETE CASCADE); blobs stay until a prune.
      const deleted = yield* db.values(
        `DELETE FROM victor_traces WHERE trace_id = $1 AND document IS NOT NULL RETURNING trace_id`,
        [id]
      ).pipe(Effect.mapError(db.unavailable(`remove trace ${id}`, id)))
      if (deleted.length === 0) return yield* TraceStore.notFound(id)
    })

  return { get, list, listNodeFacts, remove }
}
