/**
 * Two runs side by side (the guide's "Trace Comparison" and "Regression Detection"): nodes matched by node id and
 * iteration, per-node duration deltas (absolute and relative), nodes added or removed, success flips, tool-call
 * count changes, the total delta, and the nodes that regressed past the thresholds.
 *
 * Definitions:
 * - A visit is every record of one node id and iteration (`metadata.iteration`, else the record's position among
 *   its node id's records): retries of a visit are summed (duration, tool calls) and the last attempt decides
 *   success.
 * - relative delta = (head - base) / base; `null` when the base took 0 s.
 * - A matched visit regresses when it slowed down strictly past every threshold given (see `Threshold.exceeds`);
 *   added and removed nodes and success flips are reported but are not regressions.
 * - A median baseline (`medianBaseline`) holds each visit present in at least half of the runs, with the median
 *   of its durations and tool-call counts over the runs that have it, succeeded when it succeeded in at least half
 *   of them; its total is the median of the runs' durations.
 */
import * as Percentile from "@victor/analysis/Percentile"
import * as Table from "@victor/analysis/Table"
import type { WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as Schema from "effect/Schema"
import * as Threshold from "./Threshold.ts"

const key = <S extends Schema.Schema.Any>(schema: S, name: string) =>
  Schema.propertySignature(schema).pipe(Schema.fromKey(name))

/** One visit of a node, as compared. */
export interface Visit {
  readonly nodeId: string
  readonly iteration: number
  readonly nodeType: string
  readonly durationSeconds: number
  readonly success: boolean
  readonly error: string | null
  readonly toolCalls: number
}

/** One side of a comparison: a run, or a baseline made from several. */
export interface Profile {
  /** The trace id, or a description such as `median of 5 runs`. */
  readonly label: string
  readonly workflowName: string
  readonly durationSeconds: number
  /** How many runs the profile stands for. */
  readonly runs: number
  readonly visits: ReadonlyArray<Visit>
}

const visitKey = (nodeId: string, iteration: number) => `${nodeId}\u0000${iteration}`

/** The visits of a trace, in start order. */
export const profile = (trace: WorkflowTrace): Profile => {
  const order = trace.nodes.map((_, i) => i).sort((a, b) => trace.nodes[a]!.timestamp - trace.nodes[b]!.timestamp || a - b)
  const occurrences = new Map<string, number>()
  const visits = new Map<string, { visit: Visit; last: number }>()
  for (const i of order) {
    const node = trace.nodes[i]!
    const declared = node.metadata["iteration"]
    const attempt = node.metadata["attempt"]
    const count = (occurrences.get(node.nodeId) ?? 0) + 1
    occurrences.set(node.nodeId, count)
    const iteration = typeof declared === "number" && Number.isInteger(declared) && declared > 0 ? declared : count
    const k = visitKey(node.nodeId, iteration)
    const existing = visits.get(k)
    // Retries of the same visit carry the same iteration and `attempt` > 1.
    if (existing !== undefined && (typeof declared === "number" || typeof attempt === "number")) {
      visits.set(k, {
        visit: {
          ...existing.visit,
          durationSeconds: existing.visit.durationSeconds + node.durationSeconds,
          success: node.success,
          error: node.error,
          toolCalls: existing.visit.toolCalls + node.toolCalls.length
        },
        last: i
      })
      continue
    }
    visits.set(k, {
      visit: {
        nodeId: node.nodeId,
        iteration,
        nodeType: node.nodeType,
        durationSeconds: node.durationSeconds,
        success: node.success,
        error: node.error,
        toolCalls: node.toolCalls.length
      },
      last: i
    })
  }
  return {
    label: trace.traceId,
    workflowName: trace.workflowName,
    durationSeconds: trace.durationSeconds,
    runs: 1,
    visits: Array.from(visits.values(), ({ visit }) => visit)
  }
}

/** A per-visit median baseline of several runs (see the module header); the runs' order does not matter. */
export const medianBaseline = (traces: ReadonlyArray<WorkflowTrace>): Profile => {
  const profiles = traces.map(profile)
  const grouped = new Map<string, Array<Visit>>()
  // Later runs first, so that the baseline lists visits in the order of the most recent run.
  for (const p of [...profiles].reverse()) {
    for (const visit of p.visits) {
      const k = visitKey(visit.nodeId, visit.iteration)
      const list = grouped.get(k)
      if (list === undefined) grouped.set(k, [visit])
      else list.push(visit)
    }
  }
  const visits: Array<Visit> = []
  for (const list of grouped.values()) {
    if (list.length * 2 < profiles.length) continue
    const first = list[0]!
    const successes = list.filter((v) => v.success).length
    const success = successes * 2 >= list.length
    visits.push({
      nodeId: first.nodeId,
      iteration: first.iteration,
      nodeType: first.nodeType,
      durationSeconds: Percentile.median(list.map((v) => v.durationSeconds)),
      success,
      error: success ? null : list.find((v) => !v.success)?.error ?? null,
      toolCalls: Percentile.median(list.map((v) => v.toolCalls))
    })
  }
  return {
    label: `median of ${profiles.length} run${profiles.length === 1 ? "" : "s"}`,
    workflowName: profiles.at(-1)?.workflowName ?? "",
    durationSeconds: Percentile.median(profiles.map((p) => p.durationSeconds)),
    runs: profiles.length,
    visits
  }
}

const Side = Schema.Struct({
  label: Schema.String,
  workflowName: key(Schema.String, "workflow_name"),
  durationSeconds: key(Schema.Number, "duration_seconds"),
  runs: Schema.Number
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
  regressed: Schema.Boolean
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
  nodes: Schema.Array(NodeDelta),
  added: Schema.Array(NodeDelta),
  removed: Schema.Array(NodeDelta),
  successFlips: key(Schema.Array(NodeDelta), "success_flips"),
  toolCallChanges: key(Schema.Array(NodeDelta), "tool_call_changes"),
  regressions: Schema.Array(NodeDelta)
})

/** The comparison of two runs. */
export interface Comparison extends Schema.Schema.Type<typeof Comparison> {}

/** Encodes a comparison with snake_case keys. */
export const encode = Schema.encodeSync(Comparison)

const ratio = (base: number, delta: number): number | null => (base > 0 ? delta / base : null)

const asProfile = (side: Profile | WorkflowTrace): Profile => ("visits" in side ? side : profile(side))

/** Compares a base (a trace or a baseline) with a head; thresholds default to `Threshold.defaults`. */
export const compare = (
  base: Profile | WorkflowTrace,
  head: Profile | WorkflowTrace,
  thresholds: Threshold.Thresholds = Threshold.defaults
): Comparison => {
  const b = asProfile(base)
  const h = asProfile(head)
  const baseVisits = new Map(b.visits.map((v) => [visitKey(v.nodeId, v.iteration), v]))
  const headKeys = new Set<string>()
  const nodes: Array<NodeDelta> = []
  for (const visit of h.visits) {
    const k = visitKey(visit.nodeId, visit.iteration)
    headKeys.add(k)
    const old = baseVisits.get(k)
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
        regressed: false
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
      regressed: Threshold.exceeds(thresholds, old.durationSeconds, delta)
    })
  }
  for (const visit of b.visits) {
    if (headKeys.has(visitKey(visit.nodeId, visit.iteration))) continue
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
      regressed: false
    })
  }
  const totalDelta = h.durationSeconds - b.durationSeconds
  const side = (p: Profile) => ({
    label: p.label,
    workflowName: p.workflowName,
    durationSeconds: p.durationSeconds,
    runs: p.runs
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
    nodes,
    added: nodes.filter((n) => n.change === "added"),
    removed: nodes.filter((n) => n.change === "removed"),
    successFlips: nodes.filter((n) => n.successFlip !== null),
    toolCallChanges: nodes.filter((n) => n.toolCallsDelta !== null && n.toolCallsDelta !== 0),
    regressions: nodes.filter((n) => n.regressed)
  }
}

const signedSeconds = (value: number) => `${value >= 0 ? "+" : ""}${value.toFixed(2)}s`
const signedPercent = (value: number | null) => value === null ? "n/a" : `${value >= 0 ? "+" : ""}${(value * 100).toFixed(1)}%`

/** The label of a visit: the node id, with `#n` for iterations after the first. */
export const visitLabel = (node: Pick<NodeDelta, "nodeId" | "iteration">): string =>
  node.iteration > 1 ? `${node.nodeId}#${node.iteration}` : node.nodeId

/** Cells of one row of the node table (shared by the text and HTML reports). */
export const rowCells = (node: NodeDelta): ReadonlyArray<string> => [
  visitLabel(node),
  node.baseSeconds === null ? "-" : `${node.baseSeconds.toFixed(2)}s`,
  node.headSeconds === null ? "-" : `${node.headSeconds.toFixed(2)}s`,
  node.deltaSeconds === null ? "-" : signedSeconds(node.deltaSeconds),
  node.change === "matched" ? signedPercent(node.deltaRatio) : "-",
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

/** One line per regression, e.g. `slow slowed by +1.20s (+120.0%)`. */
export const regressionLines = (comparison: Comparison): ReadonlyArray<string> =>
  comparison.regressions.map((n) =>
    `${visitLabel(n)} slowed by ${signedSeconds(n.deltaSeconds ?? 0)} (${signedPercent(n.deltaRatio)}): ` +
    `${(n.baseSeconds ?? 0).toFixed(2)}s -> ${(n.headSeconds ?? 0).toFixed(2)}s`
  )

/** The comparison as plain aligned text for a terminal. */
export const render = (comparison: Comparison): string => {
  const { base, head, total } = comparison
  const sections = [
    [
      `Base: ${base.label} (${base.workflowName}) ${base.durationSeconds.toFixed(2)}s`,
      `Head: ${head.label} (${head.workflowName}) ${head.durationSeconds.toFixed(2)}s`,
      `Difference: ${signedSeconds(total.deltaSeconds)} (${signedPercent(total.deltaRatio)})`
    ].join("\n"),
    Table.render(rowHeaders, comparison.nodes.map(rowCells), ["left", "right", "right", "right", "right", "right", "left"])
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
