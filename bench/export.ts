/**
 * Export benchmark: JSON, CSV and HTML export of one 100,000-node trace, next to `JSON.stringify` of the same trace in
 * the same run, plus how long the 100,000-node HTML report takes to open and become interactive in Chromium.
 *
 *   pnpm bench:export                    # 100,000 nodes, 5 timed rounds
 *   pnpm bench:export -- --nodes 20000 --reps 3 --check
 *
 * Each round times every scenario once, in turn, so drift on a shared machine hits them alike; the table shows
 * medians. "open → interactive" is the time from Chromium's navigation start until the report's script has parsed the
 * node rows, rendered the first page and listens for input (its `victor-report-ready` mark). An export is timed until its whole stream has been pulled as UTF-8 bytes (what the CLI writes to disk);
 * the baseline is `JSON.stringify(trace)` producing one string, which does not even encode it.
 */
import * as CsvExporter from "@victor/exporter-csv/CsvExporter"
import * as HtmlExporter from "@victor/exporter-html/HtmlExporter"
import * as JsonExporter from "@victor/exporter-json/JsonExporter"
import type { Exporter } from "@victor/core/Exporter"
import type { NodeTraceRecord, WorkflowTrace } from "@victor/core/WorkflowTrace"
import type { ExecutionEvent } from "@victor/core/ExecutionEvent"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs"
import { cpus, tmpdir } from "node:os"
import { join } from "node:path"
import { launch, openReport } from "../plugins/exporter-html/test/chromium.ts"

const argument = (flag: string, fallback: number) => {
  const at = process.argv.indexOf(flag)
  return at >= 0 ? Number(process.argv[at + 1]) : fallback
}
const NODES = argument("--nodes", Number(process.env["BENCH_NODES"] ?? 100_000))
const REPS = argument("--reps", 5)
const CHECK = process.argv.includes("--check")

/** A trace shaped like a real run: sequential stages with parallel fan-outs of four, one tool call per node, 1% failed. */
const makeTrace = (count: number): WorkflowTrace => {
  const t0 = 1_700_000_000
  const types = ["agent", "compute", "transform", "condition"]
  const nodes: Array<NodeTraceRecord> = []
  const events: Array<ExecutionEvent> = []
  let clock = t0
  for (let i = 0; i < count; i++) {
    const lane = i % 4
    if (lane === 0) clock += 0.05
    const start = clock + lane * 0.002
    const duration = 0.01 + ((i * 7919) % 100) / 1000
    const success = i % 100 !== 37
    const nodeId = `node_${i}`
    nodes.push({
      nodeId,
      nodeType: types[i % types.length]!,
      timestamp: start,
      durationSeconds: duration,
      success,
      error: success ? null : `tool read failed: ENOENT src/file_${i}.ts`,
      inputs: { path: `src/file_${i}.ts`, task: "review" },
      outputs: success ? { content: `export const value${i} = ${i}`, lines: i % 300 } : {},
      toolCalls: [{
        toolName: ["read", "grep", "shell"][i % 3]!,
        inputs: { path: `src/file_${i}.ts` },
        outputs: { bytes: i * 3 },
        durationSeconds: duration / 2,
        success,
        error: success ? null : "ENOENT",
        timestamp: start + 0.001
      }],
      metadata: { iteration: 1 }
    })
    events.push(
      { eventType: "node_started", timestamp: start, nodeId },
      { eventType: "tool_call_completed", timestamp: start + duration / 2, nodeId, toolName: "read", durationSeconds: duration / 2 },
      { eventType: success ? "node_completed" : "node_failed", timestamp: start + duration, nodeId, durationSeconds: duration }
    )
  }
  return {
    schemaVersion: 1,
    traceId: "bench-export",
    workflowName: "bench",
    status: "failed",
    startTime: t0,
    endTime: clock + 0.2,
    durationSeconds: clock + 0.2 - t0,
    error: null,
    inputs: { task: "benchmark" },
    outputs: {},
    metadata: {},
    parentTraceId: null,
    traceParent: null,
    nodes,
    events
  }
}

// Run as a promise: an exporter may yield to the event loop on a large trace (the HTML report's critical path does).
const drain = (exporter: Exporter, trace: WorkflowTrace): Promise<number> =>
  Effect.runPromise(Stream.runFold(exporter.export(trace), 0, (bytes, chunk) => bytes + chunk.byteLength))

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

const gc = (globalThis as { gc?: () => void }).gc

const main = async () => {
  const started = Date.now()
  const trace = makeTrace(NODES)
  const compact = "JSON.stringify(trace)"
  const indented = "JSON.stringify(trace, null, 2)"
  const scenarios: ReadonlyArray<{
    readonly name: string
    readonly run: () => number | Promise<number>
    readonly target?: number
    /** The JSON.stringify row this one is compared with: the same layout for JSON, the compact one otherwise. */
    readonly baseline?: string
  }> = [
    { name: compact, run: () => JSON.stringify(trace).length },
    { name: indented, run: () => JSON.stringify(trace, null, 2).length, baseline: compact },
    { name: "json export (default, indent 2)", run: () => drain(JsonExporter.make(), trace), target: 1.5, baseline: indented },
    { name: "json export (indent 0)", run: () => drain(JsonExporter.make({ indent: 0 }), trace), target: 1.5, baseline: compact },
    { name: "csv export", run: () => drain(CsvExporter.make(), trace), target: 1.5, baseline: compact },
    { name: "csv export (--csv-rows tools)", run: () => drain(CsvExporter.make({ rows: "tools" }), trace), baseline: compact },
    { name: "html export", run: () => drain(HtmlExporter.make(), trace), target: 3, baseline: compact }
  ]
  const times = new Map<string, Array<number>>(scenarios.map((s) => [s.name, []]))
  const sizes = new Map<string, number>()
  for (let round = -1; round < REPS; round++) {
    for (const scenario of scenarios) {
      gc?.()
      const begin = performance.now()
      const size = await scenario.run()
      const elapsed = performance.now() - begin
      if (round >= 0) times.get(scenario.name)!.push(elapsed)
      sizes.set(scenario.name, size)
    }
  }

  // The report in Chromium: navigation start until the page's script has rendered the first page (interactive), and
  // then how long the "failed only" filter takes over all nodes.
  const directory = mkdtempSync(join(tmpdir(), "victor-bench-"))
  const file = join(directory, "report.html")
  const chunks = await Effect.runPromise(Stream.runCollect(HtmlExporter.make().export(trace)))
  writeFileSync(file, Buffer.concat(Array.from(chunks)))
  const browser = await launch()
  const opens: Array<number> = []
  const walls: Array<number> = []
  const filters: Array<number> = []
  try {
    for (let i = 0; i < 3; i++) {
      const report = await openReport(browser, file)
      if (report.consoleErrors.length > 0 || report.requests.length !== 1) {
        throw new Error(`report misbehaved: ${JSON.stringify({ errors: report.consoleErrors, requests: report.requests })}`)
      }
      opens.push(Math.round(report.readyMs))
      walls.push(report.wallMs)
      const filterMs = await report.page.evaluate(`(() => {
        const begin = performance.now()
        const box = document.getElementById("filter-failed")
        box.click()
        const ms = performance.now() - begin
        if (!/nodes match/.test(document.getElementById("match-count").textContent)) throw new Error("filter did not apply")
        return ms
      })()`) as number
      filters.push(filterMs)
      await report.page.context().close()
    }
  } finally {
    await browser.close()
  }

  const rows = scenarios.map((s) => {
    const ms = median(times.get(s.name)!)
    const ratio = ms / median(times.get(s.baseline ?? s.name)!)
    const target = s.target === undefined ? "" : `${s.target}×`
    const verdict = s.target === undefined ? "" : ratio <= s.target ? "PASS" : "FAIL"
    return [s.name, ms.toFixed(0), `${Math.min(...times.get(s.name)!).toFixed(0)}–${Math.max(...times.get(s.name)!).toFixed(0)}`, (sizes.get(s.name)! / 1048576).toFixed(1), s.baseline === undefined ? "" : `${ratio.toFixed(2)}× ${s.baseline === compact ? "compact" : "indented"}`, target, verdict]
  })
  const openMs = median(opens)
  rows.push(["html report in Chromium: open → interactive", openMs.toFixed(0), `${Math.min(...opens)}–${Math.max(...opens)}`, (statSync(file).size / 1048576).toFixed(1), "", "< 3000 ms", openMs < 3000 ? "PASS" : "FAIL"])
  rows.push(["  (the same, as Playwright sees it: goto → ready)", median(walls).toFixed(0), `${Math.min(...walls)}–${Math.max(...walls)}`, "", "", "", ""])
  rows.push(["html report in Chromium: \"failed only\" filter", median(filters).toFixed(0), `${Math.min(...filters).toFixed(0)}–${Math.max(...filters).toFixed(0)}`, "", "", "", ""])
  rmSync(directory, { recursive: true, force: true })
  const header = ["scenario", "ms (median)", "ms (min–max)", "MiB", "× JSON.stringify of the trace", "target", ""]
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: ReadonlyArray<string>) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`
  console.log(`${NODES.toLocaleString("en")} nodes (1 tool call and 3 events each), ${REPS} rounds after a warm-up round; sizes are of the output.\n`)
  console.log(line(header))
  console.log(`|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":")).join("|")}|`)
  for (const row of rows) console.log(line(row))
  console.log(`\nMachine: Node ${process.version}, ${cpus().length} CPUs, ${process.platform}/${process.arch}; bench took ${((Date.now() - started) / 1000).toFixed(1)} s${gc === undefined ? " (no --expose-gc)" : ""}`)
  if (CHECK && rows.some((row) => row[6] === "FAIL")) process.exitCode = 1
}

await main()
