/**
 * `victor trace analyze` as the trace grows: 2,000 to 200,000 nodes, each a realistic run (sequential nodes with a
 * tool call each, a parallel node of four children in two slots every tenth step, loops that revisit node ids, two
 * events per node), written as the file store writes traces. Times, in this process, loading the file (read, parse,
 * decode, as the file store does), the analysis (`Analysis.analyze`, interruptible, as the CLI runs it) and the
 * report (text and JSON); then the real CLI on the file in a subprocess; and how fast each stops when asked to:
 * an interruption of the analysis in this process, and SIGTERM sent to the CLI one second in. Prints a markdown
 * table; "ms / 1k nodes" staying flat as the size grows is what linear looks like.
 *
 *   pnpm bench:analyze                               # 2k, 8k, 16k, 200k nodes
 *   pnpm bench:analyze -- --sizes 2000,16000 --reps 5 --warmup 3
 *   pnpm bench:analyze -- --no-cli                   # in process only
 *   pnpm bench:analyze -- --cli /tmp/build/victor.cjs  # another build of the CLI
 */
import * as Analysis from "@victor/analysis/Analysis"
import * as TraceDecoder from "@victor/core/TraceDecoder"
import * as TraceJson from "@victor/core/TraceJson"
import type { ExecutionEvent } from "@victor/core/ExecutionEvent"
import type { NodeTraceRecord, WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { performance } from "node:perf_hooks"

const option = (name: string): string | undefined => {
  const at = process.argv.indexOf(`--${name}`)
  return at >= 0 ? process.argv[at + 1] : undefined
}
const sizes = (option("sizes") ?? "2000,8000,16000,200000").split(",").map(Number)
const reps = Number(option("reps") ?? 3)
// Untimed runs first, so that the table shows the analysis, not V8 compiling it (a cold CLI pays that: see its column).
const warmup = Number(option("warmup") ?? 2)
const withCli = !process.argv.includes("--no-cli")
if (sizes.some((n) => !Number.isInteger(n) || n < 10) || !Number.isInteger(reps) || reps < 1) {
  throw new Error("--sizes takes whole numbers of at least 10 (e.g. 2000,16000); --reps a positive whole number")
}

// Bundled into a temporary directory (bench/bundled.mjs), so the repository is the working directory, not this file's.
const repoRoot = process.cwd()
// `--cli PATH`: another build of the CLI (a bundle of packages/cli/src/main.ts) instead of the repository's.
const victor = option("cli") ?? join(repoRoot, "packages", "cli", "bin", "victor.cjs")
if (!existsSync(victor)) throw new Error(`run from the repository root (no ${victor}): pnpm bench:analyze`)
const T0 = 1_790_000_000

/** A deterministic run of `count` node records. */
const makeTrace = (count: number): WorkflowTrace => {
  const nodes: Array<NodeTraceRecord> = []
  const events: Array<ExecutionEvent> = [{ eventType: "workflow_started", timestamp: T0 }]
  const visits = new Map<string, number>()
  const record = (nodeId: string, nodeType: string, start: number, seconds: number, extra: Partial<NodeTraceRecord> = {}) => {
    const iteration = (visits.get(nodeId) ?? 0) + 1
    visits.set(nodeId, iteration)
    const failed = nodes.length % 997 === 996
    events.push({ eventType: "node_started", timestamp: start, nodeId })
    events.push(
      failed
        ? { eventType: "node_failed", timestamp: start + seconds, nodeId, status: "failed", durationSeconds: seconds, error: "exit 1" }
        : { eventType: "node_completed", timestamp: start + seconds, nodeId, status: "success", durationSeconds: seconds }
    )
    nodes.push({
      nodeId,
      nodeType,
      timestamp: start,
      durationSeconds: seconds,
      success: !failed,
      error: failed ? "exit 1" : null,
      inputs: { step: nodes.length },
      outputs: failed ? {} : { ok: true },
      toolCalls: nodeType === "transform" || nodeType === "parallel" ? [] : [{
        toolName: nodeType === "agent" ? "search" : "shell",
        inputs: { command: "make" },
        outputs: { exit_code: 0 },
        durationSeconds: seconds / 2,
        success: true,
        error: null,
        timestamp: start + seconds / 4
      }],
      metadata: { iteration },
      ...extra
    })
  }
  let t = T0
  for (let step = 0; nodes.length < count; step++) {
    if (step % 10 === 9 && nodes.length + 5 <= count) {
      // Four children in two slots: c and d wait for a and b to finish.
      const children = ["fetch_a", "fetch_b", "fetch_c", "fetch_d"]
      const seconds = children.map((_, j) => 0.02 + ((step * 7 + j * 13) % 40) / 1000)
      const ends = [t + seconds[0]!, t + seconds[1]!]
      const starts = [t, t, Math.min(ends[0]!, ends[1]!), Math.max(ends[0]!, ends[1]!)]
      const done = children.map((id, j) => ({ id, start: starts[j]!, end: starts[j]! + seconds[j]! }))
      for (const child of [...done].sort((a, b) => a.end - b.end)) record(child.id, "compute", child.start, child.end - child.start)
      const end = Math.max(...done.map((c) => c.end)) + 0.0005
      record("fan_out", "parallel", t, end - t, {
        inputs: { parallel_nodes: children, join_strategy: "all", concurrency: 2 },
        outputs: { join_strategy: "all", children: Object.fromEntries(children.map((id) => [id, "succeeded"])) }
      })
      t = end + 0.0003
    } else {
      const seconds = 0.005 + ((step * 31) % 100) / 1000
      record(`step_${step % 40}`, ["compute", "agent", "transform"][step % 3]!, t, seconds)
      t += seconds + 0.0002
    }
  }
  events.push({ eventType: "workflow_failed", timestamp: t })
  return {
    schemaVersion: 1,
    traceId: `bench-analyze-${count}`,
    workflowName: "bench_analyze",
    status: "failed",
    startTime: T0,
    endTime: t,
    durationSeconds: t - T0,
    error: "a node failed",
    inputs: {},
    outputs: {},
    metadata: {},
    parentTraceId: null,
    traceParent: null,
    nodes,
    events
  }
}

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const ms = (value: number) => `${Math.round(value).toLocaleString("en-US")} ms`
const perK = (value: number, nodes: number) => (value / (nodes / 1000)).toFixed(2)

/** Runs the CLI to completion; its wall time. */
const runCli = (file: string, home: string): number => {
  const begin = performance.now()
  const result = spawnSync(process.execPath, [victor, "trace", "analyze", file], {
    env: { ...process.env, HOME: home, NO_COLOR: "1" },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024
  })
  const elapsed = performance.now() - begin
  if (result.status !== 0 || !result.stdout.includes("Critical path")) {
    throw new Error(`victor trace analyze failed (${result.status}): ${result.stderr.slice(0, 500)}`)
  }
  return elapsed
}

/** Sends SIGTERM to the CLI `after` ms into an analysis; how long it then took to exit, and how it exited. */
const sigterm = (file: string, home: string, after: number) =>
  new Promise<{ readonly exitMs: number; readonly code: number | null; readonly finishedFirst: boolean }>((resolve) => {
    const child = spawn(process.execPath, [victor, "trace", "analyze", file], {
      env: { ...process.env, HOME: home, NO_COLOR: "1" },
      stdio: "ignore"
    })
    let sent = -1
    const timer = setTimeout(() => {
      sent = performance.now()
      child.kill("SIGTERM")
    }, after)
    child.on("exit", (code) => {
      clearTimeout(timer)
      resolve({ exitMs: sent < 0 ? 0 : performance.now() - sent, code, finishedFirst: sent < 0 })
    })
  })

const home = mkdtempSync(join(tmpdir(), "victor-bench-analyze-"))
try {
  if (withCli && option("cli") === undefined) {
    spawnSync(process.execPath, [join(repoRoot, "packages", "cli", "scripts", "build.mjs"), "--if-stale"], { stdio: "inherit" })
  }
  const rows: Array<string> = []
  let interruptLine = ""
  let sigtermLine = ""
  for (const count of sizes) {
    const file = join(home, `trace-${count}.json`)
    writeFileSync(file, TraceJson.encodeToString(makeTrace(count)), { mode: 0o600 })
    const megabytes = statSync(file).size / 1024 / 1024
    const loads: Array<number> = []
    const analyses: Array<number> = []
    const reports: Array<number> = []
    let trace: WorkflowTrace | undefined
    for (let r = 0; r < (count > 50_000 ? Math.min(warmup, 1) : warmup); r++) {
      const warm = Effect.runSync(TraceDecoder.decodeUnknown(JSON.parse(readFileSync(file, "utf8"))))
      Analysis.render(await Effect.runPromise(Analysis.analyze(warm)))
    }
    for (let r = 0; r < reps; r++) {
      let begin = performance.now()
      trace = Effect.runSync(TraceDecoder.decodeUnknown(JSON.parse(readFileSync(file, "utf8"))))
      loads.push(performance.now() - begin)
      begin = performance.now()
      const analysis = await Effect.runPromise(Analysis.analyze(trace))
      analyses.push(performance.now() - begin)
      begin = performance.now()
      Analysis.render(analysis)
      JSON.stringify(Analysis.encode(analysis))
      reports.push(performance.now() - begin)
    }
    const cli = withCli ? Array.from({ length: count > 50_000 ? 1 : reps }, () => runCli(file, home)) : []
    rows.push(
      `| ${count.toLocaleString("en-US")} | ${megabytes.toFixed(1)} | ${ms(median(loads))} | ${ms(median(analyses))} | ` +
        `${perK(median(analyses), count)} | ${ms(median(reports))} | ` +
        (withCli ? `${ms(median(cli))} | ${perK(median(cli), count)} |` : "- | - |")
    )
    console.error(`${count} nodes: analyze ${ms(median(analyses))}${withCli ? `, CLI ${ms(median(cli))}` : ""}`)
    if (count === Math.max(...sizes)) {
      // Interrupted 50 ms into the analysis: how long until the fiber has stopped.
      const latencies: Array<number> = []
      for (let r = 0; r < reps; r++) {
        latencies.push(
          await Effect.runPromise(Effect.gen(function*() {
            const fiber = yield* Effect.fork(Analysis.analyze(trace!))
            yield* Effect.sleep("50 millis")
            const asked = performance.now()
            yield* Fiber.interrupt(fiber)
            return performance.now() - asked
          }))
        )
      }
      interruptLine = `Interrupting \`Analysis.analyze\` of ${count.toLocaleString("en-US")} nodes 50 ms in: stopped after ` +
        `${latencies.map((l) => l.toFixed(1)).join(", ")} ms.`
      if (withCli) {
        const stop = await sigterm(file, home, 1000)
        sigtermLine = stop.finishedFirst
          ? `SIGTERM 1 s into \`victor trace analyze\` of ${count.toLocaleString("en-US")} nodes: it had already finished.`
          : `SIGTERM 1 s into \`victor trace analyze\` of ${count.toLocaleString("en-US")} nodes: exited ${ms(stop.exitMs)} ` +
            `later with code ${stop.code}.`
      }
    }
  }
  console.log(
    `\n### victor trace analyze: one trace of N nodes (in process: median of ${reps} after ${warmup} warm-up run(s), ` +
      "1 above 50k nodes; the CLI cold, once above 50k nodes)\n"
  )
  console.log("| nodes | file MB | load (read, parse, decode) | analyze | analyze ms / 1k nodes | report (text + JSON) | CLI wall | CLI ms / 1k nodes |")
  console.log("|---:|---:|---:|---:|---:|---:|---:|---:|")
  for (const row of rows) console.log(row)
  console.log(`\n${interruptLine}`)
  if (sigtermLine !== "") console.log(sigtermLine)
  console.log(`\nMachine: Node ${process.version}, ${process.platform}/${process.arch}`)
} finally {
  rmSync(home, { recursive: true, force: true })
}
