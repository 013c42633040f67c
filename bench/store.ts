/**
 * The trace store benchmark (`pnpm bench:store`): what the file system store costs at the sizes the issue names.
 *
 * - save and load (`get`) of a 100,000-node trace, one tool call per node;
 * - `list` over 10,000 stored traces, all and filtered (workflow + status), with the index warm, and once cold (no
 *   index: every file is read and the index rebuilt); `listNodeFacts` (what `trace stats` reads) with the index warm;
 * - the same through the real CLI: `victor trace list` and `victor trace list --workflow wf_3 --status failed` in a
 *   subprocess (process start included);
 * - recovery of the journal of a dead run holding 100,000 events (50,000 nodes).
 *
 * Options: `--nodes N` (default 100000), `--traces N` (default 10000), `--reps N` (default 3), `--only list` (only the
 * rows over the stored traces, library and CLI). Prints a markdown table of medians.
 */
import * as NodeTraceStore from "@victor/cli/store/NodeTraceStore"
import * as Journal from "@victor/core/Journal"
import * as TraceJson from "@victor/core/TraceJson"
import type * as TraceStore from "@victor/core/TraceStore"
import type * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as TraceStoreTag from "@victor/core/TraceStore"
import * as Effect from "effect/Effect"
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}
const NODES = arg("nodes", 100_000)
const TRACES = arg("traces", 10_000)
const REPS = arg("reps", 3)
const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined
if (only !== undefined && only !== "list") throw new Error(`--only: unknown part "${only}"; use --only list`)
const victorBin = join(import.meta.dirname, "..", "packages", "cli", "bin", "victor.mjs")

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)

/** A store on Node's file system (the one `victor` uses), owned by this process. */
const openStore = (directory: string) =>
  run(Effect.provide(TraceStoreTag.TraceStore, NodeTraceStore.layer({ directory })))

const median = (values: ReadonlyArray<number>) => {
  const sorted = values.slice().sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

const time = async (reps: number, body: () => Promise<unknown>) => {
  const times: Array<number> = []
  for (let i = 0; i < reps; i++) {
    const start = performance.now()
    await body()
    times.push(performance.now() - start)
  }
  return median(times)
}

const bigTrace = (traceId: string, nodes: number): WorkflowTrace.WorkflowTrace => ({
  schemaVersion: 1,
  traceId,
  workflowName: "bench",
  status: "succeeded",
  startTime: 1_700_000_000,
  endTime: 1_700_000_100,
  durationSeconds: 100,
  error: null,
  inputs: { task: "bench" },
  outputs: { result: "ok" },
  metadata: {},
  parentTraceId: null,
  traceParent: null,
  nodes: Array.from({ length: nodes }, (_, i) => ({
    nodeId: `node_${i}`,
    nodeType: "compute",
    timestamp: 1_700_000_000 + i / 1000,
    durationSeconds: 0.001,
    success: true,
    error: null,
    inputs: { path: `file_${i}.txt` },
    outputs: { lines: i },
    toolCalls: [{
      toolName: "read",
      inputs: { path: `file_${i}.txt` },
      outputs: { content: "hello" },
      durationSeconds: 0.0005,
      success: true,
      error: null,
      timestamp: 1_700_000_000 + i / 1000
    }],
    metadata: {}
  })),
  events: []
})

const rows: Array<readonly [string, string, string]> = []
const ms = (value: number) => `${value.toFixed(0)} ms`

const main = async () => {
  const root = mkdtempSync(join(tmpdir(), "victor-bench-store-"))
  try {
    // --- save and load a 100,000-node trace -------------------------------------------------------------------
    if (only === undefined) {
      const saveDir = join(root, "save")
      const store = await openStore(saveDir)
      const trace = bigTrace("big", NODES)
      const save = await time(REPS, () => run(store.save(trace)))
      const size = statSync(join(saveDir, "bench_big.json")).size
      const load = await time(REPS, () => run(store.get("big")))
      rows.push([`save a ${NODES.toLocaleString("en")}-node trace`, ms(save), `${(size / 1048576).toFixed(1)} MiB file`])
      rows.push([`load (get) a ${NODES.toLocaleString("en")}-node trace`, ms(load), "parsed and decoded (TraceDecoder fast path)"])
    }

    // --- 10,000 stored traces ------------------------------------------------------------------------------------
    const listDir = join(root, "list")
    mkdirSync(listDir, { mode: 0o700 })
    for (let i = 0; i < TRACES; i++) {
      const small = {
        ...bigTrace(`t${i}`, 5),
        workflowName: `wf_${i % 10}`,
        status: i % 7 === 0 ? "failed" as const : "succeeded" as const,
        startTime: 1_700_000_000 + i
      }
      writeFileSync(join(listDir, `wf_${i % 10}_t${i}.json`), TraceJson.encodeToString(small), { mode: 0o600 })
    }
    const listStore = await openStore(listDir)
    const cold = await time(1, () => run(listStore.list()))
    const all = await time(REPS, () => run(listStore.list()))
    const query: TraceStore.TraceQuery = { workflowName: "wf_3", status: "failed" }
    const filtered = await time(REPS, () => run(listStore.list(query)))
    const count = (await run(listStore.list(query))).length
    const facts = await time(REPS, () => run(listStore.listNodeFacts()))
    rows.push([`list ${TRACES.toLocaleString("en")} traces, no index (rebuilt)`, ms(cold), "every file read once"])
    rows.push([`list ${TRACES.toLocaleString("en")} traces (library)`, ms(all), "index + one stat per file"])
    rows.push([`filtered list (library)`, ms(filtered), `--workflow wf_3 --status failed: ${count} traces`])
    rows.push([`listNodeFacts over ${TRACES.toLocaleString("en")} traces (library)`, ms(facts), "what `trace stats` reads: the index and the facts file"])
    const cli = (args: ReadonlyArray<string>) => () =>
      Promise.resolve(spawnSync(process.execPath, [victorBin, "trace", "list", "--trace-dir", listDir, ...args], {
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024
      })).then((r) => {
        if (r.status !== 0) throw new Error(`victor trace list failed: ${r.stderr}`)
      })
    rows.push([`\`victor trace list\` over ${TRACES.toLocaleString("en")} (subprocess)`, ms(await time(REPS, cli([]))), "process start included"])
    rows.push([
      "`victor trace list --workflow wf_3 --status failed` (subprocess)",
      ms(await time(REPS, cli(["--workflow", "wf_3", "--status", "failed"]))),
      "process start included"
    ])
    rows.push(["`victor --version` (subprocess)", ms(await time(REPS, () =>
      Promise.resolve(spawnSync(process.execPath, [victorBin, "--version"])))), "the start-up floor"])

    // --- recovery of a 100,000-event journal ----------------------------------------------------------------------
    if (only === undefined) {
      const recoverDir = join(root, "recover")
      mkdirSync(recoverDir, { mode: 0o700 })
      const header = Journal.headerOf({ ...bigTrace("dead", 0), traceId: "dead" })
      const nodes = bigTrace("dead", NODES / 2).nodes
      const lines: Array<string> = [Journal.encodeHeader(header, { pid: 2 ** 22 + 1, host: hostname() })]
      for (const node of nodes) {
        lines.push(Journal.encodeEntry(Journal.event({ eventType: "node_started", timestamp: node.timestamp, nodeId: node.nodeId })))
        lines.push(Journal.encodeEntry(Journal.event({
          eventType: "node_completed",
          timestamp: node.timestamp + node.durationSeconds,
          nodeId: node.nodeId,
          status: "success",
          durationSeconds: node.durationSeconds
        })))
        lines.push(Journal.encodeEntry(Journal.node(node)))
      }
      const journalText = lines.join("\n") + "\n"
      // The journal's owner is a pid of this host that does not exist: a run killed with -9.
      const recoverStore = await openStore(recoverDir)
      const recoveries: Array<number> = []
      for (let i = 0; i < REPS; i++) {
        rmSync(join(recoverDir, "bench_dead.json"), { force: true })
        writeFileSync(join(recoverDir, "bench_dead.jsonl"), journalText, { mode: 0o600 })
        const start = performance.now()
        const recovered = await run(recoverStore.recover)
        recoveries.push(performance.now() - start)
        if (recovered.length !== 1) throw new Error("the journal was not recovered")
      }
      rows.push([
        `recover a ${(NODES).toLocaleString("en")}-event journal`,
        ms(median(recoveries)),
        `${(journalText.length / 1048576).toFixed(1)} MiB journal, ${(NODES / 2).toLocaleString("en")} nodes`
      ])
    }
  } finally {
    rmSync(root, { recursive: true, force: true })
  }

  console.log(`Trace store benchmark: median of ${REPS} runs, Node ${process.version}, ${new Date().toISOString()}\n`)
  console.log("| operation | time | notes |")
  console.log("|---|---:|---|")
  for (const [op, t, note] of rows) console.log(`| ${op} | ${t} | ${note} |`)
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
