/**
 * The comparison report's data: one JSON object in one `<script type="application/json">` block, read by the page's
 * script. Rows are one flat array with {@link STRIDE} values per compared visit (a flat array of numbers and strings
 * is what `JSON.parse` reads fastest), node types are numbers into `types`:
 *
 * `label, type, change, base start, base seconds, head start, head seconds, flags, base tool calls, head tool calls,
 * head error`; change: 0 matched, 1 added, 2 removed; absent values are `null`; times are seconds from each run's
 * start, to the microsecond. `meta.axis` is the end of the later run: both runs share one time axis.
 */
import * as Comparison from "../Comparison.ts"

/** Values per row. */
export const STRIDE = 11

/** Bits of a row's flags. */
export const Flag = {
  regressed: 1,
  improved: 2,
  baseSucceeded: 4,
  headSucceeded: 8,
  baseCritical: 16,
  headCritical: 32,
  nowFails: 64,
  nowSucceeds: 128
} as const

/** JSON that is safe inside a `<script>` block: `<` (and the two JavaScript line terminators) as `\u` escapes. */
export const scriptSafeJson = (json: string): string =>
  json.replaceAll("<", "\\u003c").replaceAll("\u2028", "\\u2028").replaceAll("\u2029", "\\u2029")

const round = (seconds: number | null): number | null =>
  seconds === null || !Number.isFinite(seconds) ? null : Math.round(seconds * 1e6) / 1e6

const side = (s: Comparison.Comparison["base"]) => ({
  label: s.label,
  seconds: round(s.durationSeconds),
  ok: Object.keys(s.statuses).every((status) => status === "succeeded")
})

const changeCode = { matched: 0, added: 1, removed: 2 } as const

/** The data block's content, script-safe. */
export const json = (comparison: Comparison.Comparison): string => {
  const nodes = comparison.nodes
  const types: Array<string> = []
  const typeIndex = new Map<string, number>()
  const rows = new Array<unknown>(nodes.length * STRIDE)
  let axis = Math.max(comparison.base.durationSeconds, comparison.head.durationSeconds, 0)
  for (let i = 0, at = 0; i < nodes.length; i++, at += STRIDE) {
    const n = nodes[i]!
    let type = typeIndex.get(n.nodeType)
    if (type === undefined) {
      type = types.length
      typeIndex.set(n.nodeType, type)
      types.push(n.nodeType)
    }
    if (n.baseStartSeconds !== null && n.baseSeconds !== null) axis = Math.max(axis, n.baseStartSeconds + n.baseSeconds)
    if (n.headStartSeconds !== null && n.headSeconds !== null) axis = Math.max(axis, n.headStartSeconds + n.headSeconds)
    rows[at] = Comparison.visitLabel(n)
    rows[at + 1] = type
    rows[at + 2] = changeCode[n.change]
    rows[at + 3] = round(n.baseStartSeconds)
    rows[at + 4] = round(n.baseSeconds)
    rows[at + 5] = round(n.headStartSeconds)
    rows[at + 6] = round(n.headSeconds)
    rows[at + 7] = (n.regressed ? Flag.regressed : 0) |
      (n.improved ? Flag.improved : 0) |
      (n.baseSuccess === true ? Flag.baseSucceeded : 0) |
      (n.headSuccess === true ? Flag.headSucceeded : 0) |
      (n.criticalPath === "base" || n.criticalPath === "both" ? Flag.baseCritical : 0) |
      (n.criticalPath === "head" || n.criticalPath === "both" ? Flag.headCritical : 0) |
      (n.successFlip === "broken" ? Flag.nowFails : 0) |
      (n.successFlip === "fixed" ? Flag.nowSucceeds : 0)
    rows[at + 8] = n.baseToolCalls
    rows[at + 9] = n.headToolCalls
    rows[at + 10] = n.headError
  }
  const meta = {
    axis: round(Number.isFinite(axis) ? axis : 0),
    base: side(comparison.base),
    head: side(comparison.head)
  }
  return scriptSafeJson(`{"meta":${JSON.stringify(meta)},"types":${JSON.stringify(types)},"rows":${JSON.stringify(rows)}}`)
}
