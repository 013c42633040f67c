/**
 * The tables of the SQL store, created and upgraded by `@effect/sql`'s Migrator from versioned migrations (a new
 * version is a new `N_name` key: never edit one that has shipped). All names start with `victor_`, so the store can
 * share a database with other applications. Text keys use the "C" collation: ids sort by code point, as
 * `TraceStore.applyQuery` sorts them, whatever the database's locale.
 *
 * Migrations run under a transaction-level advisory lock, so that many processes starting against a fresh database
 * at once create the tables exactly once.
 */
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

/** The Migrator's bookkeeping table. */
export const MIGRATIONS_TABLE = "victor_migrations"

/** The advisory lock key text that serialises migrations (see `lockKey`). */
export const MIGRATION_LOCK = "victor/migrations"

/** The advisory lock key text of a trace's journal: held by the run writing it, for as long as it runs. */
export const journalLock = (traceId: string) => `victor/journal/${traceId}`

const statements = (sql: SqlClient.SqlClient, texts: ReadonlyArray<string>) =>
  Effect.forEach(texts, (text) => sql.unsafe(text).raw, { discard: true })

/** Version 1: traces with their summary columns, node facts, blobs and their references, journals. */
const createTables = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  statements(sql, [
    // One row per trace. `document` is the trace's JSON (compact, large payloads as blob references); it is null
    // while only a journal holds the trace (a running trace: its summary columns then come from the header).
    `CREATE TABLE victor_traces (
      trace_id text COLLATE "C" PRIMARY KEY,
      workflow_name text COLLATE "C" NOT NULL,
      status text COLLATE "C" NOT NULL
        CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled', 'incomplete')),
      start_time double precision NOT NULL,
      end_time double precision,
      duration_seconds double precision NOT NULL,
      node_count integer NOT NULL,
      failed_node_count integer NOT NULL,
      bytes bigint NOT NULL DEFAULT 0,
      document text,
      stored_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE INDEX victor_traces_workflow_start ON victor_traces (workflow_name, start_time, trace_id)`,
    `CREATE INDEX victor_traces_status_start ON victor_traces (status, start_time, trace_id)`,
    `CREATE INDEX victor_traces_start ON victor_traces (start_time, trace_id)`,
    // What history statistics read of each node record (`NodeFacts.NodeFacts`), in order.
    `CREATE TABLE victor_node_facts (
      trace_id text COLLATE "C" NOT NULL REFERENCES victor_traces (trace_id) ON DELETE CASCADE,
      position integer NOT NULL,
      node_id text NOT NULL,
      iteration double precision,
      "timestamp" double precision NOT NULL,
      duration_seconds double precision NOT NULL,
      success boolean NOT NULL,
      error text,
      PRIMARY KEY (trace_id, position)
    )`,
    // Large payloads, once each by content (`@victor/core/Payload`): inserted with ON CONFLICT DO NOTHING.
    `CREATE TABLE victor_blobs (
      sha256 text COLLATE "C" PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      content text NOT NULL,
      bytes integer NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
    // Which trace (or running journal) refers to which blob. The foreign key to the blob makes a writer and a
    // prune that race over a blob safe: the prune skips a blob a writer is referring to (FOR UPDATE SKIP LOCKED),
    // and a writer whose blob a prune removed first fails and retries.
    `CREATE TABLE victor_trace_blobs (
      trace_id text COLLATE "C" NOT NULL REFERENCES victor_traces (trace_id) ON DELETE CASCADE,
      sha256 text COLLATE "C" NOT NULL REFERENCES victor_blobs (sha256),
      PRIMARY KEY (trace_id, sha256)
    )`,
    `CREATE INDEX victor_trace_blobs_sha256 ON victor_trace_blobs (sha256)`,
    // The journal of a running trace: its header, and its entries in order. Its run holds the session-level
    // advisory lock `lock_key` while it lives; a journal whose lock can be taken belongs to a run that is gone.
    `CREATE TABLE victor_journals (
      trace_id text COLLATE "C" PRIMARY KEY REFERENCES victor_traces (trace_id) ON DELETE CASCADE,
      lock_key bigint NOT NULL,
      header text NOT NULL,
      began_at timestamptz NOT NULL DEFAULT now()
    )`,
    // Documents and blobs are large and read whole: lz4 compresses several times faster than the default pglz
    // (PostgreSQL 14+ built with lz4; elsewhere the default stays).
    `DO $$ BEGIN
       IF (SELECT 'lz4' = ANY (enumvals) FROM pg_settings WHERE name = 'default_toast_compression') THEN
         EXECUTE 'ALTER TABLE victor_traces ALTER COLUMN document SET COMPRESSION lz4';
         EXECUTE 'ALTER TABLE victor_blobs ALTER COLUMN content SET COMPRESSION lz4';
       END IF;
     END $$`,
    `CREATE TABLE victor_journal_entries (
      trace_id text COLLATE "C" NOT NULL REFERENCES victor_journals (trace_id) ON DELETE CASCADE,
      seq integer NOT NULL,
      entry text NOT NULL,
      PRIMARY KEY (trace_id, seq)
    )`
  ]))

/** The migrations, by version. */
export const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
  "1_create_tables": createTables
}

const LATEST = Math.max(...Object.keys(migrations).map((key) => Number.parseInt(key, 10)))

/**
 * Creates or upgrades the tables. One process at a time (a transaction-level advisory lock); the Migrator's own
 * table is created under the lock first, so that its unguarded "create if missing" never races.
 */
export const migrate: Effect.Effect<
  ReadonlyArray<readonly [id: number, name: string]>,
  Migrator.MigrationError | import("@effect/sql/SqlError").SqlError,
  SqlClient.SqlClient
> = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  // Up to date already (every start of a store but the first): no lock taken.
  const current = yield* Effect.option(sql.unsafe(`SELECT max(migration_id) FROM ${MIGRATIONS_TABLE}`).values)
  if (current._tag === "Some" && current.value[0]?.[0] === LATEST) return []
  const run = Migrator.make({})({ loader: Migrator.fromRecord(migrations), table: MIGRATIONS_TABLE })
  return yield* sql.withTransaction(Effect.gen(function*() {
    yield* sql.unsafe(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [MIGRATION_LOCK]).raw
    yield* sql.unsafe(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
      migration_id integer PRIMARY KEY,
      created_at timestamptz NOT NULL DEFAULT now(),
      name text NOT NULL
    )`).raw
    return yield* run
  }))
})
