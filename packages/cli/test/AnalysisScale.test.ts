// `victor trace analyze` on a 200,000-node trace file: it finishes in seconds, and SIGTERM or Ctrl-C (SIGINT) stop it
// at once; and the numbers it and `trace compare` print keep their precision.
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { makeTrace, store } from "./AnalysisTraces.ts"
import { runVictor, sandbox, victorBin } from "./setup/runVictor.ts"
import { sleep } from "./setup/processes.ts"

const T = 1_790_000_000

/**
 * A run of `count` node records in the wire format: sequential compute and transform nodes, every tenth step a
 * parallel node whose four children (each with a tool call) run two at a time, ids revisited as a loop does. Lean on
 * purpose (no events, few tool calls): reading and parsing the file is not what is measured, and a signal cannot
 * land while `JSON.parse` holds the thread.
 */
const bigTrace = (count: number): unknown => {
  const nodes: Array<unknown> = []
  const visits = new Map<string, number>()
  const record = (id: string, type: string, start: number, seconds: number, extra: Record<string, unknown> = {}) => {
    const iteration = (visits.get(id) ?? 0) + 1
    visits.set(id, iteration)
    const failed = nodes.length % 1000 === 999
    nodes.push({
      node_id: id,
      node_type: type,
      timestamp: start,
      duration_seconds: seconds,
      success: !failed,
      error: failed ? "exit 1" : null,
      inputs: {},
      outputs: {},
      tool_calls: id.startsWith("fetch_")
        ? [{ tool_name: "http", inputs: {}, outputs: {}, duration_seconds: seconds / 2, success: true, error: null, timestamp: start }]
        : [],
      metadata: { iteration },
      ...extra
    })
  }
  let t = T
  for (let step = 0; nodes.length < count; step++) {
    if (step % 10 === 9 && nodes.length + 5 <= count) {
      const children = ["fetch_a", "fetch_b", "fetch_c", "fetch_d"]
      const seconds = [0.02, 0.03, 0.025, 0.01]
      record("fetch_a", "compute", t, 0.02)
      record("fetch_c", "compute", t + 0.02, 0.025)
      record("fetch_b", "compute", t, 0.03)
      record("fetch_d", "compute", t + 0.03, 0.01)
      const end = t + Math.max(0.02 + seconds[2]!, 0.03 + seconds[3]!) + 0.0005
      record("fan_out", "parallel", t, end - t, {
        inputs: { parallel_nodes: children, join_strategy: "all", concurrency: 2 },
        outputs: { join_strategy: "all", children: Object.fromEntries(children.map((c) => [c, "succeeded"])) }
      })
      t = end + 0.0002
    } else {
      const seconds = 0.004 + (step % 13) / 1000
      record(`step_${step % 40}`, step % 2 === 0 ? "compute" : "transform", t, seconds)
      t += seconds + 0.0001
    }
  }
  return {
    schema_version: 1,
    trace_id: "big-200k",
    workflow_name: "big",
    status: "failed",
    start_time: T,
    end_time: t,
    duration_seconds: t - T,
    error: "a node failed",
    inputs: {},
    outputs: {},
    metadata: {},
    parent_trace_id: null,
    trace_parent: null,
    nodes,
    events: []
  }
}

/** Starts `victor` (as `runVictor` does, but without waiting) and resolves with its exit code and when it exited. */
const start = (args: ReadonlyArray<string>, home: string) => {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith("VICTOR_")) env[key] = value
  }
  const child = spawn(process.execPath, [victorBin, ...args], {
    env: { ...env, HOME: home, NO_COLOR: "1" },
    stdio: ["ignore", "ignore", "pipe"]
  })
  let stderr = ""
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<{ readonly code: number | null; readonly signal: string | null; readonly at: number }>(
    (resolve) => child.on("exit", (code, signal) => resolve({ code, signal, at: performance.now() }))
  )
  return { child, exited, stderr: () => stderr }
}

describe("victor trace analyze at scale", () => {
  const { home } = sandbox()
  const file = join(home, "big.json")
  beforeAll(() => writeFileSync(file, JSON.stringify(bigTrace(200_000))))
  afterAll(() => rmSync(home, { recursive: true, force: true }))

  it("analyses a 200,000-node trace file in well under 30 s", () => {
    const started = performance.now()
    const result = runVictor(["trace", "analyze", file], { home })
    const seconds = (performance.now() - started) / 1000
    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
    expect(result.stdout).toContain("Nodes: 200000 (199800 succeeded, 200 failed)")
    // The path: every sequential step, and through each of the 14,285 parallel nodes the two children of the slot
    // the join waited for (fetch_a, then fetch_c in the slot it freed); fetch_b and fetch_d gated nothing.
    expect(result.stdout).toMatch(/Critical path \(\d+m \d\ds, 171430 nodes\): step_0 4\.0ms -> step_1 5\.0ms -> /)
    expect(result.stdout).toContain("step_8 12ms -> fan_out 0.5ms -> fetch_a 20ms -> fetch_c 25ms -> ...")
    expect(seconds).toBeLessThan(30)
  }, 90_000)

  for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130]] as const) {
    it(`${signal} during the analysis of a large trace ends it within a second`, async () => {
      // Reading the file (JSON.parse and decoding, in TraceReference) holds the thread until it is done, and a signal
      // waits for it: the signal is sent once the analysis is under way. How long start-up and loading take is read
      // off a run that loads the trace and then stops (an unknown analyzer is reported after the trace is read).
      const before = performance.now()
      const probe = runVictor(["trace", "analyze", file, "--analyzer", "none"], { home })
      expect(probe.code).toBe(2)
      expect(probe.stderr).toContain("unknown analyzer")
      const loaded = performance.now() - before
      // Loading takes a little more or less time from run to run, and the analysis only about half a second: a run
      // that finished before the signal is tried again with the signal sent earlier.
      for (let offset = 100;; offset -= 250) {
        const run = start(["trace", "analyze", file], home)
        await sleep(Math.max(0, loaded + offset))
        if (run.child.exitCode !== null) {
          expect(offset, "the analysis never ran long enough to be signalled").toBeGreaterThan(-1000)
          continue
        }
        const sent = performance.now()
        run.child.kill(signal)
        const exit = await run.exited
        if (exit.code === 0 && offset > -1000) continue // it had just finished: too late to tell
        expect(exit.at - sent, run.stderr()).toBeLessThan(1000)
        // Interrupted through the runtime, exiting as a shell reports the signal (128 + its number), not killed.
        expect(exit.code).toBe(code)
        return
      }
    }, 120_000)
  }
})

describe("numbers that keep their precision", () => {
  it("compare prints a millisecond delta in milliseconds; analyze prints small durations as such", async () => {
    const { home, traceDir } = sandbox()
    await store(traceDir, [
      makeTrace("fast-base", "tiny", T, [["ping", 0, 0.0017], ["pong", 0.0017, 0.0004]]),
      makeTrace("fast-head", "tiny", T + 10, [["ping", 0, 0.0058], ["pong", 0.0058, 0.0004]])
    ])
    const dir = ["--trace-dir", traceDir]
    const compared = runVictor(["trace", "compare", "fast-base", "fast-head", "--threshold", "1ms", ...dir], { home })
    expect(compared.code).toBe(0)
    expect(compared.stdout).toContain("Difference: +4.1ms (+195.2%)")
    expect(compared.stdout).toMatch(/ping\s+1\.7ms\s+5\.8ms\s+\+4\.1ms\s+\+241\.2%/)
    expect(compared.stdout).not.toMatch(/[+-]0\.00s/)
    const analyzed = runVictor(["trace", "analyze", "fast-head", ...dir], { home })
    expect(analyzed.stdout).toContain("Total duration: 6.2ms")
    expect(analyzed.stdout).toMatch(/pong\s+1\s+compute\s+0\.4ms/)
  })
})
