// The CLI on the PostgreSQL store (`--store postgres://...`, `$VICTOR_STORE_URL`), against the private cluster the
// test run starts (store-sql's globalSetup): every command that reads or writes traces, a run killed with SIGKILL,
// credentials kept out of output, and `trace sync` between a directory and the database.
import * as PgCluster from "@victor/store-sql/testing/pgCluster"
import { describe, expect, inject, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { join } from "node:path"
import { quickWorkflow, runVictor, sandbox, slowWorkflow, victorBin } from "./setup/runVictor.ts"

/** A fresh database on the test server, as a store URL. */
const freshStore = async (): Promise<string> => {
  const admin = inject("victorPgUrl")
  const name = `victor_cli_${randomBytes(6).toString("hex")}`
  await Effect.runPromise(PgCluster.runStatements(admin, [`CREATE DATABASE ${name}`]))
  return PgCluster.withDatabase(admin, name)
}

interface Listed {
  readonly trace_id: string
  readonly workflow_name: string
  readonly status: string
  readonly node_count: number
}

const list = (home: string, store: string): Array<Listed> => {
  const run = runVictor(["trace", "list", "--json", "--store", store], { home })
  expect(run.code, run.stderr).toBe(0)
  return JSON.parse(run.stdout) as Array<Listed>
}

describe("the PostgreSQL store from the CLI", () => {
  it("runs store into it, and list, show, export, stats, analyze, compare, rm and prune read it", async () => {
    const store = await freshStore()
    const { home } = sandbox()
    const ok = quickWorkflow(home, "hello", "echo hi")
    const bad = quickWorkflow(home, "broken", "exit 3")
    const first = runVictor(["workflow", "run", ok, "--store", store], { home })
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toContain(`Stored in`)
    expect(runVictor(["workflow", "trace", ok, "-o", join(home, "t.json")], { home, env: { VICTOR_STORE_URL: store } }).code)
      .toBe(0)
    expect(runVictor(["workflow", "run", bad, "--store", store], { home }).code).toBe(1)

    const traces = list(home, store)
    expect(traces.map((t) => [t.workflow_name, t.status])).toEqual([
      ["broken", "failed"],
      ["hello", "succeeded"],
      ["hello", "succeeded"]
    ])
    const show = runVictor(["trace", "show", "last", "--store", store], { home })
    expect(show.code, show.stderr).toBe(0)
    expect(show.stdout).toContain("broken")
    const exported = runVictor(["trace", "export", traces[1]!.trace_id, "--format", "json", "--store", store], { home })
    expect(JSON.parse(exported.stdout)).toMatchObject({ trace_id: traces[1]!.trace_id, workflow_name: "hello" })
    const stats = runVictor(["trace", "stats", "--json", "--store", store], { home })
    expect(stats.code, stats.stderr).toBe(0)
    expect(JSON.stringify(JSON.parse(stats.stdout))).toContain("hello")
    expect(runVictor(["trace", "analyze", "last", "--store", store], { home }).code).toBe(0)
    const compare = runVictor(["trace", "compare", traces[2]!.trace_id, traces[1]!.trace_id, "--store", store], { home })
    expect(compare.code, compare.stderr).not.toBe(2)

    expect(runVictor(["trace", "rm", traces[0]!.trace_id, "--store", store], { home }).code).toBe(0)
    const pruned = runVictor(["trace", "prune", "--keep-last", "1", "--store", store], { home })
    expect(pruned.code, pruned.stderr).toBe(0)
    expect(list(home, store).map((t) => t.trace_id)).toEqual([traces[1]!.trace_id])
  })

  it("a database it cannot reach is one line with the password masked, exit 2, and nothing runs", () => {
    const { home } = sandbox()
    const file = quickWorkflow(home, "hello", "echo hi")
    const url = "postgres://victor:S3cretPassw0rd@127.0.0.1:1/traces"
    for (const args of [["workflow", "run", file, "--store", url], ["trace", "list", "--store", url]]) {
      const run = runVictor(args, { home })
      expect(run.code).toBe(2)
      expect(run.stderr.trim().split("\n")).toHaveLength(1)
      expect(run.stderr).toContain("postgres://victor:***@127.0.0.1:1/traces")
      expect(run.stdout + run.stderr).not.toContain("S3cretPassw0rd")
    }
  })

  it("a run killed with SIGKILL leaves its finished nodes, recovered as incomplete", async () => {
    const store = await freshStore()
    const { home } = sandbox()
    const file = slowWorkflow(home, 30)
    const child = spawn(process.execPath, [victorBin, "workflow", "run", file, "--store", store, "--events", "ndjson"], {
      env: { ...process.env, HOME: home },
      stdio: ["ignore", "pipe", "pipe"]
    })
    // Once the slow node has started, the quick one is finished (and, stored before said, in the journal).
    await new Promise<void>((resolve) => {
      let seen = ""
      child.stdout.on("data", (chunk: Buffer) => {
        seen += chunk.toString()
        if (seen.includes("\"node_id\":\"slow\"")) resolve()
      })
    })
    child.kill("SIGKILL")
    await new Promise((resolve) => child.once("exit", resolve))
    const [trace] = list(home, store)
    expect(trace).toMatchObject({ workflow_name: "slow", status: "incomplete", node_count: 2 })
    const shown = JSON.parse(runVictor(["trace", "export", "last", "--store", store], { home }).stdout)
    expect(shown.nodes.map((n: { node_id: string; success: boolean }) => [n.node_id, n.success])).toEqual([
      ["quick", true],
      ["slow", false]
    ])
  })

  it("trace sync copies a directory's traces into the database and back, idempotently", async () => {
    const store = await freshStore()
    const { home } = sandbox()
    const local = join(home, "local")
    const file = quickWorkflow(home, "hello", "echo hi")
    for (let i = 0; i < 3; i++) expect(runVictor(["workflow", "run", file, "--store", local], { home }).code).toBe(0)
    const up = runVictor(["trace", "sync", "--store", local, "--to", store], { home })
    expect(up.code, up.stderr).toBe(0)
    expect(up.stdout).toMatch(/^Copied 3 traces from .* to postgres:\/\/victor@127\.0\.0\.1:\d+\/victor_cli_\w+\n$/)
    expect(runVictor(["trace", "sync", "--store", local, "--to", store], { home }).stdout).toMatch(/Copied 0 traces .*; 3 already there/)
    const back = join(home, "back")
    const down = runVictor(["trace", "sync", "--from", store, "--to", back], { home })
    expect(down.code, down.stderr).toBe(0)
    const ids = (s: string) => list(home, s).map((t) => t.trace_id).sort()
    expect(ids(back)).toEqual(ids(local))
    expect(ids(store)).toEqual(ids(local))
  })
})
