import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Analysis from "@victor/analysis/Analysis"
import * as CriticalPath from "@victor/core/CriticalPath"
import * as Display from "@victor/core/Display"
import { sampleTrace } from "@victor/core/testing/TraceStoreContract"
import type * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as HtmlExporter from "@victor/exporter-html/HtmlExporter"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Browser } from "playwright-core"
import { launch, openReport } from "./chromium.ts"

const XSS = "<img src=x onerror=alert(1)>"
const SCRIPT_BREAK = "</script><script>alert(2)</script>"
const t0 = 1_700_000_000
const base = sampleTrace().nodes[0]!

const node = (
  nodeId: string,
  start: number,
  duration: number,
  overrides: Partial<WorkflowTrace.NodeTraceRecord> = {}
): WorkflowTrace.NodeTraceRecord => ({
  ...base,
  nodeId,
  timestamp: t0 + start,
  durationSeconds: duration,
  toolCalls: [{ ...base.toolCalls[0]!, timestamp: t0 + start + duration / 4, durationSeconds: duration / 2 }],
  ...overrides
})

/** plan → (lint ‖ test ‖ xss, inside a parallel node) → report; `test` is the branch the join waited for. */
const reviewTrace = sampleTrace({
  workflowName: "review <pipeline>",
  status: "failed",
  durationSeconds: 10,
  endTime: t0 + 10,
  nodes: [
    node("plan", 0, 1, { nodeType: "agent" }),
    node("lint", 1, 2),
    node("test", 1, 6),
    node("xss", 1.5, 1, { success: false, error: XSS, inputs: { html: SCRIPT_BREAK }, nodeType: "agent" }),
    node("checks", 1, 6.1, { nodeType: "parallel", toolCalls: [] }),
    node("report", 7.2, 2.5, { nodeType: "transform", toolCalls: [] })
  ]
})

const collect = (stream: Stream.Stream<Uint8Array, unknown>) =>
  Effect.map(Stream.runCollect(stream), (chunks) => Chunk.toReadonlyArray(chunks))

const text = (chunks: ReadonlyArray<Uint8Array>): string => {
  const decoder = new TextDecoder()
  return chunks.map((chunk) => decoder.decode(chunk, { stream: true })).join("") + decoder.decode()
}

const directory = mkdtempSync(join(tmpdir(), "victor-html-"))
const writeReport = (name: string, trace: WorkflowTrace.WorkflowTrace, options?: HtmlExporter.Options) =>
  Effect.gen(function*() {
    const chunks = yield* collect(HtmlExporter.make(options).export(trace))
    const file = join(directory, name)
    writeFileSync(file, text(chunks))
    return { file, chunks }
  })

const bigTrace = (count: number): WorkflowTrace.WorkflowTrace =>
  sampleTrace({
    traceId: "big",
    durationSeconds: count * 0.01,
    endTime: t0 + count * 0.01,
    nodes: Array.from({ length: count }, (_, i) =>
      node(`node_${i}`, i * 0.01, 0.015, {
        nodeType: ["agent", "compute", "transform"][i % 3]!,
        success: i % 97 !== 0,
        error: i % 97 === 0 ? `failure ${i}` : null,
        inputs: { index: i }
      }))
  })

describe("HtmlExporter", () => {
  let browser: Browser
  beforeAll(async () => {
    browser = await launch()
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
  })

  it("describes itself as the html format", () => {
    expect(HtmlExporter.make()).toMatchObject({ name: "html", fileExtension: "html" })
  })

  it.effect("is one self-contained file: no external reference, a CSP that forbids requests, data escaped", () =>
    Effect.gen(function*() {
      const html = text(yield* collect(HtmlExporter.make().export(reviewTrace)))
      expect(html.startsWith("<!DOCTYPE html>")).toBe(true)
      expect(html).toContain("default-src 'none'")
      expect(html).not.toMatch(/(src|href)=["']?(https?:|\/\/)/i)
      expect(html).not.toContain(XSS)
      expect(html).not.toContain(SCRIPT_BREAK)
      expect(html).toContain("review &lt;pipeline&gt;")
      // The meta, the node rows, the script and one details block: nothing else can close a script element.
      expect(html.match(/<\/script>/g)).toHaveLength(4)
    }))

  it.live("opens in Chromium with no console errors and no requests, showing summary, timeline and table", () =>
    Effect.gen(function*() {
      const { file } = yield* writeReport("review.html", reviewTrace)
      const report = yield* Effect.promise(() => openReport(browser, file))
      const { page } = report
      expect(report.requests).toEqual([report.url])
      expect(report.consoleErrors).toEqual([])
      expect(report.pageErrors).toEqual([])
      expect(report.dialogs).toEqual([])
      const summary = yield* Effect.promise(() => page.locator("#summary").innerText())
      expect(summary).toContain("6\nnodes")
      expect(summary).toContain("1\nfailed")
      expect(yield* Effect.promise(() => page.locator("#timeline").isVisible())).toBe(true)
      expect(yield* Effect.promise(() => page.locator("#lanes .lane").count())).toBe(6)
      expect(yield* Effect.promise(() => page.locator("#node-rows tr").count())).toBe(6)
      expect(yield* Effect.promise(() => page.locator("#slowest tbody tr").first().innerText())).toContain("checks")
      expect(yield* Effect.promise(() => page.locator("#tools tbody").innerText())).toContain("read")
      // Parallel work overlaps: lint, test and xss bars share a stretch of the time axis.
      const spans = yield* Effect.promise(() =>
        page.$$eval("#lanes .lane", (lanes) =>
          lanes.map((lane) => {
            const bar = lane.querySelector(".bar")!.getBoundingClientRect()
            return { id: lane.querySelector(".label")!.textContent, from: bar.left, to: bar.right }
          }))
      )
      const span = (id: string) => spans.find((s) => s.id === id)!
      expect(span("lint").from).toBeLessThan(span("test").to)
      expect(span("test").from).toBeLessThan(span("lint").to)
      expect(span("plan").to).toBeLessThanOrEqual(span("lint").from + 1)
      // The critical path: plan → test (the branch the join waited for) → report, and the parallel node around it.
      const critical = yield* Effect.promise(() =>
        page.$$eval("#lanes .lane", (lanes) =>
          lanes.filter((lane) => lane.querySelector(".bar.crit") !== null).map((lane) => lane.dataset.index))
      )
      expect(critical.map((i) => reviewTrace.nodes[Number(i)]!.nodeId).sort()).toEqual(["checks", "plan", "report", "test"])
    }), 60_000)

  it.live("filters to failed nodes, by node type and by text, and pages through them", () =>
    Effect.gen(function*() {
      const { file } = yield* writeReport("filters.html", reviewTrace)
      const { page } = yield* Effect.promise(() => openReport(browser, file))
      const ids = () => page.$$eval("#node-rows tr", (rows) => rows.map((row) => row.children[1]?.textContent ?? ""))
      yield* Effect.promise(() => page.check("#filter-failed"))
      expect(yield* Effect.promise(ids)).toEqual(["xss"])
      expect(yield* Effect.promise(() => page.locator("#lanes .lane").count())).toBe(1)
      expect(yield* Effect.promise(() => page.locator("#match-count").innerText())).toBe("1 of 6 nodes match")
      yield* Effect.promise(() => page.uncheck("#filter-failed"))
      yield* Effect.promise(() => page.selectOption("#filter-type", "transform"))
      expect(yield* Effect.promise(ids)).toEqual(["report"])
      yield* Effect.promise(() => page.selectOption("#filter-type", ""))
      yield* Effect.promise(() => page.fill("#filter-text", "LIN"))
      yield* Effect.promise(() => expect.poll(() => page.locator("#node-rows tr").count()).toBe(1))
      expect(yield* Effect.promise(ids)).toEqual(["lint"])
      yield* Effect.promise(() => page.fill("#filter-text", ""))
      yield* Effect.promise(() => page.selectOption("#sort", "slowest"))
      expect((yield* Effect.promise(ids))[0]).toBe("checks")
    }), 60_000)

  it.live("renders hostile values as text: no markup, no script, no dialog", () =>
    Effect.gen(function*() {
      const { file } = yield* writeReport("xss.html", reviewTrace)
      const report = yield* Effect.promise(() => openReport(browser, file))
      const { page } = report
      const errorCell = page.locator("#node-rows tr", { hasText: "xss" }).locator("td.err")
      expect(yield* Effect.promise(() => errorCell.textContent())).toBe(XSS)
      yield* Effect.promise(() => page.locator("#node-rows tr", { hasText: "xss" }).click())
      const details = page.locator("#details")
      expect(yield* Effect.promise(() => details.isVisible())).toBe(true)
      expect(yield* Effect.promise(() => details.locator("pre").first().textContent())).toContain(SCRIPT_BREAK)
      expect(yield* Effect.promise(() => details.locator("details").count())).toBeGreaterThanOrEqual(4)
      expect(yield* Effect.promise(() => page.locator("img").count())).toBe(0)
      expect(yield* Effect.promise(() => page.title())).toBe("review <pipeline> — Victor trace report")
      yield* Effect.promise(() => page.waitForTimeout(200))
      expect(report.dialogs).toEqual([])
      expect(report.requests).toEqual([report.url])
      expect(report.pageErrors).toEqual([])
    }), 60_000)

  it.live("collapses and expands node details: inputs, outputs and each tool call", () =>
    Effect.gen(function*() {
      const { file } = yield* writeReport("details.html", reviewTrace)
      const { page } = yield* Effect.promise(() => openReport(browser, file))
      const lane = page.locator("#lanes .lane", { hasText: "lint" })
      yield* Effect.promise(() => lane.locator(".label").click())
      const details = page.locator("#details")
      expect(yield* Effect.promise(() => details.locator("h2").innerText())).toContain("lint")
      const inputs = details.locator("details", { hasText: "Inputs" }).first()
      expect(yield* Effect.promise(() => inputs.locator("pre").isVisible())).toBe(true)
      yield* Effect.promise(() => inputs.locator("summary").click())
      expect(yield* Effect.promise(() => inputs.locator("pre").isVisible())).toBe(false)
      expect(yield* Effect.promise(() => details.innerText())).toContain("Tool calls (1)")
      expect(yield* Effect.promise(() => details.innerText())).toContain(`"content": "hello"`)
      const call = details.locator("details.tool-call")
      expect(yield* Effect.promise(() => call.locator("pre").first().isVisible())).toBe(false)
      yield* Effect.promise(() => call.locator("summary").first().click())
      expect(yield* Effect.promise(() => call.locator("pre").first().innerText())).toContain(`"path": "a.txt"`)
    }), 60_000)

  it.live("shows Effect spans under their node and tool call, nested as they ran, values as text", () =>
    Effect.gen(function*() {
      const span = (
        spanId: string,
        name: string,
        start: number,
        overrides: Partial<WorkflowTrace.SpanRecord> = {}
      ): WorkflowTrace.SpanRecord => ({
        spanId,
        parentSpanId: null,
        name,
        kind: "internal",
        timestamp: t0 + start,
        durationSeconds: 0.2,
        success: true,
        error: null,
        attributes: {},
        ...overrides
      })
      const lint = reviewTrace.nodes[1]!
      const traced: WorkflowTrace.WorkflowTrace = {
        ...reviewTrace,
        nodes: reviewTrace.nodes.map((n) =>
          n !== lint ? n : {
            ...n,
            toolCalls: [{
              ...n.toolCalls[0]!,
              spans: [
                span("00000000000000a2", "db.query", 1.6, {
                  parentSpanId: "00000000000000a1",
                  attributes: { "db.statement": SCRIPT_BREAK },
                  events: [{ name: "query done", timestamp: t0 + 1.7, attributes: {} }]
                }),
                span("00000000000000a1", XSS, 1.55, { kind: "client", success: false, error: XSS })
              ]
            }],
            spans: [span("00000000000000b1", "lint.rules", 1.1)]
          }
        ),
        spans: [span("00000000000000c1", "startup", 0.1)]
      }
      const { chunks, file } = yield* writeReport("spans.html", traced)
      const html = text(chunks)
      expect(html).toContain("db.query")
      expect(html).not.toContain(XSS)
      expect(html).not.toContain(SCRIPT_BREAK)
      const report = yield* Effect.promise(() => openReport(browser, file))
      const { page } = report
      expect(yield* Effect.promise(() => page.locator("#run-spans").innerText())).toContain("startup")
      yield* Effect.promise(() => page.locator("#lanes .lane", { hasText: "lint" }).locator(".label").click())
      const details = page.locator("#details")
      expect(yield* Effect.promise(() => details.innerText())).toContain("Effect spans (1)")
      expect(yield* Effect.promise(() => details.innerText())).toContain("lint.rules")
      const call = details.locator("details.tool-call")
      yield* Effect.promise(() => call.locator("summary").first().click())
      const spans = call.locator("details.span")
      expect(yield* Effect.promise(() => spans.count())).toBe(2)
      // The parent, open, holding its child.
      const parent = spans.nth(0)
      expect(yield* Effect.promise(() => parent.locator(":scope > summary").innerText())).toContain(`${XSS} · client · failed`)
      expect(yield* Effect.promise(() => parent.evaluate((e) => (e as unknown as { open: boolean }).open))).toBe(true)
      const child = parent.locator(":scope > details.span")
      expect(yield* Effect.promise(() => child.locator(":scope > summary").innerText())).toContain("db.query · ok")
      expect(yield* Effect.promise(() => child.isVisible())).toBe(true)
      expect(yield* Effect.promise(() => child.locator("pre").first().textContent())).toContain(SCRIPT_BREAK)
      expect(yield* Effect.promise(() => page.locator("img").count())).toBe(0)
      expect(report.dialogs).toEqual([])
      expect(report.pageErrors).toEqual([])
      expect(report.consoleErrors).toEqual([])
    }), 60_000)

  it.live("follows prefers-color-scheme", () =>
    Effect.gen(function*() {
      const { file } = yield* writeReport("scheme.html", reviewTrace)
      const background = (scheme: "light" | "dark") =>
        Effect.promise(async () => {
          const { page } = await openReport(browser, file, { colorScheme: scheme })
          return page.evaluate(`getComputedStyle(document.body).backgroundColor`)
        })
      expect(yield* background("light")).toBe("rgb(255, 255, 255)")
      expect(yield* background("dark")).toBe("rgb(13, 17, 23)")
    }), 60_000)

  it.live("streams a 100,000-node report in bounded chunks that opens and filters in Chromium", () =>
    Effect.gen(function*() {
      const trace = bigTrace(100_000)
      const { chunks, file } = yield* writeReport("big.html", trace)
      expect(chunks.length).toBeGreaterThan(20)
      expect(Math.max(...chunks.map((chunk) => chunk.byteLength))).toBeLessThan(3 * 512 * 1024)
      const report = yield* Effect.promise(() => openReport(browser, file))
      const { page } = report
      expect(report.consoleErrors).toEqual([])
      expect(report.requests).toEqual([report.url])
      expect(yield* Effect.promise(() => page.locator("#node-rows tr").count())).toBe(100)
      expect(yield* Effect.promise(() => page.locator("#page-info").innerText())).toBe("page 1 of 1000")
      yield* Effect.promise(() => page.check("#filter-failed"))
      const failed = trace.nodes.filter((n) => !n.success).length
      expect(yield* Effect.promise(() => page.locator("#match-count").innerText())).toBe(`${failed} of 100000 nodes match`)
      const statuses = yield* Effect.promise(() =>
        page.$$eval("#node-rows tr td:first-child .status", (cells) => cells.map((cell) => cell.textContent))
      )
      expect(statuses.length).toBe(100)
      expect(new Set(statuses)).toEqual(new Set(["✗ failed"]))
      yield* Effect.promise(() => page.click("#next"))
      expect(yield* Effect.promise(() => page.locator("#page-info").innerText())).toBe(`page 2 of ${Math.ceil(failed / 100)}`)
      // Details come from the block of the opened node, parsed on demand.
      const firstRow = page.locator("#node-rows tr").first()
      const id = yield* Effect.promise(() => firstRow.locator("td.mono").innerText())
      yield* Effect.promise(() => firstRow.click())
      const index = Number(id.replace("node_", ""))
      expect(index).toBeGreaterThan(1000)
      expect(yield* Effect.promise(() => page.locator("#details h2").innerText())).toContain(id)
      expect(yield* Effect.promise(() => page.locator("#details pre").first().innerText())).toBe(`{\n  "index": ${index}\n}`)
    }), 120_000)

  it.effect("computes nothing until pulled", () =>
    Effect.gen(function*() {
      let reads = 0
      const trace = { ...reviewTrace, get nodes() {
        reads += 1
        return reviewTrace.nodes
      } } as WorkflowTrace.WorkflowTrace
      const stream = HtmlExporter.make().export(trace)
      expect(reads).toBe(0)
      yield* collect(Stream.take(stream, 1))
      expect(reads).toBeGreaterThan(0)
    }))

  it.effect("fails with an ExportError for a value JSON cannot hold", () =>
    Effect.gen(function*() {
      const trace = sampleTrace({ nodes: [{ ...base, inputs: { n: 1n } }] })
      const error = yield* Effect.flip(collect(HtmlExporter.make().export(trace)))
      expect(error).toMatchObject({ _tag: "ExportError", format: "html" })
    }))

  it("scriptSafeJson keeps JSON equal and free of <", () => {
    const value = { a: SCRIPT_BREAK, b: "<!-- \u2028 \u2029" }
    const safe = HtmlExporter.scriptSafeJson(JSON.stringify(value))
    expect(safe).not.toMatch(/[<\u2028\u2029]/)
    expect(JSON.parse(safe)).toEqual(value)
  })

})

/** The embedded node rows of a report page. */
const rowsOf = (html: string): Array<ReadonlyArray<unknown>> => {
  const start = html.indexOf(">", html.indexOf(`id="victor-nodes"`)) + 1
  return JSON.parse(html.slice(start, html.indexOf("</script>", start))) as Array<ReadonlyArray<unknown>>
}

/** 4,801 records: a first node, then 400 parallel nodes of 11 children each; one child of each gates its join. */
const fanOut = (): WorkflowTrace.WorkflowTrace => {
  const nodes: Array<WorkflowTrace.NodeTraceRecord> = [node("start", 0, 1)]
  let t = 1
  for (let f = 0; f < 400; f++) {
    const children = Array.from({ length: 11 }, (_, c) => `branch_${c}`)
    children.forEach((id, c) => nodes.push(node(id, t, c === f % 11 ? 0.5 : 0.1 + c / 100)))
    nodes.push(node("fan", t, 0.5005, {
      nodeType: "parallel",
      toolCalls: [],
      inputs: { parallel_nodes: children, join_strategy: "all", concurrency: "unbounded" }
    }))
    t += 0.501
  }
  return sampleTrace({ nodes, durationSeconds: t, endTime: t0 + t })
}

describe("HtmlExporter numbers", () => {
  it.effect("the critical path is the one trace analyze prints: same nodes, same duration", () =>
    Effect.gen(function*() {
      for (const trace of [reviewTrace, fanOut()]) {
        const html = text(yield* collect(HtmlExporter.make().export(trace)))
        const path = CriticalPath.computeSync(trace)
        const analysis = Analysis.analyzeSync(trace)
        expect(analysis.criticalPath.durationSeconds).toBe(path.durationSeconds)
        const flagged = rowsOf(html).flatMap((row, i) => (row[7] === 1 ? [i] : []))
        expect(flagged).toEqual(path.steps.map((s) => s.index).sort((a, b) => a - b))
        expect(html).toContain(
          `<div class="v">${path.steps.length}</div><div class="k">nodes on the critical path (${Display.duration(path.durationSeconds)})</div>`
        )
      }
      // Of 4,801 records, the first node and each parallel node with the child it waited for: 801, not all.
      expect(CriticalPath.computeSync(fanOut()).steps.length).toBe(801)
    }))

  it.effect("a success rate is never 100% beside a failure", () =>
    Effect.gen(function*() {
      const nodes = (count: number, failed: number) =>
        Array.from({ length: count }, (_, i) =>
          node(`n${i}`, i, 1, i < failed ? { success: false, error: "boom" } : {}))
      const rate = (html: string) => /<div class="v">([^<]*)<\/div><div class="k">success rate/.exec(html)?.[1]
      const page = (count: number, failed: number) =>
        Effect.map(collect(HtmlExporter.make().export(sampleTrace({ nodes: nodes(count, failed) }))), text)
      expect(rate(yield* page(100, 1))).toBe("99.0%")
      expect(rate(yield* page(2000, 1))).toBe("&gt;99.9%")
      expect(rate(yield* page(100, 0))).toBe("100.0%")
      expect(rate(yield* page(100, 100))).toBe("0.0%")
    }))

  it.effect("the page prints durations as Display.duration does", () =>
    Effect.gen(function*() {
      const html = text(yield* collect(HtmlExporter.make().export(reviewTrace)))
      const source = /function fmt\(s\) \{[\s\S]*?\n\}/.exec(html)![0]
      const fmt = new Function(`${source}; return fmt`)() as (seconds: number) => string
      for (
        const seconds of [0, 0.00001, 0.0004, 0.0017, 0.00996, 0.012, 0.9994, 0.9996, 1.2449, 59.996, 123, 3723, -0.25, NaN]
      ) {
        expect(fmt(seconds), String(seconds)).toBe(Display.duration(seconds))
      }
      expect(html).toContain(`<div class="v">${Display.duration(10)}</div><div class="k">total duration</div>`)
    }))
})
