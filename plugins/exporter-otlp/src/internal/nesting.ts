/**
 * Where each node record ran, so that its span nests there. Victor's node records carry no parent field: a parallel
 * node's children are records of their own, named in the parallel record's `inputs.parallel_nodes` and running inside
 * its interval, and a record may name the node it ran inside in `metadata.parent_node_id` (nodes that user code opens
 * inside other nodes). A record's parent is, of the records that claim it and whose interval holds it, the one that
 * started last (a tie: the shorter, then the earlier in trace order) — the rule `trace analyze` nests by. A parent is
 * longer than its child, or as long and later in trace order, so no record is its own ancestor. Records no one claims
 * are top level (children of the run's span).
 *
 * O(n log n): each claimed record binary-searches the claimers of its id, sorted by start.
 */
import type { NodeTraceRecord } from "@victor/core/WorkflowTrace"

/** Slack for comparing float timestamps (unix seconds): a microsecond. */
const EPSILON = 1e-6

interface Claimers {
  /** Record indices sorted by start, the longer first on a tie, then by index. */
  readonly order: Int32Array
  readonly starts: Float64Array
}

const stringsOf = (value: unknown): ReadonlyArray<string> | undefined =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : undefined

const push = (map: Map<string, Array<number>>, key: string, index: number) => {
  const list = map.get(key)
  if (list === undefined) map.set(key, [index])
  else if (list[list.length - 1] !== index) list.push(index)
}

/** The index of each record's parent record in `nodes`, or -1 for a top-level record. */
export const parentsOf = (nodes: ReadonlyArray<NodeTraceRecord>): Int32Array => {
  const parents = new Int32Array(nodes.length).fill(-1)
  // Claims by child id: the parallel records listing it.
  const listedBy = new Map<string, Array<number>>()
  let named = false
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!
    const listed = stringsOf(node.inputs["parallel_nodes"])
    if (listed !== undefined) for (const id of listed) push(listedBy, id, i)
    if (typeof node.metadata["parent_node_id"] === "string") named = true
  }
  if (listedBy.size === 0 && !named) return parents

  const start = new Float64Array(nodes.length)
  const end = new Float64Array(nodes.length)
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!
    start[i] = node.timestamp
    end[i] = node.timestamp + (node.durationSeconds > 0 ? node.durationSeconds : 0)
  }
  // Records by their own id, for `parent_node_id`.
  const byId = new Map<string, Array<number>>()
  if (named) for (let i = 0; i < nodes.length; i++) push(byId, nodes[i]!.nodeId, i)

  const ready = new Map<Array<number>, Claimers>()
  const claimersOf = (indices: Array<number>): Claimers => {
    let found = ready.get(indices)
    if (found === undefined) {
      const order = Int32Array.from(indices).sort((a, b) => start[a]! - start[b]! || end[b]! - end[a]! || a - b)
      found = { order, starts: Float64Array.from(order, (i) => start[i]!) }
      ready.set(indices, found)
    }
    return found
  }
  // Whether `c` may be the parent of `i`: it holds it, and is longer (or as long and later in trace order).
  const holds = (c: number, i: number): boolean => {
    if (c === i || start[c]! > start[i]! + EPSILON || end[c]! < end[i]! - EPSILON) return false
    const outer = end[c]! - start[c]!
    const inner = end[i]! - start[i]!
    return outer > inner + EPSILON || (Math.abs(outer - inner) <= EPSILON && c > i)
  }
  // The claimer that started last and holds `i`: the last claimer starting by `i`'s start, then earlier ones.
  const innermost = (claimers: Claimers, i: number): number => {
    const { order, starts } = claimers
    let low = 0
    let high = order.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if (starts[mid]! <= start[i]! + EPSILON) low = mid + 1
      else high = mid
    }
    for (let j = low - 1; j >= 0; j--) if (holds(order[j]!, i)) return order[j]!
    return -1
  }
  const better = (candidate: number, best: number): boolean =>
    best === -1 || start[candidate]! > start[best]! ||
    (start[candidate] === start[best] &&
      (end[candidate]! < end[best]! || (end[candidate] === end[best] && candidate < best)))

  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!
    let best = -1
    const listed = listedBy.get(node.nodeId)
    if (listed !== undefined) {
      const candidate = innermost(claimersOf(listed), i)
      if (candidate >= 0 && better(candidate, best)) best = candidate
    }
    const parentId = node.metadata["parent_node_id"]
    if (typeof parentId === "string") {
      const records = byId.get(parentId)
      if (records !== undefined) {
        const candidate = innermost(claimersOf(records), i)
        if (candidate >= 0 && better(candidate, best)) best = candidate
      }
    }
    parents[i] = best
  }
  return parents
}
