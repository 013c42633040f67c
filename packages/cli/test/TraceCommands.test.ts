// The trace store from the command line, with real `victor` processes: crash recovery, parallel runs, redaction,
// blobs, list/show/export/rm/prune and their help.
import { describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import {
  listFiles,
  plain,
  quickWorkflow,
  repoRoot,
  runVictor,
  sandbox,
  slowWorkflow,
  traceInBackground,
  victorBin
} from "./setup/runVictor.ts"

/** Every file under a directory, recursively. */
const allFiles = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? allFiles(join(dir, entry.name)) : [join(dir, entry.name)]
  )

/** Runs victor in the background; resolves with its exit code and output. */
const runAsync = (args: ReadonlyArray<string>, home: string, env: Record<string, string> = {}) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [victorBin, ...args], {
      cwd: home,
      env: { ...process.env, HOME: home, NO_COLOR: "1", ...env }
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c))
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c))
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

const listJson = (home: string, args: ReadonlyArray<string> = [], quiet = true) => {
  const run = runVictor(["trace", "list", "--json", ...args], { home })
  if (quiet) expect(run.stderr).toBe("")
  expect(run.code).toBe(0)
  return JSON.parse(run.stdout) as Array<{
    trace_id: string
    workflow_name: string
    status: string
    node_count: number
    failed_node_count: number
  }>
}

describe("victor trace (store commands)", () => {
  it("kill -9 during a slow node: trace list shows the run incomplete with its finished nodes; trace show prints them", async () => {
    const { home, traceDir } = sandbox()
    const file = slowWorkflow(home, 30)
    const run = traceInBackground(file, { home })
    await run.slowToolStarted
    // The journal is on disk while the run lives; give the writer a moment for the slow node's start.
    await new Promise((r) => setTimeout(r, 300))
    expect(listFiles(traceDir).filter((f) => f.endsWith(".jsonl"))).toHaveLength(1)
    // While it runs, another process lists it as running and leaves its journal alone.
    expect(listJson(home).map((t) => t.status)).toEqual(["running"])
    expect(listFiles(traceDir).some((f) => f.endsWith(".jsonl"))).toBe(true)
    run.child.kill("SIGKILL")
    await run.ended

    const [trace] = listJson(home)
    expect(trace).toMatchObject({ workflow_name: "slow", status: "incomplete", node_count: 2, failed_node_count: 1 })
    expect(listFiles(traceDir).filter((f) => !f.startsWith("."))).toEqual([`slow_${trace!.trace_id}.json`])
    const table = runVictor(["trace", "list"], { home })
    expect(plain(table.stdout)).toMatch(new RegExp(`${trace!.trace_id}\\s+slow\\s+incomplete`))

    const show = runVictor(["trace", "show", trace!.trace_id.slice(0, 8)], { home })
    expect(show.code).toBe(0)
    const out = plain(show.stdout)
    expect(out).toContain("! incomplete")
    expect(out).toMatch(/quick\s+compute\s+ok/)
    expect(out).toMatch(/slow\s+compute\s+failed .*the run stopped before this node finished/)
    expect(out).toContain("\"stdout\":\"fast\\n\"")
    const stored = JSON.parse(readFileSync(join(traceDir, `slow_${trace!.trace_id}.json`), "utf8")) as {
      nodes: Array<{ node_id: string; success: boolean; tool_calls: Array<{ tool_name: string }> }>
    }
    expect(stored.nodes.map((n) => [n.node_id, n.success])).toEqual([["quick", true], ["slow", false]])
    expect(stored.nodes[0]!.tool_calls.map((c) => c.tool_name)).toEqual(["shell"])
  }, 60_000)

  it("two runs started at the same moment into one store are both listed, complete", async () => {
    const { home, traceDir } = sandbox()
    const file = quickWorkflow(home, "twin", "echo hi")
    // A listing runs alongside, so that a reader racing the writers is part of the test.
    const [a, b, list] = await Promise.all([
      runAsync(["workflow", "run", file], home),
      runAsync(["workflow", "run", file], home),
      runAsync(["trace", "list"], home)
    ])
    expect([a.code, b.code, list.code]).toEqual([0, 0, 0])
    const traces = listJson(home)
    expect(traces.map((t) => [t.workflow_name, t.status, t.node_count]).sort()).toEqual([
      ["twin", "succeeded", 1],
      ["twin", "succeeded", 1]
    ])
    expect(listFiles(traceDir).filter((f) => f.endsWith(".jsonl") || f.endsWith(".tmp"))).toEqual([".index.jsonl"])
  }, 60_000)

  it("a secret in the environment echoed by a shell tool appears nowhere under the store directory", () => {
    const { home, traceDir } = sandbox()
    const secret = "s3cr3t-value-9f8e7d6c"
    const file = quickWorkflow(home, "leaky", "echo token=$MY_SERVICE_TOKEN; echo custom=$PLAIN_VAR; echo card=4111-1111-1111-1111")
    writeFileSync(join(home, "victor.config.json"), JSON.stringify({
      redact: { env: ["PLAIN_VAR"], patterns: ["\\d{4}-\\d{4}-\\d{4}-\\d{4}"] }
    }))
    const run = runVictor(["workflow", "trace", file, "-o", join(home, "out.json")], {
      home,
      cwd: home,
      env: { MY_SERVICE_TOKEN: secret, PLAIN_VAR: "not-secret-looking-value" }
    })
    expect(run.code).toBe(0)
    const files = allFiles(traceDir)
    expect(files.length).toBeGreaterThan(0)
    for (const f of [...files, join(home, "out.json")]) {
      const text = readFileSync(f, "utf8")
      expect(text).not.toContain(secret)
      expect(text).not.toContain("not-secret-looking-value")
      expect(text).not.toContain("4111-1111")
    }
    const trace = JSON.parse(readFileSync(join(home, "out.json"), "utf8")) as {
      nodes: Array<{ outputs: { shell: { stdout: string } } }>
    }
    expect(trace.nodes[0]!.outputs.shell.stdout).toBe("token=[REDACTED]\ncustom=[REDACTED]\ncard=[REDACTED]\n")
  }, 60_000)

  it("a 5 MB tool output is stored once as a blob shared by two runs; show --full and export resolve it", () => {
    const { home, traceDir } = sandbox()
    const file = quickWorkflow(home, "big", "head -c 5000000 /dev/zero | tr '\\0' a")
    for (let i = 0; i < 2; i++) expect(runVictor(["workflow", "run", file], { home }).code).toBe(0)
    const blobs = listFiles(join(traceDir, "blobs"))
    expect(blobs).toHaveLength(1)
    expect(statSync(join(traceDir, "blobs", blobs[0]!)).size).toBe(5_000_002)
    const traces = listFiles(traceDir).filter((f) => f.endsWith(".json"))
    expect(traces).toHaveLength(2)
    for (const t of traces) expect(statSync(join(traceDir, t)).size).toBeLessThan(20_000)

    const exported = join(home, "full.json")
    const run = runVictor(["trace", "export", "last", "--format", "json", "-o", exported], { home })
    expect(run.code).toBe(0)
    const trace = JSON.parse(readFileSync(exported, "utf8")) as { nodes: Array<{ outputs: { shell: { stdout: string } } }> }
    expect(trace.nodes[0]!.outputs.shell.stdout === "a".repeat(5_000_000)).toBe(true)
    const show = runVictor(["trace", "show", "last"], { home })
    expect(show.stdout.length).toBeLessThan(20_000)
    expect(show.stdout).toContain("\"$blob\":\"sha256:")
    // (spawnSync keeps the first MiB of output: enough to see the blob read back in place of its preview.)
    const full = runVictor(["trace", "show", "last", "--full"], { home })
    expect(full.stdout.includes("a".repeat(200_000))).toBe(true)
    expect(full.stdout.includes("$blob")).toBe(false)

    // --capture preview keeps no blob; prune drops the blob once no trace refers to it.
    expect(runVictor(["workflow", "run", file, "--capture", "preview"], { home }).code).toBe(0)
    expect(listFiles(join(traceDir, "blobs"))).toHaveLength(1)
    const ids = listJson(home).map((t) => t.trace_id)
    expect(runVictor(["trace", "rm", ids[1]!, ids[2]!], { home }).code).toBe(0)
    expect(plain(runVictor(["trace", "prune", "--keep-last", "1"], { home }).stdout)).toContain(
      "Removed 0 traces and 1 unreferenced blob"
    )
    expect(listFiles(join(traceDir, "blobs"))).toEqual([])
  }, 120_000)

  it("list filters by workflow, status, age and count; rm and prune clean up; foreign files give one warning each", () => {
    const { home, traceDir } = sandbox()
    const ok = quickWorkflow(home, "good", "echo ok")
    const bad = quickWorkflow(home, "bad", "exit 3")
    expect(runVictor(["workflow", "run", ok], { home }).code).toBe(0)
    expect(runVictor(["workflow", "run", bad], { home }).code).toBe(1)
    expect(runVictor(["workflow", "run", ok], { home }).code).toBe(0)

    expect(listJson(home).map((t) => t.workflow_name)).toEqual(["good", "bad", "good"])
    expect(listJson(home, ["--workflow", "good"])).toHaveLength(2)
    expect(listJson(home, ["--status", "failed"]).map((t) => t.workflow_name)).toEqual(["bad"])
    expect(listJson(home, ["--since", "1h", "--limit", "1"]).map((t) => t.workflow_name)).toEqual(["good"])
    expect(listJson(home, ["--status", "incomplete"])).toEqual([])

    writeFileSync(join(traceDir, "package.json"), "{\"name\": \"x\"}")
    writeFileSync(join(traceDir, "good_broken.json"), "{\"trace_id\": \"broken\", ")
    const warned = runVictor(["trace", "list"], { home })
    expect(warned.code).toBe(0)
    expect(plain(warned.stdout).trim().split("\n")).toHaveLength(4)
    const warnings = warned.stderr.trim().split("\n")
    expect(warnings).toHaveLength(2)
    expect(warnings.filter((w) => w.includes(join(traceDir, "package.json")))).toHaveLength(1)
    expect(warnings.filter((w) => w.includes(join(traceDir, "good_broken.json")))).toHaveLength(1)

    expect(runVictor(["trace", "list", "--status", "odd"], { home }).code).toBe(2)
    expect(runVictor(["trace", "list", "--since", "week"], { home }).stderr).toContain("--since 7d")
    expect(runVictor(["trace", "show", "no-such"], { home }).code).toBe(2)

    const dry = runVictor(["trace", "prune", "--keep-last", "1", "--dry-run"], { home })
    expect(plain(dry.stdout)).toContain("Would remove 2 traces")
    expect(listJson(home, [], false)).toHaveLength(3)
    const last = listJson(home, [], false)[0]!.trace_id
    expect(plain(runVictor(["trace", "prune", "--keep-last", "1"], { home }).stdout)).toContain("Removed 2 traces")
    expect(listJson(home, [], false).map((t) => t.trace_id)).toEqual([last])
    // Without a rule only stray files and unreferenced blobs go (the foreign files, quarantined by the first
    // listing, went with the prune before).
    const bare = runVictor(["trace", "prune"], { home })
    expect(bare.code).toBe(0)
    expect(plain(bare.stdout)).toContain("Removed 0 traces and 0 unreferenced blobs, freeing 0 B")
    expect(listJson(home)).toHaveLength(1)
    expect(plain(runVictor(["trace", "prune", "--max-size", "1B"], { home }).stdout)).toContain("Removed 1 trace")
    expect(listJson(home, [], false)).toEqual([])
  }, 120_000)

  it("a store that cannot be created is one error naming the path, before anything runs", () => {
    const { home } = sandbox()
    const blocker = join(home, "blocker")
    writeFileSync(blocker, "a file, not a directory")
    const out = join(home, "export.json")
    const ran = join(home, "ran")
    const run = runVictor(["workflow", "trace", quickWorkflow(home, "w", `touch ${ran}`), "--trace-dir", join(blocker, "traces"), "-o", out], { home })
    expect(run.code).toBe(2)
    expect(run.stderr).toBe(`victor: cannot create trace directory ${join(blocker, "traces")}: not a directory\n`)
    expect(listFiles(home)).not.toContain("ran")
    expect(listFiles(home)).not.toContain("export.json")
  }, 60_000)

  it("every store command's --help explains each option with an example", () => {
    const { home } = sandbox()
    const expected: Record<string, ReadonlyArray<string>> = {
      list: ["--workflow", "--status", "--since", "--limit", "--json", "--trace-dir"],
      show: ["--full", "--trace-dir"],
      export: ["--format", "--output", "--trace-dir"],
      rm: ["--trace-dir"],
      prune: ["--older-than", "--keep-last", "--max-size", "--dry-run", "--trace-dir"]
    }
    for (const [command, options] of Object.entries(expected)) {
      const help = plain(runVictor(["trace", command, "--help"], { home }).stdout)
      for (const option of options) expect(help, `${command} ${option}`).toContain(option)
      expect(help.match(/Example/g)?.length ?? 0).toBeGreaterThanOrEqual(options.length)
    }
    expect(plain(runVictor(["workflow", "trace", "--help"], { home }).stdout)).toContain("--capture")
  }, 60_000)
})
