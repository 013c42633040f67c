import { describe, expect, it } from "@effect/vitest"
import * as Comparison from "@victor/compare/Comparison"
import * as Effect from "effect/Effect"
import { call, node, trace } from "@victor/core/testing/TraceFixtures"

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
      const c = Comparison.compare(base, head, { absoluteSeconds: 0.5 })
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
      const c = Comparison.compare(
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
      const c = Comparison.compare(trace([node("flaky", 0, 1)]), retried, { absoluteSeconds: 1 })
      expect(c.nodes.map((n) => [n.nodeId, n.headSeconds, n.headSuccess, n.deltaSeconds, n.regressed])).toEqual([
        ["flaky", 2.5, true, 1.5, true]
      ])
    }))
})

describe("regression thresholds", () => {
  // Base 2 s for every node; head slows them by different amounts.
  const b = trace([node("x", 0, 2), node("y", 2, 2), node("z", 4, 2), node("w", 6, 0)])
  const h = trace([node("x", 0, 2.5), node("y", 2.5, 2.75), node("z", 5.25, 3), node("w", 8.25, 0.25)])
  const regressed = (thresholds: Parameters<typeof Comparison.compare>[2]) =>
    Comparison.compare(b, h, thresholds).regressions.map((n) => n.nodeId)

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
      const baseline = Comparison.medianBaseline(runs)
      expect(baseline.label).toBe("median of 4 runs")
      expect(baseline.runs).toBe(4)
      // durations 5, 5, 4, 10 -> median 5
      expect(baseline.durationSeconds).toBe(5)
      expect(baseline.visits.map((v) => [v.nodeId, v.durationSeconds, v.success, v.toolCalls])).toEqual([
        ["a", 2.5, true, 0], // 1, 3, 2, 10
        ["b", 2, true, 0] // 4, 2, 1 in three runs; succeeded in two of three; tool calls 1, 0, 0
      ])
      const c = Comparison.compare(baseline, trace([node("a", 0, 2.5), node("b", 2.5, 2.75)], { traceId: "now" }))
      expect(c.base.label).toBe("median of 4 runs")
      expect(c.regressions.map((n) => n.nodeId)).toEqual(["b"])
    }))
})
