// Opens report files in the machine's headless Chromium (Debian's `chromium`, driven by playwright-core) and records
// what a reviewer would care about: console errors, page errors, dialogs and every request the page makes.
import { existsSync } from "node:fs"
import { pathToFileURL } from "node:url"
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

export interface OpenedReport {
  readonly page: Page
  readonly url: string
  readonly consoleErrors: Array<string>
  readonly pageErrors: Array<string>
  readonly dialogs: Array<string>
  readonly requests: Array<string>
  /** Milliseconds from the browser's navigation start until the page's script had rendered and listens for input. */
  readonly readyMs: number
  /** Milliseconds from asking Playwright to navigate until the page was ready, as seen from outside the page. */
  readonly wallMs: number
}

/** Opens a report file in a fresh page and waits until its script has rendered. */
export const openReport = async (
  browser: Browser,
  file: string,
  options: { readonly colorScheme?: "light" | "dark" } = {}
): Promise<OpenedReport> => {
  const context = await browser.newContext({ colorScheme: options.colorScheme ?? "light" })
  const page = await context.newPage()
  const url = pathToFileURL(file).href
  const opened = { page, url, consoleErrors: [] as Array<string>, pageErrors: [] as Array<string>, dialogs: [] as Array<string>, requests: [] as Array<string> }
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") opened.consoleErrors.push(message.text())
  })
  page.on("pageerror", (error) => opened.pageErrors.push(error.message))
  page.on("dialog", (dialog) => {
    opened.dialogs.push(dialog.message())
    void dialog.dismiss()
  })
  page.on("request", (request) => opened.requests.push(request.url()))
  const started = Date.now()
  await page.goto(url, { waitUntil: "commit", timeout: 60_000 })
  await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 })
  const wallMs = Date.now() - started
  const readyMs = (await page.evaluate(
    `performance.getEntriesByName("victor-report-ready")[0].startTime`
  )) as number
  // The details blocks after the script are still being parsed; tests want the whole page.
  await page.waitForLoadState("load", { timeout: 60_000 })
  return { ...opened, readyMs, wallMs }
}
