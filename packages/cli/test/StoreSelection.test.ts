// Which store a command uses (--store, its older name --trace-dir, $VICTOR_STORE_URL, $VICTOR_TRACE_DIR, "store" in
// victor.config.json), and `trace sync` between two stores, through the real CLI. The PostgreSQL side of both is in
// PostgresStore.test.ts.
import { describe, expect, it } from "@effect/vitest"
import { mkdirSync, readdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { quickWorkflow, runVictor, sandbox } from "./setup/runVictor.ts"

const idsIn = (home: string, store: string, cwd?: string): Array<string> => {
  const run = runVictor(["trace", "list", "--json", "--store", store], { home, ...(cwd === undefined ? {} : { cwd }) })
  expect(run.code, run.stderr).toBe(0)
  return (JSON.parse(run.stdout) as Array<{ trace_id: string }>).map((t) => t.trace_id).sort()
}

const traceFiles = (dir: string) => readdirSync(dir).filter((name) => name.endsWith(".json"))

describe("choosing the store", () => {
  it("--store, --trace-dir, $VICTOR_STORE_URL, $VICTOR_TRACE_DIR and the config's store, in that order", () => {
    const { home } = sandbox()
    const file = quickWorkflow(home, "hello", "echo hi")
    const project = join(home, "project")
    mkdirSync(project)
    writeFileSync(join(project, "victor.config.json"), JSON.stringify({ store: "traces" }))
    // The config's store, relative to the config file.
    expect(runVictor(["workflow", "run", file], { home, cwd: project }).code).toBe(0)
    expect(traceFiles(join(project, "traces"))).toHaveLength(1)
    // $VICTOR_TRACE_DIR wins over the config; $VICTOR_STORE_URL over both; flags over every variable.
    const env = { VICTOR_TRACE_DIR: join(home, "by-dir-var") }
    expect(runVictor(["workflow", "run", file], { home, cwd: project, env }).code).toBe(0)
    expect(traceFiles(join(home, "by-dir-var"))).toHaveLength(1)
    const both = { ...env, VICTOR_STORE_URL: join(home, "by-url-var") }
    expect(runVictor(["workflow", "run", file], { home, cwd: project, env: both }).code).toBe(0)
    expect(traceFiles(join(home, "by-url-var"))).toHaveLength(1)
    expect(runVictor(["workflow", "run", file, "--store", join(home, "by-flag")], { home, cwd: project, env: both }).code)
      .toBe(0)
    expect(runVictor(["workflow", "run", file, "--trace-dir", join(home, "by-old-flag")], { home, env: both }).code)
      .toBe(0)
    expect(traceFiles(join(home, "by-flag"))).toHaveLength(1)
    expect(traceFiles(join(home, "by-old-flag"))).toHaveLength(1)
    // Every store got exactly its own run.
    expect(traceFiles(join(project, "traces"))).toHaveLength(1)
    expect(traceFiles(join(home, "by-url-var"))).toHaveLength(1)
    // Reading commands follow the same rules.
    expect(idsIn(home, join(home, "by-flag"))).toHaveLength(1)
    const listed = runVictor(["trace", "list", "--json"], { home, cwd: project })
    expect(JSON.parse(listed.stdout)).toHaveLength(1)
  })

  it("a malformed store in the config is one line naming the file and the field", () => {
    const { home } = sandbox()
    writeFileSync(join(home, "victor.config.json"), JSON.stringify({ store: 42 }))
    const run = runVictor(["trace", "list"], { home, cwd: home })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/victor\.config\.json: store: Expected string, actual 42/)
    expect(run.stderr.trim().split("\n")).toHaveLength(1)
  })
})

describe("trace sync", () => {
  it("copies every finished trace with its large payloads, and a second sync copies nothing", () => {
    const { home } = sandbox()
    const source = join(home, "local")
    const target = join(home, "published")
    // 200 KB of output: kept as a blob in the source store.
    const big = quickWorkflow(home, "big", "head -c 200000 /dev/zero | tr '\\0' x")
    const small = quickWorkflow(home, "small", "echo hi")
    for (const file of [big, small, small]) expect(runVictor(["workflow", "run", file, "--store", source], { home }).code).toBe(0)
    expect(readdirSync(join(source, "blobs")).length).toBeGreaterThan(0)

    const first = runVictor(["trace", "sync", "--store", source, "--to", target], { home })
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toBe(`Copied 3 traces from ${source} to ${target}\n`)
    expect(first.stderr.trim().split("\n")).toHaveLength(3)
    expect(idsIn(home, target)).toEqual(idsIn(home, source))
    // The payload came along: the target's export holds all of it.
    const bigId = JSON.parse(runVictor(["trace", "list", "--json", "--workflow", "big", "--store", target], { home }).stdout)[0]
      .trace_id as string
    const exported = runVictor(["trace", "export", bigId, "--format", "json", "--store", target], { home })
    expect(exported.code, exported.stderr).toBe(0)
    expect(exported.stdout.includes(`"${"x".repeat(200000)}"`), "the whole output, not a preview").toBe(true)

    const again = runVictor(["trace", "sync", "--from", source, "--to", target], { home })
    expect(again.code).toBe(0)
    expect(again.stdout).toBe(`Copied 0 traces from ${source} to ${target}; 3 already there\n`)

    // Named traces and filters select; --dry-run copies nothing.
    const third = join(home, "third")
    const dry = runVictor(["trace", "sync", "last", "--from", source, "--to", third, "--dry-run"], { home })
    expect(dry.code).toBe(0)
    expect(dry.stdout).toMatch(/^would copy [0-9a-f-]{36} \(small\)\nWould copy 1 trace from /)
    const byWorkflow = runVictor(["trace", "sync", "--from", source, "--to", third, "--workflow", "small"], { home })
    expect(byWorkflow.stdout).toBe(`Copied 2 traces from ${source} to ${third}\n`)
  })

  it("refuses to copy a store onto itself", () => {
    const { home } = sandbox()
    const store = join(home, "s")
    const run = runVictor(["trace", "sync", "--store", store, "--to", store], { home })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/^victor: --to names the store traces are copied from/)
  })
})
