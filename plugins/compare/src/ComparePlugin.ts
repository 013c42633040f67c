/**
 * The `compare` analyzer plugin for `AnalyzerRegistry`: the last trace is the head; one other trace is the base,
 * several make a per-node median baseline. Options: `thresholds` (a `Threshold.Thresholds`).
 */
import * as AnalyzerRegistry from "@victor/core/AnalyzerRegistry"
import * as Effect from "effect/Effect"
import * as Comparison from "./Comparison.ts"
import type * as Threshold from "./Threshold.ts"

/** The analyzer's name. */
export const name = "compare"

/** The compare analyzer. */
export const make = (): AnalyzerRegistry.Analyzer =>
  AnalyzerRegistry.makeAnalyzer({
    name,
    description: "per-node deltas and regressions between a base (or a median of several runs) and a head run",
    traces: { min: 2, max: Infinity },
    // Interruptible as it goes (see `Comparison.compare`).
    analyze: (traces, options) =>
      Effect.gen(function*() {
        const head = traces[traces.length - 1]!
        const bases = traces.slice(0, -1)
        const base = bases.length === 1 ? bases[0]! : yield* Comparison.medianBaseline(bases)
        const thresholds = options?.["thresholds"] as Threshold.Thresholds | undefined
        const comparison = yield* Comparison.compare(base, head, thresholds)
        return { json: Comparison.encode(comparison), text: Comparison.render(comparison) }
      })
  })
