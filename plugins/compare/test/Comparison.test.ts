import { describe, expect, it } from "@effect/vitest"
import * as Comparison from "@victor/compare/Comparison"
import type { NodeTraceRecord, WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schema from "effect/Schema"
import { call, node, parallel, trace } from "@victor/core/testing/TraceFixtures"

const base = trace([
  node("load", 0, 1, { calls: [call("read", 0, 0.5)] }),
  node("step", 1, 1, { metadata: { iteration: 1 } }),
  node("step", 2, 2, { metadata: { iteration: 2 } }),
  node("check", 4, 0.5, { error: "bad" }),
  node("old", 4.5, 0.5)
], { traceId: "base" })

const head = trace([
  node("load", 0, 1.25, { calls: [call("read", 0, 0.5), call("read", 0.5, 0.5)] }),
  node("step", 1.25, 1, { metadata: { iteration: 1 } }),
  node("step", 2.25, 3, { metadata: { iteration: 2 } }),
  node("check", 5.25, 0.5),
  node("new", 5.75, 0.25, { error: "nope" })
], { traceId: "head" })

describe("Comparison.compare", () => {
  it.effect("matches nodes by id and iteration; deltas, flips, tool calls, added and removed, total", () =>
    Effect.sync(() => {
      const c = Comparison.compareSync(base, head, { absoluteSeconds: 0.5 })
      expect(c.nodes.map((n) => [Comparison.visitLabel(n), n.change, n.deltaSeconds, n.deltaRatio])).toEqual([
        ["load", "matched", 0.25, 0.25],
        ["step", "matched", 0, 0],
        ["step#2", "matched", 1, 0.5],
        ["check", "matched", 0, 0],
        ["new", "added", null, null],
        ["old", "removed", null, null]
      ])
      expect(c.total).toEqual({ baseSeconds: 5, headSeconds: 6, deltaSeconds: 1, deltaRatio: 0.2 })
      expect(c.successFlips.map((n) => [n.nodeId, n.successFlip])).toEqual([["check", "fixed"]])
      expect(c.toolCallChanges.map((n) => [n.nodeId, n.baseToolCalls, n.headToolCalls, n.toolCallsDelta])).toEqual([
        ["load", 1, 2, 1]
      ])
      expect(c.added.map((n) => [n.nodeId, n.headSuccess, n.headError])).toEqual([["new", false, "nope"]])
      expect(c.removed.map((n) => n.nodeId)).toEqual(["old"])
      expect(c.regressions.map(Comparison.visitLabel)).toEqual(["step#2"])
      expect(Comparison.regressionLines(c)).toEqual(["step#2 slowed by +1.00s (+50.0%): 2.00s -> 3.00s"])
      const encoded = Comparison.encode(c)
      expect(encoded.nodes[0]).toMatchObject({ node_id: "load", delta_seconds: 0.25, delta_ratio: 0.25, tool_calls_delta: 1 })
    }))

  it.effect("a failure in head is a success flip, not a regression", () =>
    Effect.sync(() => {
      const c = Comparison.compareSync(
        trace([node("a", 0, 1)]),
        trace([node("a", 0, 1, { error: "now broken" })])
      )
      expect(c.successFlips.map((n) => [n.nodeId, n.successFlip, n.headError])).toEqual([["a", "broken", "now broken"]])
      expect(c.regressions).toEqual([])
    }))

  it.effect("retries of one visit are summed and the last attempt decides success", () =>
    Effect.sync(() => {
      const retried = trace([
        node("flaky", 0, 1, { error: "timeout", metadata: { iteration: 1 } }),
        node("flaky", 1, 1.5, { metadata: { iteration: 1, attempt: 2 } })
      ])
      const c = Comparison.compareSync(trace([node("flaky", 0, 1)]), retried, { absoluteSeconds: 1 })
      expect(c.nodes.map((n) => [n.nodeId, n.headSeconds, n.headSuccess, n.deltaSeconds, n.regressed])).toEqual([
        ["flaky", 2.5, true, 1.5, true]
      ])
    }))
})

describe("Comparison: improvements, start times and statuses", () => {
  it.effect("a node that sped up past every threshold improved; starts are seconds from each run's start", () =>
    Effect.sync(() => {
      const c = Comparison.compareSync(
        trace([node("a", 0, 2), node("b", 2, 2), node("gone", 4, 1)], { traceId: "b" }),
        { ...trace([node("a", 0, 1.5), node("b", 1.5, 1.9), node("new", 3.5, 1, { error: "x" })], { traceId: "h" }), status: "failed" },
        { absoluteSeconds: 0.25, relative: 0.1 }
      )
      expect(c.nodes.map((n) => [n.nodeId, n.improved, n.regressed, n.baseStartSeconds, n.headStartSeconds])).toEqual([
        ["a", true, false, 0, 0], // 0.5 s and 25% faster
        ["b", false, false, 2, 1.5], // 0.1 s faster: not past 0.25 s
        ["new", false, false, null, 3.5],
        ["gone", false, false, 4, null]
      ])
      expect(c.improvements.map((n) => n.nodeId)).toEqual(["a"])
      expect(c.base.statuses).toEqual({ succeeded: 1 })
      expect(c.head.statuses).toEqual({ failed: 1 })
      const encoded = Comparison.encode(c)
      expect(encoded.improvements.map((n) => n.node_id)).toEqual(["a"])
      expect(encoded.nodes[1]).toMatchObject({ improved: false, base_start_seconds: 2, head_start_seconds: 1.5 })
      expect(encoded.head).toMatchObject({ statuses: { failed: 1 } })
    }))

  it.effect("a record before the trace's start moves the origin; retries start with their first attempt", () =>
    Effect.sync(() => {
      const early = { ...trace([node("warm", -0.5, 0.5), node("flaky", 0, 1, { error: "timeout", metadata: { iteration: 1 } }), node("flaky", 1, 1, { metadata: { iteration: 1, attempt: 2 } })]) }
      const p = Comparison.profile(early)
      expect(p.visits.map((v) => [v.nodeId, v.startSeconds, v.durationSeconds])).toEqual([["warm", 0, 0.5], ["flaky", 0.5, 2]])
    }))

  it.effect("a median baseline starts each visit at the median of its starts and counts the runs' statuses", () =>
    Effect.sync(() => {
      const runs = [
        trace([node("a", 0, 1), node("b", 1, 1)]),
        { ...trace([node("a", 0, 2), node("b", 2, 1)]), status: "failed" as const },
        trace([node("a", 0, 3), node("b", 3, 1)])
      ]
      const baseline = Comparison.medianBaselineSync(runs)
      expect(baseline.visits.map((v) => [v.nodeId, v.startSeconds])).toEqual([["a", 0], ["b", 2]])
      expect(baseline.statuses).toEqual({ succeeded: 2, failed: 1 })
    }))
})

describe("regression thresholds", () => {
  // Base 2 s for every node; head slows them by different amounts.
  const b = trace([node("x", 0, 2), node("y", 2, 2), node("z", 4, 2), node("w", 6, 0)])
  const h = trace([node("x", 0, 2.5), node("y", 2.5, 2.75), node("z", 5.25, 3), node("w", 8.25, 0.25)])
  const regressed = (thresholds: Parameters<typeof Comparison.compare>[2]) =>
    Comparison.compareSync(b, h, thresholds).regressions.map((n) => n.nodeId)

  it.effect("absolute only: strictly past the seconds (x slowed by exactly 0.5 s is not)", () =>
    Effect.sync(() => {
      expect(regressed({ absoluteSeconds: 0.5 })).toEqual(["y", "z"])
      expect(regressed(undefined)).toEqual(["y", "z"]) // the default is the guide's 0.5 s
    }))

  it.effect("relative only: a base of 0 s makes any slowdown relative enough", () =>
    Effect.sync(() => {
      // x +25%, y +37.5%, z +50%, w from 0
      expect(regressed({ relative: 0.3 })).toEqual(["y", "z", "w"])
    }))

  it.effect("both: a node regresses only past both", () =>
    Effect.sync(() => {
      expect(regressed({ absoluteSeconds: 0.5, relative: 0.4 })).toEqual(["z"])
      expect(regressed({ absoluteSeconds: 0.1, relative: 0.2 })).toEqual(["x", "y", "z", "w"])
      expect(regressed({ absoluteSeconds: 1, relative: 0.2 })).toEqual([])
    }))
})

describe("Comparison.medianBaseline", () => {
  it.effect("per visit median of N runs; visits in fewer than half of the runs are left out", () =>
    Effect.sync(() => {
      const runs = [
        trace([node("a", 0, 1), node("b", 1, 4, { calls: [call("t", 1, 1)] })], { traceId: "r1" }),
        trace([node("a", 0, 3), node("b", 3, 2, { error: "x" })], { traceId: "r2" }),
        trace([node("a", 0, 2), node("b", 2, 1), node("rare", 3, 1)], { traceId: "r3" }),
        trace([node("a", 0, 10)], { traceId: "r4" })
      ]
      const baseline = Comparison.medianBaselineSync(runs)
      expect(baseline.label).toBe("median of 4 runs")
      expect(baseline.runs).toBe(4)
      // durations 5, 5, 4, 10 -> median 5
      expect(baseline.durationSeconds).toBe(5)
      expect(baseline.visits.map((v) => [v.nodeId, v.durationSeconds, v.success, v.toolCalls])).toEqual([
        ["a", 2.5, true, 0], // 1, 3, 2, 10
        ["b", 2, true, 0] // 4, 2, 1 in three runs; succeeded in two of three; tool calls 1, 0, 0
      ])
      const c = Comparison.compareSync(baseline, trace([node("a", 0, 2.5), node("b", 2.5, 2.75)], { traceId: "now" }))
      expect(c.base.label).toBe("median of 4 runs")
      expect(c.regressions.map((n) => n.nodeId)).toEqual(["b"])
    }))
})

describe("Comparison: numbers that do not lie, and the critical path", () => {
  it.effect("a delta of milliseconds reads in milliseconds, never +0.00s beside a percentage", () =>
    Effect.gen(function*() {
      const c = yield* Comparison.compare(
        trace([node("tiny", 0, 0.0017)], { traceId: "b" }),
        trace([node("tiny", 0, 0.0058)], { traceId: "h" }),
        { relative: 1 }
      )
      const text = Comparison.render(c)
      expect(text).toContain("Difference: +4.1ms (+241.2%)")
      expect(text).toMatch(/tiny\s+1\.7ms\s+5\.8ms\s+\+4\.1ms\s+\+241\.2%/)
      expect(text).not.toContain("0.00s")
      expect(Comparison.regressionLines(c)).toEqual(["tiny slowed by +4.1ms (+241.2%): 1.7ms -> 5.8ms"])
    }))

  it.effect("compares the critical paths: durations and the visits that joined or left", () =>
    Effect.gen(function*() {
      const base = trace([
        node("start", 0, 1),
        node("x", 1, 1),
        node("y", 1, 0.5),
        parallel("fan", 1, 1, ["x", "y"]),
        node("end", 2, 0.5)
      ], { traceId: "b" })
      const head = trace([
        node("start", 0, 1),
        node("x", 1, 1),
        node("y", 1, 2),
        parallel("fan", 1, 2, ["x", "y"]),
        node("end", 3, 0.5)
      ], { traceId: "h" })
      const c = yield* Comparison.compare(base, head)
      expect(c.criticalPath).toEqual({ baseSeconds: 2.5, headSeconds: 3.5, deltaSeconds: 1, deltaRatio: 0.4, joined: ["y"], left: ["x"] })
      expect(Object.fromEntries(c.nodes.map((n) => [n.nodeId, n.criticalPath]))).toEqual({
        start: "both",
        x: "base",
        y: "head",
        fan: "both",
        end: "both"
      })
      const text = Comparison.render(c)
      expect(text).toContain("Critical path: 2.50s -> 3.50s (+1.00s, +40.0%)")
      expect(text).toContain("now on it: y")
      expect(text).toContain("no longer on it: x")
      // A median baseline keeps a visit on the path when it was in at least half of the runs.
      const baseline = yield* Comparison.medianBaseline([base, base, head])
      expect(baseline.criticalPathSeconds).toBe(2.5)
      expect(baseline.visits.filter((v) => v.critical).map((v) => v.nodeId).sort()).toEqual(["end", "fan", "start", "x"])
    }))

  it.effect("encode gives exactly what the schema encodes", () =>
    Effect.sync(() => {
      const c = Comparison.compareSync(base, head, { absoluteSeconds: 0.5 })
      const bySchema = Schema.encodeSync(Comparison.Comparison)(c)
      expect(JSON.stringify(Comparison.encode(c))).toBe(JSON.stringify(bySchema))
    }))
})

/** A sequential run of `count` records, built without copies. */
const longRun = (count: number, slower: number): WorkflowTrace => {
  const nodes: Array<NodeTraceRecord> = []
  let t = 1_000_000
  for (let i = 0; i < count; i++) {
    const seconds = 0.001 + ((i * slower) % 7) / 1000
    nodes.push({
      nodeId: `step_${i % 50}`,
      nodeType: "compute",
      timestamp: t,
      durationSeconds: seconds,
      success: true,
      error: null,
      inputs: {},
      outputs: {},
      toolCalls: [],
      metadata: { iteration: 1 + Math.floor(i / 50) }
    })
    t += seconds
  }
  return { ...trace([]), nodes, endTime: t, durationSeconds: t - 1_000_000 }
}

describe("Comparison at scale", () => {
  it.live("compares two 200,000-node runs in seconds, and stops within a slice when interrupted", () =>
    Effect.gen(function*() {
      const base = longRun(200_000, 1)
      const head = longRun(200_000, 3)
      const from = performance.now()
      const c = yield* Comparison.compare(base, head)
      expect(performance.now() - from).toBeLessThan(15_000)
      expect(c.nodes).toHaveLength(200_000)
      expect(c.criticalPath.joined).toEqual([])
      // The text table shows the rows that matter most; the JSON has every one.
      const text = Comparison.render(c)
      expect(text).toContain(`... and ${200_000 - Comparison.tableRows} more node(s) with smaller changes`)
      expect(text.split("\n").length).toBeLessThan(Comparison.tableRows + 20)
      expect(Comparison.encode(c).nodes).toHaveLength(200_000)
      const fiber = yield* Effect.fork(Comparison.compare(base, head))
      yield* Effect.sleep("30 millis")
      const asked = performance.now()
      yield* Fiber.interrupt(fiber)
      expect(performance.now() - asked).toBeLessThan(150)
    }), 60_000)

  it.effect("a long table keeps the rows that matter: regressions, flips, added and removed, then the largest deltas", () =>
    Effect.sync(() => {
      const base = longRun(1_500, 1)
      const head = longRun(1_500, 1)
      const nodes = [...head.nodes]
      nodes[700] = { ...nodes[700]!, durationSeconds: nodes[700]!.durationSeconds + 1 }
      nodes[701] = { ...nodes[701]!, success: false, error: "broken" }
      nodes.push({ ...nodes[0]!, nodeId: "brand_new", timestamp: nodes[1_499]!.timestamp + 1 })
      const text = Comparison.render(Comparison.compareSync(base, { ...head, nodes }))
      const table = text.split("\n\n")[1]!
      expect(table).toMatch(/step_0#15\s.*REGRESSION/)
      expect(table).toMatch(/step_1#15\s.*now fails/)
      expect(table).toMatch(/brand_new\s.*added/)
      expect(table).toContain("... and 501 more node(s) with smaller changes")
    }))
})
