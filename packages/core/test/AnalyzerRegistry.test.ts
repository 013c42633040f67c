import { describe, expect, it } from "@effect/vitest"
import * as AnalyzerRegistry from "@victor/core/AnalyzerRegistry"
import { sampleTrace } from "@victor/core/testing/TraceStoreContract"
import * as Effect from "effect/Effect"

const counting = (name: string, label: string) =>
  AnalyzerRegistry.makeAnalyzer({
    name,
    description: `counts nodes (${label})`,
    traces: { min: 1, max: Infinity },
    analyze: (traces) =>
      Effect.succeed({
        json: { label, nodes: traces.reduce((sum, t) => sum + t.nodes.length, 0) },
        text: `${label}: ${traces.length} trace(s)`
      })
  })

describe("AnalyzerRegistry", () => {
  it.effect("looks analyzers up by name, case-insensitively; a later one replaces an earlier one", () =>
    Effect.gen(function*() {
      const registry = AnalyzerRegistry.make([counting("nodes", "first"), counting("other", "o"), counting("Nodes", "second")])
      expect(registry.analyzers.map((a) => a.name)).toEqual(["Nodes", "other"])
      const analyzer = yield* registry.get("NODES")
      const report = yield* analyzer.analyze([sampleTrace(), sampleTrace()])
      expect(report.json).toEqual({ label: "second", nodes: 2 * sampleTrace().nodes.length })
    }))

  it.effect("an unknown name fails with the names it knows", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(AnalyzerRegistry.analyzeWith("flame", [sampleTrace()]))
      expect(error._tag).toBe("UnknownAnalyzerError")
      expect(error.message).toBe(`unknown analyzer "flame"; known analyzers: nodes`)
    }).pipe(Effect.provide(AnalyzerRegistry.layer([counting("nodes", "n")]))))

  it.effect("analyzeWith checks how many traces the analyzer takes", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(AnalyzerRegistry.analyzeWith("nodes", []))
      expect(error).toMatchObject({ _tag: "AnalyzerError", reason: "InvalidInput" })
      expect(error.message).toBe("nodes: takes at least 1 trace(s), not 0")
      const report = yield* AnalyzerRegistry.analyzeWith("nodes", [sampleTrace()])
      expect(report.text).toBe("n: 1 trace(s)")
    }).pipe(Effect.provide(AnalyzerRegistry.layer([counting("nodes", "n")]))))
})
