import { describe, expect, it } from "@effect/vitest"
import * as CriticalPath from "@victor/core/CriticalPath"
import { node, parallel, T0, trace } from "@victor/core/testing/TraceFixtures"
import type { NodeTraceRecord, WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as Effect from "effect/Effect"

const ids = (t: WorkflowTrace, path: CriticalPath.CriticalPath) =>
  path.steps.map((step) => {
    const record = t.nodes[step.index]!
    const iteration = record.metadata["iteration"]
    return typeof iteration === "number" && iteration > 1 ? `${record.nodeId}#${iteration}` : record.nodeId
  })

const pathOf = (t: WorkflowTrace) => {
  const path = CriticalPath.computeSync(t)
  return { ids: ids(t, path), seconds: path.steps.map((s) => s.seconds), depths: path.steps.map((s) => s.depth), total: path.durationSeconds }
}

/** A parallel record as the executor writes it: children listed, join strategy, concurrency, children's statuses. */
const fan = (
  id: string,
  start: number,
  seconds: number,
  children: ReadonlyArray<string>,
  options: { readonly strategy?: "all" | "any" | "first"; readonly concurrency?: number | "unbounded"; readonly winner?: string } = {}
): NodeTraceRecord => ({
  ...node(id, start, seconds, { type: "parallel" }),
  inputs: { parallel_nodes: children, join_strategy: options.strategy ?? "all", concurrency: options.concurrency ?? 4 },
  outputs: {
    join_strategy: options.strategy ?? "all",
    children: Object.fromEntries(children.map((c) => [c, "succeeded"])),
    ...(options.winner === undefined ? {} : { winner: options.winner })
  }
})

describe("CriticalPath: the definition on examples", () => {
  it("sequential nodes: every one waited for the one before it; gaps are not the path's", () => {
    const p = pathOf(trace([node("a", 0, 1), node("b", 1.25, 0.5), node("c", 2, 0.25)]))
    expect(p.ids).toEqual(["a", "b", "c"])
    expect(p.total).toBe(1.75)
  })

  it("through a parallel join only the child the join waited for; a sibling that gated nothing is off the path", () => {
    const t = trace([
      node("plan", 0, 1),
      node("lint", 1, 0.5),
      node("test", 1, 2.5),
      node("docs", 1, 1.5),
      fan("checks", 1, 2.75, ["lint", "test", "docs"]),
      node("report", 3.75, 0.25)
    ])
    const p = pathOf(t)
    expect(p.ids).toEqual(["plan", "checks", "test", "report"])
    expect(p.depths).toEqual([0, 0, 1, 0])
    // checks keeps only the join's overhead: 2.75 s less the 2.5 s test covers.
    expect(p.seconds).toEqual([1, 0.25, 2.5, 0.25])
    expect(p.total).toBe(4)
  })

  it("queued children: the one that waited for a slot follows the child whose end freed it", () => {
    // Concurrency 2: c started when a (the first to finish) freed its slot, though b also ended before c started.
    const t = trace([
      node("a", 0, 0.5),
      node("b", 0, 0.75),
      node("c", 0.5, 2),
      fan("fan", 0, 2.5, ["a", "b", "c"], { concurrency: 2 })
    ])
    expect(pathOf(t).ids).toEqual(["fan", "a", "c"])
    // Without concurrency in the record (older files): the sibling that ended last before c started.
    const legacy = trace([node("a", 0, 0.5), node("b", 0, 0.5), node("c", 0.5, 2), parallel("fan", 0, 2.5, ["a", "b", "c"])])
    expect(pathOf(legacy).ids).toEqual(["fan", "b", "c"])
  })

  it("a first join waited for its winner; an any join, like all, for the child that ended last", () => {
    const first = trace([
      node("fast", 0, 1),
      node("slow", 0, 1, { error: "cancelled" }),
      fan("race", 0, 1, ["fast", "slow"], { strategy: "first", winner: "fast" }),
      node("next", 1, 0.5)
    ])
    expect(pathOf(first).ids).toEqual(["race", "fast", "next"])
    const any = trace([
      node("ok", 0, 0.5),
      node("late", 0, 2, { error: "boom" }),
      fan("either", 0, 2, ["ok", "late"], { strategy: "any" })
    ])
    expect(pathOf(any).ids).toEqual(["either", "late"])
  })

  it("loops and retries: every visit and attempt is its own step; a sub-workflow node is a step", () => {
    const t = trace([
      node("step", 0, 1, { metadata: { iteration: 1 } }),
      node("check", 1, 0, { type: "condition", metadata: { iteration: 1 } }),
      node("step", 1, 1, { metadata: { iteration: 2 } }),
      node("check", 2, 0, { type: "condition", metadata: { iteration: 2 } }),
      node("call", 2, 0.5, { error: "flaky", metadata: { iteration: 1 } }),
      node("call", 2.5, 0.5, { metadata: { iteration: 1, attempt: 2 } }),
      node("child", 3, 2, { type: "workflow", metadata: { iteration: 1, child_trace_id: "c1" } })
    ])
    expect(pathOf(t).ids).toEqual(["step", "check", "step#2", "check#2", "call", "call", "child"])
    expect(pathOf(t).total).toBe(5)
  })

  it("nested parallel nodes and records nested by metadata.parent_node_id", () => {
    const t = trace([
      node("x", 0, 1),
      node("y", 0, 3),
      fan("inner", 0, 3, ["x", "y"]),
      node("z", 0, 2),
      fan("outer", 0, 3.5, ["inner", "z"]),
      node("sub", 4, 1, { metadata: { iteration: 1, parent_node_id: "host" } }),
      node("host", 3.5, 2)
    ])
    const p = pathOf(t)
    expect(p.ids).toEqual(["outer", "inner", "y", "host", "sub"])
    expect(p.depths).toEqual([0, 1, 2, 0, 1])
    expect(p.seconds).toEqual([0.5, 0, 3, 1, 1])
  })

  it("a parallel record without parallel_nodes holds whatever lies inside it", () => {
    const t = trace([node("a", 0, 1), node("b", 1, 3), node("c", 1.5, 1), { ...node("p", 1, 3.25), nodeType: "parallel" }])
    expect(pathOf(t).ids).toEqual(["a", "p", "b"])
  })

  it("an empty trace has an empty path; membership flags the records on it", () => {
    expect(CriticalPath.computeSync(trace([]))).toEqual({ steps: [], durationSeconds: 0 })
    const t = trace([node("a", 0, 1), node("b", 0, 0.5), node("c", 1, 1)])
    expect(Array.from(CriticalPath.membership(CriticalPath.computeSync(t), 3))).toEqual([1, 0, 1])
  })

  it.effect("compute gives what computeSync gives", () =>
    Effect.gen(function*() {
      const t = big(20_000)
      expect(yield* CriticalPath.compute(t)).toEqual(CriticalPath.computeSync(t))
    }))
})

// ---------------------------------------------------------------------------------------------------------------
// Generated runs. A small simulator of Victor's executor (sequential nodes, retries, loops, parallel nodes with
// all/any/first joins, slots, nesting, sub-workflow nodes) writes traces as the tracer does (records in completion
// order) and knows what each record really waited for.

/** mulberry32: a small seeded generator, so that every CI run checks the same traces. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

interface Simulated {
  readonly trace: WorkflowTrace
  /** The parent of each record as the simulator ran it (-1: top level). */
  readonly parentOf: ReadonlyArray<number>
  /** For each record with children, the children whose end may end it (the winner of a first join, else all). */
  readonly exits: ReadonlyMap<number, ReadonlyArray<number>>
  /** The critical path as the simulator knows it. */
  readonly truth: ReadonlyArray<number>
}

interface Mode {
  /** Durations in eighths of a second (ties happen, exactly) with no overhead, or any with overheads. */
  readonly exact: boolean
  /** Whether parallel records may lack `parallel_nodes` / `concurrency`, as older files do. */
  readonly legacy: boolean
  readonly maxRecords: number
}

const simulate = (seed: number, mode: Mode): Simulated => {
  const rand = random(seed)
  const pick = <A>(items: ReadonlyArray<A>): A => items[Math.floor(rand() * items.length)]!
  const overhead = () => (mode.exact ? 0 : rand() * 0.002)
  const duration = (zeroAllowed: boolean) =>
    mode.exact ? (zeroAllowed && rand() < 0.15 ? 0 : (1 + Math.floor(rand() * 12)) / 8) : 0.001 + rand() * 0.5

  // Records by id (their order of creation); references between them are ids.
  interface Rec {
    record: NodeTraceRecord
    readonly parent: number
    readonly waitedFor: number
    gate: number
    exits: ReadonlyArray<number>
    /** When the simulation completed it: breaks ties between equal ends, as the tracer's order does. */
    completed: number
  }
  const recs: Array<Rec> = []
  let completions = 0
  const add = (record: NodeTraceRecord, parent: number, waitedFor: number, done: boolean): number => {
    recs.push({ record, parent, waitedFor, gate: -1, exits: [], completed: done ? completions++ : -1 })
    return recs.length - 1
  }
  const visits = new Map<string, number>()
  const visit = (id: string) => {
    const n = (visits.get(id) ?? 0) + 1
    visits.set(id, n)
    return n
  }

  interface Run {
    readonly last: number
    readonly end: number
    readonly success: boolean
  }
  // A leaf with its retries; `waitedFor` is what its first attempt waited for.
  const leaf = (id: string, start: number, parent: number, waitedFor: number, options: { retries: boolean; zero: boolean }): Run => {
    const iteration = visit(id)
    const type = pick(["compute", "agent", "transform", "condition", "workflow", "hitl"])
    const attempts = options.retries && rand() < 0.2 ? 1 + Math.floor(rand() * 2) : 0
    const fails = rand() < 0.2
    let t = start
    let previous = waitedFor
    for (let a = 0; a <= attempts; a++) {
      const begin = t + overhead()
      const seconds = duration(options.zero && type === "condition")
      const failed = a < attempts || fails
      const record: NodeTraceRecord = {
        ...node(id, begin - T0, seconds, { type, ...(failed ? { error: "boom" } : {}) }),
        metadata: a > 0 ? { iteration, attempt: a + 1 } : { iteration }
      }
      previous = add(record, parent, previous, true)
      t = begin + seconds
    }
    return { last: previous, end: t, success: !fails }
  }
  const parallelNode = (id: string, start: number, parent: number, waitedFor: number, depth: number): Run => {
    const iteration = visit(id)
    const begin = start + overhead()
    const strategy = pick(["all", "any", "first"] as const)
    const count = 1 + Math.floor(rand() * 4)
    const k = rand() < 0.25 ? Infinity : 1 + Math.floor(rand() * 3)
    const children = Array.from({ length: count }, (_, j) => `${id}_${j}`)
    const self = add(node(id, begin - T0, 0), parent, waitedFor, false)
    // Slots, as the executor's bounded `forEach`: the time each is free and the run that freed it.
    const slots = Array.from({ length: Math.min(k, count) }, () => ({ free: begin, by: undefined as Run | undefined }))
    const runs: Array<Run & { readonly at: number }> = []
    let winnerEnd = Infinity
    for (let q = 0; q < count; q++) {
      let slot = slots[0]!
      for (const s of slots) if (s.free < slot.free) slot = s
      if (slot.free >= winnerEnd) break // the first join has ended: no more children start
      const after = slot.by === undefined ? -1 : slot.by.last
      // Not in older files: without lists, a child inside two overlapping parallel siblings has no telling parent.
      const run = depth === 0 && strategy !== "first" && !mode.legacy && rand() < 0.25
        ? parallelNode(children[q]!, slot.free, self, after, depth + 1)
        : leaf(children[q]!, slot.free, self, after, { retries: strategy !== "first", zero: false })
      runs.push({ ...run, at: q })
      slot.free = run.end
      slot.by = run
      if (strategy === "first" && run.success && run.end < winnerEnd) winnerEnd = run.end
    }
    const statuses: Record<string, string> = {}
    let gate = runs[0]!
    let winner: string | undefined
    if (winnerEnd < Infinity) {
      gate = runs.find((r) => r.success && r.end === winnerEnd)!
      winner = children[gate.at]
      for (const run of runs) {
        const interrupted = run !== gate && run.end > winnerEnd
        statuses[children[run.at]!] = run === gate ? "succeeded" : interrupted ? "cancelled" : run.success ? "succeeded" : "failed"
        if (!interrupted) continue
        const r = recs[run.last]!
        r.record = { ...r.record, durationSeconds: winnerEnd - r.record.timestamp, success: false, error: "cancelled" }
      }
    } else {
      for (const run of runs) {
        if (run.end > gate.end) gate = run
        statuses[children[run.at]!] = run.success ? "succeeded" : "failed"
      }
    }
    const end = Math.max(...runs.map((r) => Math.min(r.end, winnerEnd))) + overhead()
    const success = strategy === "all" ? runs.every((r) => r.success) : runs.some((r) => r.success)
    const stripped = mode.legacy && rand() < 0.5
    const rec = recs[self]!
    rec.record = {
      ...node(id, begin - T0, end - begin, { type: "parallel", ...(success ? {} : { error: "children failed" }) }),
      inputs: stripped ? {} : { parallel_nodes: children, join_strategy: strategy, concurrency: k === Infinity ? "unbounded" : k },
      outputs: { join_strategy: strategy, children: statuses, ...(winner === undefined ? {} : { winner }) },
      metadata: { iteration }
    }
    rec.gate = gate.last
    rec.exits = winner === undefined ? runs.map((r) => r.last) : [gate.last]
    rec.completed = completions++ // after its children
    return { last: self, end, success }
  }

  let t = T0
  let previous = -1
  const items = 1 + Math.floor(rand() * 6)
  for (let i = 0; i < items && recs.length < mode.maxRecords; i++) {
    const kind = rand()
    if (kind < 0.45) {
      const run = leaf(pick(["a", "b", "c", "d"]), t, -1, previous, { retries: true, zero: !mode.legacy })
      previous = run.last
      t = run.end
    } else if (kind < 0.6) {
      // A loop: the same nodes visited again, each visit a record with its iteration.
      const body = ["loop_x", "loop_y"].slice(0, 1 + Math.floor(rand() * 2))
      const rounds = 2 + Math.floor(rand() * 2)
      for (let v = 0; v < rounds; v++) {
        for (const id of body) {
          const run = leaf(id, t, -1, previous, { retries: false, zero: !mode.legacy })
          previous = run.last
          t = run.end
        }
      }
    } else {
      const run = parallelNode(pick(["p", "q"]), t, -1, previous, 0)
      previous = run.last
      t = run.end
    }
  }

  // Trace order is completion order: by end, ties in the order the simulation completed them.
  const endOf = (r: Rec) => r.record.timestamp + r.record.durationSeconds
  const order = recs.map((_, id) => id).sort((a, b) => endOf(recs[a]!) - endOf(recs[b]!) || recs[a]!.completed - recs[b]!.completed)
  const indexOf = new Map(order.map((id, i) => [id, i]))
  const at = (id: number) => (id < 0 ? -1 : indexOf.get(id)!)
  const exits = new Map<number, ReadonlyArray<number>>()
  for (const id of order) if (recs[id]!.exits.length > 0) exits.set(at(id), recs[id]!.exits.map(at))
  // The truth: from the top-level record run last, back through what each waited for, into every join's gate.
  const truth: Array<number> = []
  const expand = (tail: number) => {
    const chain: Array<number> = []
    for (let x = tail; x >= 0; x = recs[x]!.waitedFor) chain.push(x)
    for (const x of chain.reverse()) {
      truth.push(at(x))
      if (recs[x]!.gate >= 0) expand(recs[x]!.gate)
    }
  }
  if (previous >= 0) expand(previous)
  return {
    trace: trace(order.map((id) => recs[id]!.record)),
    parentOf: order.map((id) => at(recs[id]!.parent)),
    exits,
    truth
  }
}

/**
 * The brute-force oracle: every chain of the dependency graph read off the timestamps and the simulator's nesting,
 * the longest kept. Each record is an entry and an exit vertex; a sibling that ended by the time a record started
 * (and came first) leads into it; a parent's entry leads into each child's; a child whose end may end its parent's
 * join leads to the parent's exit; a record without children is crossed from entry to exit, for its duration. A chain
 * runs from a vertex nothing leads into, to the end of the run.
 */
const longestChains = (s: Simulated): { readonly weight: number; readonly chains: ReadonlySet<string> } => {
  const nodes = s.trace.nodes
  const n = nodes.length
  const start = (i: number) => nodes[i]!.timestamp
  const end = (i: number) => nodes[i]!.timestamp + nodes[i]!.durationSeconds
  const hasChildren = (i: number) => s.parentOf.some((p) => p === i)
  // Predecessors of each vertex: 2i is i's entry, 2i + 1 its exit, 2n the end of the run.
  const into: Array<Array<number>> = Array.from({ length: 2 * n + 1 }, () => [])
  for (let v = 0; v < n; v++) {
    for (let u = 0; u < n; u++) {
      if (u === v || s.parentOf[u] !== s.parentOf[v]) continue
      if (end(u) <= start(v) && (start(u) < start(v) || (start(u) === start(v) && u < v))) into[2 * v]!.push(2 * u + 1)
    }
    if (s.parentOf[v]! >= 0) into[2 * v]!.push(2 * s.parentOf[v]!)
    if (hasChildren(v)) for (const c of s.exits.get(v) ?? []) into[2 * v + 1]!.push(2 * c + 1)
    else into[2 * v + 1]!.push(2 * v)
  }
  let runEnd = -Infinity
  for (let i = 0; i < n; i++) if (s.parentOf[i] === -1) runEnd = Math.max(runEnd, end(i))
  for (let i = 0; i < n; i++) if (s.parentOf[i] === -1 && end(i) === runEnd) into[2 * n]!.push(2 * i + 1)
  let best = -Infinity
  let chains = new Set<string>()
  const walk = (vertex: number, weight: number, entered: Array<number>) => {
    const preds = into[vertex]!
    if (preds.length === 0) {
      const key = [...entered].reverse().join(",")
      if (weight > best) {
        best = weight
        chains = new Set([key])
      } else if (weight === best) chains.add(key)
      return
    }
    for (const p of preds) {
      const crossing = p === vertex - 1 && vertex % 2 === 1 && vertex < 2 * n
      const w = crossing ? weight + nodes[(vertex - 1) / 2]!.durationSeconds : weight
      if (p % 2 === 0) {
        entered.push(p / 2)
        walk(p, w, entered)
        entered.pop()
      } else walk(p, w, entered)
    }
  }
  if (n > 0) walk(2 * n, 0, [])
  return { weight: n === 0 ? 0 : best, chains }
}

describe("CriticalPath: generated runs", () => {
  it("is the longest dependency chain (brute force over every chain) on 1,000 generated runs", () => {
    let checked = 0
    for (let seed = 1; seed <= 1000; seed++) {
      const s = simulate(seed, { exact: true, legacy: seed % 3 === 0, maxRecords: 14 })
      const path = CriticalPath.computeSync(s.trace)
      const oracle = longestChains(s)
      const ours = path.steps.map((step) => step.index).join(",")
      expect(oracle.chains.has(ours), `seed ${seed}: ${ours} not in ${[...oracle.chains].join(" | ")}`).toBe(true)
      expect(path.durationSeconds, `seed ${seed}`).toBe(oracle.weight)
      checked++
    }
    expect(checked).toBe(1000)
  })

  it("is exactly what each record waited for, with executor overheads, on 1,000 generated runs", () => {
    for (let seed = 1; seed <= 1000; seed++) {
      const s = simulate(10_000 + seed, { exact: false, legacy: false, maxRecords: 60 })
      const path = CriticalPath.computeSync(s.trace)
      expect(path.steps.map((step) => step.index), `seed ${10_000 + seed}`).toEqual(s.truth)
      // Each step's own seconds: a leaf's duration; a parent's less what its path children cover.
      const total = path.steps.reduce((sum, step) => sum + step.seconds, 0)
      expect(path.durationSeconds).toBeCloseTo(total, 9)
    }
  })
})

/** A run of `count` records: sequential nodes, every tenth a parallel node of four children. */
const big = (count: number): WorkflowTrace => {
  const nodes: Array<NodeTraceRecord> = []
  let t = 0
  let i = 0
  while (nodes.length < count) {
    if (i % 10 === 9) {
      const kids = ["w", "x", "y", "z"].map((k) => `${k}`)
      let end = t
      kids.forEach((k, j) => {
        const seconds = 0.01 + ((i + j * 7) % 5) / 100
        end = Math.max(end, t + seconds)
        nodes.push(node(k, t, seconds, { metadata: { iteration: i } }))
      })
      nodes.push(fan("fan", t, end - t + 0.001, kids))
      t = end + 0.002
    } else {
      nodes.push(node(`n${i % 17}`, t, 0.01, { metadata: { iteration: i } }))
      t += 0.0105
    }
    i++
  }
  // Not `trace(nodes)`: its spread of 200,000 arguments overflows the stack.
  return { ...trace([]), nodes, endTime: T0 + t, durationSeconds: t }
}

describe("CriticalPath: scale", () => {
  it("200,000 records in well under a second or two, linear in the records", () => {
    const small = big(20_000)
    const large = big(200_000)
    CriticalPath.computeSync(small) // warm up
    const time = (t: WorkflowTrace) => {
      const from = performance.now()
      const path = CriticalPath.computeSync(t)
      return { ms: performance.now() - from, path }
    }
    const a = time(small)
    const b = time(large)
    expect(b.path.steps.length).toBeGreaterThan(150_000)
    expect(b.ms).toBeLessThan(3000)
    // Ten times the records in well under thirty times the time (a quadratic pass would take a hundred times).
    expect(b.ms / Math.max(a.ms, 5)).toBeLessThan(30)
  })
})
