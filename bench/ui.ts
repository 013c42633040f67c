/**
 * The trace explorer benchmark (`pnpm bench:ui`): `victor ui` over 10,000 stored traces, as it ships (the bundled
 * CLI in a subprocess), with the history page opened in headless Chromium (playwright-core, Debian's chromium).
 *
 * - the traces are written first through the store API (`store.save`, 16 at a time), and that write is timed too;
 * - `victor ui` start-up: from the process's start until it prints its address;
 * - the history page's time to first render: from the browser's navigation start until the page has drawn its
 *   first page of rows and its sparklines (`performance.mark("victor-ui-ready")`), for a first load and as the median
 *   of further loads, each in a fresh browser context (nothing cached: the server sends `no-store` anyway);
 * - the API calls behind it, one at a time and more than a second apart (the explorer shares a listing between the
 *   requests of one second): a page of the history, filtered ones (workflow + status and a start time, which go to
 *   the store's `list`; text and the end of a time range, which the explorer applies), a deep page, the sparklines.
 *
 * With PostgreSQL (`VICTOR_BENCH_PG_URL=postgres://...`, a role that may create databases, or `--pg` to start a
 * private cluster), the same over the SQL store, whose traces are imported in bulk.
 *
 * Options: `--traces N` (default 10000), `--nodes N` per trace (default 5), `--reps N` (default 5), `--pg`, `--store
 * DIR` (a file system store already written, e.g. kept from an earlier run: nothing is written). Prints a markdown
 * table of medians. Run it bundled, as the CLI ships: `node bench/bundled.mjs bench/ui.ts`.
 */
import * as NodeTraceStore from "@victor/cli/store/NodeTraceStore"
import * as StoreServices from "@victor/core/StoreServices"
import type * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as Effect from "effect/Effect"
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import type { Browser } from "playwright-core"
import * as StoreSql from "./storeSql.ts"

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}
const option = (name: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}
const TRACES = arg("traces", 10_000)
const NODES = arg("nodes", 5)
const REPS = arg("reps", 5)

// Bundled into a temporary directory (bench/bundled.mjs), so the repository is the working directory.
const victorBin = join(process.cwd(), "packages", "cli", "bin", "victor.cjs")
if (!existsSync(victorBin)) throw new Error(`run from the repository root (no ${victorBin}): pnpm bench:ui`)
const chromiumPath = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium"
if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} not found: apt-get install chromium`)

/** playwright-core from the repository's node_modules, at run time: esbuild cannot bundle it. */
const playwright = async (): Promise<typeof import("playwright-core")> => {
  const resolved = createRequire(join(process.cwd(), "package.json")).resolve("playwright-core")
  const specifier = pathToFileURL(resolved).href
  const module = (await import(specifier)) as typeof import("playwright-core") & { default?: typeof import("playwright-core") }
  // A CommonJS module: its exports are the default export's properties.
  return module.chromium === undefined && module.default !== undefined ? module.default : module
}

const median = (values: ReadonlyArray<number>) => {
  const sorted = values.slice().sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}
const ms = (value: number) => `${value.toFixed(0)} ms`
const count = (n: number) => n.toLocaleString("en")

/** Trace `i` of the history: ten workflows, every seventh run failed, one run a minute. */
const historyTrace = (i: number): WorkflowTrace.WorkflowTrace => {
  const start = 1_767_225_600 + i * 60
  const failed = i % 7 === 0
  const nodes = Array.from({ length: NODES }, (_, n): WorkflowTrace.NodeTraceRecord => ({
    nodeId: `node_${n}`,
    nodeType: "compute",
    timestamp: start + n * 0.1,
    durationSeconds: 0.1,
    success: !(failed && n === NODES - 1),
    error: failed && n === NODES - 1 ? "exit status 1" : null,
    inputs: { step: n },
    outputs: { ok: true },
    toolCalls: [],
    metadata: {}
  }))
  return {
    schemaVersion: 1,
    traceId: `t${i}`,
    workflowName: `wf_${i % 10}`,
    status: failed ? "failed" : "succeeded",
    startTime: start,
    endTime: start + NODES * 0.1,
    durationSeconds: NODES * 0.1,
    error: failed ? "exit status 1" : null,
    inputs: {},
    outputs: {},
    metadata: {},
    parentTraceId: null,
    traceParent: null,
    nodes,
    events: []
  }
}

interface Started {
  readonly child: ChildProcess
  readonly url: string
  readonly startMs: number
}

/** `victor ui --store STORE --no-open`, until it prints its address. */
const startUi = (store: string): Promise<Started> =>
  new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, [victorBin, "ui", "--no-open", "--store", store], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    let err = ""
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (err += chunk))
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk
      const match = /http:\/\/\S+\/\?token=\S+/.exec(out)
      if (match !== null) resolve({ child, url: match[0], startMs: performance.now() - started })
    })
    child.once("exit", (code) => reject(new Error(`victor ui exited with ${code}: ${err}`)))
  })

const stopUi = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.removeAllListeners("exit")
    child.once("exit", () => resolve())
    child.kill("SIGINT")
  })

type Row = readonly [string, string, string]

/** Every measurement of one store: rows of the table. */
const measure = async (browser: Browser, store: string, label: string): Promise<Array<Row>> => {
  const rows: Array<Row> = []
  const ui = await startUi(store)
  try {
    rows.push([`${label}: \`victor ui\` start until its address is printed`, ms(ui.startMs), "process start included"])
    // The first page is the server's first listing of the store (its index read, every file checked).
    const url = new URL(ui.url)
    const token = url.searchParams.get("token")!
    const api = async (path: string, params: Record<string, string> = {}) => {
      const target = `${url.origin}${path}?${new URLSearchParams(params).toString()}`
      const started = performance.now()
      const response = await fetch(target, { headers: { authorization: `Bearer ${token}` } })
      const body = (await response.json()) as { total?: number; workflows?: ReadonlyArray<unknown> }
      if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(body)}`)
      return { ms: performance.now() - started, body }
    }
    // The page: first load (the server's first reading of the store), then fresh contexts.
    const load = async () => {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } })
      const page = await context.newPage()
      const started = performance.now()
      await page.goto(ui.url, { waitUntil: "commit" })
      await page.waitForSelector("body[data-ready=true]", { timeout: 120_000 })
      const wall = performance.now() - started
      const ready = (await page.evaluate(`performance.getEntriesByName("victor-ui-ready")[0].startTime`)) as number
      const shown = await page.$$eval("#traces tbody tr[data-trace-id]", (all) => all.length)
      const total = await page.textContent("#count")
      await context.close()
      if (shown !== 50) throw new Error(`the page shows ${shown} rows, not 50 (${total})`)
      return { ready, wall, total }
    }
    const first = await load()
    const later: Array<{ ready: number; wall: number }> = []
    for (let i = 0; i < REPS; i++) later.push(await load())
    rows.push([
      `${label}: history page, time to first render (first load)`,
      ms(first.ready),
      `navigation start to 50 rows and the sparklines drawn, over ${first.total}; ${ms(first.wall)} as Playwright saw it`
    ])
    rows.push([
      `${label}: history page, time to first render (median of ${REPS})`,
      ms(median(later.map((l) => l.ready))),
      `fresh browser context each; ${ms(median(later.map((l) => l.wall)))} as Playwright saw it`
    ])
    const calls: ReadonlyArray<readonly [string, string, Record<string, string>]> = [
      ["GET /api/traces (page 1)", "/api/traces", {}],
      ["GET /api/traces?workflow=wf_3&status=failed", "/api/traces", { workflow: "wf_3", status: "failed" }],
      ["GET /api/traces?q=t99 (text, applied by the explorer)", "/api/traces", { q: "t99" }],
      ["GET /api/traces?from=..&to=.. (one day)", "/api/traces", { from: "1767225600", to: "1767312000" }],
      ["GET /api/traces?page=100", "/api/traces", { page: "100" }],
      ["GET /api/workflows (sparklines)", "/api/workflows", {}]
    ]
    for (const [name, path, params] of calls) {
      const times: Array<number> = []
      let body: { total?: number; workflows?: ReadonlyArray<unknown> } = {}
      for (let i = 0; i < REPS; i++) {
        // Past the explorer's one-second sharing of a listing: every call lists the store anew.
        await new Promise((resolve) => setTimeout(resolve, 1100))
        const result = await api(path, params)
        times.push(result.ms)
        body = result.body
      }
      const note = body.total !== undefined ? `${count(body.total)} matching` : `${body.workflows?.length} workflows`
      rows.push([`${label}: ${name}`, ms(median(times)), note])
    }
  } finally {
    await stopUi(ui.child)
  }
  return rows
}

const main = async () => {
  const root = mkdtempSync(join(tmpdir(), "victor-bench-ui-"))
  const pg = await StoreSql.server(process.argv.includes("--pg"))
  const { chromium } = await playwright()
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]
  })
  const rows: Array<Row> = []
  try {
    // The browser's own start is not the page's: one page first.
    const warmUp = await browser.newPage()
    await warmUp.goto("about:blank")
    await warmUp.close()
    const traces = Array.from({ length: TRACES }, (_, i) => historyTrace(i))
    const given = option("store")
    const directory = given ?? join(root, "store")
    if (given === undefined) {
      const store = await Effect.runPromise(Effect.provide(StoreServices.complete, NodeTraceStore.layer({ directory })))
      const started = performance.now()
      await Effect.runPromise(Effect.forEach(traces, (trace) => store.save(trace), { concurrency: 16, discard: true }))
      rows.push([
        `write ${count(TRACES)} traces through the store API (file system)`,
        ms(performance.now() - started),
        `store.save, 16 at a time, ${NODES} nodes each`
      ])
      // A store written from scratch has no index until it is first listed; `victor ui` finds one, as after any
      // earlier `victor` command over the store.
      const indexing = performance.now()
      await Effect.runPromise(store.list())
      rows.push([
        "first listing of that store (no index yet)",
        ms(performance.now() - indexing),
        "every file read once and the index written; once per store"
      ])
    }
    rows.push(...(await measure(browser, directory, "file system")))
    if (pg !== undefined) {
      const fresh = await StoreSql.openFresh(pg)
      try {
        const importStarted = performance.now()
        await fresh.importAll(traces)
        rows.push([
          `import ${count(TRACES)} traces (PostgreSQL)`,
          ms(performance.now() - importStarted),
          `SqlTraceStore.importTraces, ${pg.description}`
        ])
        rows.push(...(await measure(browser, fresh.url, "PostgreSQL")))
      } finally {
        await fresh.close()
      }
    }
  } finally {
    await browser.close()
    pg?.stop()
    rmSync(root, { recursive: true, force: true })
  }
  console.log(`victor ui benchmark: ${count(TRACES)} stored traces, Node ${process.version}, ${new Date().toISOString()}\n`)
  console.log("| what | time | notes |")
  console.log("|---|---:|---|")
  for (const [what, time, note] of rows) console.log(`| ${what} | ${time} | ${note} |`)
}

await main()
