import { describe, expect, it } from "@effect/vitest"
import * as Comparison from "@victor/compare/Comparison"
import * as HtmlReport from "@victor/compare/HtmlReport"
import * as Effect from "effect/Effect"
import { node, trace } from "@victor/core/testing/TraceFixtures"

describe("HtmlReport", () => {
  it.effect("a self-contained page with every value escaped and regressions marked", () =>
    Effect.sync(() => {
      const evil = `<script>alert("x")</script>`
      const html = HtmlReport.render(Comparison.compareSync(
        trace([node(evil, 0, 1)], { traceId: "b", workflowName: `wf"><img src=x>` }),
        trace([node(evil, 0, 3)], { traceId: "h", workflowName: `wf"><img src=x>` })
      ))
      expect(html.startsWith("<!DOCTYPE html>")).toBe(true)
      expect(html).not.toContain("<script")
      expect(html).not.toContain("<img")
      expect(html).not.toMatch(/(src|href)=["']?https?:/)
      expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;")
      expect(html).toContain(`<tr class="regressed">`)
      expect(html).toContain("1 regression(s)")
    }))
})
