/**
 * Finished traces as rows: `write` stores traces (captured: large payloads to blobs) with their summary columns,
 * node facts and blob references in one transaction, any number at once (one statement per table, over arrays, so
 * that an import of 100,000 traces is a few hundred statements, not a million); `decode` reads a stored document
 * back. The document is the trace's compact JSON in the guide's wire format.
 */
import * as Payload from "@victor/core/Payload"
import * as TraceDecoder from "@victor/core/TraceDecoder"
import * as TraceJson from "@victor/core/TraceJson"
import * as NodeFacts from "@victor/core/NodeFacts"
import * as TraceStore from "@victor/core/TraceStore"
import * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import type * as SqlError from "@effect/sql/SqlError"
import * as Blobs from "./blobs.ts"
import type * as Db from "./db.ts"
import * as Target from "./target.ts"

/** How `write` stores traces. */
export interface WriteOptions {
  /** Capture payloads (large ones to blobs) first; false for a trace built from captured entries (recovery). */
  readonly capture: boolean
  /** Only where no finished trace is stored yet (a recovered journal never replaces a run's real trace). */
  readonly onlyWhereRunning?: boolean
  /** The journal this write finishes (a run's, or a recovery's): removed in the same transaction. */
  readonly finishing?: string
}

/** A trace ready to be written: its row's values. */
interface Prepared {
  readonly summary: WorkflowTrace.TraceSummary
  readonly document: string
  readonly facts: ReadonlyArray<NodeFacts.NodeFacts>
  readonly blobs: ReadonlyArray<Payload.Blob>
  readonly hashes: ReadonlyArray<string>
}

/** The columns `list` reads, in this order (see `summaryOf`). */
export const SUMMARY_COLUMNS =
  "trace_id, workflow_name, status, start_time, end_time, duration_seconds, node_count, failed_node_count"

/**
 * The summary of a row read with `SUMMARY_COLUMNS` first. Taken as it is, not decoded: the columns are the
 * `WorkflowTrace.TraceSummary` schema's fields, typed and checked by the table (text, a CHECK on status, double
 * precision times, integer counts), and written only from `WorkflowTrace.summarize`.
 */
export const summaryOf = (row: ReadonlyArray<unknown>): WorkflowTrace.TraceSummary => ({
  traceId: row[0] as string,
  workflowName: row[1] as string,
  status: row[2] as WorkflowTrace.TraceStatus,
  startTime: row[3] as number,
  endTime: row[4] as number | null,
  durationSeconds: row[5] as number,
  nodeCount: row[6] as number,
  failedNodeCount: row[7] as number
})

/** The finished traces of a store. */
export interface TraceRows {
  /** Stores traces, replacing those with the same ids; returns the ids written. */
  readonly write: (
    traces: ReadonlyArray<WorkflowTrace.WorkflowTrace>,
    options: WriteOptions
  ) => Effect.Effect<ReadonlyArray<string>, TraceStore.TraceStoreError>
  /** A stored document decoded, or a `Corrupt` error naming the trace and the field. */
  readonly decode: (traceId: string, document: string) => Effect.Effect<WorkflowTrace.WorkflowTrace, TraceStore.TraceStoreError>
}

/** The finished traces of the store the database is of. */
export const make = (db: Db.Db, blobs: Blobs.Blobs, capturer: Payload.Capturer): TraceRows => {
  const prepare = (trace: WorkflowTrace.WorkflowTrace, capture: boolean): Effect.Effect<Prepared, TraceStore.TraceStoreError> =>
    Effect.gen(function*() {
      const captured = capture ? yield* capturer.trace(trace) : { trace, blobs: [] }
      const document = yield* Effect.try({
        try: () => TraceJson.encodeToString(captured.trace, { indent: 0 }),
        catch: (cause) =>
          Target.corrupt(
            db.target,
            `trace ${trace.traceId} cannot be stored: it holds a value JSON cannot represent (${
              cause instanceof Error ? cause.message : String(cause)
            })`,
            trace.traceId
          )
      })
      return {
        summary: WorkflowTrace.summarize(captured.trace),
        document,
        facts: captured.trace.nodes.map(NodeFacts.nodeFactsOf),
        blobs: captured.blobs,
        hashes: Blobs.hashesOf(document, captured.blobs)
      }
    })

  const upsert = (prepared: ReadonlyArray<Prepared>, onlyWhereRunning: boolean) => {
    const s = prepared.map((p) => p.summary)
    const guard = onlyWhereRunning ? "WHERE victor_traces.document IS NULL" : ""
    const columns = `trace_id, workflow_name, status, start_time, end_time, duration_seconds, node_count,
      failed_node_count, document`
    const update = `ON CONFLICT (trace_id) DO UPDATE SET workflow_name = EXCLUDED.workflow_name,
        status = EXCLUDED.status, start_time = EXCLUDED.start_time, end_time = EXCLUDED.end_time,
        duration_seconds = EXCLUDED.duration_seconds, node_count = EXCLUDED.node_count,
        failed_node_count = EXCLUDED.failed_node_count, bytes = EXCLUDED.bytes, document = EXCLUDED.document,
        stored_at = EXCLUDED.stored_at
      ${guard}
      RETURNING trace_id`
    const only = prepared.length === 1 ? prepared[0]! : undefined
    // One trace (a 100,000-node one is tens of MB): plain parameters, not an array literal the driver would escape.
    const statement = only !== undefined
      ? db.values(
        `INSERT INTO victor_traces (${columns}, bytes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, octet_length($9))
         ${update}`,
        [
          only.summary.traceId,
          only.summary.workflowName,
          only.summary.status,
          only.summary.startTime,
          only.summary.endTime,
          only.summary.durationSeconds,
          only.summary.nodeCount,
          only.summary.failedNodeCount,
          only.document
        ]
      )
      : db.values(
        `INSERT INTO victor_traces (${columns}, bytes)
         SELECT t.*, octet_length(t.document) FROM unnest($1::text[], $2::text[], $3::text[],
           $4::double precision[], $5::double precision[], $6::double precision[], $7::integer[], $8::integer[],
           $9::text[]) AS t(${columns})
         ${update}`,
        [
          s.map((x) => x.traceId),
          s.map((x) => x.workflowName),
          s.map((x) => x.status),
          s.map((x) => x.startTime),
          s.map((x) => x.endTime),
          s.map((x) => x.durationSeconds),
          s.map((x) => x.nodeCount),
          s.map((x) => x.failedNodeCount),
          prepared.map((p) => p.document)
        ]
      )
    return Effect.map(statement, (rows) => rows.map((row) => row[0] as string))
  }

  const replaceFacts = (prepared: ReadonlyArray<Prepared>) =>
    Effect.gen(function*() {
      yield* db.run(`DELETE FROM victor_node_facts WHERE trace_id = ANY($1::text[])`, [
        prepared.map((p) => p.summary.traceId)
      ])
      const count = prepared.reduce((sum, p) => sum + p.facts.length, 0)
      if (count === 0) return
      const traceIds = new Array<string>(count)
      const positions = new Array<number>(count)
      const nodeIds = new Array<string>(count)
      const iterations = new Array<number | null>(count)
      const timestamps = new Array<number>(count)
      const durations = new Array<number>(count)
      const successes = new Array<boolean>(count)
      const errors = new Array<string | null>(count)
      let i = 0
      for (const p of prepared) {
        p.facts.forEach((f, position) => {
          traceIds[i] = p.summary.traceId
          positions[i] = position
          nodeIds[i] = f.nodeId
          iterations[i] = f.iteration
          timestamps[i] = f.timestamp
          durations[i] = f.durationSeconds
          successes[i] = f.success
          errors[i] = f.error
          i++
        })
      }
      yield* db.run(
        `INSERT INTO victor_node_facts
           (trace_id, position, node_id, iteration, "timestamp", duration_seconds, success, error)
         SELECT * FROM unnest($1::text[], $2::integer[], $3::text[], $4::double precision[], $5::double precision[],
           $6::double precision[], $7::boolean[], $8::text[])`,
        [traceIds, positions, nodeIds, iterations, timestamps, durations, successes, errors]
      )
    })

  const replaceRefs = (prepared: ReadonlyArray<Prepared>) =>
    Effect.gen(function*() {
      // A running journal of the same id keeps the references its entries made.
      yield* db.run(
        `DELETE FROM victor_trace_blobs r WHERE r.trace_id = ANY($1::text[])
           AND NOT EXISTS (SELECT 1 FROM victor_journals j WHERE j.trace_id = r.trace_id)`,
        [prepared.map((p) => p.summary.traceId)]
      )
      yield* blobs.refer(prepared.flatMap((p) => p.hashes.map((hash) => [p.summary.traceId, hash] as const)))
    })

  const writePrepared = (all: ReadonlyArray<Prepared>, options: WriteOptions): Effect.Effect<ReadonlyArray<string>, SqlError.SqlError> =>
    db.transaction(Effect.gen(function*() {
      yield* blobs.insert(all.flatMap((p) => p.blobs))
      const written = new Set(yield* upsert(all, options.onlyWhereRunning === true))
      // Before the references are replaced: the journal's go with it, the final trace's are what stays.
      if (options.finishing !== undefined) {
        yield* db.run(`DELETE FROM victor_journals WHERE trace_id = $1`, [options.finishing])
      }
      const kept = written.size === all.length ? all : all.filter((p) => written.has(p.summary.traceId))
      if (kept.length > 0) {
        yield* replaceFacts(kept)
        yield* replaceRefs(kept)
      }
      return Array.from(written)
    }))

  const write = (traces: ReadonlyArray<WorkflowTrace.WorkflowTrace>, options: WriteOptions) =>
    Effect.gen(function*() {
      // The last of several traces with one id wins, as if they were saved one after the other.
      const byId = new Map<string, WorkflowTrace.WorkflowTrace>()
      for (const trace of traces) byId.set(yield* TraceStore.validateId(trace.traceId), trace)
      if (byId.size === 0) return []
      const prepared = yield* Effect.forEach(byId.values(), (trace) => prepare(trace, options.capture))
      const only = byId.size === 1 ? byId.keys().next().value : undefined
      return yield* writePrepared(prepared, options).pipe(
        Effect.mapError(db.unavailable(only === undefined ? `store ${byId.size} traces` : `store trace ${only}`, only))
      )
    })

  const decode = (traceId: string, document: string) =>
    Effect.gen(function*() {
      let json: unknown
      try {
        json = JSON.parse(document)
      } catch (cause) {
        return yield* Target.corrupt(
          db.target,
          `trace ${traceId} is not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`,
          traceId
        )
      }
      const decoded = TraceDecoder.decodeUnknownEither(json)
      if (decoded._tag === "Left") {
        return yield* Target.corrupt(
          db.target,
          `trace ${traceId} is not a valid trace: ${ParseResult.TreeFormatter.formatErrorSync(decoded.left)}`,
          traceId
        )
      }
      return decoded.right
    })

  return { write, decode }
}
