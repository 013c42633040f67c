/**
 * `victor trace stats`: patterns across stored runs (slow nodes, common errors, failure rates), read through the
 * `TraceStore` contract: `listNodeFacts` for the matching runs (the file store keeps those facts in its index, so
 * 10,000 runs take one read instead of 10,000), folded into `HistoryStats`. The text names workflows, nodes and
 * errors from the traces, so it is escaped for the terminal (`TerminalText`).
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as HistoryStats from "@victor/analysis/HistoryStats"
import * as Threshold from "@victor/compare/Threshold"
import * as NodeFacts from "@victor/core/NodeFacts"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { UsageError } from "../CliError.ts"
import * as TerminalText from "../TerminalText.ts"
import * as Output from "./Output.ts"

/** The option values of `trace stats`. */
export interface StatsOptions {
  readonly workflow: string | undefined
  readonly last: number | undefined
  readonly slow: string
  readonly json: boolean
  readonly traceDir: string | undefined
}

/** Runs the command; a bad option fails with `UsageError`. Unreadable traces are skipped with a warning each. */
export const run = (
  options: StatsOptions
): Effect.Effect<void, UsageError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    if (options.last !== undefined && options.last < 1) {
      return yield* new UsageError({ description: `--last must be at least 1, not ${options.last}; e.g. --last 50` })
    }
    const slow = Threshold.parse(options.slow)
    if (Either.isLeft(slow) || slow.right.absoluteSeconds === undefined) {
      return yield* new UsageError({ description: `invalid --slow '${options.slow}': give seconds, e.g. --slow 2s or --slow 500ms` })
    }
    const runs = yield* NodeFacts.listNodeFacts({
      ...(options.workflow === undefined ? {} : { workflowName: options.workflow }),
      ...(options.last === undefined ? {} : { limit: options.last })
    }).pipe(Effect.mapError((error) => new UsageError({ description: error.message })))
    // Interruptible as it goes: Ctrl-C or SIGTERM stops the statistics of a large history at once.
    const stats = yield* HistoryStats.compute(runs, { slowThresholdSeconds: slow.right.absoluteSeconds })
    if (options.json) return yield* Output.printJson(HistoryStats.encode(stats))
    if (stats.traces === 0) {
      return yield* Console.log(
        options.workflow === undefined
          ? "no stored traces yet"
          : `no stored traces of workflow '${TerminalText.escapeLine(options.workflow)}'`
      )
    }
    yield* Console.log(TerminalText.escape(HistoryStats.render(stats)))
  }).pipe(Effect.provide(Output.storeLayer(options.traceDir)))
