/**
 * Two stored traces compared in the explorer, by the comparison plugin (`@victor/compare`), as `victor trace compare`
 * compares them: per-node deltas, regressions past the thresholds (default: the guide's 500 ms), success flips and
 * the critical path. The page sums it up in the plugin's own lines (`Comparison.change`, `criticalPathLines`,
 * `regressionLines`) and shows the plugin's HTML report (`HtmlReport.render`, what `trace compare -o report.html`
 * writes) as it is, in a sandboxed frame.
 *
 * A trace is named as everywhere in the CLI: an id, a unique prefix of one, or `last`; never a path, so no request
 * can make the server read a file.
 */
import * as Comparison from "@victor/compare/Comparison"
import * as HtmlReport from "@victor/compare/HtmlReport"
import * as Threshold from "@victor/compare/Threshold"
import * as TraceStore from "@victor/core/TraceStore"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { UsageError } from "../CliError.ts"
import * as TraceReference from "../TraceReference.ts"

/** What the compare page asks for. */
export interface CompareRequest {
  readonly base: string
  readonly head: string
  readonly thresholds: Threshold.Thresholds
  /** The thresholds as given, for the page to show back. */
  readonly thresholdText: ReadonlyArray<string>
}

/** The request of the page's query string (`base`, `head`, `threshold` repeated); a problem is a sentence. */
export const parse = (params: URLSearchParams): Either.Either<CompareRequest, string> => {
  const base = params.get("base")?.trim() ?? ""
  const head = params.get("head")?.trim() ?? ""
  if (base === "" || head === "") return Either.left("give two traces: base and head (an id, a unique prefix, or last)")
  const thresholdText = params.getAll("threshold").map((t) => t.trim()).filter((t) => t !== "")
  const parsed = thresholdText.map(Threshold.parse)
  const invalid = parsed.find(Either.isLeft)
  if (invalid !== undefined) return Either.left(invalid.left)
  return Either.right({
    base,
    head,
    thresholds: Threshold.combine(parsed.flatMap((p) => (Either.isRight(p) ? [p.right] : []))),
    thresholdText
  })
}

/** The two traces compared; a reference that names no stored trace (or several) is a `UsageError` saying so. */
export const compare = (
  request: CompareRequest
): Effect.Effect<
  { readonly comparison: Comparison.Comparison; readonly baseId: string; readonly headId: string },
  UsageError,
  TraceStore.TraceStore
> =>
  Effect.gen(function*() {
    const store = yield* TraceStore.TraceStore
    const toUsage = (error: TraceStore.TraceStoreError) => new UsageError({ description: error.message })
    const baseId = yield* TraceReference.resolveId(request.base)
    const headId = yield* TraceReference.resolveId(request.head)
    const [base, head] = yield* Effect.mapError(
      Effect.all([store.get(baseId), store.get(headId)], { concurrency: 2 }),
      toUsage
    )
    const comparison = yield* Comparison.compare(base, head, request.thresholds)
    return { comparison, baseId, headId }
  })

/** The comparison as the compare page sums it up: the two sides, and the plugin's lines. */
export const view = (compared: {
  readonly comparison: Comparison.Comparison
  readonly baseId: string
  readonly headId: string
}) => {
  const { comparison } = compared
  const sideOf = (side: Comparison.Comparison["base"], traceId: string) => ({
    trace_id: traceId,
    label: side.label,
    workflow_name: side.workflowName,
    duration_seconds: side.durationSeconds
  })
  return {
    base: sideOf(comparison.base, compared.baseId),
    head: sideOf(comparison.head, compared.headId),
    total: Comparison.change(comparison.total.baseSeconds, comparison.total.headSeconds, comparison.total.deltaRatio),
    total_delta_seconds: comparison.total.deltaSeconds,
    critical_path: Comparison.criticalPathLines(comparison),
    thresholds: Threshold.describe({
      ...(comparison.thresholds.absoluteSeconds === null ? {} : { absoluteSeconds: comparison.thresholds.absoluteSeconds }),
      ...(comparison.thresholds.relative === null ? {} : { relative: comparison.thresholds.relative })
    }),
    regressions: Comparison.regressionLines(comparison),
    nodes: comparison.nodes.length
  }
}

/** The plugin's HTML report of the comparison. */
export const html = (comparison: Comparison.Comparison): string => HtmlReport.render(comparison)
