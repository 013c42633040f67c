/**
 * HTML report benchmark: how soon a report of 10,000 and 100,000 node records is usable in headless Chromium, and
 * how quick it stays.
 *
 *   tsx bench/report.html.ts                          # 10,000 and 100,000 nodes, 5 openings each
 *   tsx bench/report.html.ts --nodes 100000 --reps 9 --check
 *
 * The runs are `bigRun` of the report's tests: groups of an agent (one model call, one tool call) and a parallel node
 * with three overlapping children (one tool call each), so about two rows per record, 1% failed. Each opening is a
 * fresh page; the table shows medians and ranges of:
 *
 * - ready: navigation start until the page's script has parsed the data and drawn the rows in view (its
 *   `victor-report-ready` mark);
 * - click → details: a click on a tree row (as Playwright dispatches it) until the details panel names the row;
 * - interactive: navigation start until that click has been answered, with the click made as soon as the page was
 *   ready (the rest of the page, the inputs and outputs after the script, is still being parsed meanwhile): the time
 *   to interactive, whose target is 2 s at 100,000 nodes;
 * - "failed only" filter and one zoom step (until the second frame after the key), over every row.
 *
 * The timed work happens in Chromium, so this runs through tsx like `bench/export.ts` (the export time beside it is
 * tsx's; `pnpm bench:export` times the export as shipped).
 */
import * as HtmlExporter from "@victor/exporter-html/HtmlExporter"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs"
import { cpus, tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { launch, timeToInteractive } from "../plugins/exporter-html/test/chromium.ts"
import { bigRun } from "../plugins/exporter-html/test/traces.ts"

/** What one size measured, in milliseconds (one reading per opening). */
export interface Measurement {
  readonly nodes: number
  readonly rows: number
  readonly exportMs: number
  readonly mebibytes: number
  readonly ready: ReadonlyArray<number>
  readonly click: ReadonlyArray<number>
  readonly interactive: ReadonlyArray<number>
  readonly filter: ReadonlyArray<number>
  readonly zoom: ReadonlyArray<number>
}

/** The time to interactive a 100,000-node report must stay under. */
export const TARGET_MS = 2000

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

/** Exports a run of `nodes` records and opens it `reps` times. */
export const measure = async (nodes: number, reps: number): Promise<Measurement> => {
  const trace = bigRun(nodes)
  const directory = mkdtempSync(join(tmpdir(), "victor-bench-report-"))
  const file = join(directory, "report.html")
  const started = performance.now()
  const chunks = await Effect.runPromise(Stream.runCollect(HtmlExporter.make().export(trace)))
  const exportMs = performance.now() - started
  writeFileSync(file, Buffer.concat(Array.from(chunks)))
  const browser = await launch()
  const readings = { ready: [] as Array<number>, click: [] as Array<number>, interactive: [] as Array<number>, filter: [] as Array<number>, zoom: [] as Array<number> }
  try {
    for (let i = 0; i < reps; i++) {
      const tti = await timeToInteractive(browser, file, "g1_fan")
      const { page } = tti.report
      if (tti.report.pageErrors.length > 0 || tti.report.requests.length !== 1) {
        throw new Error(`report misbehaved: ${JSON.stringify({ errors: tti.report.pageErrors, requests: tti.report.requests })}`)
      }
      readings.ready.push(tti.readyMs)
      readings.click.push(tti.clickMs)
      readings.interactive.push(tti.interactiveMs)
      await page.waitForLoadState("load")
      readings.filter.push((await page.evaluate(`(() => {
        const begin = performance.now()
        document.getElementById("filter-failed").click()
        const ms = performance.now() - begin
        if (!/nodes match/.test(document.getElementById("match-count").textContent)) throw new Error("the filter did not apply")
        document.getElementById("filter-all").click()
        return ms
      })()`)) as number)
      readings.zoom.push((await page.evaluate(`new Promise((resolve) => {
        const begin = performance.now()
        document.getElementById("bars").dispatchEvent(new KeyboardEvent("keydown", { key: "+", bubbles: true }))
        requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - begin)))
      })`)) as number)
      await page.context().close()
    }
  } finally {
    await browser.close()
  }
  const rows = 1 + trace.nodes.length + trace.nodes.reduce((n, node) => n + node.toolCalls.length, 0) +
    trace.nodes.reduce((n, node) => n + (Array.isArray(node.metadata["model_calls"]) ? node.metadata["model_calls"].length : 0), 0)
  const mebibytes = statSync(file).size / 1048576
  rmSync(directory, { recursive: true, force: true })
  return { nodes, rows, exportMs, mebibytes, ...readings }
}

/** The results as a Markdown table, with the target's verdict on the 100,000-node row. */
export const table = (measurements: ReadonlyArray<Measurement>): string => {
  const ms = (values: ReadonlyArray<number>) =>
    `${median(values).toFixed(0)} (${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)})`
  const header = ["nodes", "rows", "export ms", "MiB", "ready ms", "click → details ms", "interactive ms", "filter ms", "zoom ms", "target"]
  const body = measurements.map((m) => [
    m.nodes.toLocaleString("en-US"),
    m.rows.toLocaleString("en-US"),
    m.exportMs.toFixed(0),
    m.mebibytes.toFixed(1),
    ms(m.ready),
    ms(m.click),
    ms(m.interactive),
    ms(m.filter),
    ms(m.zoom),
    m.nodes === 100_000 ? `< ${TARGET_MS} ms: ${median(m.interactive) < TARGET_MS ? "PASS" : "FAIL"}` : ""
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)))
  const line = (cells: ReadonlyArray<string>) => `| ${cells.map((c, i) => c.padStart(widths[i]!)).join(" | ")} |`
  return [line(header), `|${widths.map((w) => "-".repeat(w + 1) + ":").join("|")}|`, ...body.map(line)].join("\n")
}

const main = async () => {
  const argument = (flag: string) => {
    const at = process.argv.indexOf(flag)
    return at >= 0 ? process.argv[at + 1] : undefined
  }
  const sizes = (argument("--nodes") ?? process.env["BENCH_NODES"] ?? "10000,100000").split(",").map(Number)
  const reps = Number(argument("--reps") ?? 5)
  const started = Date.now()
  const measurements: Array<Measurement> = []
  for (const nodes of sizes) measurements.push(await measure(nodes, reps))
  console.log(`HTML report in headless Chromium, ${reps} openings per size; medians (min–max).\n`)
  console.log(table(measurements))
  console.log(`\nMachine: Node ${process.version}, ${cpus().length} CPUs, ${process.platform}/${process.arch}; bench took ${((Date.now() - started) / 1000).toFixed(1)} s`)
  const big = measurements.find((m) => m.nodes === 100_000)
  if (process.argv.includes("--check") && big !== undefined && median(big.interactive) >= TARGET_MS) process.exitCode = 1
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
