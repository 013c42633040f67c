// Headless Chromium for the `victor ui` tests: the HTML report tests' driver (`@victor/exporter-html/testing/Chromium`),
// with what a reviewer would want to know of a page: console errors (a CSP violation is one), page errors, dialogs
// (an `alert` that ran) and every address it requested.
import type { Page } from "playwright-core"
import type { Watched } from "@victor/exporter-html/testing/Chromium"

export { executablePath, launch, newPage, type Watched } from "@victor/exporter-html/testing/Chromium"

/** Opens an address and waits until the page's script says it has rendered (`body[data-ready=true]`). */
export const open = async (watched: Watched, url: string): Promise<void> => {
  await watched.page.goto(url)
  await watched.page.waitForSelector("body[data-ready=true]", { timeout: 30_000 })
}

/**
 * Waits until an element's text is `text` (30 s at most), asking from outside the page: the explorer's policy lets no
 * string be evaluated as script in it, which `page.waitForFunction` with a string would need.
 */
export const waitForText = async (page: Page, selector: string, text: string, timeout = 30_000): Promise<void> => {
  const until = Date.now() + timeout
  let last: string | null = null
  while (Date.now() < until) {
    last = await page.textContent(selector).catch(() => null)
    if (last === text) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${selector} still says ${JSON.stringify(last)} after ${timeout} ms, not ${JSON.stringify(text)}`)
}
