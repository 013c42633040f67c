// Screenshots of the sample report, 1400×900, light and dark: rendered on every run (so the sample keeps opening
// cleanly in both schemes), written to docs/screenshots/ when VICTOR_SCREENSHOTS=1.
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as HtmlExporter from "@victor/exporter-html/HtmlExporter"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Browser } from "playwright-core"
import { launch, openReport } from "./chromium.ts"
import { prices, reviewRun } from "./traces.ts"

const docs = join(import.meta.dirname, "..", "..", "..", "docs", "screenshots")

describe("the sample report", () => {
  let browser: Browser
  beforeAll(async () => {
    browser = await launch()
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
  })

  it.live("renders in light and dark at 1400×900", () =>
    Effect.gen(function*() {
      const directory = mkdtempSync(join(tmpdir(), "victor-shots-"))
      const file = join(directory, "report.html")
      const chunks = yield* Stream.runCollect(HtmlExporter.make({ prices }).export(reviewRun()))
      writeFileSync(file, Buffer.concat(Array.from(chunks)))
      const target = process.env["VICTOR_SCREENSHOTS"] === "1" ? docs : directory
      mkdirSync(target, { recursive: true })
      yield* Effect.promise(async () => {
        for (const scheme of ["light", "dark"] as const) {
          const report = await openReport(browser, file, { colorScheme: scheme, hash: "#node=security" })
          await report.page.locator("#tree").focus()
          await report.page.waitForTimeout(150)
          await report.page.screenshot({ path: join(target, `report-${scheme}.png`) })
          expect(report.pageErrors).toEqual([])
          expect(report.consoleErrors).toEqual([])
          await report.page.context().close()
        }
      })
    }), 60_000)
})
