/**
 * The store's way to the database: statements with `$n` placeholders and their parameters (every value a parameter,
 * never spliced into the text), results as plain rows whatever name transforms the client was built with, and
 * transactions that are retried when PostgreSQL gives up on them (a deadlock, a serialization failure, or a blob a
 * concurrent prune removed under a writer: the retry writes it again).
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import * as TraceStore from "@victor/core/TraceStore"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Target from "./target.ts"

/** What the store's modules use to talk to the database. */
export interface Db {
  readonly sql: SqlClient.SqlClient
  readonly target: Target.Target
  /** Runs a statement; its rows as objects keyed by column name. */
  readonly rows: <A extends object = Record<string, unknown>>(
    text: string,
    params?: ReadonlyArray<unknown>
  ) => Effect.Effect<ReadonlyArray<A>, SqlError.SqlError>
  /** Runs a statement; its rows as arrays of column values (less work for the driver on large results). */
  readonly values: (
    text: string,
    params?: ReadonlyArray<unknown>
  ) => Effect.Effect<ReadonlyArray<ReadonlyArray<unknown>>, SqlError.SqlError>
  /** Runs a statement for its effect. */
  readonly run: (text: string, params?: ReadonlyArray<unknown>) => Effect.Effect<void, SqlError.SqlError>
  /**
   * Runs an effect in one transaction, again from the start (up to 4 times) when PostgreSQL aborts it for a
   * reason a retry cures; a failure of the effect itself rolls it back.
   */
  readonly transaction: <A, E>(effect: Effect.Effect<A, E>) => Effect.Effect<A, E | SqlError.SqlError>
  /** Maps a database failure to the store's `Unavailable` error, naming the operation and the database. */
  readonly unavailable: (what: string, traceId?: string) => (error: SqlError.SqlError) => TraceStore.TraceStoreError
}

// deadlock_detected, serialization_failure, foreign_key_violation (a blob removed by a concurrent prune).
const RETRYABLE = new Set(["40P01", "40001", "23503"])

const isRetryable = (error: unknown) =>
  typeof error === "object" && error !== null && (error as { readonly _tag?: unknown })._tag === "SqlError" &&
  RETRYABLE.has(Target.sqlStateOf(error as SqlError.SqlError) ?? "")

/** The database helper over a client. */
export const make = (sql: SqlClient.SqlClient, target: Target.Target): Db => {
  const rows = <A extends object>(text: string, params: ReadonlyArray<unknown> = []) =>
    sql.unsafe<A>(text, params).withoutTransform
  const values = (text: string, params: ReadonlyArray<unknown> = []) => sql.unsafe(text, params).values
  const run = (text: string, params: ReadonlyArray<unknown> = []) => Effect.asVoid(sql.unsafe(text, params).raw)
  const transaction = <A, E>(effect: Effect.Effect<A, E>) =>
    sql.withTransaction(effect).pipe(
      Effect.retry({ while: isRetryable, schedule: Schedule.exponential("5 millis").pipe(Schedule.jittered), times: 4 })
    )
  return {
    sql,
    target,
    rows,
    values,
    run,
    transaction,
    unavailable: (what, traceId) => Target.unavailable(target, what, traceId)
  }
}

/** The `Db` of the `SqlClient` in context. */
export const fromContext = (target: Target.Target): Effect.Effect<Db, never, SqlClient.SqlClient> =>
  Effect.map(SqlClient.SqlClient, (sql) => make(sql, target))
