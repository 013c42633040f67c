import { describe, expect, it } from "@effect/vitest"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { makeTrace, store } from "./AnalysisTraces.ts"
import { plain, runVictor, sandbox } from "./setup/runVictor.ts"

const T = 1_790_000_000

describe("victor trace compare", () => {
  it("--fail-on-regression exits 1 naming the slowed node, and 0 when nothing slowed past the threshold", async () => {
    const { home, traceDir } = sandbox()
    await store(traceDir, [
      makeTrace("base-run", "build", T, [["fetch", 0, 1], ["compile", 1, 2], ["test", 3, 1]]),
      makeTrace("head-run", "build", T + 100, [["fetch", 0, 1], ["compile", 1, 3.5], ["test", 4.5, 1.25]]),
      makeTrace("same-run", "build", T + 200, [["fetch", 0, 1.25], ["compile", 1.25, 2.25], ["test", 3.5, 1]])
    ])
    const dir = ["--trace-dir", traceDir]
    const slowed = runVictor(["trace", "compare", "base-run", "head-run", "--fail-on-regression", ...dir], { home })
    expect(slowed.code).toBe(1)
    expect(slowed.stderr).toContain("compile slowed by +1.50s (+75.0%)")
    expect(slowed.stderr).not.toContain("test slowed") // +0.25 s is under the default 0.5 s
    expect(slowed.stdout).toContain("REGRESSION")

    const fine = runVictor(["trace", "compare", "base-run", "same-run", "--fail-on-regression", ...dir], { home })
    expect(fine.stderr).toBe("")
    expect(fine.code).toBe(0)
    expect(fine.stdout).toContain("No regressions")

    // Both thresholds must be passed: compile +75% but not > 2 s.
    const both = runVictor(
      ["trace", "compare", "base", "head", "--threshold", "2s", "--threshold", "20%", "--fail-on-regression", ...dir],
      { home }
    )
    expect(both.code).toBe(0)
    // Without --fail-on-regression a regression is reported but the exit code is 0.
    expect(runVictor(["trace", "compare", "base-run", "head-run", ...dir], { home }).code).toBe(0)
  })

  it("--json, -o diff.html, and --baseline median:N over the last runs of head's workflow", async () => {
    const { home, traceDir } = sandbox()
    await store(traceDir, [
      makeTrace("r1", "etl", T, [["load", 0, 1], ["transform", 1, 4]]),
      makeTrace("r2", "etl", T + 10, [["load", 0, 1.5], ["transform", 1.5, 2]]),
      makeTrace("r3", "etl", T + 20, [["load", 0, 1], ["transform", 1, 2]]),
      makeTrace("r4", "etl", T + 30, [["load", 0, 1], ["transform", 1, 3]]),
      makeTrace("other", "other_wf", T + 35, [["load", 0, 9]]),
      makeTrace("now", "etl", T + 40, [["load", 0, 1], ["transform", 1, 3.25]])
    ])
    const dir = ["--trace-dir", traceDir]
    // The last 3 runs before `now`: transform 2, 2, 3 -> median 2; load 1.5, 1, 1 -> 1
    const result = runVictor(["trace", "compare", "--baseline", "median:3", "now", "--json", "--fail-on-regression", ...dir], { home })
    expect(result.code).toBe(1)
    const json = JSON.parse(result.stdout) as {
      base: { label: string; runs: number }
      regressions: Array<{ node_id: string; base_seconds: number; delta_seconds: number }>
    }
    expect(json.base).toMatchObject({ label: "median of 3 runs", runs: 3 })
    expect(json.regressions).toEqual([expect.objectContaining({ node_id: "transform", base_seconds: 2, delta_seconds: 1.25 })])
    expect(result.stderr).toContain("transform slowed by +1.25s")

    const html = join(home, "out", "diff.html")
    const written = runVictor(["trace", "compare", "r1", "now", "-o", html, ...dir], { home })
    expect(written.code).toBe(0)
    const page = readFileSync(html, "utf8")
    expect(page.startsWith("<!DOCTYPE html>")).toBe(true)
    expect(page).toContain("transform")
    // One page with its own script (allowed by hash) and nothing fetched.
    expect(page).not.toMatch(/https?:\/\/|<script[^>]*\ssrc=/)
    expect(page).toContain("default-src 'none'")
  })

  it("bad input is one line and exit 2: unknown id, malformed file, bad threshold, bad baseline", async () => {
    const { home, traceDir } = sandbox()
    await store(traceDir, [makeTrace("only-run", "w", T, [["a", 0, 1]])])
    const dir = ["--trace-dir", traceDir]
    const broken = join(home, "broken.json")
    writeFileSync(broken, "{ not json")
    for (const args of [
      ["trace", "compare", "nope", "only-run"],
      ["trace", "compare", broken, "only-run"],
      ["trace", "compare", "only-run", "only-run", "--threshold", "fast"],
      ["trace", "compare", "--baseline", "mean:3", "only-run"],
      ["trace", "compare", "--baseline", "median:3", "only-run"]
    ]) {
      const result = runVictor([...args, ...dir], { home })
      expect(result.code, args.join(" ")).toBe(2)
      expect(result.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1)
      expect(result.stderr).toMatch(/^victor: /)
    }
  })

  it("--help explains every option with an example", () => {
    const { home } = sandbox()
    const help = plain(runVictor(["trace", "compare", "--help"], { home }).stdout)
    for (const option of ["--threshold", "--fail-on-regression", "--baseline", "--output", "--json", "--trace-dir"]) {
      expect(help).toContain(option)
    }
    expect(help).toContain("Example: --baseline median:5")
    expect(help).toContain("Example: --threshold 0.5s --threshold 20%")
  })
})
