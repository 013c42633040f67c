import { describe, expect, it } from "@effect/vitest"
import * as HistoryStats from "@victor/analysis/HistoryStats"
import * as Effect from "effect/Effect"
import { node, trace } from "@victor/core/testing/TraceFixtures"
import * as NodeFacts from "@victor/core/NodeFacts"
import * as TraceStore from "@victor/core/TraceStore"

const run = (id: string, slow: number, flaky: string | undefined) =>
  trace([
    node("load", 0, 0.5),
    node("think", 0.5, slow),
    node("deploy", 0.5 + slow, 0.25, { error: "permission denied" }),
    node("flaky", 1 + slow, 0.25, flaky === undefined ? {} : { error: flaky })
  ], { traceId: id })

describe("HistoryStats", () => {
  it.effect("averages, p95, failure rates, slow nodes and the most common errors with counts", () =>
    Effect.sync(() => {
      const stats = HistoryStats.computeSync([
        run("r1", 2, undefined),
        run("r2", 3, "timeout"),
        run("r3", 4, "timeout"),
        run("r4", 3, "refused")
      ])
      expect(stats.traces).toBe(4)
      expect(stats.failedTraces).toBe(4)
      expect(stats.slowNodes).toEqual([
        { nodeId: "think", runs: 4, avgSeconds: 3, p95Seconds: 4, maxSeconds: 4, failures: 0, failureRate: 0 }
      ])
      expect(stats.nodes.map((n) => [n.nodeId, n.avgSeconds, n.failures, n.failureRate])).toEqual([
        ["think", 3, 0, 0],
        ["load", 0.5, 0, 0],
        ["deploy", 0.25, 4, 1],
        ["flaky", 0.25, 3, 0.75]
      ])
      expect(stats.commonErrors.map((e) => [e.nodeId, e.error, e.count])).toEqual([
        ["deploy", "permission denied", 4],
        ["flaky", "timeout", 2],
        ["flaky", "refused", 1]
      ])
      const text = HistoryStats.render(stats)
      expect(text).toContain("4x  deploy  permission denied")
    }))

  it.effect("the slow threshold and the number of errors are options; no traces gives an empty report", () =>
    Effect.sync(() => {
      const stats = HistoryStats.computeSync([run("r1", 2, "timeout")], { slowThresholdSeconds: 0.25, topErrors: 1 })
      expect(stats.slowNodes.map((n) => n.nodeId)).toEqual(["think", "load"])
      expect(stats.commonErrors.map((e) => e.error)).toEqual(["permission denied"])
      const empty = HistoryStats.computeSync([])
      expect(HistoryStats.encode(empty)).toEqual({
        traces: 0,
        failed_traces: 0,
        workflows: [],
        slow_threshold_seconds: 2,
        slow_nodes: [],
        common_errors: [],
        nodes: []
      })
    }))

  it.effect("the node facts a store lists give the same statistics as the whole traces", () =>
    Effect.sync(() => {
      const runs = [run("r1", 2, undefined), run("r2", 3, "timeout"), run("r3", 4, "timeout"), run("r4", 7, "refused")]
      const fromFacts = HistoryStats.computeSync(runs.map(NodeFacts.factsOf), { slowThresholdSeconds: 1 })
      expect(fromFacts).toEqual(HistoryStats.computeSync(runs, { slowThresholdSeconds: 1 }))
      expect(fromFacts.slowNodes.map((n) => [n.nodeId, n.p95Seconds, n.maxSeconds])).toEqual([["think", 7, 7]])
      expect(fromFacts.commonErrors[0]).toMatchObject({ nodeId: "deploy", count: 4 })
    }))
})
