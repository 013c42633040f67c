import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import * as Journal from "@victor/core/Journal"
import * as Payload from "@victor/core/Payload"
import { sampleTrace } from "@victor/core/testing/TraceStoreContract"
import * as NodeFacts from "@victor/core/NodeFacts"
import * as StoreServices from "@victor/core/StoreServices"
import * as TraceStore from "@victor/core/TraceStore"
import * as SqlTraceStore from "@victor/store-sql/SqlTraceStore"
import * as PgCluster from "@victor/store-sql/testing/pgCluster"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import { spawn } from "node:child_process"
import { createServer } from "node:net"
import { join } from "node:path"
import { inject } from "vitest"
// White-box: the statement `list` runs, to see its plan (the package does not export it).
import { selectStatement } from "../src/internal/queries.ts"

const adminUrl = inject("victorPgUrl")
const privateCluster = inject("victorPgPrivate")
const packageDir = join(import.meta.dirname, "..")

/** A store on a fresh database, and a client on that database to look into its tables. */
const withStore = <A, E>(
  test: (
    store: StoreServices.CompleteStore,
    url: string
  ) => Effect.Effect<A, E, SqlClient.SqlClient | Scope.Scope>
) =>
  Effect.gen(function*() {
    const url = yield* PgCluster.freshDatabase(adminUrl)
    const context = yield* Layer.build(
      Layer.merge(SqlTraceStore.layer({ url }), PgCluster.clientLayer(url))
    )
    const store = yield* Effect.provide(StoreServices.complete, context)
    return yield* Effect.provide(test(store, url), context)
  }).pipe(Effect.scoped)

/** Another store on the same database, as another process would have (its own pool and connections). */
const otherStore = (url: string) => Effect.flatMap(
  Layer.build(SqlTraceStore.layer({ url })),
  (context) => Effect.provide(StoreServices.complete, context)
)

const count = (table: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(sql.unsafe(`SELECT count(*)::integer AS n FROM ${table}`).values, (rows) => rows[0]![0] as number))

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 1))
    })
  })

/** Every text an error could be shown as. */
const shownAs = (error: unknown, cause?: Cause.Cause<unknown>) =>
  [String(error), (error as Error).message, JSON.stringify(error), cause === undefined ? "" : Cause.pretty(cause)].join("\n")

/** Runs a fixture script in a child process through tsx. */
const spawnFixture = (script: string, args: ReadonlyArray<string>) =>
  spawn(process.execPath, ["--import", "tsx", join(packageDir, "test", "fixtures", script), ...args], {
    cwd: packageDir,
    stdio: ["ignore", "pipe", "pipe"]
  })

const header = (traceId: string, startTime = 100) =>
  Journal.headerOf({ ...sampleTrace(), traceId, startTime })

describe("SqlTraceStore", () => {
  it.live("a connection that fails names the server and database, never the password", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(freePort)
      const secret = "s3cret-P@ss/word"
      const url = `postgres://victor:${encodeURIComponent(secret)}@127.0.0.1:${port}/traces`
      const exit = yield* Effect.exit(Layer.build(SqlTraceStore.layer({ url })).pipe(Effect.scoped))
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isSuccess(exit)) return
      const error = Cause.squash(exit.cause) as TraceStore.TraceStoreError
      expect(error).toMatchObject({ _tag: "TraceStoreError", reason: "Unavailable" })
      expect(error.message).toContain(`postgres://victor:***@127.0.0.1:${port}/traces`)
      expect(error.message).toMatch(/ECONNREFUSED/)
      const shown = shownAs(error, exit.cause)
      expect(shown).not.toContain(secret)
      expect(shown).not.toContain(encodeURIComponent(secret))
      expect(shown).not.toContain("s3cret")

      const notPostgres = yield* Effect.flip(Layer.build(SqlTraceStore.layer({ url: `mysql://u:${secret}@h/db` })).pipe(Effect.scoped))
      expect(notPostgres.message).toBe("not a PostgreSQL URL: mysql://u:***@h/db (expected postgres://user:password@host:5432/database)")
      expect(SqlTraceStore.maskUrl(`postgresql://u:${encodeURIComponent(secret)}@h:1/db?sslmode=require`)).toBe(
        "postgresql://u:***@h:1/db?sslmode=require"
      )
    }))

  it.live.runIf(privateCluster)("a wrong password fails the layer with the password masked", () =>
    Effect.gen(function*() {
      yield* PgCluster.runStatements(adminUrl, [
        `DO $$ BEGIN
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${PgCluster.PASSWORD_AUTH_ROLE}') THEN
             CREATE ROLE ${PgCluster.PASSWORD_AUTH_ROLE} NOLOGIN;
           END IF;
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'checked_user') THEN
             CREATE ROLE checked_user LOGIN PASSWORD 'the-right-one' IN ROLE ${PgCluster.PASSWORD_AUTH_ROLE};
           END IF;
         END $$`
      ])
      const url = new URL(adminUrl)
      url.username = "checked_user"
      url.password = "wrong-Secret-42"
      const exit = yield* Effect.exit(Layer.build(SqlTraceStore.layer({ url: url.toString() })).pipe(Effect.scoped))
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isSuccess(exit)) return
      const error = Cause.squash(exit.cause) as TraceStore.TraceStoreError
      expect(error.reason).toBe("Unavailable")
      expect(error.message).toContain(`postgres://checked_user:***@127.0.0.1:${url.port}/postgres`)
      expect(error.message).toContain("password authentication failed")
      expect(shownAs(error, exit.cause)).not.toContain("wrong-Secret-42")
    }))

  it.live("a run killed with SIGKILL is recovered as incomplete: finished nodes kept, the open one failed", () =>
    withStore((store, url) =>
      Effect.gen(function*() {
        const child = spawnFixture("crashingRun.ts", [url])
        let stderr = ""
        child.stderr.on("data", (chunk) => (stderr += chunk))
        yield* Effect.async<void, Error>((resume) => {
          let stdout = ""
          child.stdout.on("data", (chunk) => {
            stdout += chunk
            if (stdout.includes("ready")) resume(Effect.void)
          })
          child.on("exit", (code) => resume(Effect.fail(new Error(`the run exited (${code}) before it was ready: ${stderr}`))))
        })
        // While the process lives, its journal is a running trace, and nobody recovers it.
        expect(yield* store.recover).toEqual([])
        const [running] = yield* store.list()
        expect(running).toMatchObject({ traceId: "crash-1", status: "running", nodeCount: 3, failedNodeCount: 0 })
        expect((yield* store.get("crash-1")).status).toBe("running")

        const exited = Effect.async<void>((resume) => {
          child.on("exit", () => resume(Effect.void))
        })
        child.kill("SIGKILL")
        yield* exited
        // The server notices the closed connection (and lets go of the lock) within moments.
        const recovered = yield* store.recover.pipe(
          Effect.filterOrFail((ids) => ids.length > 0),
          Effect.retry(Schedule.spaced("50 millis").pipe(Schedule.intersect(Schedule.recurs(100))))
        )
        expect(recovered).toEqual(["crash-1"])
        const [summary] = yield* store.list()
        expect(summary).toMatchObject({ traceId: "crash-1", status: "incomplete", nodeCount: 3, failedNodeCount: 1 })
        const trace = yield* store.get("crash-1")
        expect(trace.status).toBe("incomplete")
        expect(trace.error).toBe(Journal.INCOMPLETE_ERROR)
        expect(trace.inputs).toEqual({ task: "die half-way" })
        expect(trace.nodes.map((n) => [n.nodeId, n.nodeType, n.success, n.error])).toEqual([
          ["first", "compute", true, null],
          ["second", "compute", true, null],
          ["third", "agent", false, Journal.UNFINISHED_NODE_ERROR]
        ])
        expect(trace.nodes[2]!.inputs).toEqual({ step: "third" })
        expect(yield* count("victor_journals")).toBe(0)
        expect(yield* count("victor_journal_entries")).toBe(0)
        const [facts] = yield* store.listNodeFacts()
        expect(facts).toEqual(NodeFacts.factsOf(trace))
      })
    ), 60_000)

  it.live("a live journal of another store is left alone; when that store closes, exactly one recoverer takes it", () =>
    withStore((store, url) =>
      Effect.gen(function*() {
        const writer = yield* Effect.scoped(Effect.gen(function*() {
          const other = yield* otherStore(url)
          const journal = yield* other.begin(header("shared-1"))
          yield* journal.append([
            Journal.event({ eventType: "workflow_started", timestamp: 100 }),
            Journal.event({ eventType: "node_started", timestamp: 100, nodeId: "slow" })
          ])
          expect(yield* store.recover).toEqual([])
          expect((yield* store.get("shared-1")).status).toBe("running")
          // The same trace cannot be begun twice while its run lives, in another process or in this one.
          expect((yield* Effect.flip(store.begin(header("shared-1")))).reason).toBe("Unavailable")
          expect((yield* Effect.flip(other.begin(header("shared-1")))).reason).toBe("Unavailable")
          return journal
        }))
        // The writer's store is closed: its run is let go of. Many recover at once; one stores it.
        const recoverers = yield* Effect.all(Array.from({ length: 6 }, () => otherStore(url)))
        const results = yield* Effect.all(recoverers.map((r) => r.recover), { concurrency: "unbounded" })
        expect(results.flat()).toEqual(["shared-1"])
        expect((yield* store.get("shared-1")).status).toBe("incomplete")
        // Its run finishes after all (it lost its connection, not its life): the real trace wins.
        yield* writer.finish(sampleTrace({ traceId: "shared-1", startTime: 100 })).pipe(Effect.ignore)
      })
    ))

  it.live("a run whose lock connection is cut takes its lock again on a new one", () =>
    withStore((store, url) =>
      Effect.gen(function*() {
        const journal = yield* store.begin(header("cut-1"))
        yield* journal.append([Journal.event({ eventType: "workflow_started", timestamp: 100 })])
        // As a network failure would: the server ends the connection that holds the run's lock.
        const database = new URL(url).pathname.slice(1)
        yield* PgCluster.runStatements(adminUrl, [
          `SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
           WHERE l.locktype = 'advisory' AND l.granted AND d.datname = '${database}'`
        ])
        // The next lock taken (another run beginning) finds the connection gone and takes both locks again.
        const second = yield* store.begin(header("cut-2"))
        const other = yield* otherStore(url)
        expect(yield* other.recover).toEqual([])
        yield* journal.append([Journal.event({ eventType: "node_started", timestamp: 101, nodeId: "a" })])
        yield* journal.finish(sampleTrace({ traceId: "cut-1", startTime: 100 }))
        yield* second.abandon
        expect(yield* other.recover).toEqual(["cut-2"])
        expect((yield* other.list()).map((s) => [s.traceId, s.status])).toEqual([
          ["cut-1", "succeeded"],
          ["cut-2", "incomplete"]
        ])
      })
    ))

  it.live("the same large payload saved in two traces is one blob row, read back by hash", () =>
    withStore((store) =>
      Effect.gen(function*() {
        const big = "large output ".repeat(10_000)
        const withBig = (traceId: string) =>
          sampleTrace({ traceId, nodes: [{ ...sampleTrace().nodes[0]!, outputs: { stdout: big } }] })
        yield* store.save(withBig("one"))
        yield* store.save(withBig("two"))
        expect(yield* count("victor_blobs")).toBe(1)
        expect(yield* count("victor_trace_blobs")).toBe(2)
        const stored = yield* store.get("one")
        const ref = stored.nodes[0]!.outputs["stdout"]
        expect(Payload.isBlobRef(ref)).toBe(true)
        const hash = Payload.hashOf(ref as Payload.BlobRef)
        expect(JSON.parse(yield* store.readBlob(hash))).toBe(big)
        expect(yield* Payload.resolve(stored, store.readBlob)).toEqual(withBig("one"))
        expect((yield* Effect.flip(store.readBlob("0".repeat(64)))).reason).toBe("NotFound")
        expect((yield* Effect.flip(store.readBlob("../x"))).reason).toBe("InvalidId")

        // The blob stays while one trace refers to it, and goes with the last one.
        yield* store.remove("one")
        expect((yield* store.prune({})).blobsRemoved).toBe(0)
        yield* store.remove("two")
        const pruned = yield* store.prune({ dryRun: true })
        expect(pruned.blobsRemoved).toBe(1)
        expect(yield* count("victor_blobs")).toBe(1)
        const real = yield* store.prune({})
        expect(real.blobsRemoved).toBe(1)
        expect(real.freedBytes).toBeGreaterThan(big.length)
        expect(yield* count("victor_blobs")).toBe(0)
      })
    ))

  it.live("list filters are index scans, not scans of the table", () =>
    withStore((store) =>
      Effect.gen(function*() {
        const traces = Array.from({ length: 20_000 }, (_, i) =>
          sampleTrace({
            traceId: `t${i}`,
            workflowName: `wf_${i % 50}`,
            status: i % 7 === 0 ? "failed" : "succeeded",
            startTime: 1_700_000_000 + i
          }))
        expect(yield* SqlTraceStore.importTraces(traces)).toBe(20_000)
        const sql = yield* SqlClient.SqlClient
        yield* sql.unsafe("ANALYZE victor_traces").raw
        const plan = (text: string, params: ReadonlyArray<unknown>) =>
          Effect.map(sql.unsafe(`EXPLAIN ${text}`, params).values, (rows) => rows.map((r) => r[0]).join("\n"))
        for (const query of [
          { workflowName: "wf_3" },
          { status: "failed" as const, limit: 10 },
          { since: 1_700_019_990 },
          { limit: 5 },
          { workflowName: "wf_3", status: "failed" as const, limit: 20 }
        ]) {
          const statement = selectStatement("trace_id, workflow_name, status, start_time", query)
          const explained = yield* plan(statement.text, statement.params)
          expect(explained, JSON.stringify(query)).toMatch(/Index (Only )?Scan|Bitmap Index Scan/)
          expect(explained, JSON.stringify(query)).not.toMatch(/Seq Scan/)
        }
        const listed = yield* store.list({ workflowName: "wf_3", status: "failed", limit: 3 })
        expect(listed.map((s) => s.traceId)).toEqual(
          traces.filter((t) => t.workflowName === "wf_3" && t.status === "failed").slice(-3).map((t) => t.traceId)
        )
        expect(yield* store.get("t19999")).toEqual(traces[19_999])
        expect((yield* store.listNodeFacts({ since: 1_700_019_998 })).map((f) => f.nodes.length)).toEqual([1, 1])
      })
    ), 60_000)

  it.live("save, finish and recover keep summary columns, facts and references consistent", () =>
    withStore((store) =>
      Effect.gen(function*() {
        const journal = yield* store.begin(header("run-9"))
        yield* journal.append([Journal.event({ eventType: "workflow_started", timestamp: 100 })])
        const final = sampleTrace({
          traceId: "run-9",
          startTime: 100,
          status: "failed",
          nodes: [
            { ...sampleTrace().nodes[0]!, nodeId: "a", metadata: { iteration: 3 } },
            { ...sampleTrace().nodes[0]!, nodeId: "b", success: false, error: "boom" }
          ]
        })
        yield* journal.finish(final)
        expect(yield* count("victor_journals")).toBe(0)
        expect(yield* count("victor_node_facts")).toBe(2)
        expect(yield* store.listNodeFacts()).toEqual([NodeFacts.factsOf(final)])
        // A finished journal's abandon is harmless, and its trace is not recovered.
        yield* journal.abandon
        expect(yield* store.recover).toEqual([])
        yield* store.save({ ...final, nodes: [final.nodes[0]!] })
        expect(yield* count("victor_node_facts")).toBe(1)
        yield* store.remove("run-9")
        expect(yield* count("victor_node_facts")).toBe(0)
        expect(yield* count("victor_traces")).toBe(0)
        // A value JSON cannot hold is refused as Corrupt, and nothing is stored.
        const error = yield* Effect.flip(store.save(sampleTrace({ outputs: { n: 1n as unknown as number } })))
        expect(error.reason).toBe("Corrupt")
        expect(yield* count("victor_traces")).toBe(0)
      })
    ))

  // The 8 processes × 50 runs are real `victor` processes in the CLI's ConcurrentPostgresRuns test; this one
  // checks what only the tables show, with runs five at a time in each process (`--repeat` runs one after another):
  // the blob every run writes at once is one row, and no journal or journal entry is left behind.
  it.live("4 processes × 15 runs, 5 at a time in each, write the same database at once", () =>
    withStore((store, url) =>
      Effect.gen(function*() {
        const processes = 4
        const runs = 15
        yield* Effect.forEach(Array.from({ length: processes }, (_, i) => i), (i) =>
          Effect.async<void, Error>((resume) => {
            const child = spawnFixture("manyRuns.ts", [url, String(i), String(runs)])
            let stderr = ""
            child.stderr.on("data", (chunk) => (stderr += chunk))
            child.on("exit", (code) =>
              resume(code === 0 ? Effect.void : Effect.fail(new Error(`process ${i} failed (${code}): ${stderr}`))))
          }), { concurrency: "unbounded", discard: true })
        const listed = yield* store.list()
        expect(listed).toHaveLength(processes * runs)
        expect(new Set(listed.map((s) => s.status))).toEqual(new Set(["succeeded"]))
        expect(listed.every((s) => s.nodeCount === 3)).toBe(true)
        expect(yield* count("victor_journals")).toBe(0)
        expect(yield* count("victor_journal_entries")).toBe(0)
        expect(yield* count("victor_blobs")).toBe(1)
        expect(yield* count("victor_node_facts")).toBe(processes * runs * 3)
        expect((yield* store.list({ workflowName: "wf_0" })).length).toBe(processes * Math.ceil(runs / 3))
        const one = yield* store.get("p3-r7")
        expect(one.outputs).toEqual({ result: 7 })
        expect(Payload.isBlobRef(one.nodes[1]!.outputs["big"])).toBe(true)
      })
    ), 120_000)
})
