// Screenshots of the sample comparison, 1400×900, light and dark: rendered on every run (so the sample keeps opening
// cleanly in both schemes), written to docs/screenshots/compare-{light,dark}.png when VICTOR_SCREENSHOTS=1.
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Comparison from "@victor/compare/Comparison"
import * as HtmlReport from "@victor/compare/HtmlReport"
import { mkdirSync, mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Browser } from "playwright-core"
import { available, launch, open, rowOf, writePage } from "./chromium.ts"
import { baseline, candidate, thresholds } from "./fixtures.ts"

const docs = join(import.meta.dirname, "..", "..", "..", "docs", "screenshots")

describe.runIf(available)("the sample comparison", () => {
  let browser: Browser
  beforeAll(async () => {
    browser = await launch()
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
  })

  it("renders in light and dark at 1400×900", async () => {
    const file = writePage("compare.html", HtmlReport.render(Comparison.compareSync(baseline(), candidate(), thresholds)))
    const target = process.env["VICTOR_SCREENSHOTS"] === "1" ? docs : mkdtempSync(join(tmpdir(), "victor-compare-shots-"))
    mkdirSync(target, { recursive: true })
    for (const colorScheme of ["light", "dark"] as const) {
      const opened = await open(browser, file, { colorScheme })
      await rowOf(opened.page, "unit_tests").click()
      await opened.page.waitForTimeout(150)
      await opened.page.screenshot({ path: join(target, `compare-${colorScheme}.png`) })
      expect(opened.pageErrors).toEqual([])
      expect(opened.consoleErrors).toEqual([])
      await opened.close()
    }
  }, 60_000)
})
