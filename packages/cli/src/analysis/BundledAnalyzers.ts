/**
 * The analyzers the CLI installs by default: `analysis` and `compare`.
 */
import * as AnalysisPlugin from "@victor/analysis/AnalysisPlugin"
import * as ComparePlugin from "@victor/compare/ComparePlugin"
import * as AnalyzerRegistry from "@victor/core/AnalyzerRegistry"
import type * as Layer from "effect/Layer"

/** The bundled analyzers, in the order they are listed. */
export const analyzers = (): ReadonlyArray<AnalyzerRegistry.Analyzer> => [AnalysisPlugin.make(), ComparePlugin.make()]

/** A registry of the bundled analyzers. */
export const layer: Layer.Layer<AnalyzerRegistry.AnalyzerRegistry> = AnalyzerRegistry.layer(analyzers())
