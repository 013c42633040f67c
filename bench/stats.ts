/**
 * `victor trace stats` over many stored traces: the real CLI in a subprocess, over a trace directory of 10,000
 * traces of 20 nodes each (one tool call and two events per node), written as the file store writes them. Also
 * times, in this process, the parts the command is made of (the store's `listNodeFacts`, which reads the index, and
 * the statistics fold), and what loading every whole trace costs (`list` then `get` of each, as `compare --baseline`
 * and `TraceHistory.history` do), to show where the time goes. Prints a markdown table.
 *
 *   pnpm bench:stats                         # 10,000 traces x 20 nodes, 3 timed CLI runs
 *   pnpm bench:stats -- --traces 1000 --nodes 20 --reps 5
 */
import * as HistoryStats from "@victor/analysis/HistoryStats"
import * as TraceId from "@victor/core/TraceId"
import * as TraceJson from "@victor/core/TraceJson"
import type { ExecutionEvent } from "@victor/core/ExecutionEvent"
import type { NodeTraceRecord, WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as NodeTraceStore from "@victor/cli/store/NodeTraceStore"
import * as StoreServices from "@victor/core/StoreServices"
import * as Effect from "effect/Effect"
import { spawnSync } from "node:child_process"
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { performance } from "node:perf_hooks"

const flag = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`)
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive whole number`)
  return value
}
const traceCount = flag("traces", 10_000)
const nodeCount = flag("nodes", 20)
const reps = flag("reps", 3)
const target = 2_000

const repoRoot = join(import.meta.dirname, "..")
const victor = join(repoRoot, "packages", "cli", "bin", "victor.cjs")

/** A deterministic trace: node 7 fails in every run, node 3 is slow. */
const makeTrace = (i: number): WorkflowTrace => {
  const start = 1_790_000_000 + i * 60
  const nodes: Array<NodeTraceRecord> = []
  const events: Array<ExecutionEvent> = [{ eventType: "workflow_started", timestamp: start }]
  let t = start
  for (let n = 0; n < nodeCount; n++) {
    const seconds = n === 3 ? 2.5 + (i % 10) / 10 : 0.05 + ((i * 7 + n * 13) % 100) / 1000
    const failed = n === 7
    nodes.push({
      nodeId: `node_${n}`,
      nodeType: n % 4 === 0 ? "agent" : "compute",
      timestamp: t,
      durationSeconds: seconds,
      success: !failed,
      error: failed ? "connection refused" : null,
      inputs: { step: n },
      outputs: failed ? {} : { ok: true },
      toolCalls: [{
        toolName: n % 2 === 0 ? "shell" : "read",
        inputs: { arg: n },
        outputs: { ok: true },
        durationSeconds: seconds / 2,
        success: true,
        error: null,
        timestamp: t + seconds / 4
      }],
      metadata: { iteration: 1 }
    })
    events.push({ eventType: "node_started", timestamp: t, nodeId: `node_${n}` })
    t += seconds
    events.push(
      failed
        ? { eventType: "node_failed", timestamp: t, nodeId: `node_${n}`, status: "failed", durationSeconds: seconds, error: "connection refused" }
        : { eventType: "node_completed", timestamp: t, nodeId: `node_${n}`, status: "success", durationSeconds: seconds }
    )
  }
  events.push({ eventType: "workflow_failed", timestamp: t })
  return {
    schemaVersion: 1,
    traceId: `bench-${String(i).padStart(6, "0")}`,
    workflowName: "bench_stats",
    status: "failed",
    startTime: start,
    endTime: t,
    durationSeconds: t - start,
    error: "node_7 failed",
    inputs: {},
    outputs: {},
    metadata: {},
    parentTraceId: null,
    traceParent: null,
    nodes,
    events
  }
}

const ms = (value: number) => `${Math.round(value).toLocaleString("en-US")} ms`
const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

const home = mkdtempSync(join(tmpdir(), "victor-bench-stats-"))
const directory = join(home, "traces")
try {
  mkdirSync(directory, { recursive: true, mode: 0o700 })
  chmodSync(directory, 0o700)
  let started = performance.now()
  for (let i = 0; i < traceCount; i++) {
    const trace = makeTrace(i)
    // The name and bytes the file store writes (`{workflow}_{id}.json`, TraceJson); its index is a cache it builds.
    writeFileSync(join(directory, `${TraceId.fileSafeName(trace.workflowName)}_${trace.traceId}.json`), TraceJson.encodeToString(trace), { mode: 0o600 })
  }
  const writeMs = performance.now() - started
  console.error(`wrote ${traceCount} traces of ${nodeCount} nodes in ${ms(writeMs)}`)

  const runCli = () => {
    const begin = performance.now()
    const result = spawnSync(process.execPath, [victor, "trace", "stats", "--trace-dir", directory, "--json"], {
      env: { ...process.env, HOME: home, NO_COLOR: "1" },
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024
    })
    const elapsed = performance.now() - begin
    console.error(`victor trace stats: ${ms(elapsed)}`)
    if (result.status !== 0) throw new Error(`victor trace stats failed (${result.status}): ${result.stderr}`)
    const stats = JSON.parse(result.stdout) as { traces: number; common_errors: Array<{ node_id: string; count: number }> }
    if (stats.traces !== traceCount || stats.common_errors[0]?.count !== traceCount) {
      throw new Error(`unexpected stats: ${result.stdout.slice(0, 300)}`)
    }
    return elapsed
  }

  // The first run also builds the store's index (if the store keeps one).
  const first = runCli()
  const runs = Array.from({ length: reps }, runCli)

  // The same work in this process, part by part.
  const parts = await Effect.runPromise(
    Effect.gen(function*() {
      const store = yield* StoreServices.complete
      let t0 = performance.now()
      const facts = yield* store.listNodeFacts()
      const factsMs = performance.now() - t0
      console.error(`listNodeFacts: ${ms(factsMs)}`)
      t0 = performance.now()
      HistoryStats.computeSync(facts)
      const foldMs = performance.now() - t0
      t0 = performance.now()
      const summaries = yield* store.list()
      const listMs = performance.now() - t0
      console.error(`list: ${ms(listMs)}`)
      t0 = performance.now()
      const traces = yield* Effect.forEach(summaries, (s) => store.get(s.traceId), { concurrency: 16 })
      const getMs = performance.now() - t0
      console.error(`get x ${traces.length}: ${ms(getMs)}`)
      t0 = performance.now()
      HistoryStats.computeSync(traces)
      const traceFoldMs = performance.now() - t0
      return { factsMs, foldMs, listMs, getMs, traceFoldMs }
    }).pipe(Effect.provide(NodeTraceStore.layer({ directory })))
  )
  started = performance.now()
  spawnSync(process.execPath, [victor, "--version"], { env: { ...process.env, HOME: home } })
  const startupMs = performance.now() - started

  const best = Math.min(...runs)
  console.log(`\n### victor trace stats: ${traceCount.toLocaleString("en-US")} stored traces x ${nodeCount} nodes\n`)
  console.log("| measurement | time |")
  console.log("|---|---:|")
  console.log(`| \`victor trace stats --json\`, first run (store builds its index) | ${ms(first)} |`)
  console.log(`| \`victor trace stats --json\`, median of ${reps} | ${ms(median(runs))} |`)
  console.log(`| \`victor trace stats --json\`, best of ${reps} | ${ms(best)} |`)
  console.log(`| of which: CLI start-up (\`victor --version\`) | ${ms(startupMs)} |`)
  console.log(`| in process: \`TraceStore.listNodeFacts()\` (index only) | ${ms(parts.factsMs)} |`)
  console.log(`| in process: \`HistoryStats\` fold of the facts | ${ms(parts.foldMs)} |`)
  console.log(`| in process, whole traces: \`TraceStore.list()\` | ${ms(parts.listMs)} |`)
  console.log(`| in process, whole traces: \`TraceStore.get\` x ${traceCount.toLocaleString("en-US")} (read + parse + decode) | ${ms(parts.getMs)} |`)
  console.log(`| in process, whole traces: \`HistoryStats\` fold | ${ms(parts.traceFoldMs)} |`)
  const ratio = median(runs) / target
  console.log(`| target | < ${ms(target)}: median is ${ratio.toFixed(2)}x the target (${ratio < 1 ? "met" : "not met"}) |`)
} finally {
  rmSync(home, { recursive: true, force: true })
}
