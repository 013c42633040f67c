// `victor ui` in a real headless Chromium: the history page lists and filters stored traces, a trace opens as its
// HTML report, two traces compare; a hostile workflow name stays text everywhere; no page breaks its own policy or
// asks anything of another origin. With VICTOR_UI_SCREENSHOTS=1 it also saves the screenshots of docs/screenshots/.
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import type { Browser } from "playwright-core"
import { repoRoot, runVictor, example, sandbox } from "./setup/runVictor.ts"
import { launch, newPage, open, type Watched, waitForText } from "./setup/uiBrowser.ts"
import { startUi, stopAll, type UiServer } from "./setup/uiServer.ts"
import { makeTrace, saveTraces } from "./setup/uiTraces.ts"

const T0 = Math.floor(Date.now() / 1000) - 3 * 86_400

let browser: Browser
beforeAll(async () => {
  browser = await launch()
})
afterAll(async () => {
  await browser?.close()
  await stopAll()
})

/** A history of three workflows with runs that slowly get slower, some failed; and two real runs of code_review. */
const history = async () => {
  const { home, traceDir } = sandbox()
  const traces = Array.from({ length: 36 }, (_, i) => {
    const workflow = ["review", "deploy", "nightly_report"][i % 3]!
    const slow = 0.3 + (i % 7) / 10 + (i > 30 ? 1 : 0)
    return makeTrace({
      workflow,
      start: T0 + i * 3600,
      nodes: [
        { id: "checkout", seconds: 0.05, tool: "shell" },
        { id: "build", seconds: slow, tool: "shell", ...(i % 4 === 1 ? { error: "exit status 2: tests failed" } : {}) },
        { id: "publish", type: "transform", seconds: 0.01 }
      ]
    })
  })
  await saveTraces(traceDir, traces)
  for (let i = 0; i < 2; i++) {
    const run = runVictor(["workflow", "trace", example("code_review.yaml"), "--trace-dir", traceDir], { home })
    expect(run.code, run.stderr).toBe(0)
  }
  return { home, traceDir, traces }
}

const rowsOf = (watched: Watched) =>
  watched.page.$$eval("#traces tbody tr[data-trace-id]", (rows) =>
    rows.map((row) => ({
      id: row.getAttribute("data-trace-id"),
      workflow: row.children[2]!.textContent,
      status: row.children[1]!.textContent
    })))

/** No page broke its policy, threw, showed a dialog or asked another origin for anything. */
const expectClean = (watched: Watched, ui: UiServer) => {
  expect(watched.consoleErrors).toEqual([])
  expect(watched.pageErrors).toEqual([])
  expect(watched.dialogs).toEqual([])
  expect(watched.requests.filter((url) => !url.startsWith(ui.origin) && !url.startsWith("data:"))).toEqual([])
}

describe("victor ui in Chromium", () => {
  it("lists the history newest first with sparklines, and filters it by workflow, status and text", async () => {
    const { home, traceDir, traces } = await history()
    const ui = await startUi(["--store", traceDir], { home })
    const watched = await newPage(browser)
    await open(watched, ui.url)
    const { page } = watched
    const rows = await rowsOf(watched)
    expect(rows).toHaveLength(38)
    expect(rows.slice(0, 2).map((r) => r.workflow)).toEqual(["code_review", "code_review"])
    expect(rows[2]!.id).toBe(traces[35]!.traceId)
    expect(await page.textContent("#count")).toBe("38 traces")
    // A card per workflow, with a sparkline of its latest durations.
    const cards = await page.$$eval("#sparklines .card", (all) =>
      all.map((card) => [card.querySelector(".name")!.textContent, card.querySelectorAll("svg path.spark-line").length]))
    expect(cards).toEqual([["code_review", 1], ["nightly_report", 1], ["deploy", 1], ["review", 1]])

    await page.selectOption("#f-workflow", "deploy")
    await page.selectOption("#f-status", "failed")
    await page.click("#filters button[type=submit]")
    await waitForText(page, "#count", "3 traces")
    const failedDeploys = traces.filter((t) => t.workflowName === "deploy" && t.status === "failed").reverse()
    expect((await rowsOf(watched)).map((r) => [r.id, r.status])).toEqual(failedDeploys.map((t) => [t.traceId, "failed"]))
    // The filters are in the address: a reload shows the same.
    expect(new URL(page.url()).searchParams.get("workflow")).toBe("deploy")
    await page.reload()
    await page.waitForSelector("body[data-ready=true]")
    expect(await page.textContent("#count")).toBe("3 traces")

    await page.click("#f-clear")
    await page.fill("#f-q", "NIGHTLY")
    await page.press("#f-q", "Enter")
    await waitForText(page, "#count", "12 traces")
    // A sparkline card filters by its workflow.
    await page.click("#f-clear")
    await waitForText(page, "#count", "38 traces")
    await page.locator("#sparklines .card", { has: page.locator(".name", { hasText: /^review$/ }) }).click()
    await waitForText(page, "#count", "12 traces")
    expect(new Set((await rowsOf(watched)).map((r) => r.workflow))).toEqual(new Set(["review"]))
    expectClean(watched, ui)
    await ui.stop()
  })

  it("opens a trace as the HTML exporter's report, in a sandboxed frame", async () => {
    const { home, traceDir } = await history()
    const ui = await startUi(["--store", traceDir], { home })
    const watched = await newPage(browser)
    await open(watched, ui.url)
    const { page } = watched
    await page.click("#traces tbody tr:first-child a")
    await page.waitForSelector("body[data-page=trace][data-ready=true]")
    expect(await page.textContent("#title")).toBe("code_review")
    expect(await page.textContent("#status")).toBe("succeeded")
    const frame = page.frameLocator("#report")
    // The report itself: its title, and the nodes of the run.
    await expect.poll(() => frame.locator("body").textContent(), { timeout: 20_000 }).toContain("find_todos")
    expect(await frame.locator("body").textContent()).toContain("code_review")
    expect(await page.getAttribute("#report", "sandbox")).toBe("allow-scripts allow-popups allow-popups-to-escape-sandbox")
    // The report is the exporter's page, served as it is, with its own policy.
    const id = await page.getAttribute("body", "data-trace-id")
    const report = await fetch(ui.at(`/report/${id}`))
    const text = await report.text()
    expect(text).toMatch(/<meta http-equiv="Content-Security-Policy"/)
    expect(report.headers.get("content-security-policy")).toContain("sandbox allow-scripts")
    expectClean(watched, ui)
    await ui.stop()
  })

  it("compares two ticked traces with the comparison plugin", async () => {
    const { home, traceDir } = sandbox()
    const base = makeTrace({ workflow: "release", start: T0, nodes: [{ id: "build", seconds: 0.4 }, { id: "test", seconds: 1 }] })
    const head = makeTrace({
      workflow: "release",
      start: T0 + 600,
      nodes: [{ id: "build", seconds: 0.4 }, { id: "test", seconds: 2.5, error: "2 tests failed" }, { id: "notify", seconds: 0.1 }]
    })
    await saveTraces(traceDir, [base, head])
    const ui = await startUi(["--store", traceDir], { home })
    const watched = await newPage(browser)
    await open(watched, ui.url)
    const { page } = watched
    expect(await page.isDisabled("#compare")).toBe(true)
    await page.check(`#traces input[value='${head.traceId}']`)
    await page.check(`#traces input[value='${base.traceId}']`)
    await page.click("#compare")
    await page.waitForSelector("body[data-page=compare][data-ready=true]")
    await page.waitForSelector("#result:not([hidden])")
    // The older run is the base, whichever was ticked first.
    expect(await page.inputValue("#c-base")).toBe(base.traceId)
    expect(await page.inputValue("#c-head")).toBe(head.traceId)
    expect(await page.textContent("#r-verdict")).toBe("1 regression (threshold > 0.5s)")
    expect(await page.textContent("#regressions")).toMatch(/^test slowed by \+1\.50s/)
    // The plugin's report, in the page's sandboxed frame: every node of both runs.
    const frame = page.frameLocator("#report")
    await expect.poll(() => frame.locator("body").textContent(), { timeout: 20_000 }).toContain("notify")
    expect(await frame.locator("body").textContent()).toContain("build")
    expect(await page.getAttribute("#report", "sandbox")).toBe("allow-scripts allow-popups allow-popups-to-escape-sandbox")
    const pluginReport = await page.getAttribute("#plugin-report", "href")
    expect((await fetch(ui.origin + pluginReport)).status).toBe(200)
    // A threshold from the form.
    await page.fill("#c-threshold", "200%")
    await page.click("#pick button[type=submit]")
    await waitForText(page, "#r-verdict", "No regressions (threshold > 200%)")
    expectClean(watched, ui)
    await ui.stop()
  })

  it("keeps hostile names inert: a workflow named <img src=x onerror=alert(1)> is text on every page", async () => {
    const { home, traceDir } = sandbox()
    const hostile = "<img src=x onerror=alert(1)>"
    const traces = [0, 1].map((i) =>
      makeTrace({
        workflow: hostile,
        start: T0 + i,
        nodes: [
          { id: "<script>alert(2)</script>", seconds: 0.1 + i, tool: "\"><svg onload=alert(3)>" },
          { id: "x' onmouseover='alert(4)", seconds: 0.1, error: "</td><img src=y onerror=alert(5)>" }
        ]
      })
    )
    await saveTraces(traceDir, traces)
    const ui = await startUi(["--store", traceDir], { home })
    const watched = await newPage(browser)
    const { page } = watched
    await open(watched, ui.url)
    expect((await rowsOf(watched)).map((r) => r.workflow)).toEqual([hostile, hostile])
    expect(await page.textContent("#sparklines .card .name")).toBe(hostile)
    expect(await page.$$eval("#f-workflow option", (all) => all.map((o) => o.textContent))).toContain(hostile)
    await page.hover("#traces tbody tr:first-child")
    await open(watched, ui.at(`/trace/${traces[1]!.traceId}`))
    expect(await page.textContent("#title")).toBe(hostile)
    await expect.poll(() => page.frameLocator("#report").locator("body").textContent(), { timeout: 20_000 })
      .toContain("<script>alert(2)</script>")
    await open(watched, ui.at("/compare", { base: traces[0]!.traceId, head: traces[1]!.traceId }))
    await page.waitForSelector("#result:not([hidden])")
    expect(await page.textContent("#r-base")).toContain(hostile)
    await expect.poll(() => page.frameLocator("#report").locator("body").textContent(), { timeout: 20_000 })
      .toContain("<script>alert(2)</script>")
    for (const selector of ["img[src=x]", "img[src=y]", "svg[onload]", "script:not([src])"]) {
      expect(await page.locator(selector).count(), selector).toBe(0)
    }
    expectClean(watched, ui)
    await ui.stop()
  })

  it.runIf(process.env["VICTOR_UI_SCREENSHOTS"] === "1")("saves the screenshots of docs/screenshots", async () => {
    const { home, traceDir, traces } = await history()
    const ui = await startUi(["--store", traceDir], { home })
    const out = join(repoRoot, "docs", "screenshots")
    mkdirSync(out, { recursive: true })
    const reviews = traces.filter((t) => t.workflowName === "review")
    for (const colorScheme of ["light", "dark"] as const) {
      const watched = await newPage(browser, { colorScheme })
      const { page } = watched
      await open(watched, ui.url)
      await page.screenshot({ path: join(out, `ui-history-${colorScheme}.png`) })
      await open(watched, ui.at(`/trace/${reviews.at(-1)!.traceId}`))
      await page.frameLocator("#report").locator("body").waitFor()
      await page.waitForTimeout(500)
      await page.screenshot({ path: join(out, `ui-trace-${colorScheme}.png`) })
      await open(watched, ui.at("/compare", { base: reviews.at(-4)!.traceId, head: reviews.at(-1)!.traceId }))
      await page.waitForSelector("#result:not([hidden])")
      await page.waitForTimeout(500)
      await page.screenshot({ path: join(out, `ui-compare-${colorScheme}.png`) })
      expectClean(watched, ui)
    }
    await ui.stop()
  })
})
