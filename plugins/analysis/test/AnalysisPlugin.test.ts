import { describe, expect, it } from "@effect/vitest"
import * as AnalysisPlugin from "@victor/analysis/AnalysisPlugin"
import * as AnalyzerRegistry from "@victor/core/AnalyzerRegistry"
import * as Effect from "effect/Effect"
import { node, trace } from "@victor/core/testing/TraceFixtures"

describe("AnalysisPlugin", () => {
  it.effect("runs through the registry and answers JSON with the guide's keys and text", () =>
    Effect.gen(function*() {
      const report = yield* AnalyzerRegistry.analyzeWith("analysis", [trace([node("only", 0, 1.5)])])
      expect(report.json).toMatchObject({ total_nodes: 1, slowest_nodes: [{ node_id: "only", duration: 1.5 }] })
      expect(report.text).toContain("only")
    }).pipe(Effect.provide(AnalyzerRegistry.layer([AnalysisPlugin.make()]))))

  it.effect("takes exactly one trace", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(AnalyzerRegistry.analyzeWith("analysis", []))
      expect(error.message).toBe("analysis: takes 1 trace(s), not 0")
    }).pipe(Effect.provide(AnalyzerRegistry.layer([AnalysisPlugin.make()]))))
})
