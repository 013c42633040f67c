import { describe, expect, it } from "@effect/vitest"
import * as ComparePlugin from "@victor/compare/ComparePlugin"
import * as AnalyzerRegistry from "@victor/core/AnalyzerRegistry"
import * as Effect from "effect/Effect"
import { node, trace } from "@victor/core/testing/TraceFixtures"

describe("ComparePlugin", () => {
  it.effect("two traces: base and head; more: a median baseline of all but the last", () =>
    Effect.gen(function*() {
      const pair = yield* AnalyzerRegistry.analyzeWith("compare", [trace([node("a", 0, 1)]), trace([node("a", 0, 2)])])
      expect(pair.json).toMatchObject({ regressions: [{ node_id: "a", delta_seconds: 1 }] })
      expect(pair.text).toContain("a slowed by +1.00s")
      const many = yield* AnalyzerRegistry.analyzeWith(
        "compare",
        [trace([node("a", 0, 1)]), trace([node("a", 0, 3)]), trace([node("a", 0, 2)]), trace([node("a", 0, 2.25)])],
        { thresholds: { relative: 0.1 } }
      )
      expect(many.json).toMatchObject({ base: { label: "median of 3 runs" }, regressions: [{ node_id: "a", delta_seconds: 0.25 }] })
      const error = yield* Effect.flip(AnalyzerRegistry.analyzeWith("compare", [trace([])]))
      expect(error.message).toBe("compare: takes at least 2 trace(s), not 1")
    }).pipe(Effect.provide(AnalyzerRegistry.layer([ComparePlugin.make()]))))
})
