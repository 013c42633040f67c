/**
 * The PostgreSQL side of the trace store benchmark (`bench/store.ts`): where the server is (`VICTOR_BENCH_PG_URL`, a
 * role that may create databases, or with `--pg` a private cluster started for the run, fsync on), a fresh database
 * per measurement, and the store opened on it as `victor` would (`SqlTraceStore.layer`).
 */
import * as StoreServices from "@victor/core/StoreServices"
import type * as TraceStore from "@victor/core/TraceStore"
import type * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as SqlTraceStore from "@victor/store-sql/SqlTraceStore"
import * as PgCluster from "@victor/store-sql/testing/pgCluster"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"

/** A server to benchmark on: its superuser URL, and how to let go of it. */
export interface PgServer {
  readonly url: string
  /** Says where it is, for the report (password masked). */
  readonly description: string
  readonly stop: () => void
}

/** The server the options name: `VICTOR_BENCH_PG_URL`, else a private cluster when `start`; else none. */
export const server = async (start: boolean): Promise<PgServer | undefined> => {
  const url = process.env["VICTOR_BENCH_PG_URL"]
  if (url !== undefined && url !== "") {
    return { url, description: SqlTraceStore.maskUrl(url), stop: () => {} }
  }
  if (!start) return undefined
  // Durable, like a real server (the file store flushes what it saves too).
  const cluster = await PgCluster.start({ durable: true, settings: { shared_buffers: "256MB" } })
  process.once("exit", cluster.stop)
  return { url: cluster.url, description: "private cluster, fsync on", stop: cluster.stop }
}

/** A store on a fresh database of the server; `close` ends the store and drops the database. */
export const openFresh = async (server: PgServer) => {
  const scope = Effect.runSync(Scope.make())
  const url = await Effect.runPromise(Scope.extend(PgCluster.freshDatabase(server.url), scope))
  const context = await Effect.runPromise(Layer.buildWithScope(SqlTraceStore.layer({ url }), scope))
  const store = await Effect.runPromise(Effect.provide(StoreServices.complete, context))
  return {
    url,
    store,
    /** Stores traces in bulk (`SqlTraceStore.importTraces`), as an import from another store would. */
    importAll: (traces: Iterable<WorkflowTrace.WorkflowTrace>) =>
      Effect.runPromise(
        Effect.provide(SqlTraceStore.importTraces(traces), SqlTraceStore.layerPgClient({ url, maxConnections: 1 }))
      ),
    close: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}
