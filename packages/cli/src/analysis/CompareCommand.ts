/**
 * `victor trace compare <base> <head>` (or `--baseline median:N <head>`): per-node deltas and regressions, as a
 * table, JSON, or an HTML report; with `--fail-on-regression` a regression ends the command with exit code 1. The
 * text names nodes from the traces, so it is escaped for the terminal (`TerminalText`).
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as Comparison from "@victor/compare/Comparison"
import * as HtmlReport from "@victor/compare/HtmlReport"
import * as Threshold from "@victor/compare/Threshold"
import * as TraceStore from "@victor/core/TraceStore"
import type { WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"
import { UsageError, WorkflowFailed } from "../CliError.ts"
import * as ExportWriter from "../ExportWriter.ts"
import * as TerminalText from "../TerminalText.ts"
import * as TraceReference from "../TraceReference.ts"
import * as Output from "./Output.ts"

/** The option values of `trace compare`. */
export interface CompareOptions {
  readonly traces: ReadonlyArray<string>
  readonly thresholds: ReadonlyArray<string>
  readonly failOnRegression: boolean
  readonly baseline: string | undefined
  readonly output: string | undefined
  readonly json: boolean
  readonly traceDir: string | undefined
}

const parseBaseline = (text: string): Either.Either<number, UsageError> => {
  const match = /^median:(\d+)$/.exec(text.trim())
  const count = match === null ? NaN : Number(match[1])
  return Number.isInteger(count) && count >= 1
    ? Either.right(count)
    : Either.left(new UsageError({ description: `invalid --baseline '${text}': use median:N with N at least 1, e.g. --baseline median:5` }))
}

/** The last `count` stored runs of the head's workflow that started before it (the head itself excluded). */
const medianBase = (head: WorkflowTrace, count: number) =>
  Effect.gen(function*() {
    const store = yield* TraceStore.TraceStore
    const toUsage = (error: TraceStore.TraceStoreError) => new UsageError({ description: error.message })
    const summaries = yield* store.list({ workflowName: head.workflowName }).pipe(Effect.mapError(toUsage))
    const earlier = summaries
      .filter((s) => s.traceId !== head.traceId && s.startTime <= head.startTime)
      .slice(-count)
    if (earlier.length === 0) {
      return yield* new UsageError({
        description: `no stored runs of workflow '${head.workflowName}' before ${head.traceId} to make a baseline from`
      })
    }
    const traces = yield* Effect.forEach(earlier, (s) => Effect.mapError(store.get(s.traceId), toUsage), {
      concurrency: 8
    })
    return yield* Comparison.medianBaseline(traces)
  })

/** Runs the command; bad input fails with `UsageError`, a regression under `--fail-on-regression` with exit 1. */
export const run = (
  options: CompareOptions
): Effect.Effect<void, UsageError | WorkflowFailed, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const parsed = options.thresholds.map(Threshold.parse)
    const invalid = parsed.find(Either.isLeft)
    if (invalid !== undefined) return yield* new UsageError({ description: invalid.left })
    const thresholds = Threshold.combine(parsed.flatMap((p) => (Either.isRight(p) ? [p.right] : [])))
    // `-o -`: the report owns stdout and the table goes to stderr; `-o` is checked before any trace is read.
    const reportToStdout = options.output !== undefined && ExportWriter.isStdout(options.output)
    if (reportToStdout && options.json) {
      return yield* new UsageError({ description: "-o - and --json both write to stdout; use one, e.g. -o - alone" })
    }
    if (options.output !== undefined) yield* ExportWriter.check(options.output)

    let base: WorkflowTrace | Comparison.Profile
    let head: WorkflowTrace
    if (options.baseline !== undefined) {
      if (options.traces.length !== 1) {
        return yield* new UsageError({
          description: "with --baseline give only the HEAD trace, e.g. victor trace compare --baseline median:5 last"
        })
      }
      const count = yield* parseBaseline(options.baseline)
      head = yield* TraceReference.resolve(options.traces[0]!)
      base = yield* medianBase(head, count)
    } else {
      if (options.traces.length !== 2) {
        return yield* new UsageError({
          description: "give a BASE and a HEAD trace (e.g. victor trace compare a1b2 last), or --baseline median:N HEAD"
        })
      }
      base = yield* TraceReference.resolve(options.traces[0]!)
      head = yield* TraceReference.resolve(options.traces[1]!)
    }

    // Interruptible as it goes: Ctrl-C or SIGTERM stops a comparison of large traces at once.
    const comparison = yield* Comparison.compare(base, head, thresholds)
    if (options.output !== undefined) {
      const content = options.output.toLowerCase().endsWith(".json")
        ? JSON.stringify(Comparison.encode(comparison), null, 2) + "\n"
        : HtmlReport.render(comparison)
      yield* ExportWriter.write(options.output, Stream.make(new TextEncoder().encode(content)))
    }
    yield* options.json
      ? Output.printJson(Comparison.encode(comparison))
      : (reportToStdout ? Console.error : Console.log)(TerminalText.escape(Comparison.render(comparison)))
    if (options.output !== undefined && !options.json && !reportToStdout) {
      yield* Console.log(`\nWrote ${options.output}`)
    }
    if (options.failOnRegression && comparison.regressions.length > 0) {
      yield* Console.error(
        `victor: ${comparison.regressions.length} node(s) regressed (threshold: ${Threshold.describe(thresholds)}): ` +
          Comparison.regressionLines(comparison).map(TerminalText.escapeLine).join("; ")
      )
      return yield* new WorkflowFailed({ status: "regressed" })
    }
  }).pipe(Effect.provide(Output.storeLayer(options.traceDir)))
