/**
 * The `analysis` analyzer plugin for `AnalyzerRegistry`: one trace in, the full `Analysis` out (JSON with the
 * guide's keys first, and a text report).
 */
import * as AnalyzerRegistry from "@victor/core/AnalyzerRegistry"
import * as Effect from "effect/Effect"
import * as Analysis from "./Analysis.ts"

/** The analyzer's name. */
export const name = "analysis"

/** The analysis analyzer. */
export const make = (): AnalyzerRegistry.Analyzer =>
  AnalyzerRegistry.makeAnalyzer({
    name,
    description: "totals, slowest nodes, tools, p50/p95 per node type, self time, critical path, tokens of one trace",
    traces: { min: 1, max: 1 },
    // Interruptible as it goes: Ctrl-C stops the analysis of a large trace at once (see `Analysis.analyze`).
    analyze: (traces) =>
      Effect.map(Analysis.analyze(traces[0]!), (analysis) => ({
        json: Analysis.encode(analysis),
        text: Analysis.render(analysis)
      }))
  })
