/**
 * The trace store benchmark (`pnpm bench:store`): what the file system store costs at the sizes the issue names.
 *
 * - save and load (`get`) of a 100,000-node trace, one tool call per node;
 * - `list` over 10,000 stored traces, all and filtered (workflow + status), with the index warm, and once cold (no
 *   index: every file is read and the index rebuilt); `listNodeFacts` (what `trace stats` reads) with the index warm;
 * - the same through the real CLI: `victor trace list` and `victor trace list --workflow wf_3 --status failed` in a
 *   subprocess (process start included);
 * - recovery of the journal of a dead run holding 100,000 events (50,000 nodes);
 * - with PostgreSQL (`VICTOR_BENCH_PG_URL=postgres://...`, a role that may create databases, or `--pg` to start a
 *   private cluster, fsync on): the file system store and the SQL store side by side in a second table: `list` and a
 *   filtered list over 100,000 stored traces, `listNodeFacts` (what `trace stats` reads) over 10,000 traces of 20
 *   nodes, save and load of a 100,000-node trace.
 *
 * Options: `--nodes N` (default 100000), `--traces N` (default 10000), `--reps N` (default 3), `--only list` (only the
 * rows over the stored traces, library and CLI), `--only compare` (only the file system / PostgreSQL table),
 * `--list-traces N` (default 100000), `--facts-traces N` (default 10000), `--facts-nodes N` (default 20). Prints
 * markdown tables of medians. A quick run: `pnpm bench:store --pg --only compare --list-traces 10000 --nodes 10000`.
 */
import * as NodeTraceStore from "@victor/cli/store/NodeTraceStore"
import * as Journal from "@victor/core/Journal"
import * as TraceJson from "@victor/core/TraceJson"
import type * as TraceStore from "@victor/core/TraceStore"
import type * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as StoreServices from "@victor/core/StoreServices"
import * as Effect from "effect/Effect"
import * as StoreSql from "./storeSql.ts"
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}
const NODES = arg("nodes", 100_000)
const TRACES = arg("traces", 10_000)
const REPS = arg("reps", 3)
const LIST_TRACES = arg("list-traces", 100_000)
const FACTS_TRACES = arg("facts-traces", 10_000)
const FACTS_NODES = arg("facts-nodes", 20)
const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined
if (only !== undefined && only !== "list" && only !== "compare") {
  throw new Error(`--only: unknown part "${only}"; use --only list or --only compare`)
}
// Bundled into a temporary directory (bench/bundled.mjs), so the repository is the working directory, not this file's.
const victorBin = join(process.cwd(), "packages", "cli", "bin", "victor.cjs")
if (!existsSync(victorBin)) throw new Error(`run from the repository root (no ${victorBin}): pnpm bench:store`)

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)

/** A store on Node's file system (the one `victor` uses), owned by this process. */
const openStore = (directory: string) =>
  run(Effect.provide(StoreServices.complete, NodeTraceStore.layer({ directory })))

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
  const pg = await StoreSql.server(process.argv.includes("--pg"))
  try {
    if (only !== "compare") await fileSystemRows(root)
    if (pg !== undefined && only !== "list") await compareRows(root, pg)
  } finally {
    pg?.stop()
    rmSync(root, { recursive: true, force: true })
  }

  console.log(`Trace store benchmark: median of ${REPS} runs, Node ${process.version}, ${new Date().toISOString()}\n`)
  if (rows.length > 0) {
    console.log("| operation | time | notes |")
    console.log("|---|---:|---|")
    for (const [op, t, note] of rows) console.log(`| ${op} | ${t} | ${note} |`)
  }
  if (pg !== undefined && only !== "list") {
    console.log(`\nFile system store and PostgreSQL store (${pg.description}), same run:\n`)
    console.log("| operation | file system | PostgreSQL | target | notes |")
    console.log("|---|---:|---:|---:|---|")
    for (const [op, fs, sql, target, note] of comparison) console.log(`| ${op} | ${fs} | ${sql} | ${target} | ${note} |`)
  } else if (only === "compare") {
    console.log("no PostgreSQL: set VICTOR_BENCH_PG_URL or pass --pg")
  }
}

/** The file system store's rows (the first table). */
const fileSystemRows = async (root: string) => {
  {
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
  }
}

const comparison: Array<readonly [string, string, string, string, string]> = []

/** A small trace of the comparison's history: `nodes` nodes, one workflow of ten, every seventh failed. */
const historyTrace = (i: number, nodes: number): WorkflowTrace.WorkflowTrace => ({
  ...bigTrace(`t${i}`, nodes),
  workflowName: `wf_${i % 10}`,
  status: i % 7 === 0 ? "failed" : "succeeded",
  startTime: 1_700_000_000 + i
})

/** Writes traces as files of a file system store (as `victor` names them), a batch at a time. */
const writeTraceFiles = (directory: string, count: number, nodes: number) => {
  mkdirSync(directory, { mode: 0o700 })
  for (let i = 0; i < count; i++) {
    const trace = historyTrace(i, nodes)
    writeFileSync(join(directory, `${trace.workflowName}_${trace.traceId}.json`), TraceJson.encodeToString(trace), {
      mode: 0o600
    })
  }
}

/** The file system store and the PostgreSQL store side by side (the second table). */
const compareRows = async (root: string, pg: StoreSql.PgServer) => {
  const count = (n: number) => n.toLocaleString("en")
  const query: TraceStore.TraceQuery = { workflowName: "wf_3", status: "failed" }

  // --- list over LIST_TRACES traces ----------------------------------------------------------------------------
  {
    const dir = join(root, "compare-list")
    let start = performance.now()
    writeTraceFiles(dir, LIST_TRACES, 5)
    const fsFill = performance.now() - start
    const fsStore = await openStore(dir)
    const fsCold = await time(1, () => run(fsStore.list()))
    const fsAll = await time(REPS, () => run(fsStore.list()))
    const fsFiltered = await time(REPS, () => run(fsStore.list(query)))
    const fsLimited = await time(REPS, () => run(fsStore.list({ ...query, limit: 20 })))
    const expected = (await run(fsStore.list(query))).length

    const sql = await StoreSql.openFresh(pg)
    try {
      start = performance.now()
      await sql.importAll((function*() {
        for (let i = 0; i < LIST_TRACES; i++) yield historyTrace(i, 5)
      })())
      const sqlFill = performance.now() - start
      const sqlCold = await time(1, () => run(sql.store.list()))
      const sqlAll = await time(REPS, () => run(sql.store.list()))
      const sqlFiltered = await time(REPS, () => run(sql.store.list(query)))
      const sqlLimited = await time(REPS, () => run(sql.store.list({ ...query, limit: 20 })))
      const got = (await run(sql.store.list(query))).length
      if (got !== expected) throw new Error(`the stores list ${expected} and ${got} traces for the same query`)
      comparison.push([
        `fill: ${count(LIST_TRACES)} traces of 5 nodes`,
        ms(fsFill),
        ms(sqlFill),
        "",
        "files written directly / `SqlTraceStore.importTraces` (batches of 1,000)"
      ])
      comparison.push([`first \`list\` after filling`, ms(fsCold), ms(sqlCold), "", "file store: index built from every file"])
      comparison.push([`\`list\` over ${count(LIST_TRACES)} traces`, ms(fsAll), ms(sqlAll), "< 300 ms", "all summaries"])
      comparison.push([
        "filtered `list`",
        ms(fsFiltered),
        ms(sqlFiltered),
        "< 300 ms",
        `workflow wf_3, status failed: ${count(expected)} traces`
      ])
      comparison.push(["filtered `list`, limit 20", ms(fsLimited), ms(sqlLimited), "< 300 ms", "the newest 20 of them"])
    } finally {
      await sql.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }

  // --- node facts over FACTS_TRACES traces of FACTS_NODES nodes ----------------------------------------------------
  {
    const dir = join(root, "compare-facts")
    writeTraceFiles(dir, FACTS_TRACES, FACTS_NODES)
    const fsStore = await openStore(dir)
    await run(fsStore.listNodeFacts())
    const fsFacts = await time(REPS, () => run(fsStore.listNodeFacts()))
    const sql = await StoreSql.openFresh(pg)
    try {
      await sql.importAll((function*() {
        for (let i = 0; i < FACTS_TRACES; i++) yield historyTrace(i, FACTS_NODES)
      })())
      await run(sql.store.listNodeFacts())
      const sqlFacts = await time(REPS, () => run(sql.store.listNodeFacts()))
      const facts = await run(sql.store.listNodeFacts())
      const nodes = facts.reduce((sum, f) => sum + f.nodes.length, 0)
      if (nodes !== FACTS_TRACES * FACTS_NODES) throw new Error(`listNodeFacts gave ${nodes} node facts`)
      comparison.push([
        `\`listNodeFacts\` over ${count(FACTS_TRACES)} × ${FACTS_NODES}-node traces`,
        ms(fsFacts),
        ms(sqlFacts),
        "< 1 s",
        `what \`trace stats\` reads: ${count(nodes)} node facts`
      ])
      // The command itself, as a user runs it: process start, store opening, facts, the analysis and the table.
      const stats = (store: string) => () =>
        Promise.resolve(spawnSync(process.execPath, [victorBin, "trace", "stats", "--store", store], {
          encoding: "utf8",
          maxBuffer: 64 * 1024 * 1024,
          env: { ...process.env, NO_COLOR: "1" }
        })).then((r) => {
          if (r.status !== 0) throw new Error(`victor trace stats failed: ${r.stderr}`)
          if (!r.stdout.includes("wf_")) throw new Error(`victor trace stats printed no workflow:\n${r.stdout}`)
        })
      comparison.push([
        `\`victor trace stats\` over ${count(FACTS_TRACES)} × ${FACTS_NODES}-node traces (subprocess)`,
        ms(await time(REPS, stats(dir))),
        ms(await time(REPS, stats(sql.url))),
        "< 1 s",
        "process start included"
      ])
    } finally {
      await sql.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }

  // --- save and load a NODES-node trace -------------------------------------------------------------------------
  {
    const dir = join(root, "compare-save")
    const fsStore = await openStore(dir)
    const trace = bigTrace("big", NODES)
    const fsSave = await time(REPS, () => run(fsStore.save(trace)))
    const fsLoad = await time(REPS, () => run(fsStore.get("big")))
    const sql = await StoreSql.openFresh(pg)
    try {
      const sqlSave = await time(REPS, () => run(sql.store.save(trace)))
      const sqlLoad = await time(REPS, () => run(sql.store.get("big")))
      const loaded = await run(sql.store.get("big"))
      if (loaded.nodes.length !== NODES) throw new Error("the big trace did not come back whole")
      const size = statSync(join(dir, "bench_big.json")).size
      comparison.push([
        `save a ${count(NODES)}-node trace`,
        ms(fsSave),
        ms(sqlSave),
        "",
        `${(size / 1048576).toFixed(1)} MiB file; SQL: document, summary and ${count(NODES)} node-fact rows, one transaction`
      ])
      comparison.push([`load (\`get\`) a ${count(NODES)}-node trace`, ms(fsLoad), ms(sqlLoad), "", "parsed and decoded"])
    } finally {
      await sql.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
