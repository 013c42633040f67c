// Opens report files in headless Chromium (see `@victor/exporter-html/testing/Chromium`) and measures how soon a
// report is usable.
import { pathToFileURL } from "node:url"
import type { Browser, Page } from "playwright-core"
import { newPage, type PageOptions, type Watched } from "../testing/Chromium.ts"

export { contrastFailures, executablePath, launch } from "../testing/Chromium.ts"

export interface OpenedReport extends Watched {
  /** The report's address (without the hash): the one request a report may make. */
  readonly url: string
  /** Milliseconds from the browser's navigation start until the page's script had rendered and listens for input. */
  readonly readyMs: number
  /** Milliseconds from asking Playwright to navigate until the page was ready, as seen from outside the page. */
  readonly wallMs: number
}

export interface OpenOptions extends PageOptions {
  /** Appended to the file's URL: `#node=lint`. */
  readonly hash?: string
  /** Whether to wait for the whole page (the detail blocks after the script); defaults to true. */
  readonly waitForLoad?: boolean
}

/** Opens a report file in a fresh page and waits until its script has rendered. */
export const openReport = async (browser: Browser, file: string, options: OpenOptions = {}): Promise<OpenedReport> => {
  const opened = await newPage(browser, options)
  const { page } = opened
  const url = pathToFileURL(file).href
  const started = Date.now()
  await page.goto(url + (options.hash ?? ""), { waitUntil: "commit", timeout: 60_000 })
  await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 })
  const wallMs = Date.now() - started
  const readyMs = (await page.evaluate(
    `performance.getEntriesByName("victor-report-ready")[0].startTime`
  )) as number
  // The details blocks after the script are still being parsed; most tests want the whole page.
  if (options.waitForLoad !== false) await page.waitForLoadState("load", { timeout: 60_000 })
  return { ...opened, url, readyMs, wallMs }
}

/** How soon a report is usable: ready, then a click on a tree row that shows the row's details. */
export interface Interactive {
  /** Navigation start until the page marked itself ready. */
  readonly readyMs: number
  /** From the click (as Playwright dispatched it) until the details showed the clicked row. */
  readonly clickMs: number
  /** Navigation start until the details showed the clicked row: time to interactive. */
  readonly interactiveMs: number
  /** Playwright's `goto` until the details showed the row, as seen from outside the page. */
  readonly wallMs: number
  readonly report: OpenedReport
}

/**
 * Opens a report and, as soon as it is ready (without waiting for the rest of the page), clicks the tree row named
 * `rowName` and waits until the details panel names it.
 */
export const timeToInteractive = async (browser: Browser, file: string, rowName: string): Promise<Interactive> => {
  const started = Date.now()
  const report = await openReport(browser, file, { waitForLoad: false })
  const { page } = report
  const row = page.locator("#tree-rows .row", { has: page.locator(".name", { hasText: rowName }) }).first()
  // In the page, so that polling from outside adds nothing: when the press came, when the details named the row.
  await page.evaluate(`(() => {
    window.__clickAt = 0; window.__shownAt = 0;
    document.getElementById("tree-rows").addEventListener("pointerdown", () => { window.__clickAt = performance.now() }, { once: true, capture: true });
    const details = document.getElementById("details");
    new MutationObserver((changes, observer) => {
      const code = details.querySelector("h2 code");
      if (code && code.textContent === ${JSON.stringify(rowName)}) { window.__shownAt = performance.now(); observer.disconnect() }
    }).observe(details, { childList: true, subtree: true });
  })()`)
  await row.click()
  await expectShown(page)
  const [clickAt, shownAt] = (await page.evaluate(`[window.__clickAt, window.__shownAt]`)) as [number, number]
  return {
    readyMs: report.readyMs,
    clickMs: shownAt - clickAt,
    interactiveMs: shownAt,
    wallMs: Date.now() - started,
    report
  }
}

const expectShown = async (page: Page) => {
  for (let waited = 0; waited < 60_000; waited += 20) {
    if (((await page.evaluate(`window.__shownAt`)) as number) > 0) return
    await page.waitForTimeout(20)
  }
  throw new Error("the details never showed the clicked row")
}
