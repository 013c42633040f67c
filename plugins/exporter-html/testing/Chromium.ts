/**
 * Headless Chromium for the tests and benchmarks of Victor's pages (the HTML report, the comparison report, `victor
 * ui`): Debian's `chromium`, driven by playwright-core, with what a reviewer would want to know of a page: console
 * errors (a Content-Security-Policy violation is one), page errors, dialogs (an `alert` that ran), every address it
 * requested, and a WCAG AA colour-contrast audit.
 */
import { existsSync } from "node:fs"
import { type Browser, chromium, type Page } from "playwright-core"

export const executablePath = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium"

/** Whether there is a Chromium to drive. */
export const available = existsSync(executablePath)

export const launch = (): Promise<Browser> => {
  if (!available) {
    throw new Error(`${executablePath} not found: install Debian's chromium (apt-get install chromium), as .ci/run does`)
  }
  return chromium.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]
  })
}

/** What a page did, recorded as it happens. */
export interface Watched {
  readonly page: Page
  readonly consoleErrors: Array<string>
  readonly pageErrors: Array<string>
  readonly dialogs: Array<string>
  /** Every request the page made (one a policy refused shows here too, and in `blocked`). */
  readonly requests: Array<string>
  /** Requests that completed: what the page actually loaded. */
  readonly loaded: Array<string>
  /** Requests that failed, with the reason (`csp` for one the policy refused). */
  readonly blocked: Array<string>
}

export interface PageOptions {
  readonly colorScheme?: "light" | "dark"
  readonly viewport?: { readonly width: number; readonly height: number }
}

/** A fresh page in its own context (1400×900 and the light theme unless told otherwise), watched. */
export const newPage = async (browser: Browser, options: PageOptions = {}): Promise<Watched> => {
  const context = await browser.newContext({
    colorScheme: options.colorScheme ?? "light",
    viewport: options.viewport ?? { width: 1400, height: 900 }
  })
  const page = await context.newPage()
  const watched: Watched = { page, consoleErrors: [], pageErrors: [], dialogs: [], requests: [], loaded: [], blocked: [] }
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") watched.consoleErrors.push(message.text())
  })
  page.on("pageerror", (error) => watched.pageErrors.push(error.message))
  page.on("dialog", (dialog) => {
    watched.dialogs.push(dialog.message())
    void dialog.dismiss()
  })
  page.on("request", (request) => watched.requests.push(request.url()))
  page.on("requestfinished", (request) => watched.loaded.push(request.url()))
  page.on("requestfailed", (request) => watched.blocked.push(`${request.url()} ${request.failure()?.errorText ?? ""}`))
  return watched
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
 * selected row's highlight, the page), and of every element with one of `barClasses` against the page behind it
 * (3:1, WCAG 1.4.11: bars and swatches carry meaning).
 */
export const contrastFailures = (
  page: Page,
  barClasses: ReadonlyArray<string> = ["bar"]
): Promise<ReadonlyArray<ContrastFailure>> =>
  page.evaluate(`(() => {
    const barClasses = ${JSON.stringify(barClasses)};
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
      if (barClasses.some((c) => e.classList.contains(c))) {
        const r = ratio(style.backgroundColor, page);
        if (r < 3) out.push({ text: "(bar)", selector: name(e), color: style.backgroundColor, background: page, ratio: Math.round(r * 100) / 100, required: 3 });
      }
    }
    return out;
  })()`) as Promise<ReadonlyArray<ContrastFailure>>
