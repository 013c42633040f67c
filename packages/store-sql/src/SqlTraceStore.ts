/**
 * A TraceStore on PostgreSQL, through `@effect/sql` and `@effect/sql-pg`: one trace history shared by every machine
 * of a team, safe with many processes writing at once.
 *
 * - `victor_traces`: one row per trace, its summary in columns (`list` and its filters are indexed queries, never a
 *   scan of documents) and the trace's JSON; `victor_node_facts`: the facts of each node record (`listNodeFacts`);
 *   `victor_blobs` / `victor_trace_blobs`: large payloads, once each by sha256, and who refers to them.
 * - `victor_journals` / `victor_journal_entries`: the journal of a running trace, one row per entry. `finish` stores
 *   the final trace and deletes the journal in one transaction.
 * - Liveness: a run holds a session-level advisory lock on its trace id while it lives, on a connection this store
 *   reserves for its runs; PostgreSQL lets go of it when the process dies, whatever the machine, and `recover` stores
 *   every journal whose lock it can take as an `incomplete` trace (see `internal/lockSession.ts`,
 *   `internal/recovery.ts`).
 *
 * `layer` connects with a URL and creates or upgrades the tables (versioned migrations); `layerClient` uses a
 * `SqlClient` the program already has. Errors name the server and the database, never a password.
 * The design is told in this package's README.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import type * as Journal from "@victor/core/Journal"
import * as Payload from "@victor/core/Payload"
import * as StoreServices from "@victor/core/StoreServices"
import * as TraceStore from "@victor/core/TraceStore"
import type * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import * as Blobs from "./internal/blobs.ts"
import * as Db from "./internal/db.ts"
import * as Journals from "./internal/journals.ts"
import * as LockSession from "./internal/lockSession.ts"
import * as Prune from "./internal/prune.ts"
import * as Queries from "./internal/queries.ts"
import * as Recovery from "./internal/recovery.ts"
import * as Schema from "./internal/schema.ts"
import * as Target from "./internal/target.ts"
import * as TraceRows from "./internal/traceRows.ts"

/** How the store keeps payloads. */
export interface Options {
  /** How large payloads are kept (blobs); default `full` with a 64 KiB inline budget. */
  readonly capture?: Payload.CaptureOptions
}

/** Where the database is, and how the store keeps payloads. */
export interface LayerOptions extends Options {
  /** A PostgreSQL URL: `postgres://user:password@host:5432/database` (`postgresql://` too, `?sslmode=...`). */
  readonly url: string
  /** The most connections the store's pool opens; default 10. Each process needs one more while it runs traces. */
  readonly maxConnections?: number
  /** How long connecting may take before the layer fails; default 5 seconds. */
  readonly connectTimeout?: Duration.DurationInput
}

/** The URL with its password masked (`postgres://victor:***@db.example:5432/traces`), for messages. */
export const maskUrl = (url: string): string => Target.maskUrl(url)

/** The target of the client in context: its host, port and database when it is a `PgClient`. */
const targetOfContext = Effect.map(
  Effect.serviceOption(PgClient.PgClient),
  (pg) => Target.fromConfig(Option.getOrUndefined(Option.map(pg, (client) => client.config)))
)

/** Fails unless the client speaks PostgreSQL (the store uses its advisory locks and arrays). */
const requirePostgres = (sql: SqlClient.SqlClient, target: Target.Target) =>
  sql.onDialectOrElse({ pg: () => true, orElse: () => false })
    ? Effect.void
    : Effect.fail(
      new TraceStore.TraceStoreError({
        reason: "Unavailable",
        description: `the SQL trace store needs PostgreSQL (${target.label} is another database)`
      })
    )

const migrateWith = (target: Target.Target): Effect.Effect<void, TraceStore.TraceStoreError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    yield* requirePostgres(yield* SqlClient.SqlClient, target)
    yield* Schema.migrate.pipe(
      // The Migrator turns a failed migration into a defect: it is an error of the store here.
      Effect.catchAllDefect((defect) => Effect.fail(defect)),
      Effect.mapError(Target.unavailable(target, "create or upgrade the trace tables"))
    )
  })

/** Creates or upgrades the store's tables in the database of the `SqlClient` in context (`make` runs it). */
export const migrate: Effect.Effect<void, TraceStore.TraceStoreError, SqlClient.SqlClient> = Effect.flatMap(
  targetOfContext,
  migrateWith
)

const makeWith = (
  options: Options,
  target: Target.Target
): Effect.Effect<StoreServices.CompleteStore, TraceStore.TraceStoreError, SqlClient.SqlClient | Scope.Scope> =>
  Effect.gen(function*() {
    yield* migrateWith(target)
    const db = Db.make(yield* SqlClient.SqlClient, target)
    const scope = yield* Effect.scope
    // When the scope closes, the runs still open are let go of (to be recovered); after that, none can begin (the
    // flag's finalizer is added last, so it runs first).
    const locks = yield* LockSession.make(db.sql, scope)
    let closed = false
    yield* Scope.addFinalizer(scope, Effect.sync(() => void (closed = true)))
    const capturer = Payload.make(options.capture)
    const blobs = Blobs.make(db)
    const rows = TraceRows.make(db, blobs, capturer)
    const recovery = Recovery.make(db, rows)
    const journals = Journals.make({ db, locks, blobs, rows, capturer, isClosed: () => closed })
    return {
      begin: (header: Journal.JournalHeader) => journals.begin(header),
      recover: recovery.sweep,
      prune: Prune.make(db, recovery),
      readBlob: blobs.read,
      save: (trace: WorkflowTrace.WorkflowTrace) => Effect.asVoid(rows.write([trace], { capture: true })),
      ...Queries.make({ db, rows, recovery })
    }
  })

/**
 * The store over the `SqlClient` in context (a `PgClient`), its tables created or upgraded first. The journals still
 * open when the scope closes are let go of, so that the next `recover` (of any process) stores them as incomplete.
 */
export const make = (
  options: Options = {}
): Effect.Effect<StoreServices.CompleteStore, TraceStore.TraceStoreError, SqlClient.SqlClient | Scope.Scope> =>
  Effect.flatMap(targetOfContext, (target) => makeWith(options, target))

/** The store as a layer over a `SqlClient` the program provides (`PgClient.layer`, or one it shares). */
export const layerClient = (
  options: Options = {}
): Layer.Layer<StoreServices.StoreServices, TraceStore.TraceStoreError, SqlClient.SqlClient> =>
  StoreServices.layer(make(options))

/**
 * The `PgClient` of a URL, its failures (bad URL, refused connection, wrong password) an `Unavailable` store error
 * that names the server and database with the password masked.
 */
export const layerPgClient = (
  options: Omit<LayerOptions, "capture">
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, TraceStore.TraceStoreError> => {
  const target = Target.fromUrl(options.url)
  const cannot = Target.unavailable(target, "connect")
  if (!/^postgres(ql)?:\/\//i.test(options.url)) {
    return Layer.fail(
      new TraceStore.TraceStoreError({
        reason: "Unavailable",
        description: `not a PostgreSQL URL: ${maskUrl(options.url)} (expected postgres://user:password@host:5432/database)`
      })
    )
  }
  return PgClient.layer({
    url: Redacted.make(options.url),
    applicationName: "victor",
    ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
    connectTimeout: options.connectTimeout ?? Duration.seconds(5)
  }).pipe(
    // A URL the driver cannot parse is a defect in it: an error of the store here, its text scrubbed.
    Layer.catchAllCause((cause) => Layer.fail(cannot(Cause.squash(cause))))
  )
}

/**
 * The store on the PostgreSQL database of a URL: connects (a pool of `maxConnections`), creates or upgrades the
 * tables, and fails with an `Unavailable` error naming the server and database (password masked) when it cannot.
 */
export const layer = (
  options: LayerOptions
): Layer.Layer<StoreServices.StoreServices, TraceStore.TraceStoreError> => {
  const target = Target.fromUrl(options.url)
  return StoreServices.layer(makeWith(options, target)).pipe(Layer.provide(layerPgClient(options)))
}

/**
 * Stores finished traces many at a time (one statement per table for each thousand): an import from another store,
 * much faster than `save` one by one. The tables must exist (`migrate`, or a store made once on the database).
 */
export const importTraces = (
  traces: Iterable<WorkflowTrace.WorkflowTrace>,
  options: Options & { readonly batchSize?: number } = {}
): Effect.Effect<number, TraceStore.TraceStoreError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const db = Db.make(yield* SqlClient.SqlClient, yield* targetOfContext)
    const rows = TraceRows.make(db, Blobs.make(db), Payload.make(options.capture))
    const size = Math.max(1, options.batchSize ?? 1_000)
    let batch: Array<WorkflowTrace.WorkflowTrace> = []
    let count = 0
    for (const trace of traces) {
      batch.push(trace)
      if (batch.length < size) continue
      count += (yield* rows.write(batch, { capture: true })).length
      batch = []
    }
    if (batch.length > 0) count += (yield* rows.write(batch, { capture: true })).length
    return count
  })
