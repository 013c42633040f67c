/**
 * How a trace's node records sit in time: which node ran inside which (parallel children inside their parallel
 * node), each record's iteration, self time, and the critical path. Pure functions over the records.
 */
import type { NodeTraceRecord, WorkflowTrace } from "@victor/core/WorkflowTrace"

/** Slack for comparing float timestamps (unix seconds): a microsecond. */
export const EPSILON = 1e-6

/** The end of a record in unix seconds. */
export const endOf = (node: NodeTraceRecord): number => node.timestamp + node.durationSeconds

/** `metadata.iteration` when it is a positive whole number. */
const declaredIteration = (node: NodeTraceRecord): number | undefined => {
  const value = node.metadata["iteration"]
  return typeof value === "number" && Number.isInteger(value) && value > 0 ? value : undefined
}

/**
 * The iteration of every record: `metadata.iteration` (the executor numbers each visit of a node from 1), else
 * the record's position among the records of its node id in start order (files written without the field).
 */
export const iterations = (trace: WorkflowTrace): ReadonlyArray<number> => {
  const result = new Array<number>(trace.nodes.length)
  const order = trace.nodes.map((_, i) => i).sort((a, b) => trace.nodes[a]!.timestamp - trace.nodes[b]!.timestamp || a - b)
  const seen = new Map<string, number>()
  for (const i of order) {
    const node = trace.nodes[i]!
    const count = (seen.get(node.nodeId) ?? 0) + 1
    seen.set(node.nodeId, count)
    result[i] = declaredIteration(node) ?? count
  }
  return result
}

/** The child ids a record declares: a parallel node's `inputs.parallel_nodes`. */
const declaredChildren = (node: NodeTraceRecord): ReadonlySet<string> | undefined => {
  const list = node.inputs["parallel_nodes"]
  if (!Array.isArray(list)) return undefined
  return new Set(list.filter((id): id is string => typeof id === "string"))
}

const contains = (outer: NodeTraceRecord, inner: NodeTraceRecord): boolean =>
  inner.timestamp >= outer.timestamp - EPSILON && endOf(inner) <= endOf(outer) + EPSILON

/**
 * The index of every record's parent record, or -1 for a top-level node. A record's parent is the innermost record
 * whose interval contains it and that either lists its id in `inputs.parallel_nodes` (how the executor records
 * parallel children: inside the parallel node's interval) or is named by its `metadata.parent_node_id`.
 */
export const parents = (trace: WorkflowTrace): ReadonlyArray<number> => {
  const nodes = trace.nodes
  const result = new Array<number>(nodes.length).fill(-1)
  const owners: Array<{ readonly index: number; readonly ids: ReadonlySet<string> }> = []
  const byId = new Map<string, Array<number>>()
  nodes.forEach((node, index) => {
    const ids = declaredChildren(node)
    if (ids !== undefined && ids.size > 0) owners.push({ index, ids })
    const list = byId.get(node.nodeId)
    if (list === undefined) byId.set(node.nodeId, [index])
    else list.push(index)
  })
  const hasParentField = nodes.some((node) => typeof node.metadata["parent_node_id"] === "string")
  if (owners.length === 0 && !hasParentField) return result
  nodes.forEach((node, index) => {
    let best = -1
    const consider = (candidate: number) => {
      if (candidate === index) return
      const outer = nodes[candidate]!
      if (!contains(outer, node)) return
      if (best === -1 || outer.durationSeconds < nodes[best]!.durationSeconds) best = candidate
    }
    for (const owner of owners) if (owner.ids.has(node.nodeId)) consider(owner.index)
    const named = node.metadata["parent_node_id"]
    if (typeof named === "string") for (const candidate of byId.get(named) ?? []) consider(candidate)
    result[index] = best
  })
  return result
}

/** The length of the union of intervals, each clipped to [lo, hi]. */
export const coveredLength = (intervals: ReadonlyArray<readonly [number, number]>, lo: number, hi: number): number => {
  const clipped = intervals
    .map(([start, end]) => [Math.max(start, lo), Math.min(end, hi)] as const)
    .filter(([start, end]) => end > start)
    .sort((a, b) => a[0] - b[0])
  let total = 0
  let currentStart = -Infinity
  let currentEnd = -Infinity
  for (const [start, end] of clipped) {
    if (start > currentEnd) {
      if (currentEnd > currentStart) total += currentEnd - currentStart
      currentStart = start
      currentEnd = end
    } else if (end > currentEnd) currentEnd = end
  }
  if (currentEnd > currentStart) total += currentEnd - currentStart
  return total
}

/**
 * Self time of every record: its duration minus the time covered by its tool calls and its child nodes, where
 * overlapping calls or children count once (the union of their intervals, clipped to the node's own interval), and
 * never below 0. A tool call without a timestamp (0, from files written without one) cannot be placed in time and
 * is subtracted by its duration.
 */
export const selfTimes = (trace: WorkflowTrace, parentOf: ReadonlyArray<number>): ReadonlyArray<number> => {
  const childIntervals = trace.nodes.map((): Array<readonly [number, number]> => [])
  parentOf.forEach((parent, index) => {
    if (parent >= 0) {
      const child = trace.nodes[index]!
      childIntervals[parent]!.push([child.timestamp, endOf(child)])
    }
  })
  return trace.nodes.map((node, index) => {
    const intervals = childIntervals[index]!
    let unplaced = 0
    for (const call of node.toolCalls) {
      if (call.timestamp > 0) intervals.push([call.timestamp, call.timestamp + call.durationSeconds])
      else unplaced += call.durationSeconds
    }
    const covered = coveredLength(intervals, node.timestamp, endOf(node))
    return Math.max(0, node.durationSeconds - covered - unplaced)
  })
}

/** One step of the critical path: a record and the seconds of the path that are its own. */
export interface PathStep {
  readonly index: number
  readonly seconds: number
  /** Where the step's window starts (unix seconds), for ordering. */
  readonly start: number
  readonly depth: number
}

/**
 * The critical path: the chain of records that determined when the run ended. From the end of the run, walking
 * back in time: take the node that ended last (a node still running at the cursor counts up to the cursor), put
 * it on the path, and continue from its start; ties go to the node that started first, then to trace order. A node
 * with children (a parallel node) is walked the same way inside its own window, so the path goes through the branch
 * that finished last; the parallel node keeps only the time none of its path children cover. Gaps between
 * top-level nodes belong to the run, not to a node. Zero-length nodes never lie on the path.
 */
export const criticalPath = (trace: WorkflowTrace, parentOf: ReadonlyArray<number>): ReadonlyArray<PathStep> => {
  const nodes = trace.nodes
  const childrenOf = new Map<number, Array<number>>()
  parentOf.forEach((parent, index) => {
    const list = childrenOf.get(parent)
    if (list === undefined) childrenOf.set(parent, [index])
    else list.push(index)
  })
  const steps: Array<PathStep> = []
  // Walks the children of `owner` (-1: the run) inside [lo, hi]; returns the seconds none of them cover.
  const walk = (owner: number, lo: number, hi: number, depth: number): number => {
    const children = childrenOf.get(owner) ?? []
    const used = new Set<number>()
    let cursor = hi
    let uncovered = 0
    while (cursor > lo) {
      let best = -1
      let bestEnd = -Infinity
      for (const child of children) {
        if (used.has(child)) continue
        const node = nodes[child]!
        if (node.timestamp >= cursor) continue
        const end = Math.min(endOf(node), cursor)
        if (end <= Math.max(node.timestamp, lo)) continue
        const better = best === -1 || end > bestEnd ||
          (end === bestEnd && node.timestamp < nodes[best]!.timestamp)
        if (better) {
          best = child
          bestEnd = end
        }
      }
      if (best === -1) break
      used.add(best)
      uncovered += cursor - bestEnd
      const start = Math.max(nodes[best]!.timestamp, lo)
      visit(best, start, bestEnd, depth)
      cursor = start
    }
    return uncovered + Math.max(0, cursor - lo)
  }
  const visit = (index: number, lo: number, hi: number, depth: number) => {
    const at = steps.length
    steps.push({ index, seconds: 0, start: lo, depth })
    const own = walk(index, lo, hi, depth + 1)
    steps[at] = { index, seconds: own, start: lo, depth }
  }
  if (nodes.length === 0) return steps
  let lo = trace.startTime
  let hi = trace.endTime ?? -Infinity
  for (const node of nodes) {
    lo = Math.min(lo, node.timestamp)
    hi = Math.max(hi, endOf(node))
  }
  walk(-1, lo, hi, 0)
  return steps.sort((a, b) => a.start - b.start || a.depth - b.depth)
}
