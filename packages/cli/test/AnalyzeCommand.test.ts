import { describe, expect, it } from "@effect/vitest"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { makeTrace, store } from "./AnalysisTraces.ts"
import { plain, runVictor, sandbox } from "./setup/runVictor.ts"

const T = 1_790_000_000

describe("victor trace analyze", () => {
  it("analyzes `last`, an id prefix and a file; --json has the guide's keys", async () => {
    const { home, traceDir } = sandbox()
    const older = makeTrace("aaa-older", "w", T, [["one", 0, 1]])
    const newer = makeTrace("bbb-newer", "w", T + 10, [["fast", 0, 0.5], ["slow", 0.5, 2, "crashed"]])
    await store(traceDir, [older, newer])
    const dir = ["--trace-dir", traceDir]
    const text = runVictor(["trace", "analyze", "last", ...dir], { home })
    expect(text.code).toBe(0)
    expect(text.stdout).toContain("Trace bbb-newer (w)")
    expect(text.stdout).toContain("slow: crashed")

    const json = JSON.parse(runVictor(["trace", "analyze", "aaa", "--json", ...dir], { home }).stdout) as Record<string, unknown>
    expect(json).toMatchObject({
      trace_id: "aaa-older",
      total_nodes: 1,
      slowest_nodes: [{ node_id: "one", duration: 1 }],
      most_used_tools: [{ tool: "shell", calls: 1 }],
      error_count: 0
    })
    expect(json["critical_path"]).toEqual({
      duration_seconds: 1,
      steps: [{ node_id: "one", iteration: 1, node_type: "compute", seconds: 1 }]
    })

    const file = join(home, "t.json")
    writeFileSync(file, runVictor(["trace", "analyze", "last", "--json", ...dir], { home }).stdout)
    // The analysis output is not a trace file: decoding it fails with one line naming the file.
    const notATrace = runVictor(["trace", "analyze", file, ...dir], { home })
    expect(notATrace.code).toBe(2)
    expect(notATrace.stderr).toContain(file)
  })

  it("unknown id, malformed file and unknown analyzer: one line, exit 2", async () => {
    const { home, traceDir } = sandbox()
    await store(traceDir, [makeTrace("x1", "w", T, [["a", 0, 1]])])
    const broken = join(home, "broken.json")
    writeFileSync(broken, "[1, 2")
    for (const args of [["nope"], [broken], ["x1", "--analyzer", "flame"]]) {
      const result = runVictor(["trace", "analyze", ...args, "--trace-dir", traceDir], { home })
      expect(result.code, args.join(" ")).toBe(2)
      expect(result.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1)
    }
    const unknown = runVictor(["trace", "analyze", "x1", "--analyzer", "flame", "--trace-dir", traceDir], { home })
    expect(unknown.stderr).toContain("known analyzers: analysis, compare")
  })

  it("--help explains every option with an example", () => {
    const { home } = sandbox()
    const help = plain(runVictor(["trace", "analyze", "--help"], { home }).stdout)
    for (const example of ["Example: --json", "Example: --analyzer analysis", "Examples: --store"]) {
      expect(help).toContain(example)
    }
  })
})
