/**
 * The critical path of a run: the chain of node records each of which the next one waited for, ending with the
 * record that ended the run. It is why the run took as long as it did: a record off the path could have been slower
 * without delaying the end; one on it could not. `trace analyze`, the HTML report and `trace compare` all use this
 * module, so they always agree.
 *
 * Definition, over what a trace records: each record's start (`timestamp`), `duration_seconds`, `inputs`, `outputs`
 * and `metadata`, and the order of `nodes[]`, which is the order records were completed in ("trace order"). Times
 * are compared within {@link EPSILON}.
 *
 * 1. Nesting. A record's parent is the record that claims it and whose interval holds it; of several, the one that
 *    started last (a tie: the shorter, then the earlier in trace order). A `parallel` record claims the records of the
 *    ids in its `inputs.parallel_nodes` (the executor records a parallel node's children inside its interval); the
 *    records of an id claim the records whose `metadata.parent_node_id` names it; a `parallel` record written without
 *    that list (older files) claims every record inside it that no record claims by name. A parent is longer than its
 *    child, or as long and later in trace order. Other records are top-level. A sub-workflow (`workflow`) node is one
 *    record like any other: its own run is a trace of its own.
 * 2. Siblings (the top-level records, or the children of one record) wait for one another. A sibling `u` precedes
 *    `v` when `u` comes first in start order (a tie: trace order) and ended by the time `v` started. A record waited
 *    for the sibling that precedes it and ended last (a tie: the later in trace order, which completed later), or for
 *    nothing when none does (a first node, a parallel child that started with its parent). So each sequential node
 *    waited for the one before it, a retry for the attempt before it, and each visit of a loop (every visit is a
 *    record of its own, numbered by `metadata.iteration`) for the node run before it.
 * 3. A parallel record that lists its children and records its `concurrency` ran them in slots, as Victor's
 *    executor does: children start in list order, a child's attempts (retries) share one slot, and with `k` slots
 *    the q-th child to start (from 0, in list order) started at once if q < k, else when the (q - k)-th child to
 *    finish (by end, then trace order) finished: that child is what it waited for. This holds even when overheads
 *    make "the sibling that ended last before it" (rule 2) another one. Where the records contradict it (a child not
 *    in the list, or the slot's child ending after the queued one started), rule 2 decides.
 * 4. A record with children ended when the child it waited for ended: for a `first` join (`join_strategy` in its
 *    outputs or inputs) the winner (`outputs.winner`, else the successful child that ended first); otherwise the
 *    child that ended last (a tie: the later in trace order). That includes `any`: Victor lets every child of an
 *    `any` join run to its end (the first success decides the outcome, not when the join ends).
 * 5. The path starts from the top-level record that ended last (a tie: the later in trace order), goes back by rule 2
 *    to the record that waited for nothing, and is read forwards. Each record on it that has children is followed
 *    by the path inside it: from the child it waited for (rule 4), back by rules 3 and 2. Steps are in path order:
 *    time order, a parent before its children. Zero-length records can be on the path (a condition that took no
 *    measurable time still came between two nodes).
 * 6. A step's seconds are its own: its duration less the time its children on the path cover (what is left of a
 *    parallel node is the join's own overhead). `durationSeconds` is their sum: the run's time spent in the path's
 *    records. Gaps between top-level records, where no node ran, belong to the run, not to the path.
 *
 * Everything here is O(n log n) in the number of records and yields every thousand or so records, so that an
 * interruption lands promptly under `Cooperative.run`.
 */
import type * as Effect from "effect/Effect"
import * as Cooperative from "./Cooperative.ts"
import type { NodeTraceRecord, WorkflowTrace } from "./WorkflowTrace.ts"

/** Slack for comparing float timestamps (unix seconds): a microsecond. */
export const EPSILON = 1e-6

/** One record on the critical path. */
export interface Step {
  /** The record's index in `trace.nodes`. */
  readonly index: number
  /** The seconds of the path that are the record's own (rule 6 of the module's definition). */
  readonly seconds: number
  /** 0 for a top-level record, 1 for a child of a record on the path, and so on. */
  readonly depth: number
}

/** The critical path of a run. */
export interface CriticalPath {
  /** The records on the path, in path order. */
  readonly steps: ReadonlyArray<Step>
  /** The sum of the steps' seconds. */
  readonly durationSeconds: number
}

/** What the path is computed from: each record's start and end (a negative duration counts as 0). */
interface Times {
  readonly start: Float64Array
  readonly end: Float64Array
}

const timesOf = (nodes: ReadonlyArray<NodeTraceRecord>): Times => {
  const start = new Float64Array(nodes.length)
  const end = new Float64Array(nodes.length)
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!
    start[i] = node.timestamp
    end[i] = node.timestamp + (node.durationSeconds > 0 ? node.durationSeconds : 0)
  }
  return { start, end }
}

const stringList = (value: unknown): ReadonlyArray<string> | undefined =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : undefined

/** Sorts record indices in place by a key, ties by index; a list already in order is left as it is. */
const sortBy = (indices: Int32Array, key: Float64Array): Int32Array => {
  let sorted = true
  for (let i = 1; i < indices.length && sorted; i++) {
    const a = indices[i - 1]!
    const b = indices[i]!
    sorted = key[a]! < key[b]! || (key[a] === key[b] && a < b)
  }
  return sorted ? indices : indices.sort((a, b) => key[a]! - key[b]! || a - b)
}

/**
 * Records that claim children, ready for "the innermost one holding this record": sorted by start (a tie: the
 * longer first), with their starts for binary search and, for each position, the nearest earlier position that ends
 * no earlier, so that a lookup skips every claimer that ended too soon in one step.
 */
interface Claimers {
  readonly order: Int32Array
  readonly starts: Float64Array
  readonly skip: Int32Array
}

const claimersOf = (indices: ReadonlyArray<number>, times: Times): Claimers => {
  const { end, start } = times
  // Of claimers with one interval, the earlier in trace order (completed first) is the inner one: met first below.
  const order = Int32Array.from(indices).sort((a, b) => start[a]! - start[b]! || end[b]! - end[a]! || b - a)
  const starts = new Float64Array(order.length)
  const skip = new Int32Array(order.length)
  const stack: Array<number> = []
  for (let j = 0; j < order.length; j++) {
    const c = order[j]!
    starts[j] = start[c]!
    while (stack.length > 0 && end[order[stack[stack.length - 1]!]!]! < end[c]!) stack.pop()
    skip[j] = stack.length === 0 ? -1 : stack[stack.length - 1]!
    stack.push(j)
  }
  return { order, starts, skip }
}

/** The last claimer that holds record `i` and may be its parent, or -1. */
const innermost = (claimers: Claimers, i: number, times: Times, nodes: ReadonlyArray<NodeTraceRecord>): number => {
  const { end, start } = times
  // The last position whose start is at most the record's start.
  let low = 0
  let high = claimers.starts.length
  const limit = start[i]! + EPSILON
  while (low < high) {
    const middle = (low + high) >>> 1
    if (claimers.starts[middle]! <= limit) low = middle + 1
    else high = middle
  }
  let j = low - 1
  while (j >= 0) {
    const c = claimers.order[j]!
    if (end[c]! + EPSILON < end[i]!) {
      j = claimers.skip[j]!
      continue
    }
    // A parent is longer than its child, or as long and completed after it: parents never form a cycle.
    const outer = nodes[c]!.durationSeconds > nodes[i]!.durationSeconds ||
      (nodes[c]!.durationSeconds === nodes[i]!.durationSeconds && c > i)
    if (c !== i && outer) return c
    j--
  }
  return -1
}

/** The parent of every record (rule 1 of the module's definition), or -1 for a top-level record. */
export const parentsWork = (trace: WorkflowTrace): Cooperative.Work<Int32Array> =>
  parentsOf(trace.nodes, timesOf(trace.nodes))

function* parentsOf(nodes: ReadonlyArray<NodeTraceRecord>, times: Times): Cooperative.Work<Int32Array> {
  const parentOf = new Int32Array(nodes.length).fill(-1)
  const byChild = new Map<string, Array<number>>()
  const wildcard: Array<number> = []
  let named = false
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!
    const listed = stringList(node.inputs["parallel_nodes"])
    if (listed !== undefined) {
      for (const id of new Set(listed)) {
        const list = byChild.get(id)
        if (list === undefined) byChild.set(id, [i])
        else list.push(i)
      }
    } else if (node.nodeType === "parallel") {
      wildcard.push(i)
    }
    if (typeof node.metadata["parent_node_id"] === "string") named = true
    if ((i & Cooperative.every) === Cooperative.every) yield
  }
  if (byChild.size === 0 && wildcard.length === 0 && !named) return parentOf
  const byId = new Map<string, Array<number>>()
  if (named) {
    for (let i = 0; i < nodes.length; i++) {
      const list = byId.get(nodes[i]!.nodeId)
      if (list === undefined) byId.set(nodes[i]!.nodeId, [i])
      else list.push(i)
    }
  }
  const ready = new Map<Array<number>, Claimers>()
  const claimers = (indices: Array<number>) => {
    let found = ready.get(indices)
    if (found === undefined) {
      found = claimersOf(indices, times)
      ready.set(indices, found)
    }
    return found
  }
  const anyParallel = wildcard.length === 0 ? undefined : claimers(wildcard)
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!
    let best = -1
    const consider = (candidate: number) => {
      if (candidate < 0) return
      const { end, start } = times
      if (
        best === -1 || start[candidate]! > start[best]! ||
        (start[candidate] === start[best] &&
          (end[candidate]! < end[best]! || (end[candidate] === end[best] && candidate < best)))
      ) best = candidate
    }
    const byList = byChild.get(node.nodeId)
    if (byList !== undefined) consider(innermost(claimers(byList), i, times, nodes))
    const parentId = node.metadata["parent_node_id"]
    if (typeof parentId === "string") {
      const records = byId.get(parentId)
      if (records !== undefined) consider(innermost(claimers(records), i, times, nodes))
    }
    // Only a record no one claims by name: a listed child running beside an older parallel record is not its child.
    if (anyParallel !== undefined && best === -1) consider(innermost(anyParallel, i, times, nodes))
    parentOf[i] = best
    if ((i & Cooperative.every) === Cooperative.every) yield
  }
  return parentOf
}

/** A binary heap of record indices, the earliest end (then the earliest in trace order) on top. */
class EndHeap {
  private readonly items: Int32Array
  private size = 0
  constructor(capacity: number, private readonly end: Float64Array) {
    this.items = new Int32Array(Math.max(1, capacity))
  }
  private less(a: number, b: number): boolean {
    return this.end[a]! < this.end[b]! || (this.end[a] === this.end[b] && a < b)
  }
  get length(): number {
    return this.size
  }
  clear(): void {
    this.size = 0
  }
  peek(): number {
    return this.items[0]!
  }
  push(value: number): void {
    const items = this.items
    let at = this.size++
    while (at > 0) {
      const up = (at - 1) >> 1
      if (!this.less(value, items[up]!)) break
      items[at] = items[up]!
      at = up
    }
    items[at] = value
  }
  pop(): number {
    const items = this.items
    const top = items[0]!
    const last = items[--this.size]!
    let at = 0
    for (;;) {
      let child = 2 * at + 1
      if (child >= this.size) break
      if (child + 1 < this.size && this.less(items[child + 1]!, items[child]!)) child++
      if (!this.less(items[child]!, last)) break
      items[at] = items[child]!
      at = child
    }
    if (this.size > 0) items[at] = last
    return top
  }
}

/** The structure the path is read from: children of each record (CSR, in start order) and what each waited for. */
interface Structure {
  /** Children of record `i` are `children[offsets[i]..offsets[i + 1]]`; the top-level records are record `n`'s. */
  readonly offsets: Int32Array
  readonly children: Int32Array
  /** The record each record waited for (rules 2 and 3), or -1. */
  readonly waitedFor: Int32Array
}

const concurrencyOf = (node: NodeTraceRecord): number | undefined => {
  const value = node.inputs["concurrency"]
  if (value === "unbounded") return Infinity
  return typeof value === "number" && Number.isInteger(value) && value >= 1 ? value : undefined
}

/** Rule 3 for the children of one parallel record, where it applies: overrides `waitedFor` for them. */
const slots = (
  nodes: ReadonlyArray<NodeTraceRecord>,
  parent: number,
  group: Int32Array,
  times: Times,
  waitedFor: Int32Array
): void => {
  const node = nodes[parent]!
  const listed = stringList(node.inputs["parallel_nodes"])
  const k = concurrencyOf(node)
  if (listed === undefined || k === undefined) return
  const position = new Map<string, number>()
  listed.forEach((id, i) => {
    if (!position.has(id)) position.set(id, i)
  })
  // The attempts of each child, in start order (the group is in start order).
  const runs = new Map<number, Array<number>>()
  for (const record of group) {
    const at = position.get(nodes[record]!.nodeId)
    if (at === undefined) return
    const run = runs.get(at)
    if (run === undefined) runs.set(at, [record])
    else run.push(record)
  }
  const { end, start } = times
  const started = Array.from(runs.keys()).sort((a, b) => a - b).map((at) => runs.get(at)!)
  const lastOf = (run: ReadonlyArray<number>) => run[run.length - 1]!
  const finished = [...started].sort((a, b) => end[lastOf(a)]! - end[lastOf(b)]! || lastOf(a) - lastOf(b))
  started.forEach((run, q) => {
    for (let j = 1; j < run.length; j++) waitedFor[run[j]!] = run[j - 1]!
    const first = run[0]!
    if (q < k) {
      waitedFor[first] = -1
      return
    }
    const freed = finished[q - k]!
    const candidate = lastOf(freed)
    const before = start[candidate]! < start[first]! || (start[candidate] === start[first] && candidate < first)
    if (freed !== run && before && end[candidate]! <= start[first]! + EPSILON) waitedFor[first] = candidate
  })
}

function* structureOf(
  nodes: ReadonlyArray<NodeTraceRecord>,
  times: Times,
  parentOf: Int32Array
): Cooperative.Work<Structure> {
  const n = nodes.length
  const offsets = new Int32Array(n + 2)
  for (let i = 0; i < n; i++) offsets[(parentOf[i]! < 0 ? n : parentOf[i]!) + 1]!++
  for (let p = 0; p <= n; p++) offsets[p + 1]! += offsets[p]!
  const children = new Int32Array(n)
  const fill = offsets.slice(0, n + 1)
  for (let i = 0; i < n; i++) children[fill[parentOf[i]! < 0 ? n : parentOf[i]!]!++] = i
  yield
  const waitedFor = new Int32Array(n).fill(-1)
  const heap = new EndHeap(n, times.end)
  let work = 0
  for (let p = 0; p <= n; p++) {
    const from = offsets[p]!
    const to = offsets[p + 1]!
    if (to === from) continue
    // In place: a typed subarray sorts the array it views.
    sortBy(children.subarray(from, to), times.start)
    // Rule 2 as a sweep in start order: a sibling becomes a candidate once it ended by the current start, and
    // candidates only accumulate, so the best one so far (latest end, then latest in trace order) is the answer.
    heap.clear()
    let best = -1
    for (let at = from; at < to; at++) {
      const v = children[at]!
      const limit = times.start[v]! + EPSILON
      while (heap.length > 0 && times.end[heap.peek()]! <= limit) {
        const u = heap.pop()
        if (best === -1 || times.end[u]! > times.end[best]! || (times.end[u] === times.end[best] && u > best)) best = u
      }
      waitedFor[v] = best
      heap.push(v)
      if ((++work & Cooperative.every) === Cooperative.every) yield
    }
    if (p < n) slots(nodes, p, children.subarray(from, to), times, waitedFor)
  }
  return { offsets, children, waitedFor }
}

/** Rule 4: the child a record with children waited for, or -1 when it has none. */
const gateOf = (node: NodeTraceRecord, group: Int32Array, nodes: ReadonlyArray<NodeTraceRecord>, times: Times) => {
  if (group.length === 0) return -1
  const { end } = times
  const strategy = node.outputs["join_strategy"] ?? node.inputs["join_strategy"]
  if (strategy === "first") {
    const winner = node.outputs["winner"]
    let found = -1
    for (const child of group) {
      const record = nodes[child]!
      const won = typeof winner === "string" ? record.nodeId === winner : record.success
      // The winner's last attempt; without a named winner, the success that ended first.
      if (!won) continue
      if (
        found === -1 ||
        (typeof winner === "string"
          ? end[child]! > end[found]! || (end[child] === end[found] && child > found)
          : end[child]! < end[found]! || (end[child] === end[found] && child < found))
      ) found = child
    }
    if (found >= 0) return found
  }
  let last = group[0]!
  for (const child of group) if (end[child]! > end[last]! || (end[child] === end[last] && child > last)) last = child
  return last
}

/**
 * The critical path as a computation that yields now and then (see `Cooperative`); `parentOf` (from
 * {@link parentsWork}) when the caller has it already.
 */
export function* work(trace: WorkflowTrace, parentOf?: Int32Array): Cooperative.Work<CriticalPath> {
  const nodes = trace.nodes
  const n = nodes.length
  if (n === 0) return { steps: [], durationSeconds: 0 }
  const times = timesOf(nodes)
  const parents = parentOf ?? (yield* parentsOf(nodes, times))
  const { children, offsets, waitedFor } = yield* structureOf(nodes, times, parents)
  const { end, start } = times
  const groupOf = (p: number) => children.subarray(offsets[p]!, offsets[p + 1]!)
  const chainFrom = (tail: number): Array<number> => {
    const chain: Array<number> = []
    for (let x = tail; x >= 0; x = waitedFor[x]!) chain.push(x)
    return chain.reverse()
  }
  const top = groupOf(n)
  let last = top[0]!
  for (const i of top) if (end[i]! > end[last]! || (end[i] === end[last] && i > last)) last = i
  const steps: Array<{ index: number; seconds: number; depth: number }> = []
  const frames: Array<{ readonly chain: ReadonlyArray<number>; at: number; readonly depth: number }> = [
    { chain: chainFrom(last), at: 0, depth: 0 }
  ]
  let total = 0
  while (frames.length > 0) {
    const frame = frames[frames.length - 1]!
    if (frame.at === frame.chain.length) {
      frames.pop()
      continue
    }
    const record = frame.chain[frame.at++]!
    const step = { index: record, seconds: end[record]! - start[record]!, depth: frame.depth }
    steps.push(step)
    const gate = gateOf(nodes[record]!, groupOf(record), nodes, times)
    if (gate >= 0) {
      const chain = chainFrom(gate)
      // The time the path's children cover inside this record, overlaps counted once (the chain is in start order).
      let covered = 0
      let reach = start[record]!
      for (const child of chain) {
        const from = Math.max(start[child]!, reach)
        const to = Math.min(end[child]!, end[record]!)
        if (to > from) covered += to - from
        if (to > reach) reach = to
      }
      step.seconds = Math.max(0, step.seconds - covered)
      frames.push({ chain, at: 0, depth: frame.depth + 1 })
    }
    total += step.seconds
    if ((steps.length & Cooperative.every) === Cooperative.every) yield
  }
  return { steps, durationSeconds: total }
}

/** The critical path of a trace, as an Effect that lets an interruption in (see `Cooperative.run`). */
export const compute = (trace: WorkflowTrace): Effect.Effect<CriticalPath> => Cooperative.run(() => work(trace))

/** The critical path of a trace, computed in one go. */
export const computeSync = (trace: WorkflowTrace): CriticalPath => Cooperative.runSync(() => work(trace))

/** A flag per record of the trace: 1 when it is on the path. */
export const membership = (path: CriticalPath, count: number): Uint8Array => {
  const flags = new Uint8Array(count)
  for (const step of path.steps) flags[step.index] = 1
  return flags
}
