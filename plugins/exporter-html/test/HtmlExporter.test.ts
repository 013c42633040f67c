import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Analysis from "@victor/analysis/Analysis"
import * as Cooperative from "@victor/core/Cooperative"
import * as CriticalPath from "@victor/core/CriticalPath"
import * as Display from "@victor/core/Display"
import { sampleTrace } from "@victor/core/testing/TraceStoreContract"
import type * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as HtmlExporter from "@victor/exporter-html/HtmlExporter"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { createHash } from "node:crypto"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Browser, Page } from "playwright-core"
import { contrastFailures, launch, openReport, timeToInteractive } from "./chromium.ts"
import { bigRun, prices, reviewRun } from "./traces.ts"

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

/** The embedded data of a report page. */
const dataOf = (html: string) => {
  const start = html.indexOf(">", html.indexOf(`id="victor-data"`)) + 1
  return JSON.parse(html.slice(start, html.indexOf("</script>", start))) as {
    readonly meta: Record<string, unknown>
    readonly nodes: ReadonlyArray<unknown>
    readonly tools: ReadonlyArray<unknown>
    readonly models: ReadonlyArray<unknown>
    readonly links: ReadonlyArray<unknown>
    readonly names: ReadonlyArray<string>
  }
}

const exactly = (name: string) => new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`)
/** The tree row whose name is exactly `name` (the first of them). */
const treeRow = (page: Page, name: string) =>
  page.locator("#tree-rows .row").filter({ has: page.locator(".name", { hasText: exactly(name) }) }).first()
/** The names of the tree rows in the page, top to bottom. */
const treeNames = (page: Page) =>
  page.$$eval("#tree-rows .row .name", (names) => names.map((name) => name.textContent ?? ""))
/** The waterfall lane of the tree row named `name`. */
const laneOf = async (page: Page, name: string) =>
  page.locator(`#bar-rows .row[data-row="${await treeRow(page, name).getAttribute("data-row")}"]`)
/** The time window the waterfall shows, seconds from the run's start. */
const windowOf = (page: Page) =>
  page.evaluate(`[Number(document.getElementById("bars").dataset.from), Number(document.getElementById("bars").dataset.to)]`) as Promise<
    [number, number]
  >

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
      // Only the page's own script and styles run: by hash, never 'unsafe-inline'.
      const digest = (body: string) => createHash("sha256").update(body, "utf8").digest("base64")
      const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!
      const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!
      expect(html).toContain(`script-src 'sha256-${digest(script)}';`)
      expect(html).toContain(`style-src 'sha256-${digest(style)}';`)
      expect(html).not.toContain("unsafe-inline")
      expect(html).not.toMatch(/(src|href)=["']?(https?:|\/\/)/i)
      expect(html).not.toMatch(/ style=/)
      expect(html).not.toContain(XSS)
      expect(html).not.toContain(SCRIPT_BREAK)
      expect(html).toContain("review &lt;pipeline&gt;")
      // The data, the script and one details block: nothing else can close a script element.
      expect(html.match(/<\/script>/g)).toHaveLength(3)
    }))

  it.live("opens in Chromium with no console errors and no requests: summary, tree, waterfall, critical path", () =>
    Effect.gen(function*() {
      const { file } = yield* writeReport("review.html", reviewTrace)
      yield* Effect.promise(async () => {
        const report = await openReport(browser, file)
        const { page } = report
        expect(report.requests).toEqual([report.url])
        expect(report.consoleErrors).toEqual([])
        expect(report.pageErrors).toEqual([])
        expect(report.dialogs).toEqual([])
        const summary = await page.locator("#summary").innerText()
        expect(summary).toContain("6\nnodes")
        expect(summary).toContain("1\nfailed")
        // The workflow, its nodes (lint, test and xss inside the parallel node) and each node's tool call.
        expect(await treeNames(page)).toEqual([
          "review <pipeline>",
          "plan",
          "read",
          "checks",
          "lint",
          "read",
          "test",
          "read",
          "xss",
          "read",
          "report"
        ])
        const levels = await page.$$eval("#tree-rows .row", (rows) => rows.map((row) => row.getAttribute("aria-level")))
        expect(levels).toEqual(["1", "2", "3", "2", "3", "4", "3", "4", "3", "4", "2"])
        expect(await page.locator("#bar-rows .row").count()).toBe(11)
        expect(await page.locator("#slowest tbody tr").first().innerText()).toContain("checks")
        expect(await page.locator("#tools tbody").innerText()).toContain("read")
        // Parallel work overlaps: lint, test and xss bars share a stretch of the time axis.
        const bar = async (name: string) => (await (await laneOf(page, name)).locator(".bar").boundingBox())!
        const [plan, lint, test] = [await bar("plan"), await bar("lint"), await bar("test")]
        expect(lint.x).toBeLessThan(test.x + test.width)
        expect(test.x).toBeLessThan(lint.x + lint.width)
        expect(plan.x + plan.width).toBeLessThanOrEqual(lint.x + 1)
        // Durations beside the bars, and a time axis with labelled ticks over the whole run.
        expect(await (await laneOf(page, "test")).locator(".dur").innerText()).toBe("6.00s")
        const ticks = await page.$$eval("#axis .t", (ticks) => ticks.map((tick) => tick.textContent))
        expect(ticks[0]).toBe("0")
        expect(ticks.at(-1)).toBe("10s")
        expect(await page.locator("#view-range").innerText()).toBe("whole run: 10.00s")
        // The critical path: plan → test (the branch the join waited for) → report, and the parallel node around it.
        const critical = await page.$$eval("#tree-rows .row", (rows) =>
          rows.filter((row) => row.querySelector(".crit-mark") !== null).map((row) => row.querySelector(".name")!.textContent))
        expect(critical).toEqual(["plan", "checks", "test", "report"])
        const ringed = await page.$$eval("#bar-rows .bar.crit", (bars) => bars.length)
        expect(ringed).toBe(4)
        expect(await page.locator("#legend").innerText()).toContain("critical path")
      })
    }), 60_000)

  it.live("the tree expands and collapses, by mouse and by keyboard", () =>
    Effect.gen(function*() {
      const { file } = yield* writeReport("tree.html", reviewRun())
      yield* Effect.promise(async () => {
        const { page } = await openReport(browser, file)
        const all = await treeNames(page)
        expect(all).toHaveLength(1 + 9 + 6 + 5)
        expect(all.slice(0, 6)).toEqual(["code-review", "plan", "gpt-4o", "read_file", "gpt-4o", "checks"])
        const checks = treeRow(page, "checks")
        expect(await checks.getAttribute("aria-expanded")).toBe("true")
        await checks.locator(".twisty").click()
        expect(await checks.getAttribute("aria-expanded")).toBe("false")
        const collapsed = await treeNames(page)
        expect(collapsed).toHaveLength(all.length - 9)
        expect(collapsed).not.toContain("lint")
        expect(collapsed).not.toContain("claude-sonnet-4")
        await checks.locator(".twisty").click()
        expect(await treeNames(page)).toEqual(all)
        // The keyboard: Left closes, Right opens and then goes to the first child, Down moves, Enter opens details.
        await checks.locator(".name").click()
        const tree = page.locator("#tree")
        expect(await tree.getAttribute("aria-activedescendant")).toBe(await checks.getAttribute("id"))
        await page.keyboard.press("ArrowLeft")
        expect(await treeRow(page, "checks").getAttribute("aria-expanded")).toBe("false")
        expect(await treeNames(page)).not.toContain("lint")
        await page.keyboard.press("ArrowRight")
        expect(await treeRow(page, "checks").getAttribute("aria-expanded")).toBe("true")
        await page.keyboard.press("ArrowRight")
        expect(await tree.getAttribute("aria-activedescendant")).toBe(await treeRow(page, "lint").getAttribute("id"))
        await page.keyboard.press("ArrowDown")
        await page.keyboard.press("ArrowDown")
        await page.keyboard.press("Enter")
        expect(await page.locator("#details h2").innerText()).toBe("Node tests")
        expect(await treeRow(page, "tests").getAttribute("aria-selected")).toBe("true")
        // The focused row is visibly marked while the tree has the focus.
        const ring = await page.evaluate(`getComputedStyle(document.querySelector("#tree-rows .row.active")).boxShadow`)
        expect(ring).not.toBe("none")
        await page.keyboard.press("ArrowLeft")
        await page.keyboard.press("ArrowLeft")
        expect(await tree.getAttribute("aria-activedescendant")).toBe(await treeRow(page, "checks").getAttribute("id"))
        await page.click("#collapse-all")
        expect(await treeNames(page)).toEqual(["code-review", "plan", "checks", "route", "fix", "summarize", "notify"])
        await page.click("#expand-all")
        expect(await treeNames(page)).toEqual(all)
      })
    }), 60_000)

  it.live("zoom and pan change the time window: keys, Ctrl+wheel, drag, the minimap, the buttons", () =>
    Effect.gen(function*() {
      const { file } = yield* writeReport("zoom.html", reviewRun())
      yield* Effect.promise(async () => {
        const { page } = await openReport(browser, file)
        const span = 13.1
        expect(await windowOf(page)).toEqual([0, span])
        const axis = () => page.$$eval("#axis .t", (ticks) => ticks.map((tick) => tick.textContent))
        expect(await axis()).toEqual(["0", "5s", "10s"])
        const lintWidth = async () => (await (await laneOf(page, "lint")).locator(".bar").boundingBox())!.width
        const before = await lintWidth()
        await page.locator("#bars").focus()
        await page.keyboard.type("+")
        await expect.poll(async () => (await windowOf(page))[1] - (await windowOf(page))[0]).toBeCloseTo(span / 1.5, 5)
        expect(await lintWidth()).toBeGreaterThan(before * 1.4)
        expect(await page.locator("#view-range").innerText()).toMatch(/^\+.* – \+.* \(8\.73s of 13\.10s\)$/)
        await page.keyboard.press("ArrowRight")
        await expect.poll(async () => (await windowOf(page))[0]).toBeGreaterThan(0)
        await page.keyboard.type("-")
        await page.keyboard.type("0")
        await expect.poll(() => windowOf(page)).toEqual([0, span])
        // Ctrl + wheel zooms in around the pointer.
        const box = (await page.locator("#bars").boundingBox())!
        await page.mouse.move(box.x + box.width / 2, box.y + 100)
        await page.keyboard.down("Control")
        await page.mouse.wheel(0, -400)
        await page.keyboard.up("Control")
        await expect.poll(async () => (await windowOf(page))[1] - (await windowOf(page))[0]).toBeLessThan(span * 0.6)
        expect(await axis()).toEqual(["4s", "6s", "8s", "10s"])
        // Dragging the bars to the right shows earlier time.
        const [from] = await windowOf(page)
        await page.mouse.move(box.x + box.width / 2, box.y + 100)
        await page.mouse.down()
        await page.mouse.move(box.x + box.width / 2 + 120, box.y + 100, { steps: 5 })
        await page.mouse.up()
        await expect.poll(async () => (await windowOf(page))[0]).toBeLessThan(from)
        // Dragging out a range on the minimap shows that range.
        await page.click("#zoom-fit")
        const mini = (await page.locator("#minimap").boundingBox())!
        await page.mouse.move(mini.x + mini.width * 0.5, mini.y + mini.height / 2)
        await page.mouse.down()
        await page.mouse.move(mini.x + mini.width * 0.75, mini.y + mini.height / 2, { steps: 4 })
        await page.mouse.up()
        await expect.poll(async () => (await windowOf(page)).map((t) => Math.round(t / span * 20) / 20)).toEqual([0.5, 0.75])
        await page.click("#zoom-fit")
        await expect.poll(() => windowOf(page)).toEqual([0, span])
        await page.click("#zoom-in")
        await expect.poll(async () => (await windowOf(page))[1]).toBeLessThan(span)
        // "Selection" zooms to the selected row.
        await treeRow(page, "route").click()
        await page.click("#zoom-selection")
        await expect.poll(async () => (await windowOf(page))[1] - (await windowOf(page))[0]).toBeLessThan(0.01)
        expect(await page.locator("#view-range").innerText()).toContain("of 13.10s")
      })
    }), 60_000)

  it.live("a link to #node=<id> opens the report on that node; selecting a row updates the address", () =>
    Effect.gen(function*() {
      const { file } = yield* writeReport("deep.html", reviewRun(), { prices })
      yield* Effect.promise(async () => {
        const { page } = await openReport(browser, file, { hash: "#node=lint" })
        expect(await page.locator("#details h2").innerText()).toBe("Node lint")
        expect(await page.locator("#tree-rows .row.selected .name").innerText()).toBe("lint")
        expect(await treeRow(page, "lint").getAttribute("aria-selected")).toBe("true")
        expect(await (await laneOf(page, "lint")).getAttribute("class")).toContain("selected")
        await treeRow(page, "summarize").click()
        expect(await page.evaluate("location.hash")).toBe("#node=summarize")
        // A call of a node: the second model call of plan; a changed address selects again.
        await page.evaluate(`location.hash = "#node=plan&model=2"`)
        await expect.poll(() => page.locator("#details h2").innerText()).toBe("Model call gpt-4o")
        expect(await page.locator("#details").innerText()).toContain("2,105")
        const { page: other } = await openReport(browser, file, { hash: "#node=security&tool=2" })
        expect(await other.locator("#details h2").innerText()).toBe("Tool call grep")
        expect(await other.locator("#details").innerText()).toContain("invalid regular expression")
        const { page: missing, pageErrors } = await openReport(browser, file, { hash: "#node=nowhere" })
        expect(await missing.locator("#details h2").innerText()).toBe("Details")
        expect(pageErrors).toEqual([])
      })
    }), 60_000)

  it.live("model calls are rows with model, tokens, latency and cost; selecting one shows them", () =>
    Effect.gen(function*() {
      const { chunks, file } = yield* writeReport("models.html", reviewRun(), { prices })
      const html = text(chunks)
      expect(html).toContain(`<div class="v" id="stat-tokens">14,727</div>`)
      expect(html).toContain(`<div class="v" id="stat-cost">$0.04581</div>`)
      yield* Effect.promise(async () => {
        const { page } = await openReport(browser, file)
        const row = treeRow(page, "gpt-4o")
        expect(await row.locator(".pill").innerText()).toBe("model")
        // 1,840 × $2.50 + 212 × $10 per million tokens.
        expect(await row.locator(".sub-text").innerText()).toBe("1,840 → 212 tokens · $0.00672")
        expect(await row.getAttribute("aria-label")).toContain("1,840 input tokens, 212 output tokens")
        expect(await (await laneOf(page, "gpt-4o")).locator(".dur").innerText()).toBe("1.10s")
        await row.click()
        const details = await page.locator("#details").innerText()
        expect(details).toContain("Model call gpt-4o")
        for (const fact of ["input tokens\n1,840", "output tokens\n212", "total tokens\n2,052", "latency\n1.10s", "cost\n$0.00672", "finish reason\ntool_calls"]) {
          expect(details).toContain(fact)
        }
        expect(await page.locator("#details pre").innerText()).toContain(`"turn": 1`)
        // Its node lists it and leads back.
        await page.locator("#details [data-select]", { hasText: "plan" }).click()
        expect(await page.locator("#details h2").innerText()).toBe("Node plan")
        expect(await page.locator("#details").innerText()).toContain("Model calls (2)")
        expect(await page.locator("#models tbody").innerText()).toContain("claude-sonnet-4")
        // Filters: model calls only, and a search by model name.
        await page.selectOption("#filter-kind", "model")
        expect(await page.locator("#match-count").innerText()).toBe("5 of 5 model calls match")
        await page.fill("#filter-text", "sonnet")
        await expect.poll(() => page.locator("#match-count").innerText()).toBe("2 of 5 model calls match")
        expect((await treeNames(page)).filter((name) => name === "claude-sonnet-4")).toHaveLength(2)
      })
      // Without prices there is no cost anywhere.
      const plain = text(yield* collect(HtmlExporter.make().export(reviewRun())))
      expect(plain).not.toContain("stat-cost")
      expect(dataOf(plain).models[6]).toBeNull()
    }), 60_000)

  it.live("tool calls are rows; a sub-workflow node links its child trace", () =>
    Effect.gen(function*() {
      const { file } = yield* writeReport("tools.html", reviewRun(), { childTraceHref: (id) => `${id}.html` })
      yield* Effect.promise(async () => {
        const { page, pageErrors } = await openReport(browser, file)
        const read = treeRow(page, "read_file")
        expect(await read.locator(".pill").innerText()).toBe("tool")
        expect(await read.getAttribute("aria-level")).toBe("3")
        const failed = page.locator("#tree-rows .row.k3.fail")
        expect(await failed.count()).toBe(2)
        expect(await failed.first().innerText()).toContain("grep: invalid regular expression")
        await read.click()
        expect(await page.locator("#details h2").innerText()).toBe("Tool call read_file")
        expect(await page.locator("#details pre").first().innerText()).toContain(`"path": "src/server.ts"`)
        const fix = treeRow(page, "fix")
        expect(await fix.locator(".pill").innerText()).toBe("sub-workflow")
        expect(await fix.innerText()).toContain("↗ trace 3f9c2a71e4b04d1c9a55e0c0d1f4b2aa")
        await fix.click()
        const link = page.locator("#details a")
        expect(await link.getAttribute("href")).toMatch(/\/3f9c2a71e4b04d1c9a55e0c0d1f4b2aa\.html$/)
        expect(await page.locator("#details").innerText()).toContain("child workflow\napply-fix")
        expect(pageErrors).toEqual([])
      })
      // An address that could run script is never linked.
      const { chunks } = yield* writeReport("tools-js.html", reviewRun(), { childTraceHref: () => "javascript:alert(1)" })
      expect(dataOf(text(chunks)).links[3]).toBeNull()
      expect(text(chunks)).not.toContain("javascript:")
    }), 60_000)

  it.live("filters by status, kind and text; a match keeps its ancestors as context", () =>
    Effect.gen(function*() {
      const { file } = yield* writeReport("filters.html", reviewTrace)
      yield* Effect.promise(async () => {
        const { page } = await openReport(browser, file)
        await page.click("label[for=filter-failed]")
        expect(await page.locator("#match-count").innerText()).toBe("1 of 6 nodes match")
        expect(await treeNames(page)).toEqual(["review <pipeline>", "checks", "xss"])
        expect(await page.$$eval("#tree-rows .row.ctx .name", (rows) => rows.map((row) => row.textContent))).toEqual(["checks"])
        await page.click("label[for=filter-all]")
        await page.selectOption("#filter-kind", "type:transform")
        expect(await treeNames(page)).toEqual(["review <pipeline>", "report"])
        await page.selectOption("#filter-kind", "tool")
        expect(await page.locator("#match-count").innerText()).toBe("4 of 4 tool calls match")
        await page.selectOption("#filter-kind", "")
        await page.fill("#filter-text", "LIN")
        await expect.poll(() => treeNames(page)).toEqual(["review <pipeline>", "checks", "lint"])
        await page.fill("#filter-text", "zzz")
        await expect.poll(() => page.locator("#tree .empty").innerText()).toBe("no row matches the filters")
        await page.fill("#filter-text", "")
        await page.click("label[for=filter-critical]")
        await expect.poll(() => treeNames(page)).toEqual(["review <pipeline>", "plan", "checks", "test", "report"])
        // The minimap follows: fewer rows drawn.
        await page.click("label[for=filter-all]")
        expect(await page.locator("#match-count").innerText()).toBe("6 nodes · 0 model calls · 4 tool calls")
      })
    }), 60_000)

  it.live("hostile strings stay text everywhere: no markup, no script, no dialog, no request", () =>
    Effect.gen(function*() {
      const hostile = (value: string) => `${value} ${XSS} ${SCRIPT_BREAK}`
      const trace = reviewRun(hostile)
      const { chunks, file } = yield* writeReport("xss.html", trace, {
        prices: { [hostile("gpt-4o")]: { input: 1, output: 1 } },
        childTraceHref: (id) => id
      })
      const html = text(chunks)
      expect(html).not.toContain(XSS)
      expect(html).not.toContain(SCRIPT_BREAK)
      const plan = trace.nodes[0]!.nodeId
      yield* Effect.promise(async () => {
        const report = await openReport(browser, file, { hash: `#node=${encodeURIComponent(plan)}` })
        const { page } = report
        expect(await page.title()).toBe(`${hostile("code-review")} — Victor trace report`)
        expect(await page.locator("#details h2 code").innerText()).toBe(plan)
        expect(await page.locator("#details pre").first().innerText()).toContain(hostile("Review the pull request and plan the checks"))
        expect(await treeNames(page)).toContain(hostile("read_file"))
        expect(await treeNames(page)).toContain(hostile("gpt-4o"))
        expect(await page.locator("#tree-rows").innerText()).toContain(hostile("webhook returned 503"))
        await treeRow(page, hostile("read_file")).click()
        expect(await page.locator("#details pre").first().innerText()).toContain(hostile("src/server.ts"))
        await treeRow(page, "fix").click()
        expect(await page.locator("#details").innerText()).toContain(hostile("3f9c2a71e4b04d1c9a55e0c0d1f4b2aa"))
        await page.fill("#filter-text", "onerror")
        await expect.poll(() => page.locator("#match-count").innerText()).toContain("nodes match")
        await page.evaluate(`location.hash = "#node=" + encodeURIComponent(${JSON.stringify(XSS)})`)
        expect(await page.locator("img").count()).toBe(0)
        expect(await page.locator("script").count()).toBe(3)
        await page.waitForTimeout(200)
        expect(report.dialogs).toEqual([])
        expect(report.requests).toEqual([report.url])
        expect(report.consoleErrors).toEqual([])
        expect(report.pageErrors).toEqual([])
        // Even markup that slipped in could neither run nor load anything: the policy allows only the page's own
        // script (an inline handler is refused) and no image but data: ones.
        await page.evaluate(`document.body.insertAdjacentHTML("beforeend", ${JSON.stringify(XSS + "<script>alert(3)</script>")})`)
        await page.waitForTimeout(300)
        expect(report.dialogs).toEqual([])
        expect(report.loaded).toEqual([report.url])
        expect(report.blocked).toEqual([`${report.url.replace(/[^/]*$/, "x")} csp`])
        expect(report.consoleErrors.join("\n")).toMatch(/inline event handler violates the following Content Security Policy/)
      })
    }), 60_000)

  it.live("collapses and expands node details: inputs, outputs and each tool call", () =>
    Effect.gen(function*() {
      const { file } = yield* writeReport("details.html", reviewTrace)
      yield* Effect.promise(async () => {
        const { page } = await openReport(browser, file)
        expect(await page.locator("#details h2").innerText()).toBe("Details")
        await (await laneOf(page, "lint")).locator(".bar").click()
        const details = page.locator("#details")
        expect(await details.locator("h2").innerText()).toContain("lint")
        const inputs = details.locator("details", { hasText: "Inputs" }).first()
        expect(await inputs.locator("pre").isVisible()).toBe(true)
        await inputs.locator("summary").click()
        expect(await inputs.locator("pre").isVisible()).toBe(false)
        expect(await details.innerText()).toContain("Tool calls (1)")
        expect(await details.innerText()).toContain(`"content": "hello"`)
        const call = details.locator("details.tool-call")
        expect(await call.locator("pre").first().isVisible()).toBe(false)
        await call.locator("summary").first().click()
        expect(await call.locator("pre").first().innerText()).toContain(`"path": "a.txt"`)
        await treeRow(page, "review <pipeline>").click()
        expect(await details.innerText()).toContain(`"task": "fix bug"`)
      })
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
      yield* Effect.promise(async () => {
        const report = await openReport(browser, file)
        const { page } = report
        await treeRow(page, "review <pipeline>").click()
        expect(await page.locator("#details").innerText()).toContain("Effect spans outside any node (1)")
        expect(await page.locator("#details").innerText()).toContain("startup")
        await treeRow(page, "lint").click()
        const details = page.locator("#details")
        expect(await details.innerText()).toContain("Effect spans (1)")
        expect(await details.innerText()).toContain("lint.rules")
        const call = details.locator("details.tool-call")
        await call.locator("summary").first().click()
        const spans = call.locator("details.span")
        expect(await spans.count()).toBe(2)
        // The parent, open, holding its child.
        const parent = spans.nth(0)
        expect(await parent.locator(":scope > summary").innerText()).toContain(`${XSS} · client · failed`)
        expect(await parent.evaluate((e) => (e as unknown as { open: boolean }).open)).toBe(true)
        const child = parent.locator(":scope > details.span")
        expect(await child.locator(":scope > summary").innerText()).toContain("db.query · ok")
        expect(await child.isVisible()).toBe(true)
        expect(await child.locator("pre").first().textContent()).toContain(SCRIPT_BREAK)
        // The tool call's own row shows the same spans.
        await treeRow(page, "read").nth(0).click()
        await page.locator("#tree-rows .row.k3").nth(1).click()
        expect(await details.innerText()).toContain("Effect spans (2)")
        expect(await page.locator("img").count()).toBe(0)
        expect(report.dialogs).toEqual([])
        expect(report.pageErrors).toEqual([])
        expect(report.consoleErrors).toEqual([])
      })
    }), 60_000)

  it.live("light and dark follow prefers-color-scheme, and all text meets WCAG AA contrast in both", () =>
    Effect.gen(function*() {
      const { file } = yield* writeReport("scheme.html", reviewRun(), { prices })
      yield* Effect.promise(async () => {
        for (const [scheme, background] of [["light", "rgb(255, 255, 255)"], ["dark", "rgb(13, 17, 23)"]] as const) {
          const { page } = await openReport(browser, file, { colorScheme: scheme })
          expect(await page.evaluate(`getComputedStyle(document.body).backgroundColor`)).toBe(background)
          // Everything at once: a selected row, context rows of a filter, labels inside bars, details, focus.
          await page.fill("#filter-text", "grep")
          await expect.poll(() => page.locator("#tree-rows .row.ctx").count()).toBeGreaterThan(0)
          await treeRow(page, "grep").click()
          expect(await contrastFailures(page), scheme).toEqual([])
          await page.fill("#filter-text", "")
          await expect.poll(() => treeNames(page)).toHaveLength(21)
          await treeRow(page, "gpt-4o").click()
          expect(await contrastFailures(page), scheme).toEqual([])
          // Labels inside bars (a duration that fills the window), and the tables below.
          await treeRow(page, "tests").click()
          await page.click("#zoom-selection")
          await expect.poll(() => page.locator("#bar-rows .dur.in").count()).toBeGreaterThan(0)
          expect(await contrastFailures(page), scheme).toEqual([])
          await page.locator("#slowest").scrollIntoViewIfNeeded()
          expect(await contrastFailures(page), scheme).toEqual([])
        }
      })
    }), 60_000)

  it.live("a 100,000-node report streams in bounded chunks, is interactive within seconds and stays quick", () =>
    Effect.gen(function*() {
      const trace = bigRun(100_000)
      const { chunks, file } = yield* writeReport("big.html", trace)
      expect(chunks.length).toBeGreaterThan(20)
      expect(Math.max(...chunks.map((chunk) => chunk.byteLength))).toBeLessThan(3 * 512 * 1024)
      yield* Effect.promise(async () => {
        // Time to interactive: navigation start until a click on a row has shown its details.
        const tti = await timeToInteractive(browser, file, "g1_fan")
        console.log(
          `100,000-node report: ready ${tti.readyMs.toFixed(0)} ms, click → details ${tti.clickMs.toFixed(0)} ms, ` +
            `interactive ${tti.interactiveMs.toFixed(0)} ms after navigation start (${tti.wallMs} ms wall)`
        )
        expect(tti.interactiveMs).toBeLessThan(5000)
        const { page, report } = { page: tti.report.page, report: tti.report }
        await page.waitForLoadState("load")
        expect(report.consoleErrors).toEqual([])
        expect(report.pageErrors).toEqual([])
        expect(report.requests).toEqual([report.url])
        // Only the rows in view exist in the page.
        expect(await page.locator("#tree-rows .row").count()).toBeLessThan(60)
        expect(await page.locator("#match-count").innerText()).toBe("100,000 nodes · 20,000 model calls · 80,000 tool calls")
        // The end of the list is a scroll away.
        await page.locator("#tree").focus()
        await page.keyboard.press("End")
        await expect.poll(async () => (await treeNames(page)).at(-1)).toBe("g19999_c")
        // A deep link into the middle.
        await page.evaluate(`location.hash = "#node=g10000_b"`)
        await expect.poll(() => page.locator("#tree-rows .row.selected .name").innerText()).toBe("g10000_b")
        const index = trace.nodes.findIndex((n) => n.nodeId === "g10000_b")
        expect(await page.locator("#details pre").first().innerText()).toBe(`{\n  "index": ${index}\n}`)
        // Filters over every row at once.
        const filterMs = (await page.evaluate(`(() => {
          const begin = performance.now()
          document.getElementById("filter-failed").click()
          return performance.now() - begin
        })()`)) as number
        const failed = trace.nodes.filter((n) => !n.success).length
        expect(await page.locator("#match-count").innerText()).toBe(`${failed} of 100,000 nodes match`)
        expect(filterMs).toBeLessThan(1000)
        const shown = await page.$$eval("#tree-rows .row:not(.ctx) .st", (marks) => marks.map((mark) => mark.textContent))
        expect(new Set(shown)).toEqual(new Set(["✗"]))
        // Zooming redraws only what is in view.
        await page.locator("#bars").focus()
        const zoomMs = (await page.evaluate(`new Promise((resolve) => {
          const begin = performance.now()
          document.getElementById("bars").dispatchEvent(new KeyboardEvent("keydown", { key: "+", bubbles: true }))
          requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - begin)))
        })`)) as number
        expect(zoomMs).toBeLessThan(500)
      })
    }), 180_000)

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
  it.effect("the critical path and the nesting are the ones CriticalPath computes (and trace analyze prints)", () =>
    Effect.gen(function*() {
      for (const trace of [reviewTrace, fanOut()]) {
        const html = text(yield* collect(HtmlExporter.make().export(trace)))
        const path = CriticalPath.computeSync(trace)
        const analysis = Analysis.analyzeSync(trace)
        expect(analysis.criticalPath.durationSeconds).toBe(path.durationSeconds)
        const rows = dataOf(html).nodes
        const flagged: Array<number> = []
        const parents: Array<unknown> = []
        for (let i = 0; i * 7 < rows.length; i++) {
          if (((rows[i * 7 + 4] as number) & 2) !== 0) flagged.push(i)
          parents.push(rows[i * 7 + 6])
        }
        expect(flagged).toEqual(path.steps.map((s) => s.index).sort((a, b) => a - b))
        expect(parents).toEqual(Array.from(Cooperative.runSync(() => CriticalPath.parentsWork(trace))))
        expect(html).toContain(
          `<div class="v">${Display.duration(path.durationSeconds)}</div><div class="k">critical path · ${path.steps.length} nodes</div>`
        )
      }
      // Of 4,801 records, the first node and each parallel node with the child it waited for: 801, not all.
      expect(CriticalPath.computeSync(fanOut()).steps.length).toBe(801)
    }))

  it.effect("model calls are timed by their events, else laid end to end; priced by the longest matching name", () =>
    Effect.gen(function*() {
      const run = reviewRun()
      const html = text(yield* collect(HtmlExporter.make({ prices: { "gpt-4": { input: 1, output: 1 }, "gpt-4o": { input: 2, output: 4 } } }).export(run)))
      const data = dataOf(html)
      const model = (k: number) => data.models.slice(k * 9, k * 9 + 9)
      // The first call of plan: from its event (ended at 1.15 s after 1.1 s), 1,840 in and 212 out at gpt-4o's price.
      expect(model(0)).toEqual([0, data.names.indexOf("gpt-4o"), 0.05, 1.1, 1840, 212, (1840 * 2 + 212 * 4) / 1e6, "tool_calls", 0])
      // gpt-4o-mini is priced as gpt-4o (the longest prefix); claude has no price.
      expect(model(4)[6]).toBeCloseTo((2600 * 2 + 420 * 4) / 1e6, 12)
      expect(model(2)[6]).toBeNull()
      // Without events the calls follow one another from the node's start.
      const bare = { ...run, events: [] }
      const laid = dataOf(text(yield* collect(HtmlExporter.make().export(bare)))).models
      expect([laid[2], laid[3], laid[9 + 2], laid[9 + 3]]).toEqual([0, 1.1, 1.1, 0.65])
      // Without metadata, the events alone.
      const eventsOnly = { ...run, nodes: run.nodes.map((n) => ({ ...n, metadata: {} })) }
      const fromEvents = dataOf(text(yield* collect(HtmlExporter.make().export(eventsOnly))))
      expect(fromEvents.models.length / 9).toBe(5)
      expect(fromEvents.models.slice(0, 9)).toEqual([0, fromEvents.names.indexOf("gpt-4o"), 0.05, 1.1, 1840, 212, null, "tool_calls", -1])
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
