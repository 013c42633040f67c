/**
 * Analyzer plugins by name, like `ExporterRegistry` for exporters. An analyzer reads one or more traces and answers
 * with a report: JSON for machines (the guide's snake_case keys) and text for people. The CLI registers `analysis`
 * and `compare` by default; third-party analyzers plug in with `make` / `layer`.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type { WorkflowTrace } from "./WorkflowTrace.ts"

/** An analyzer could not produce its report (wrong number of traces, a bad option, ...). */
export class AnalyzerError extends Schema.TaggedError<AnalyzerError>()("AnalyzerError", {
  analyzer: Schema.String,
  reason: Schema.Literal("InvalidInput", "Failed"),
  description: Schema.String
}) {
  override get message(): string {
    return `${this.analyzer}: ${this.description}`
  }
}

/** What an analyzer answers: the same findings as encoded JSON and as text for a terminal. */
export interface AnalyzerReport {
  /** The report as JSON-ready data (snake_case keys). */
  readonly json: unknown
  /** The report as plain aligned text. */
  readonly text: string
}

/** An analyzer plugin: a stable `name`, how many traces it reads, and a pure `analyze`. */
export interface Analyzer {
  /** The analyzer's name, e.g. `analysis`. */
  readonly name: string
  /** One line for `--help` listings. */
  readonly description: string
  /** How many traces `analyze` takes: at least `min`, at most `max` (`Infinity` for any number). */
  readonly traces: { readonly min: number; readonly max: number }
  /** Analyzes the traces (for comparisons: the base first, the head last); `options` are analyzer-specific. */
  readonly analyze: (
    traces: ReadonlyArray<WorkflowTrace>,
    options?: { readonly [key: string]: unknown }
  ) => Effect.Effect<AnalyzerReport, AnalyzerError>
}

/** Identity helper that checks a plugin object against the contract. */
export const makeAnalyzer = (analyzer: Analyzer): Analyzer => analyzer

/** No analyzer has this name. */
export class UnknownAnalyzerError extends Schema.TaggedError<UnknownAnalyzerError>()("UnknownAnalyzerError", {
  name: Schema.String,
  known: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `unknown analyzer "${this.name}"; known analyzers: ${this.known.join(", ")}`
  }
}

/** The registry of installed analyzers. */
export class AnalyzerRegistry extends Context.Tag("@victor/core/AnalyzerRegistry")<
  AnalyzerRegistry,
  {
    /** The analyzer with this name (case-insensitive). */
    readonly get: (name: string) => Effect.Effect<Analyzer, UnknownAnalyzerError>
    /** Every installed analyzer, in installation order. */
    readonly analyzers: ReadonlyArray<Analyzer>
  }
>() {}

/** A registry of these analyzers; a later one with the same name replaces an earlier one. */
export const make = (analyzers: Iterable<Analyzer>): AnalyzerRegistry["Type"] => {
  const byName = new Map<string, Analyzer>()
  for (const analyzer of analyzers) byName.set(analyzer.name.toLowerCase(), analyzer)
  const all = Array.from(byName.values())
  return AnalyzerRegistry.of({
    analyzers: all,
    get: (name) => {
      const analyzer = byName.get(name.toLowerCase())
      return analyzer === undefined
        ? Effect.fail(new UnknownAnalyzerError({ name, known: all.map((a) => a.name) }))
        : Effect.succeed(analyzer)
    }
  })
}

/** A layer providing a registry of these analyzers. */
export const layer = (analyzers: Iterable<Analyzer>): Layer.Layer<AnalyzerRegistry> =>
  Layer.succeed(AnalyzerRegistry, make(analyzers))

/**
 * Runs a named analyzer from the registry, checking the number of traces first so that every analyzer gets the
 * same error for the wrong count.
 */
export const analyzeWith = (
  name: string,
  traces: ReadonlyArray<WorkflowTrace>,
  options?: { readonly [key: string]: unknown }
): Effect.Effect<AnalyzerReport, AnalyzerError | UnknownAnalyzerError, AnalyzerRegistry> =>
  Effect.flatMap(AnalyzerRegistry, (registry) =>
    Effect.flatMap(registry.get(name), (analyzer) =>
      traces.length < analyzer.traces.min || traces.length > analyzer.traces.max
        ? Effect.fail(
          new AnalyzerError({
            analyzer: analyzer.name,
            reason: "InvalidInput",
            description: `takes ${
              analyzer.traces.min === analyzer.traces.max
                ? analyzer.traces.min
                : analyzer.traces.max === Infinity
                ? `at least ${analyzer.traces.min}`
                : `${analyzer.traces.min} to ${analyzer.traces.max}`
            } trace(s), not ${traces.length}`
          })
        )
        : analyzer.analyze(traces, options)))
