// Opens comparison reports in headless Chromium (see `@victor/exporter-html/testing/Chromium`, the HTML report
// tests' driver) and reads their table.
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import * as Chromium from "@victor/exporter-html/testing/Chromium"
import type { Browser, Page } from "playwright-core"

export { available, executablePath, launch } from "@victor/exporter-html/testing/Chromium"

const directory = mkdtempSync(join(tmpdir(), "victor-compare-"))

/** Writes a page to a fresh file and returns its path. */
export const writePage = (name: string, html: string): string => {
  const file = join(directory, name)
  writeFileSync(file, html)
  return file
}

export interface Opened extends Chromium.Watched {
  readonly url: string
  /** Milliseconds from navigation start until the page's script had drawn the table. */
  readonly readyMs: number
  readonly close: () => Promise<void>
}

/** Opens a report file in a fresh context and waits until its script has drawn the table. */
export const open = async (browser: Browser, file: string, options: Chromium.PageOptions = {}): Promise<Opened> => {
  const opened = await Chromium.newPage(browser, options)
  const { page } = opened
  const url = pathToFileURL(file).href
  await page.goto(url, { waitUntil: "load", timeout: 60_000 })
  await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 })
  const readyMs = (await page.evaluate(`performance.getEntriesByName("victor-compare-ready")[0].startTime`)) as number
  return { ...opened, url, readyMs, close: () => page.context().close() }
}

/** The labels of the table's rows in the page, top to bottom. */
export const rowLabels = (page: Page): Promise<ReadonlyArray<string>> =>
  page.evaluate(`Array.from(document.querySelectorAll("#grid-body .row"))
    .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
    .map((row) => row.querySelector(".nm").textContent)`) as Promise<ReadonlyArray<string>>

/** The row whose label is exactly `label`. */
export const rowOf = (page: Page, label: string) =>
  page.locator("#grid-body .row").filter({
    has: page.locator(".nm", { hasText: new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`) })
  })

/** The WCAG AA contrast audit of the HTML report's tests, with the comparison's bars and legend swatches. */
export const contrastFailures = (page: Page) => Chromium.contrastFailures(page, ["bar", "sw"])
