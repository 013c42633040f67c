import { describe, expect, it } from "@effect/vitest"
import { makeTrace, store } from "./AnalysisTraces.ts"
import { plain, runVictor, sandbox } from "./setup/runVictor.ts"

const T = 1_790_000_000

describe("victor trace stats", () => {
  it("names the consistently failing node with its error and the right count", async () => {
    const { home, traceDir } = sandbox()
    const runs = Array.from({ length: 6 }, (_, i) =>
      makeTrace(`run-${i}`, "deploy", T + i * 60, [
        ["build", 0, 2 + i / 4],
        ["upload", 3.5, 0.5, "403 Forbidden: bucket policy"],
        ...(i % 3 === 0 ? [["notify", 4, 0.25, "smtp timeout"] as const] : [])
      ]))
    await store(traceDir, [...runs, makeTrace("elsewhere", "other", T, [["upload", 0, 1, "disk full"]])])
    const dir = ["--trace-dir", traceDir]

    const text = runVictor(["trace", "stats", "--workflow", "deploy", ...dir], { home })
    expect(text.stderr).toBe("")
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(/6x\s+upload\s+403 Forbidden: bucket policy/)
    expect(text.stdout).toMatch(/2x\s+notify\s+smtp timeout/)
    expect(text.stdout).not.toContain("disk full")
    // build averages 2.625 s, above the guide's 2 s
    expect(text.stdout).toMatch(/build\s+6\s+2\.63s\s+3\.25s/)

    const json = JSON.parse(runVictor(["trace", "stats", "--workflow", "deploy", "--json", ...dir], { home }).stdout) as {
      traces: number
      common_errors: Array<{ node_id: string; error: string; count: number }>
      nodes: Array<{ node_id: string; failure_rate: number; runs: number }>
      slow_nodes: Array<{ node_id: string; avg_seconds: number; p95_seconds: number }>
    }
    expect(json.traces).toBe(6)
    expect(json.common_errors.map((e) => [e.node_id, e.error, e.count])).toEqual([
      ["upload", "403 Forbidden: bucket policy", 6],
      ["notify", "smtp timeout", 2]
    ])
    expect(json.slow_nodes).toEqual([expect.objectContaining({ node_id: "build", avg_seconds: 2.625, p95_seconds: 3.25 })])
    expect(Object.fromEntries(json.nodes.map((n) => [n.node_id, n.failure_rate]))).toEqual({ build: 0, upload: 1, notify: 1 })

    // --last 3: runs 3, 4, 5; notify failed only in run 3
    const last = JSON.parse(runVictor(["trace", "stats", "--workflow", "deploy", "--last", "3", "--json", ...dir], { home }).stdout) as typeof json
    expect(last.traces).toBe(3)
    expect(last.common_errors.map((e) => [e.node_id, e.count])).toEqual([["upload", 3], ["notify", 1]])
  })

  it("bad options exit 2 with one line; --help explains every option", () => {
    const { home, traceDir } = sandbox()
    const bad = runVictor(["trace", "stats", "--last", "0", "--trace-dir", traceDir], { home })
    expect(bad.code).toBe(2)
    expect(bad.stderr.trim().split("\n")).toHaveLength(1)
    const help = plain(runVictor(["trace", "stats", "--help"], { home }).stdout)
    for (const example of ["Example: --workflow", "Example: --last 50", "Example: --slow 500ms", "Example: --json", "Examples: --store"]) {
      expect(help).toContain(example)
    }
  })
})
