// Opens report files in the machine's headless Chromium (Debian's `chromium`, driven by playwright-core) and records
// what a reviewer would care about: console errors, page errors, dialogs and every request the page makes. Also
// measures how soon a report is usable and audits its colour contrast.
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
  /** The report's address (without the hash): the one request a report may make. */
  readonly url: string
  readonly consoleErrors: Array<string>
  readonly pageErrors: Array<string>
  readonly dialogs: Array<string>
  /** Every request the page made (a request a Content-Security-Policy refused shows here too, and in `blocked`). */
  readonly requests: Array<string>
  /** Requests that completed: what the page actually loaded. */
  readonly loaded: Array<string>
  /** Requests that failed, with the reason (`csp` for one the policy refused). */
  readonly blocked: Array<string>
  /** Milliseconds from the browser's navigation start until the page's script had rendered and listens for input. */
  readonly readyMs: number
  /** Milliseconds from asking Playwright to navigate until the page was ready, as seen from outside the page. */
  readonly wallMs: number
}

export interface OpenOptions {
  readonly colorScheme?: "light" | "dark"
  /** Appended to the file's URL: `#node=lint`. */
  readonly hash?: string
  readonly viewport?: { readonly width: number; readonly height: number }
  /** Whether to wait for the whole page (the detail blocks after the script); defaults to true. */
  readonly waitForLoad?: boolean
}

/** Opens a report file in a fresh page and waits until its script has rendered. */
export const openReport = async (browser: Browser, file: string, options: OpenOptions = {}): Promise<OpenedReport> => {
  const context = await browser.newContext({
    colorScheme: options.colorScheme ?? "light",
    viewport: options.viewport ?? { width: 1400, height: 900 }
  })
  const page = await context.newPage()
  const url = pathToFileURL(file).href
  const opened = {
    page,
    url,
    consoleErrors: [] as Array<string>,
    pageErrors: [] as Array<string>,
    dialogs: [] as Array<string>,
    requests: [] as Array<string>,
    loaded: [] as Array<string>,
    blocked: [] as Array<string>
  }
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") opened.consoleErrors.push(message.text())
  })
  page.on("pageerror", (error) => opened.pageErrors.push(error.message))
  page.on("dialog", (dialog) => {
    opened.dialogs.push(dialog.message())
    void dialog.dismiss()
  })
  page.on("request", (request) => opened.requests.push(request.url()))
  page.on("requestfinished", (request) => opened.loaded.push(request.url()))
  page.on("requestfailed", (request) => opened.blocked.push(`${request.url()} ${request.failure()?.errorText ?? ""}`))
  const started = Date.now()
  await page.goto(url + (options.hash ?? ""), { waitUntil: "commit", timeout: 60_000 })
  await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 })
  const wallMs = Date.now() - started
  const readyMs = (await page.evaluate(
    `performance.getEntriesByName("victor-report-ready")[0].startTime`
  )) as number
  // The details blocks after the script are still being parsed; most tests want the whole page.
  if (options.waitForLoad !== false) await page.waitForLoadState("load", { timeout: 60_000 })
  return { ...opened, readyMs, wallMs }
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

/** A piece of text (or a bar) whose contrast with what is behind it is below WCAG AA. */
export interface ContrastFailure {
  readonly text: string
  readonly selector: string
  readonly color: string
  readonly background: string
  readonly ratio: number
  readonly required: number
}

/**
 * WCAG 2 contrast of every visible piece of text on the page (4.5:1, or 3:1 for large text) against what is drawn
 * behind its middle (the first element under it with a background colour: a bar under a label inside it, the
 * selected row's highlight, the page), and of every timeline bar against the page behind it (3:1, WCAG 1.4.11).
 */
export const contrastFailures = (page: Page): Promise<ReadonlyArray<ContrastFailure>> =>
  page.evaluate(`(() => {
    const parse = (c) => { const m = c.match(/[\\d.]+/g); return m ? m.map(Number) : [0, 0, 0, 0] };
    const alpha = (c) => { const v = parse(c); return v.length > 3 ? v[3] : 1 };
    const lum = (c) => { const [r, g, b] = parse(c).slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4 }); return 0.2126 * r + 0.7152 * g + 0.0722 * b };
    const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05) };
    const page = getComputedStyle(document.body).backgroundColor;
    const behind = (element) => {
      const box = element.getBoundingClientRect();
      const stack = document.elementsFromPoint(box.left + box.width / 2, box.top + box.height / 2);
      for (const under of stack) {
        if (under === element || element.contains(under)) continue;
        const b = under.getBoundingClientRect();
        if (b.width < 3 || b.height < 3) continue;
        const bg = getComputedStyle(under).backgroundColor;
        if (alpha(bg) > 0.5) return bg;
      }
      return page;
    };
    const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\\s+/).join(".") : "");
    const out = [];
    const inView = (e) => { const b = e.getBoundingClientRect(); return b.width > 0 && b.height > 0 && b.bottom > 0 && b.right > 0 && b.top < innerHeight && b.left < innerWidth };
    for (const e of document.querySelectorAll("body *")) {
      if (e.closest(".sr-only, script, style, noscript, canvas") || !inView(e)) continue;
      const own = Array.from(e.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim() !== "");
      const style = getComputedStyle(e);
      if (own && style.visibility === "visible") {
        const bg = alpha(style.backgroundColor) > 0.5 ? style.backgroundColor : behind(e);
        const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
        const required = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
        const r = ratio(style.color, bg);
        if (r < required) out.push({ text: e.textContent.trim().slice(0, 40), selector: name(e), color: style.color, background: bg, ratio: Math.round(r * 100) / 100, required });
      }
      if (e.classList.contains("bar")) {
        const r = ratio(style.backgroundColor, page);
        if (r < 3) out.push({ text: "(bar)", selector: name(e), color: style.backgroundColor, background: page, ratio: Math.round(r * 100) / 100, required: 3 });
      }
    }
    return out;
  })()`) as Promise<ReadonlyArray<ContrastFailure>>
