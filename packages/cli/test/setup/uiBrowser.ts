// Headless Chromium for the `victor ui` tests (Debian's `chromium`, driven by playwright-core, as the HTML report's
// tests drive it), with what a reviewer would want to know of a page: console errors (a CSP violation is one), page
// errors, dialogs (an `alert` that ran) and every address it requested.
import { existsSync } from "node:fs"
import { type Browser, chromium, type Page } from "playwright-core"

export const executablePath = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium"

export const launch = (): Promise<Browser> => {
  if (!existsSync(executablePath)) {
    throw new Error(`${executablePath} not found: install Debian's chromium (apt-get install chromium), as .ci/run does`)
  }
  return chromium.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]
  })
}

export interface Watched {
  readonly page: Page
  readonly consoleErrors: Array<string>
  readonly pageErrors: Array<string>
  readonly dialogs: Array<string>
  readonly requests: Array<string>
}

/** A fresh page at 1400×900 in a light or dark system theme, watched. */
export const newPage = async (
  browser: Browser,
  options: { readonly colorScheme?: "light" | "dark" } = {}
): Promise<Watched> => {
  const context = await browser.newContext({
    colorScheme: options.colorScheme ?? "light",
    viewport: { width: 1400, height: 900 }
  })
  const page = await context.newPage()
  const watched: Watched = { page, consoleErrors: [], pageErrors: [], dialogs: [], requests: [] }
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") watched.consoleErrors.push(message.text())
  })
  page.on("pageerror", (error) => watched.pageErrors.push(error.message))
  page.on("dialog", (dialog) => {
    watched.dialogs.push(dialog.message())
    void dialog.dismiss()
  })
  page.on("request", (request) => watched.requests.push(request.url()))
  return watched
}

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
