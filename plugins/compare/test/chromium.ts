// Opens comparison reports in the machine's headless Chromium (Debian's `chromium`, driven by playwright-core, as the
// HTML exporter's tests do) and records what a reviewer would care about: console errors, page errors, dialogs and
// every request the page makes. Also audits colour contrast (WCAG AA).
import { existsSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { type Browser, chromium, type Page } from "playwright-core"

export const executablePath = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium"

/** Whether there is a Chromium to drive. */
export const available = existsSync(executablePath)

export const launch = (): Promise<Browser> =>
  chromium.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]
  })

const directory = mkdtempSync(join(tmpdir(), "victor-compare-"))

/** Writes a page to a fresh file and returns its path. */
export const writePage = (name: string, html: string): string => {
  const file = join(directory, name)
  writeFileSync(file, html)
  return file
}

export interface Opened {
  readonly page: Page
  readonly url: string
  readonly consoleErrors: Array<string>
  readonly pageErrors: Array<string>
  readonly dialogs: Array<string>
  /** Every request the page made (one the policy refused shows here too). */
  readonly requests: Array<string>
  /** Requests that failed, with the reason. */
  readonly blocked: Array<string>
  /** Milliseconds from navigation start until the page's script had drawn the table. */
  readonly readyMs: number
  readonly close: () => Promise<void>
}

/** Opens a report file in a fresh context and waits until its script has drawn the table. */
export const open = async (
  browser: Browser,
  file: string,
  options: { readonly colorScheme?: "light" | "dark"; readonly viewport?: { width: number; height: number } } = {}
): Promise<Opened> => {
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
  page.on("requestfailed", (request) => opened.blocked.push(`${request.url()} ${request.failure()?.errorText ?? ""}`))
  await page.goto(url, { waitUntil: "load", timeout: 60_000 })
  await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 })
  const readyMs = (await page.evaluate(`performance.getEntriesByName("victor-compare-ready")[0].startTime`)) as number
  return { ...opened, readyMs, close: () => context.close() }
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
 * WCAG 2 contrast of every visible piece of text (4.5:1, or 3:1 for large text) against what is drawn behind its
 * middle, and of every bar against the page (3:1, WCAG 1.4.11). The exporter's audit, for this page.
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
      if (e.closest(".sr-only, script, style, noscript") || !inView(e)) continue;
      const own = Array.from(e.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim() !== "");
      const style = getComputedStyle(e);
      if (own && style.visibility === "visible") {
        const bg = alpha(style.backgroundColor) > 0.5 ? style.backgroundColor : behind(e);
        const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
        const required = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
        const r = ratio(style.color, bg);
        if (r < required) out.push({ text: e.textContent.trim().slice(0, 40), selector: name(e), color: style.color, background: bg, ratio: Math.round(r * 100) / 100, required });
      }
      if (e.classList.contains("bar") || e.classList.contains("sw")) {
        const r = ratio(style.backgroundColor, page);
        if (r < 3) out.push({ text: "(bar)", selector: name(e), color: style.backgroundColor, background: page, ratio: Math.round(r * 100) / 100, required: 3 });
      }
    }
    return out;
  })()`) as Promise<ReadonlyArray<ContrastFailure>>
