/**
 * How a trace's node records sit in time, for the analysis: each record's iteration and its self time. Which record
 * ran inside which, and the critical path, come from `@victor/core/CriticalPath`. Each function is a
 * `Cooperative.Work`: linear or O(n log n), yielding every thousand or so records.
 */
import * as Cooperative from "@victor/core/Cooperative"
import * as CriticalPath from "@victor/core/CriticalPath"
import type { NodeTraceRecord, WorkflowTrace } from "@victor/core/WorkflowTrace"

/** Slack for comparing float timestamps (unix seconds). */
export const EPSILON = CriticalPath.EPSILON

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
export function* iterations(trace: WorkflowTrace): Cooperative.Work<ReadonlyArray<number>> {
  const nodes = trace.nodes
  const result = new Array<number>(nodes.length)
  let missing = false
  for (let i = 0; i < nodes.length; i++) {
    const declared = declaredIteration(nodes[i]!)
    if (declared === undefined) missing = true
    else result[i] = declared
    if ((i & Cooperative.every) === Cooperative.every) yield
  }
  if (!missing) return result
  const starts = Float64Array.from(nodes, (node) => node.timestamp)
  const order = Int32Array.from(nodes, (_, i) => i).sort((a, b) => starts[a]! - starts[b]! || a - b)
  yield
  const seen = new Map<string, number>()
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!
    const node = nodes[i]!
    const count = (seen.get(node.nodeId) ?? 0) + 1
    seen.set(node.nodeId, count)
    result[i] = declaredIteration(node) ?? count
    if ((k & Cooperative.every) === Cooperative.every) yield
  }
  return result
}

/** The length of the union of intervals (`[start0, end0, start1, end1, ...]`), each clipped to [lo, hi]. */
export const coveredLength = (flat: ReadonlyArray<number>, lo: number, hi: number): number => {
  const intervals: Array<readonly [number, number]> = []
  for (let k = 0; k < flat.length; k += 2) {
    const start = Math.max(flat[k]!, lo)
    const end = Math.min(flat[k + 1]!, hi)
    if (end > start) intervals.push([start, end])
  }
  intervals.sort((a, b) => a[0] - b[0])
  let total = 0
  let currentStart = -Infinity
  let currentEnd = -Infinity
  for (const [start, end] of intervals) {
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
export function* selfTimes(trace: WorkflowTrace, parentOf: Int32Array): Cooperative.Work<ReadonlyArray<number>> {
  const nodes = trace.nodes
  const children = new Map<number, Array<number>>()
  for (let i = 0; i < parentOf.length; i++) {
    const parent = parentOf[i]!
    if (parent < 0) continue
    const list = children.get(parent)
    if (list === undefined) children.set(parent, [i])
    else list.push(i)
  }
  yield
  const result = new Array<number>(nodes.length)
  const flat: Array<number> = []
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!
    flat.length = 0
    for (const child of children.get(i) ?? []) flat.push(nodes[child]!.timestamp, endOf(nodes[child]!))
    let unplaced = 0
    for (const call of node.toolCalls) {
      if (call.timestamp > 0) flat.push(call.timestamp, call.timestamp + call.durationSeconds)
      else unplaced += call.durationSeconds
    }
    const covered = flat.length === 0 ? 0 : coveredLength(flat, node.timestamp, endOf(node))
    result[i] = Math.max(0, node.durationSeconds - covered - unplaced)
    if ((i & Cooperative.every) === Cooperative.every) yield
  }
  return result
}
