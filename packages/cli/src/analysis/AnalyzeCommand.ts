/**
 * `victor trace analyze <trace>`: one trace through an analyzer plugin (`analysis` by default). The report's text
 * quotes node ids and errors from the trace (and a plugin wrote it), so it is escaped for the terminal.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as AnalyzerRegistry from "@victor/core/AnalyzerRegistry"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { UsageError } from "../CliError.ts"
import * as TerminalText from "../TerminalText.ts"
import * as TraceReference from "../TraceReference.ts"
import * as BundledAnalyzers from "./BundledAnalyzers.ts"
import * as Output from "./Output.ts"

/** The option values of `trace analyze`. */
export interface AnalyzeOptions {
  readonly trace: string | undefined
  /** `--file PATH`: a trace file, whatever its name. */
  readonly file?: string | undefined
  readonly json: boolean
  readonly analyzer: string
  readonly traceDir: string | undefined
}

/** Runs the command; bad input (an unknown trace, a malformed file, an unknown analyzer) fails with `UsageError`. */
export const run = (
  options: AnalyzeOptions
): Effect.Effect<void, UsageError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const trace = yield* TraceReference.resolveArguments({ reference: options.trace, file: options.file })
    const report = yield* AnalyzerRegistry.analyzeWith(options.analyzer, [trace]).pipe(
      Effect.mapError((error) => new UsageError({ description: error.message }))
    )
    yield* options.json ? Output.printJson(report.json) : Console.log(TerminalText.escape(report.text))
  }).pipe(Effect.provide([Output.storeLayer(options.traceDir), BundledAnalyzers.layer]))
