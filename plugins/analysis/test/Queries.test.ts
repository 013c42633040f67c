import { describe, expect, it } from "@effect/vitest"
import * as Queries from "@victor/analysis/Queries"
import { ExecutionEventType } from "@victor/core/ExecutionEvent"
import * as Effect from "effect/Effect"
import { call, node, T0, trace } from "@victor/core/testing/TraceFixtures"

const t = trace([
  node("agent_1", 0, 1, { calls: [call("search", 0.25, 0.5)] }),
  node("exact", 1, 1),
  node("slow", 2, 1.25),
  node("bad", 3.25, 0.25, { error: "exploded" })
], {
  events: [
    { eventType: "node_started", timestamp: T0, nodeId: "agent_1" },
    { eventType: "tool_call_completed", timestamp: T0 + 0.75, nodeId: "agent_1", toolName: "search" },
    { eventType: "node_completed", timestamp: T0 + 1, nodeId: "agent_1" },
    { eventType: "node_started", timestamp: T0 + 3.25, nodeId: "bad" },
    { eventType: "node_failed", timestamp: T0 + 3.5, nodeId: "bad", error: "exploded" }
  ]
})

describe("Queries", () => {
  it.effect("events by node and by type, in order", () =>
    Effect.sync(() => {
      expect(Queries.eventsByNode(t, "agent_1").map((e) => e.eventType)).toEqual([
        "node_started",
        "tool_call_completed",
        "node_completed"
      ])
      const failed = Queries.eventsByType(t, ExecutionEventType.NODE_FAILED)
      expect(failed.map((e) => [e.nodeId, e.error])).toEqual([["bad", "exploded"]])
    }))

  it.effect("failed nodes, nodes slower than a threshold (strictly), nodes with tool calls", () =>
    Effect.sync(() => {
      expect(Queries.failedNodes(t).map((n) => n.nodeId)).toEqual(["bad"])
      // `exact` took exactly 1 s: not slower than 1 s
      expect(Queries.slowerThan(t, 1).map((n) => n.nodeId)).toEqual(["slow"])
      expect(Queries.slowerThan(t, 0.5).map((n) => n.nodeId)).toEqual(["agent_1", "exact", "slow"])
      expect(Queries.withToolCalls(t).map((n) => n.nodeId)).toEqual(["agent_1"])
    }))
})
