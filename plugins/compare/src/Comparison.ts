/**
 * Two runs side by side (the guide's "Trace Comparison" and "Regression Detection"): nodes matched by node id and
 * iteration, per-node duration deltas (absolute and relative), nodes added or removed, success flips, tool-call
 * count changes, the total delta, how the critical path changed, and the nodes that regressed past the thresholds.
 *
 * Definitions:
 * - A visit is every record of one node id and iteration (`metadata.iteration`, else the record's position among
 *   its node id's records): retries of a visit are summed (duration, tool calls) and the last attempt decides
 *   success.
 * - relative delta = (head - base) / base; `null` when the base took 0 s.
 * - A matched visit regresses when it slowed down strictly past every threshold given (see `Threshold.exceeds`),
 *   and improves when it sped up strictly past every one of them (the relative threshold as a fraction of the base
 *   duration, as for a slowdown); added and removed nodes and success flips are reported but are neither.
 * - A visit starts at its first record's start, in seconds from its run's start (the trace's start, or an earlier
 *   record's), so that both runs can be drawn on one time axis.
 * - The critical path of each side is `@victor/core/CriticalPath`'s (the one `trace analyze` and the HTML report
 *   show); a visit is on it when one of its records is. The comparison gives both paths' durations and the visits
 *   that joined or left the path.
 * - A median baseline (`medianBaseline`) holds each visit present in at least half of the runs, with the median
 *   of its durations and tool-call counts over the runs that have it, succeeded when it succeeded in at least half
 *   of them, on the critical path when it was in at least half of them; its total and its critical path duration
 *   are the medians of the runs'.
 *
 * Every function is O(n log n) in the records and has an Effect form that yields to the event loop as it goes
 * (`Cooperative`), so that Ctrl-C stops `trace compare` of large traces at once; `*Sync` forms run in one go.
 */
import * as Percentile from "@victor/analysis/Percentile"
import * as Table from "@victor/analysis/Table"
import * as Cooperative from "@victor/core/Cooperative"
import * as CriticalPath from "@victor/core/CriticalPath"
import * as Display from "@victor/core/Display"
import type { WorkflowTrace } from "@victor/core/WorkflowTrace"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Threshold from "./Threshold.ts"

const key = <S extends Schema.Schema.Any, K extends string>(schema: S, name: K) =>
  Schema.propertySignature(schema).pipe(Schema.fromKey(name))

/** One visit of a node, as compared. */
export interface Visit {
  readonly nodeId: string
  readonly iteration: number
  readonly nodeType: string
  /** Seconds from the run's start to the visit's first record's start. */
  readonly startSeconds: number
  readonly durationSeconds: number
  readonly success: boolean
  readonly error: string | null
  readonly toolCalls: number
  /** Whether the visit is on the side's critical path. */
  readonly critical: boolean
}

/** One side of a comparison: a run, or a baseline made from several. */
export interface Profile {
  /** The trace id, or a description such as `median of 5 runs`. */
  readonly label: string
  readonly workflowName: string
  readonly durationSeconds: number
  /** The duration of the critical path (`CriticalPath.durationSeconds`). */
  readonly criticalPathSeconds: number
  /** How many runs the profile stands for. */
  readonly runs: number
  /** How many of those runs ended in each status (`succeeded`, `failed`, ...). */
  readonly statuses: Readonly<Record<string, number>>
  readonly visits: ReadonlyArray<Visit>
}

/** Visits by node id, then iteration: no key strings to build and hash for 200,000 visits. */
class VisitIndex<A> {
  private readonly byId = new Map<string, Map<number, A>>()
  get(nodeId: string, iteration: number): A | undefined {
    return this.byId.get(nodeId)?.get(iteration)
  }
  set(nodeId: string, iteration: number, value: A): void {
    let byIteration = this.byId.get(nodeId)
    if (byIteration === undefined) {
      byIteration = new Map()
      this.byId.set(nodeId, byIteration)
    }
    byIteration.set(iteration, value)
  }
}

type Mutable<A> = { -readonly [K in keyof A]: A[K] }

/** The visits of a trace in start order, as a computation that yields now and then (see `Cooperative`). */
export function* profileWork(trace: WorkflowTrace): Cooperative.Work<Profile> {
  const nodes = trace.nodes
  const path = yield* CriticalPath.work(trace)
  const onPath = CriticalPath.membership(path, nodes.length)
  const starts = Float64Array.from(nodes, (node) => node.timestamp)
  let ordered = true
  for (let i = 1; i < nodes.length && ordered; i++) ordered = starts[i - 1]! <= starts[i]!
  const order = Int32Array.from(nodes, (_, i) => i)
  if (!ordered) order.sort((a, b) => starts[a]! - starts[b]! || a - b)
  const origin = Math.min(trace.startTime, order.length > 0 ? starts[order[0]!]! : Infinity)
  yield
  const occurrences = new Map<string, number>()
  // Where each visit is in `visits`.
  const index = new VisitIndex<number>()
  const visits: Array<Mutable<Visit>> = []
  for (let k = 0; k < order.length; k++) {
    if ((k & Cooperative.every) === Cooperative.every) yield
    const i = order[k]!
    const node = nodes[i]!
    const declared = node.metadata["iteration"]
    const attempt = node.metadata["attempt"]
    const count = (occurrences.get(node.nodeId) ?? 0) + 1
    occurrences.set(node.nodeId, count)
    const iteration = typeof declared === "number" && Number.isInteger(declared) && declared > 0 ? declared : count
    const at = index.get(node.nodeId, iteration)
    const existing = at === undefined ? undefined : visits[at]!
    // Retries of the same visit carry the same iteration and `attempt` > 1.
    if (existing !== undefined && (typeof declared === "number" || typeof attempt === "number")) {
      existing.durationSeconds += node.durationSeconds
      existing.success = node.success
      existing.error = node.error
      existing.toolCalls += node.toolCalls.length
      existing.critical ||= onPath[i] === 1
      continue
    }
    const visit: Mutable<Visit> = {
      nodeId: node.nodeId,
      iteration,
      nodeType: node.nodeType,
      startSeconds: node.timestamp - origin,
      durationSeconds: node.durationSeconds,
      success: node.success,
      error: node.error,
      toolCalls: node.toolCalls.length,
      critical: onPath[i] === 1
    }
    // A second record of one iteration that is not a retry (files without metadata) takes the first one's place.
    if (at !== undefined) visits[at] = visit
    else {
      index.set(node.nodeId, iteration, visits.length)
      visits.push(visit)
    }
  }
  return {
    label: trace.traceId,
    workflowName: trace.workflowName,
    durationSeconds: trace.durationSeconds,
    criticalPathSeconds: path.durationSeconds,
    runs: 1,
    statuses: { [trace.status]: 1 },
    visits
  }
}

/** The visits of a trace, in start order. */
export const profile = (trace: WorkflowTrace): Profile => Cooperative.runSync(() => profileWork(trace))

/** A per-visit median baseline of several runs (see the module header), as a computation that yields now and then. */
export function* medianBaselineWork(traces: ReadonlyArray<WorkflowTrace>): Cooperative.Work<Profile> {
  const profiles: Array<Profile> = []
  for (const trace of traces) profiles.push(yield* profileWork(trace))
  const index = new VisitIndex<Array<Visit>>()
  const grouped: Array<Array<Visit>> = []
  // Later runs first, so that the baseline lists visits in the order of the most recent run.
  for (const p of [...profiles].reverse()) {
    for (let k = 0; k < p.visits.length; k++) {
      if ((k & Cooperative.every) === Cooperative.every) yield
      const visit = p.visits[k]!
      const list = index.get(visit.nodeId, visit.iteration)
      if (list !== undefined) list.push(visit)
      else {
        const created = [visit]
        index.set(visit.nodeId, visit.iteration, created)
        grouped.push(created)
      }
    }
  }
  const statuses: Record<string, number> = {}
  for (const p of profiles) {
    for (const [status, count] of Object.entries(p.statuses)) statuses[status] = (statuses[status] ?? 0) + count
  }
  const visits: Array<Visit> = []
  let done = 0
  for (const list of grouped) {
    if ((++done & Cooperative.every) === Cooperative.every) yield
    if (list.length * 2 < profiles.length) continue
    const first = list[0]!
    const successes = list.filter((v) => v.success).length
    const success = successes * 2 >= list.length
    visits.push({
      nodeId: first.nodeId,
      iteration: first.iteration,
      nodeType: first.nodeType,
      startSeconds: Percentile.median(list.map((v) => v.startSeconds)),
      durationSeconds: Percentile.median(list.map((v) => v.durationSeconds)),
      success,
      error: success ? null : list.find((v) => !v.success)?.error ?? null,
      toolCalls: Percentile.median(list.map((v) => v.toolCalls)),
      critical: list.filter((v) => v.critical).length * 2 >= list.length
    })
  }
  return {
    label: `median of ${profiles.length} run${profiles.length === 1 ? "" : "s"}`,
    workflowName: profiles.at(-1)?.workflowName ?? "",
    durationSeconds: Percentile.median(profiles.map((p) => p.durationSeconds)),
    criticalPathSeconds: Percentile.median(profiles.map((p) => p.criticalPathSeconds)),
    runs: profiles.length,
    statuses,
    visits
  }
}

/** A per-visit median baseline of several runs (see the module header); the runs' order does not matter. */
export const medianBaseline = (traces: ReadonlyArray<WorkflowTrace>): Effect.Effect<Profile> =>
  Cooperative.run(() => medianBaselineWork(traces))

/** {@link medianBaseline} in one go. */
export const medianBaselineSync = (traces: ReadonlyArray<WorkflowTrace>): Profile =>
  Cooperative.runSync(() => medianBaselineWork(traces))

const Side = Schema.Struct({
  label: Schema.String,
  workflowName: key(Schema.String, "workflow_name"),
  durationSeconds: key(Schema.Number, "duration_seconds"),
  runs: Schema.Number,
  /** How many of the runs ended in each status: `{"succeeded": 1}` for one run. */
  statuses: Schema.Record({ key: Schema.String, value: Schema.Number })
})

/** One node visit compared. */
export const NodeDelta = Schema.Struct({
  nodeId: key(Schema.String, "node_id"),
  iteration: Schema.Number,
  nodeType: key(Schema.String, "node_type"),
  change: Schema.Literal("matched", "added", "removed"),
  baseSeconds: key(Schema.NullOr(Schema.Number), "base_seconds"),
  headSeconds: key(Schema.NullOr(Schema.Number), "head_seconds"),
  deltaSeconds: key(Schema.NullOr(Schema.Number), "delta_seconds"),
  deltaRatio: key(Schema.NullOr(Schema.Number), "delta_ratio"),
  baseSuccess: key(Schema.NullOr(Schema.Boolean), "base_success"),
  headSuccess: key(Schema.NullOr(Schema.Boolean), "head_success"),
  successFlip: key(Schema.NullOr(Schema.Literal("fixed", "broken")), "success_flip"),
  headError: key(Schema.NullOr(Schema.String), "head_error"),
  baseToolCalls: key(Schema.NullOr(Schema.Number), "base_tool_calls"),
  headToolCalls: key(Schema.NullOr(Schema.Number), "head_tool_calls"),
  toolCallsDelta: key(Schema.NullOr(Schema.Number), "tool_calls_delta"),
  /** Which sides' critical paths the visit is on. */
  criticalPath: key(Schema.NullOr(Schema.Literal("base", "head", "both")), "critical_path"),
  regressed: Schema.Boolean,
  /** Sped up past every threshold (see the module header). */
  improved: Schema.Boolean,
  /** Seconds from each run's start to the visit's start, to draw both runs on one time axis. */
  baseStartSeconds: key(Schema.NullOr(Schema.Number), "base_start_seconds"),
  headStartSeconds: key(Schema.NullOr(Schema.Number), "head_start_seconds")
})

/** One node visit compared. */
export interface NodeDelta extends Schema.Schema.Type<typeof NodeDelta> {}

/** The comparison of two runs (or of a baseline and a run). */
export const Comparison = Schema.Struct({
  base: Side,
  head: Side,
  thresholds: Schema.Struct({
    absoluteSeconds: key(Schema.NullOr(Schema.Number), "absolute_seconds"),
    relative: Schema.NullOr(Schema.Number)
  }),
  total: Schema.Struct({
    baseSeconds: key(Schema.Number, "base_seconds"),
    headSeconds: key(Schema.Number, "head_seconds"),
    deltaSeconds: key(Schema.Number, "delta_seconds"),
    deltaRatio: key(Schema.NullOr(Schema.Number), "delta_ratio")
  }),
  criticalPath: key(
    Schema.Struct({
      baseSeconds: key(Schema.Number, "base_seconds"),
      headSeconds: key(Schema.Number, "head_seconds"),
      deltaSeconds: key(Schema.Number, "delta_seconds"),
      deltaRatio: key(Schema.NullOr(Schema.Number), "delta_ratio"),
      /** Visits on head's path and not on base's (`visitLabel`s). */
      joined: Schema.Array(Schema.String),
      /** Visits on base's path and not on head's. */
      left: Schema.Array(Schema.String)
    }),
    "critical_path"
  ),
  nodes: Schema.Array(NodeDelta),
  added: Schema.Array(NodeDelta),
  removed: Schema.Array(NodeDelta),
  successFlips: key(Schema.Array(NodeDelta), "success_flips"),
  toolCallChanges: key(Schema.Array(NodeDelta), "tool_call_changes"),
  regressions: Schema.Array(NodeDelta),
  improvements: Schema.Array(NodeDelta)
})

/** The comparison of two runs. */
export interface Comparison extends Schema.Schema.Type<typeof Comparison> {}

/** A comparison as JSON: snake_case keys. */
export type Encoded = Schema.Schema.Encoded<typeof Comparison>

const encodeNode = (n: NodeDelta): Schema.Schema.Encoded<typeof NodeDelta> => ({
  node_id: n.nodeId,
  iteration: n.iteration,
  node_type: n.nodeType,
  change: n.change,
  base_seconds: n.baseSeconds,
  head_seconds: n.headSeconds,
  delta_seconds: n.deltaSeconds,
  delta_ratio: n.deltaRatio,
  base_success: n.baseSuccess,
  head_success: n.headSuccess,
  success_flip: n.successFlip,
  head_error: n.headError,
  base_tool_calls: n.baseToolCalls,
  head_tool_calls: n.headToolCalls,
  tool_calls_delta: n.toolCallsDelta,
  critical_path: n.criticalPath,
  regressed: n.regressed,
  improved: n.improved,
  base_start_seconds: n.baseStartSeconds,
  head_start_seconds: n.headStartSeconds
})

const encodeSide = (side: Comparison["base"]): Schema.Schema.Encoded<typeof Side> => ({
  label: side.label,
  workflow_name: side.workflowName,
  duration_seconds: side.durationSeconds,
  runs: side.runs,
  statuses: side.statuses
})

/**
 * Encodes a comparison with snake_case keys: exactly what `Schema.encodeSync(Comparison)` gives (a test holds the two
 * together), written out by hand because Schema takes seconds over a comparison of 200,000 visits.
 */
export const encode = (c: Comparison): Encoded => ({
  base: encodeSide(c.base),
  head: encodeSide(c.head),
  thresholds: { absolute_seconds: c.thresholds.absoluteSeconds, relative: c.thresholds.relative },
  total: {
    base_seconds: c.total.baseSeconds,
    head_seconds: c.total.headSeconds,
    delta_seconds: c.total.deltaSeconds,
    delta_ratio: c.total.deltaRatio
  },
  critical_path: {
    base_seconds: c.criticalPath.baseSeconds,
    head_seconds: c.criticalPath.headSeconds,
    delta_seconds: c.criticalPath.deltaSeconds,
    delta_ratio: c.criticalPath.deltaRatio,
    joined: c.criticalPath.joined,
    left: c.criticalPath.left
  },
  nodes: c.nodes.map(encodeNode),
  added: c.added.map(encodeNode),
  removed: c.removed.map(encodeNode),
  success_flips: c.successFlips.map(encodeNode),
  tool_call_changes: c.toolCallChanges.map(encodeNode),
  regressions: c.regressions.map(encodeNode),
  improvements: c.improvements.map(encodeNode)
})

const ratio = (base: number, delta: number): number | null => (base > 0 ? delta / base : null)

const criticalOf = (base: Visit | undefined, head: Visit | undefined): NodeDelta["criticalPath"] =>
  base?.critical === true
    ? head?.critical === true ? "both" : "base"
    : head?.critical === true
    ? "head"
    : null

/** The comparison as a computation that yields now and then (see `Cooperative`). */
export function* compareWork(
  base: Profile | WorkflowTrace,
  head: Profile | WorkflowTrace,
  thresholds: Threshold.Thresholds = Threshold.defaults
): Cooperative.Work<Comparison> {
  const b = "visits" in base ? base : yield* profileWork(base)
  const h = "visits" in head ? head : yield* profileWork(head)
  const baseVisits = new VisitIndex<Visit>()
  for (let k = 0; k < b.visits.length; k++) {
    const v = b.visits[k]!
    baseVisits.set(v.nodeId, v.iteration, v)
    if ((k & Cooperative.every) === Cooperative.every) yield
  }
  const inHead = new VisitIndex<true>()
  const nodes: Array<NodeDelta> = []
  for (let k = 0; k < h.visits.length; k++) {
    if ((k & Cooperative.every) === Cooperative.every) yield
    const visit = h.visits[k]!
    inHead.set(visit.nodeId, visit.iteration, true)
    const old = baseVisits.get(visit.nodeId, visit.iteration)
    if (old === undefined) {
      nodes.push({
        nodeId: visit.nodeId,
        iteration: visit.iteration,
        nodeType: visit.nodeType,
        change: "added",
        baseSeconds: null,
        headSeconds: visit.durationSeconds,
        deltaSeconds: null,
        deltaRatio: null,
        baseSuccess: null,
        headSuccess: visit.success,
        successFlip: null,
        headError: visit.error,
        baseToolCalls: null,
        headToolCalls: visit.toolCalls,
        toolCallsDelta: null,
        criticalPath: criticalOf(undefined, visit),
        regressed: false,
        improved: false,
        baseStartSeconds: null,
        headStartSeconds: visit.startSeconds
      })
      continue
    }
    const delta = visit.durationSeconds - old.durationSeconds
    nodes.push({
      nodeId: visit.nodeId,
      iteration: visit.iteration,
      nodeType: visit.nodeType,
      change: "matched",
      baseSeconds: old.durationSeconds,
      headSeconds: visit.durationSeconds,
      deltaSeconds: delta,
      deltaRatio: ratio(old.durationSeconds, delta),
      baseSuccess: old.success,
      headSuccess: visit.success,
      successFlip: old.success === visit.success ? null : visit.success ? "fixed" : "broken",
      headError: visit.error,
      baseToolCalls: old.toolCalls,
      headToolCalls: visit.toolCalls,
      toolCallsDelta: visit.toolCalls - old.toolCalls,
      criticalPath: criticalOf(old, visit),
      regressed: Threshold.exceeds(thresholds, old.durationSeconds, delta),
      improved: Threshold.exceeds(thresholds, old.durationSeconds, -delta),
      baseStartSeconds: old.startSeconds,
      headStartSeconds: visit.startSeconds
    })
  }
  for (let k = 0; k < b.visits.length; k++) {
    if ((k & Cooperative.every) === Cooperative.every) yield
    const visit = b.visits[k]!
    if (inHead.get(visit.nodeId, visit.iteration) === true) continue
    nodes.push({
      nodeId: visit.nodeId,
      iteration: visit.iteration,
      nodeType: visit.nodeType,
      change: "removed",
      baseSeconds: visit.durationSeconds,
      headSeconds: null,
      deltaSeconds: null,
      deltaRatio: null,
      baseSuccess: visit.success,
      headSuccess: null,
      successFlip: null,
      headError: null,
      baseToolCalls: visit.toolCalls,
      headToolCalls: null,
      toolCallsDelta: null,
      criticalPath: criticalOf(visit, undefined),
      regressed: false,
      improved: false,
      baseStartSeconds: visit.startSeconds,
      headStartSeconds: null
    })
  }
  yield
  const totalDelta = h.durationSeconds - b.durationSeconds
  const pathDelta = h.criticalPathSeconds - b.criticalPathSeconds
  const side = (p: Profile) => ({
    label: p.label,
    workflowName: p.workflowName,
    durationSeconds: p.durationSeconds,
    runs: p.runs,
    statuses: p.statuses
  })
  return {
    base: side(b),
    head: side(h),
    thresholds: { absoluteSeconds: thresholds.absoluteSeconds ?? null, relative: thresholds.relative ?? null },
    total: {
      baseSeconds: b.durationSeconds,
      headSeconds: h.durationSeconds,
      deltaSeconds: totalDelta,
      deltaRatio: ratio(b.durationSeconds, totalDelta)
    },
    criticalPath: {
      baseSeconds: b.criticalPathSeconds,
      headSeconds: h.criticalPathSeconds,
      deltaSeconds: pathDelta,
      deltaRatio: ratio(b.criticalPathSeconds, pathDelta),
      joined: nodes.filter((n) => n.criticalPath === "head").map(visitLabel),
      left: nodes.filter((n) => n.criticalPath === "base").map(visitLabel)
    },
    nodes,
    added: nodes.filter((n) => n.change === "added"),
    removed: nodes.filter((n) => n.change === "removed"),
    successFlips: nodes.filter((n) => n.successFlip !== null),
    toolCallChanges: nodes.filter((n) => n.toolCallsDelta !== null && n.toolCallsDelta !== 0),
    regressions: nodes.filter((n) => n.regressed),
    improvements: nodes.filter((n) => n.improved)
  }
}

/**
 * Compares a base (a trace or a baseline) with a head; thresholds default to `Threshold.defaults`. Lets an
 * interruption in as it goes.
 */
export const compare = (
  base: Profile | WorkflowTrace,
  head: Profile | WorkflowTrace,
  thresholds?: Threshold.Thresholds
): Effect.Effect<Comparison> => Cooperative.run(() => compareWork(base, head, thresholds))

/** {@link compare} in one go. */
export const compareSync = (
  base: Profile | WorkflowTrace,
  head: Profile | WorkflowTrace,
  thresholds?: Threshold.Thresholds
): Comparison => Cooperative.runSync(() => compareWork(base, head, thresholds))

/** The label of a visit: the node id, with `#n` for iterations after the first. */
export const visitLabel = (node: Pick<NodeDelta, "nodeId" | "iteration">): string =>
  node.iteration > 1 ? `${node.nodeId}#${node.iteration}` : node.nodeId

/** Cells of one row of the node table (shared by the text and HTML reports); durations as `Display` prints them. */
export const rowCells = (node: NodeDelta): ReadonlyArray<string> => [
  visitLabel(node),
  node.baseSeconds === null ? "-" : Display.duration(node.baseSeconds),
  node.headSeconds === null ? "-" : Display.duration(node.headSeconds),
  node.deltaSeconds === null ? "-" : Display.signedDuration(node.deltaSeconds),
  node.change === "matched" ? Display.signedPercent(node.deltaRatio) : "-",
  node.toolCallsDelta === null
    ? "-"
    : node.toolCallsDelta === 0
    ? String(node.headToolCalls)
    : `${node.baseToolCalls} -> ${node.headToolCalls}`,
  [
    node.change === "matched" ? "" : node.change,
    node.successFlip === "broken" ? "now fails" : node.successFlip === "fixed" ? "now succeeds" : "",
    node.change === "added" && node.headSuccess === false ? "failed" : "",
    node.regressed ? "REGRESSION" : ""
  ].filter((s) => s.length > 0).join(", ")
]

/** The headers of the node table. */
export const rowHeaders = ["node", "base", "head", "delta", "delta %", "tool calls", "note"] as const

/** One line per regression, e.g. `slow slowed by +1.20s (+120.0%): 1.00s -> 2.20s`. */
export const regressionLines = (comparison: Comparison): ReadonlyArray<string> =>
  comparison.regressions.map((n) =>
    `${visitLabel(n)} slowed by ${Display.signedDuration(n.deltaSeconds ?? 0)} (${Display.signedPercent(n.deltaRatio)}): ` +
    `${Display.duration(n.baseSeconds ?? 0)} -> ${Display.duration(n.headSeconds ?? 0)}`
  )

/** A change between two durations, e.g. `1.20s -> 1.45s (+250ms, +20.8%)`. */
export const change = (base: number, head: number, deltaRatio: number | null): string =>
  `${Display.duration(base)} -> ${Display.duration(head)} ` +
  `(${Display.signedDuration(head - base)}, ${Display.signedPercent(deltaRatio)})`

/** Up to `max` labels, then how many more. */
const names = (labels: ReadonlyArray<string>, max = 10): string =>
  labels.slice(0, max).join(", ") + (labels.length > max ? ` and ${labels.length - max} more` : "")

/** How the critical path changed, in one or two lines. */
export const criticalPathLines = (comparison: Comparison): ReadonlyArray<string> => {
  const path = comparison.criticalPath
  return [
    `Critical path: ${change(path.baseSeconds, path.headSeconds, path.deltaRatio)}`,
    ...(path.joined.length > 0 ? [`  now on it: ${names(path.joined)}`] : []),
    ...(path.left.length > 0 ? [`  no longer on it: ${names(path.left)}`] : [])
  ]
}

/** How many rows the text table shows at most; the JSON and the HTML report have every row. */
export const tableRows = 1000

/**
 * The rows the text table shows, in their order: all of them up to {@link tableRows}, else the ones that matter most
 * (regressions, then success flips, then added and removed nodes, then tool-call changes, then the largest deltas).
 */
const shownRows = (nodes: ReadonlyArray<NodeDelta>): ReadonlyArray<NodeDelta> => {
  if (nodes.length <= tableRows) return nodes
  // One number per row, sorted natively: a comparator sort of 200,000 rows would hold the thread far longer.
  const score = Float64Array.from(nodes, (n) =>
    (n.regressed ? 4 : n.successFlip !== null ? 3 : n.change !== "matched" ? 2 : n.toolCallsDelta ? 1 : 0) * 1e12 +
    Math.min(Math.abs(n.deltaSeconds ?? 0), 1e11))
  const cut = Float64Array.from(score).sort()[nodes.length - tableRows]!
  let ties = tableRows - score.filter((v) => v > cut).length
  return nodes.filter((_, i) => score[i]! > cut || (score[i] === cut && ties-- > 0))
}

/** The comparison as plain aligned text for a terminal. */
export const render = (comparison: Comparison): string => {
  const { base, head, total } = comparison
  const rows = shownRows(comparison.nodes)
  const hidden = comparison.nodes.length - rows.length
  const sections = [
    [
      `Base: ${base.label} (${base.workflowName}) ${Display.duration(base.durationSeconds)}`,
      `Head: ${head.label} (${head.workflowName}) ${Display.duration(head.durationSeconds)}`,
      `Difference: ${Display.signedDuration(total.deltaSeconds)} (${Display.signedPercent(total.deltaRatio)})`,
      ...criticalPathLines(comparison)
    ].join("\n"),
    Table.render(rowHeaders, rows.map(rowCells), ["left", "right", "right", "right", "right", "right", "left"]) +
    (hidden === 0
      ? ""
      : `\n... and ${hidden} more node(s) with smaller changes (every row: --json, or -o FILE.json or FILE.html)`)
  ]
  const thresholds = Threshold.describe({
    ...(comparison.thresholds.absoluteSeconds === null ? {} : { absoluteSeconds: comparison.thresholds.absoluteSeconds }),
    ...(comparison.thresholds.relative === null ? {} : { relative: comparison.thresholds.relative })
  })
  sections.push(
    comparison.regressions.length === 0
      ? `No regressions (threshold: ${thresholds}).`
      : `Regressions (threshold: ${thresholds}):\n${regressionLines(comparison).map((l) => `  ${l}`).join("\n")}`
  )
  return sections.join("\n\n")
}
