// The comparison report in headless Chromium: it opens offline without an error or a request, marks what changed
// (never by colour alone), filters, sorts, works from the keyboard, keeps hostile strings inert, meets WCAG AA in
// light and dark, and stays quick with 10,000 nodes.
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Comparison from "@victor/compare/Comparison"
import * as HtmlReport from "@victor/compare/HtmlReport"
import { trace } from "@victor/core/testing/TraceFixtures"
import type { Browser } from "playwright-core"
import { available, contrastFailures, launch, open, type Opened, rowLabels, rowOf, writePage } from "./chromium.ts"
import { baseline, candidate, hostile, hostileRuns, longRun, thresholds } from "./fixtures.ts"

const sample = () => Comparison.compareSync(baseline(), candidate(), thresholds)

/** Nothing went wrong, and the only request was the file itself. */
const expectClean = (opened: Opened) => {
  expect(opened.pageErrors).toEqual([])
  expect(opened.consoleErrors).toEqual([])
  expect(opened.dialogs).toEqual([])
  expect(opened.blocked).toEqual([])
  expect(opened.requests).toEqual([opened.url])
}

describe.runIf(available)("the comparison report in Chromium", () => {
  let browser: Browser
  beforeAll(async () => {
    browser = await launch()
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
  })

  it("opens with no console error and no request; the threshold, the summary and both runs on one axis", async () => {
    const opened = await open(browser, writePage("sample.html", HtmlReport.render(sample())))
    const { page } = opened
    expect(await page.textContent("#threshold")).toContain("Regression threshold: > 0.25s and > 10%")
    expect(await page.textContent("#verdict")).toBe("▲ 3 regressions")
    expect(await page.textContent("#count-regressions .v")).toBe("▲ 3")
    expect(await page.textContent("#count-improvements .v")).toBe("▼ 1")
    expect(await page.textContent("#count-added .v")).toBe("+ 1")
    expect(await page.textContent("#count-removed .v")).toBe("− 1")
    expect(await page.textContent("#count-flips .v")).toBe("✗ 1")
    expect(await page.textContent("#run-base .badge")).toBe("succeeded")
    expect(await page.textContent("#run-head .badge")).toBe("failed")
    // Time order by default; every node of both runs has a row, with a lane per run.
    const labels = await rowLabels(page)
    expect(labels.slice(0, 3)).toEqual(["load_config", "fetch_pr", "plan_review"])
    expect([...labels].sort()).toEqual(sample().nodes.map(Comparison.visitLabel).sort())
    // One axis: the same second is the same place in both lanes (load_config starts both runs at 0).
    const starts = await rowOf(page, "load_config").locator(".bar").evaluateAll((bars) =>
      bars.map((bar) => bar.getBoundingClientRect().left)
    )
    expect(starts).toHaveLength(2)
    expect(starts[0]).toBe(starts[1])
    const ticks = await page.$$eval("#axis .t", (all) => all.map((t) => t.textContent))
    expect(ticks[0]).toBe("0ms")
    expect(ticks.length).toBeGreaterThanOrEqual(4)
    // The removed node has no candidate bar, the added one no baseline bar: each lane says so.
    expect(await rowOf(page, "legacy_cache_warmup").locator(".lane.h .none").textContent()).toBe("not in the candidate")
    expect(await rowOf(page, "cache_lookup").locator(".lane.b .none").textContent()).toBe("not in the baseline")
    expectClean(opened)
    await opened.close()
  }, 60_000)

  it("marks a regression row with ▲ and words, and shows the same numbers as the text report", async () => {
    const comparison = sample()
    const opened = await open(browser, writePage("marks.html", HtmlReport.render(comparison)))
    const { page } = opened
    const row = rowOf(page, "unit_tests")
    expect(await row.getAttribute("class")).toContain("reg")
    expect(await row.locator(".sym").textContent()).toBe("▲")
    expect(await row.locator(".sr-only").first().textContent()).toBe("regression")
    expect(await rowOf(page, "plan_review").locator(".sym").textContent()).toBe("▼")
    expect(await rowOf(page, "cache_lookup").locator(".sym").textContent()).toBe("+")
    expect(await rowOf(page, "legacy_cache_warmup").locator(".sym").textContent()).toBe("−")
    expect(await rowOf(page, "post_comment").locator(".fails").textContent()).toBe("✗ now fails")
    expect(await rowOf(page, "lint").locator(".sym").count()).toBe(0)
    // Baseline, candidate, delta and delta % read as `Comparison.rowCells` prints them.
    for (const node of comparison.nodes.filter((n) => n.change === "matched")) {
      const cells = await rowOf(page, Comparison.visitLabel(node)).locator("[role=gridcell].num").allTextContents()
      expect(cells, node.nodeId).toEqual(Comparison.rowCells(node).slice(1, 5))
    }
    expectClean(opened)
    await opened.close()
  }, 60_000)

  it("filters (regressions only, by name), sorts by a column and works from the keyboard", async () => {
    const comparison = sample()
    const opened = await open(browser, writePage("filters.html", HtmlReport.render(comparison)))
    const { page } = opened
    await page.click("label[for=show-regressed]")
    expect([...await rowLabels(page)].sort()).toEqual(comparison.regressions.map(Comparison.visitLabel).sort())
    expect(await page.textContent("#match-count")).toBe(`3 of ${comparison.nodes.length} nodes match`)
    for (const cls of await page.$$eval("#grid-body .row", (rows) => rows.map((r) => r.className))) {
      expect(cls).toContain("reg")
    }
    // Sorted by delta, the largest slowdown comes first; a second click turns the order round.
    await page.click("[data-sort=delta]")
    expect(await rowLabels(page)).toEqual(["checks", "unit_tests", "summarize"])
    expect(await page.getAttribute("[data-sort=delta] >> xpath=..", "aria-sort")).toBe("descending")
    await page.click("[data-sort=delta]")
    expect(await rowLabels(page)).toEqual(["summarize", "checks", "unit_tests"])
    // Back to every node, then a name filter typed after `/`.
    await page.click("label[for=show-all]")
    await page.keyboard.press("/")
    await page.keyboard.type("cache")
    // (Polled from outside: the page's policy refuses the eval that `waitForFunction` would use.)
    await expect.poll(() => page.locator("#grid-body .row").count()).toBe(2)
    expect([...await rowLabels(page)].sort()).toEqual(["cache_lookup", "legacy_cache_warmup"])
    await page.fill("#filter-text", "no such node")
    await page.press("#filter-text", "Enter")
    expect(await page.isVisible("#grid-empty")).toBe(true)
    await page.fill("#filter-text", "")
    await page.press("#filter-text", "Enter")
    // The keyboard: focus the table, Home, Down, and the details follow.
    await page.click("[data-sort=name]")
    await page.focus("#grid")
    await page.keyboard.press("Home")
    await page.keyboard.press("ArrowDown")
    const second = (await rowLabels(page))[1]!
    expect(await page.textContent("#details h2 code")).toBe(second)
    expect(await page.getAttribute("#grid", "aria-activedescendant")).toMatch(/^r-\d+$/)
    await page.keyboard.press("End")
    expect(await page.textContent("#details h2 code")).toBe([...comparison.nodes.map(Comparison.visitLabel)].sort().at(-1))
    // A click selects too, and the details say what happened.
    await rowOf(page, "unit_tests").click()
    expect(await page.textContent("#details")).toContain("▲ regression: slowed down past the threshold")
    expect(await rowOf(page, "unit_tests").getAttribute("aria-selected")).toBe("true")
    expectClean(opened)
    await opened.close()
  }, 60_000)

  it("zooms and pans the one time axis: buttons, keys, and to the selected node", async () => {
    const opened = await open(browser, writePage("zoom.html", HtmlReport.render(sample())))
    const { page } = opened
    const laneBox = async (label: string, lane: "b" | "h") => {
      const box = (await rowOf(page, label).locator(`.lane.${lane}`).boundingBox())!
      const bar = (await rowOf(page, label).locator(`.lane.${lane} .bar`).boundingBox())!
      return { from: (bar.x - box.x) / box.width, to: (bar.x + bar.width - box.x) / box.width }
    }
    expect(await page.textContent("#view-range")).toBe("whole run")
    expect(await page.isDisabled("#zoom-fit")).toBe(true)
    expect(await page.isDisabled("#zoom-row")).toBe(true)
    await rowOf(page, "summarize").click()
    await page.click("#zoom-row")
    // The node's two bars fill the view between a margin on each side, and the axis says which range it shows.
    const base = await laneBox("summarize", "b")
    const head = await laneBox("summarize", "h")
    expect(Math.min(base.from, head.from)).toBeCloseTo(0.115, 1)
    expect(Math.max(base.to, head.to)).toBeCloseTo(0.885, 1)
    expect(await page.textContent("#view-range")).toMatch(/^\d.*s – \d.*s$/)
    expect(await page.$$eval("#axis .t", (all) => all.map((t) => t.textContent))).not.toContain("0ms")
    // Keys: pan left then back, zoom in and out, 0 for the whole run again.
    const before = await page.textContent("#view-range")
    await page.focus("#grid")
    await page.keyboard.press("ArrowLeft")
    expect(await page.textContent("#view-range")).not.toBe(before)
    await page.keyboard.press("ArrowRight")
    expect(await page.textContent("#view-range")).toBe(before)
    await page.keyboard.press("0")
    expect(await page.textContent("#view-range")).toBe("whole run")
    await page.keyboard.press("+")
    expect(await page.textContent("#view-range")).toBe("3.00s – 9.00s") // the axis runs to 12 s, a whole number of 2 s ticks
    await page.click("#zoom-out")
    expect(await page.textContent("#view-range")).toBe("whole run")
    expectClean(opened)
    await opened.close()
  }, 60_000)

  it("keeps hostile names, labels and errors inert text", async () => {
    const [base, head] = hostileRuns()
    const opened = await open(browser, writePage("hostile.html", HtmlReport.render(Comparison.compareSync(base, head))))
    const { page } = opened
    for (const selector of ["img", "svg", "[onerror]", "[onload]", "[onmouseover]"]) {
      expect(await page.locator(selector).count(), selector).toBe(0)
    }
    expect(await page.locator("script").count()).toBe(2)
    expect(await page.textContent("h1")).toContain(hostile.svg)
    expect(await page.title()).toBe(`Victor comparison: ${hostile.svg} vs ${hostile.script}`)
    const labels = await rowLabels(page)
    expect(labels).toEqual(expect.arrayContaining([hostile.img, hostile.quote, hostile.script, `${hostile.img}-new`]))
    await rowOf(page, hostile.quote).click()
    expect(await page.textContent("#details pre")).toBe(hostile.error)
    await rowOf(page, hostile.img).hover()
    await page.waitForTimeout(100)
    expectClean(opened)
    await opened.close()
  }, 60_000)

  it("two runs without a node open cleanly too", async () => {
    const opened = await open(browser, writePage("empty.html", HtmlReport.render(Comparison.compareSync(trace([]), trace([])))))
    const { page } = opened
    expect(await page.isVisible("#grid-empty")).toBe(true)
    expect(await page.textContent("#match-count")).toBe("0 nodes")
    await page.focus("#grid")
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("+")
    expectClean(opened)
    await opened.close()
  }, 60_000)

  for (const colorScheme of ["light", "dark"] as const) {
    it(`every text and bar meets WCAG AA in ${colorScheme}`, async () => {
      const opened = await open(browser, writePage(`contrast-${colorScheme}.html`, HtmlReport.render(sample())), {
        colorScheme
      })
      const { page } = opened
      await rowOf(page, "unit_tests").click()
      expect(await contrastFailures(page)).toEqual([])
      await page.evaluate(`document.getElementById("details").scrollIntoView()`)
      expect(await contrastFailures(page)).toEqual([])
      expectClean(opened)
      await opened.close()
    }, 60_000)
  }

  it("stays quick with 10,000 nodes: only the rows in view exist, and filtering is immediate", async () => {
    const comparison = Comparison.compareSync(longRun(10_000, 0), longRun(10_000, 1), { absoluteSeconds: 0.5 })
    expect(comparison.regressions.length).toBe(104)
    const from = performance.now()
    const html = HtmlReport.render(comparison)
    expect(performance.now() - from).toBeLessThan(1_000)
    const opened = await open(browser, writePage("large.html", html))
    const { page } = opened
    expect(opened.readyMs).toBeLessThan(5_000)
    expect(await page.locator("#grid-body .row").count()).toBeLessThan(60)
    expect(await page.textContent("#match-count")).toBe("10,000 nodes")
    const started = Date.now()
    await page.click("label[for=show-regressed]")
    await expect.poll(() => page.textContent("#match-count"), { interval: 20 }).toBe("104 of 10,000 nodes match")
    expect(Date.now() - started).toBeLessThan(2_000)
    await page.click("label[for=show-all]")
    await page.focus("#grid")
    await page.keyboard.press("End")
    expect(await page.textContent("#details h2 code")).toBe("step_09999")
    expect(await rowOf(page, "step_09999").isVisible()).toBe(true)
    expectClean(opened)
    await opened.close()
  }, 120_000)
})
