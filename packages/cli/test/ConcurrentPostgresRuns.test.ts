// Issue 15's acceptance, as users would check it: 8 `victor` processes on one machine, each running a workflow 50
// times (`--repeat 50`) into one PostgreSQL store at once, while `trace list` (which recovers the journals of dead
// runs) reads it. Then, through the CLI: 400 traces, each a run one of the processes printed, all succeeded with
// every node; `trace stats` counts 400 runs of each node; and the large output every run shares (a blob, written by
// all of them at once) reads back whole. What only the tables show (one blob row, no journal left behind) is checked
// by store-sql's own concurrency test.
import * as PgCluster from "@victor/store-sql/testing/pgCluster"
import { describe, expect, inject, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { randomBytes } from "node:crypto"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { runVictor, runVictorAsync, sandbox } from "./setup/runVictor.ts"

const processes = 8
const runs = 50
const nodes = ["prepare", "big", "tally", "finish"]
// Above the 64 KiB inline budget: stored once as a blob that all 400 runs share.
const bigBytes = 80_000

/** A fresh database on the test server, as a store URL. */
const freshStore = async (): Promise<string> => {
  const admin = inject("victorPgUrl")
  const name = `victor_cli_${randomBytes(6).toString("hex")}`
  await Effect.runPromise(PgCluster.runStatements(admin, [`CREATE DATABASE ${name}`]))
  return PgCluster.withDatabase(admin, name)
}

/**
 * Four nodes, no model and no subprocess (a process per run would double the test's time on two cores): transforms
 * around a `read` of a file large enough to be stored as a blob.
 */
const loadWorkflow = (dir: string): string => {
  writeFileSync(join(dir, "big.txt"), "x".repeat(bigBytes))
  const file = join(dir, "load.yaml")
  writeFileSync(file, [
    "workflows:",
    "  load:",
    "    nodes:",
    "      - id: prepare",
    "        type: transform",
    `        transform: "size = ${bigBytes}"`,
    "      - id: big",
    "        type: compute",
    "        tools: [read]",
    "        inputs: { path: big.txt }",
    "      - id: tally",
    "        type: transform",
    "        transform: \"total = size * 2\"",
    "      - id: finish",
    "        type: transform",
    "        transform: \"done = True\""
  ].join("\n"))
  return file
}

interface Listed {
  readonly trace_id: string
  readonly workflow_name: string
  readonly status: string
  readonly node_count: number
}

interface Stats {
  readonly traces: number
  readonly failed_traces: number
  readonly workflows: ReadonlyArray<string>
  readonly common_errors: ReadonlyArray<unknown>
  readonly nodes: ReadonlyArray<{ readonly node_id: string; readonly runs: number; readonly failures: number }>
}

describe("many victor processes, one PostgreSQL store", () => {
  it(`${processes} processes × --repeat ${runs}: ${processes * runs} traces, every node, stats that add up`, async () => {
    const store = await freshStore()
    const { home } = sandbox()
    const file = loadWorkflow(home)

    let running = true
    const writers = Promise.all(
      Array.from({ length: processes }, () =>
        runVictorAsync(["workflow", "run", file, "--repeat", String(runs), "--store", store], { home, cwd: home }))
    ).finally(() => (running = false))
    // Meanwhile, what another user of the store sees: `trace list` recovers the journals of runs that are gone
    // before it lists, and must take none of the live ones (it shows them as running).
    const seen = new Set<string>()
    for (let i = 0; i < 3 && running; i++) {
      const during = await runVictorAsync(["trace", "list", "--json", "--store", store], { home })
      expect(during.code, during.stderr).toBe(0)
      for (const trace of JSON.parse(during.stdout) as Array<Listed>) seen.add(trace.status)
    }
    const results = await writers
    expect([...seen].filter((status) => status !== "running" && status !== "succeeded")).toEqual([])
    const printed: Array<string> = []
    for (const result of results) {
      expect(result.code, result.stderr).toBe(0)
      expect(result.stderr).toBe("")
      const lines = result.stdout.split("\n").filter((line) => line.startsWith("run "))
      expect(lines).toHaveLength(runs)
      lines.forEach((line, i) => {
        const match = new RegExp(`^run ${i + 1}/${runs}: ([0-9a-f-]{36}) succeeded in \\S+$`).exec(line)
        expect(match, line).not.toBeNull()
        printed.push(match![1]!)
      })
      expect(result.stdout).toMatch(new RegExp(`\\nRuns\\s+${runs}: ${runs} succeeded\\n`))
    }
    expect(new Set(printed).size).toBe(processes * runs)

    const list = runVictor(["trace", "list", "--json", "--store", store], { home })
    expect(list.code, list.stderr).toBe(0)
    const listed = JSON.parse(list.stdout) as Array<Listed>
    expect(listed).toHaveLength(processes * runs)
    expect(listed.map((t) => t.trace_id).sort()).toEqual([...printed].sort())
    expect(listed.filter((t) => t.workflow_name !== "load" || t.status !== "succeeded" || t.node_count !== nodes.length))
      .toEqual([])

    const statsRun = runVictor(["trace", "stats", "--json", "--store", store], { home })
    expect(statsRun.code, statsRun.stderr).toBe(0)
    const stats = JSON.parse(statsRun.stdout) as Stats
    expect(stats).toMatchObject({ traces: processes * runs, failed_traces: 0, workflows: ["load"], common_errors: [] })
    expect(stats.nodes.map((n) => [n.node_id, n.runs, n.failures]).sort())
      .toEqual(nodes.map((id) => [id, processes * runs, 0]).sort())
    expect(stats.nodes.reduce((sum, n) => sum + n.runs, 0)).toBe(processes * runs * nodes.length)

    // A trace read back whole: every node with its outputs, the blob all the runs wrote at once in full.
    const exported = runVictor(["trace", "export", printed[runs * 3 + 7]!, "--format", "json", "--store", store], { home })
    expect(exported.code, exported.stderr).toBe(0)
    const trace = JSON.parse(exported.stdout) as {
      status: string
      nodes: Array<{ node_id: string; success: boolean; outputs: Record<string, unknown>; tool_calls: Array<unknown> }>
    }
    expect(trace.nodes.map((n) => [n.node_id, n.success, n.tool_calls.length])).toEqual(
      nodes.map((id) => [id, true, id === "big" ? 1 : 0])
    )
    expect(trace.nodes[1]!.outputs).toMatchObject({ read: { content: "x".repeat(bigBytes) } })
    expect(trace.nodes[2]!.outputs).toEqual({ total: bigBytes * 2 })
  }, 120_000)
})
