import { describe, expect, it } from "@effect/vitest"
import * as Comparison from "@victor/compare/Comparison"
import * as HtmlReport from "@victor/compare/HtmlReport"
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import { node, trace } from "@victor/core/testing/TraceFixtures"
import { baseline, candidate, hostile, hostileRuns, longRun, thresholds } from "./fixtures.ts"

/** The embedded data of a report page. */
const dataOf = (html: string) => {
  const start = html.indexOf(">", html.indexOf(`id="victor-compare-data"`)) + 1
  return JSON.parse(html.slice(start, html.indexOf("</script>", start))) as {
    readonly meta: { readonly axis: number; readonly base: { readonly label: string }; readonly head: { readonly label: string } }
    readonly types: ReadonlyArray<string>
    readonly rows: ReadonlyArray<unknown>
  }
}

/** The inline script and style of a page, as they are hashed. */
const inline = (html: string) => ({
  script: /<script>([\s\S]*?)<\/script>/.exec(html)![1]!,
  style: /<style>([\s\S]*?)<\/style>/.exec(html)![1]!
})

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest("base64")

/** The markup of the page without its data and its script: what HTML parsers read as elements. */
const markup = (html: string) =>
  html.replace(/<script type="application\/json" id="victor-compare-data">[\s\S]*?<\/script>/, "")
    .replace(/<script>[\s\S]*?<\/script>/, "")

describe("HtmlReport", () => {
  it.effect("a self-contained page: a policy that allows no request and only its own script and style", () =>
    Effect.sync(() => {
      const html = HtmlReport.render(Comparison.compareSync(baseline(), candidate(), thresholds))
      expect(html.startsWith("<!DOCTYPE html>")).toBe(true)
      const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1]!
      const { script, style } = inline(html)
      expect(policy).toBe(
        `default-src 'none'; style-src 'sha256-${digest(style)}'; script-src 'sha256-${digest(script)}'; ` +
          "img-src data:; base-uri 'none'; form-action 'none'"
      )
      expect(policy).not.toContain("unsafe")
      expect(HtmlReport.contentSecurityPolicy()).toBe(policy)
      // Nothing to fetch: no URL of any kind, no external script, style sheet, image or frame; no inline handler or
      // style attribute (the policy would refuse them anyway).
      expect(html).not.toMatch(/https?:|\/\/[a-z]/i)
      expect(html).not.toMatch(/<(link|img|iframe|object|embed|script)\b[^>]*\b(src|href)=(?!"data:,")/i)
      expect(markup(html)).not.toMatch(/\son[a-z]+=|\sstyle=/i)
      expect(html.match(/<script\b/g)).toHaveLength(2)
    }))

  it.effect("shows the threshold used, the verdict, the summary counts and the status of each run", () =>
    Effect.sync(() => {
      const comparison = Comparison.compareSync(baseline(), candidate(), thresholds)
      const html = HtmlReport.render(comparison)
      expect(html).toContain(`<p class="threshold" id="threshold">Regression threshold: <strong>&gt; 0.25s and &gt; 10%</strong>`)
      expect(html).toContain(`<span class="badge fail" id="verdict">▲ 3 regressions</span>`)
      expect(html).toMatch(/id="count-regressions"><div class="v">▲ 3</)
      expect(html).toMatch(/id="count-improvements"><div class="v">▼ 1</)
      expect(html).toMatch(/id="count-added"><div class="v">\+ 1</)
      expect(html).toMatch(/id="count-removed"><div class="v">− 1</)
      expect(html).toMatch(/id="count-flips"><div class="v">✗ 1</)
      expect(html).toMatch(/id="total-delta"><div class="v">▲ \+2\.00s<\/div><div class="k">\+21\.1% total duration</)
      expect(html).toMatch(/id="run-base"><div class="v">9\.50s <span class="badge ok">succeeded</)
      expect(html).toMatch(/id="run-head"><div class="v">11\.50s <span class="badge fail">failed</)
      expect(html).toContain("<h2>3 regressions (threshold: &gt; 0.25s and &gt; 10%)</h2>")
      for (const line of Comparison.regressionLines(comparison)) expect(html).toContain(`<li>${HtmlReport.escape(line)}</li>`)
      expect(html).toContain("▲ Regressions only (3)")
      // The default threshold, and none crossed.
      const calm = HtmlReport.render(Comparison.compareSync(trace([node("a", 0, 1)]), trace([node("a", 0, 1.2)])))
      expect(calm).toContain("Regression threshold: <strong>&gt; 0.5s</strong>")
      expect(calm).toContain(`<span class="badge ok" id="verdict">✓ no regressions</span>`)
      expect(calm).toContain("<h2>No regressions (threshold: &gt; 0.5s)</h2>")
    }))

  it.effect("a median baseline says how many runs it stands for and how they ended", () =>
    Effect.sync(() => {
      const runs = [
        trace([node("a", 0, 1)], { traceId: "r1" }),
        trace([node("a", 0, 1, { error: "x" })], { traceId: "r2" }),
        trace([node("a", 0, 1)], { traceId: "r3" })
      ]
      const html = HtmlReport.render(Comparison.compareSync(Comparison.medianBaselineSync(runs), trace([node("a", 0, 2)])))
      expect(html).toMatch(/id="run-base"><div class="v">1\.00s <span class="badge fail">2 succeeded · 1 failed<\/span>/)
      expect(html).toContain("baseline (median) · total duration")
      expect(html).toContain("median of 3 runs")
    }))

  it.effect("the rows carry each visit's marks: regressed, improved, added, removed, now failing, on both axes", () =>
    Effect.sync(() => {
      const comparison = Comparison.compareSync(baseline(), candidate(), thresholds)
      const data = dataOf(HtmlReport.render(comparison))
      expect(data.meta.axis).toBe(11.5)
      const rows = new Map<string, ReadonlyArray<unknown>>()
      for (let at = 0; at < data.rows.length; at += 11) rows.set(data.rows[at] as string, data.rows.slice(at, at + 11))
      expect(rows.size).toBe(comparison.nodes.length)
      // label, type, change, base start, base seconds, head start, head seconds, flags, tools, tools, error
      expect(rows.get("unit_tests")).toEqual(["unit_tests", data.types.indexOf("compute"), 0, 2, 4.1, 1.6, 6.1, 1 | 4 | 8 | 16 | 32, 1, 2, null])
      expect((rows.get("plan_review")![7] as number) & 2).toBe(2)
      expect(rows.get("cache_lookup")!.slice(2, 7)).toEqual([1, null, null, 7.7, 0.15])
      expect(rows.get("legacy_cache_warmup")!.slice(2, 7)).toEqual([2, 6.1, 0.6, null, null])
      expect((rows.get("post_comment")![7] as number) & 64).toBe(64)
      expect(rows.get("post_comment")![10]).toBe("the review API answered 502")
    }))

  it.effect("every value is escaped: hostile ids, labels, names and errors stay text", () =>
    Effect.sync(() => {
      const [base, head] = hostileRuns()
      const html = HtmlReport.render(Comparison.compareSync(base, head))
      const page = markup(html)
      // Outside the data block every value is escaped; inside it, no value can end the block.
      for (const value of Object.values(hostile)) expect(page).not.toContain(value)
      expect(page).not.toMatch(/<(img|svg)\b/i)
      expect(page).toContain(HtmlReport.escape(hostile.svg))
      expect(html).toContain(`<title>Victor comparison: ${HtmlReport.escape(hostile.svg)} vs ${HtmlReport.escape(hostile.script)}</title>`)
      // The data block cannot be ended by a value: no `<` in it at all, and it still parses to the values.
      const block = /id="victor-compare-data">([\s\S]*?)<\/script>/.exec(html)![1]!
      expect(block).not.toContain("<")
      const data = dataOf(html)
      expect(data.rows).toEqual(expect.arrayContaining([hostile.img, hostile.quote, hostile.script, hostile.error]))
      expect(data.types).toContain(hostile.script)
      expect(data.meta.head.label).toBe(hostile.script)
      expect(HtmlReport.escape(`<a href="x" title='y'>&\``)).toBe("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&#96;")
      expect(HtmlReport.scriptSafeJson(JSON.stringify("</script>\u2028"))).toBe(`"\\u003c/script>\\u2028"`)
    }))

  it.effect("10,000 nodes render in a blink into flat rows", () =>
    Effect.sync(() => {
      const comparison = Comparison.compareSync(longRun(10_000, 0), longRun(10_000, 1))
      const from = performance.now()
      const html = HtmlReport.render(comparison)
      expect(performance.now() - from).toBeLessThan(1_000)
      expect(dataOf(html).rows).toHaveLength(10_000 * 11)
      // No row is markup: the page draws only the rows in view.
      expect(html.length).toBeLessThan(1_500_000)
    }))
})
