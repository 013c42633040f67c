import { describe, expect, it } from "@effect/vitest"
import * as Analysis from "@victor/analysis/Analysis"
import * as CriticalPath from "@victor/core/CriticalPath"
import type { NodeTraceRecord, WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schema from "effect/Schema"
import { call, node, parallel, T0, trace } from "@victor/core/testing/TraceFixtures"

/** A long sequential run with a parallel node every tenth step, built without copies (fast at 200,000 records). */
const longRun = (count: number): WorkflowTrace => {
  const nodes: Array<NodeTraceRecord> = []
  let t = T0
  for (let i = 0; nodes.length < count; i++) {
    const seconds = 0.001 + (i % 7) / 1000
    nodes.push({
      nodeId: `step_${i % 50}`,
      nodeType: i % 3 === 0 ? "transform" : "compute",
      timestamp: t,
      durationSeconds: seconds,
      success: i % 1000 !== 999,
      error: i % 1000 === 999 ? "boom" : null,
      inputs: {},
      outputs: {},
      toolCalls: [{ toolName: "shell", inputs: {}, outputs: {}, durationSeconds: seconds / 2, success: i % 997 !== 0, error: null, timestamp: t }],
      metadata: { iteration: 1 + Math.floor(i / 50) }
    })
    t += seconds
  }
  return { ...trace([]), nodes, endTime: t, durationSeconds: t - T0 }
}

describe("Analysis.analyze", () => {
  it.effect("gives the guide's keys with exact numbers; ties keep trace order", () =>
    Effect.sync(() => {
      const t = trace([
        node("fetch", 0, 1.5, { calls: [call("http", 0.25, 0.5), call("http", 0.75, 0.5)] }),
        node("parse", 1.5, 1.5, { calls: [call("json", 1.75, 0.25)] }),
        node("store", 3, 0.5, { calls: [call("db", 3, 0.25, { error: "locked" })] }),
        node("notify", 3.5, 0.25, { type: "transform", error: "no channel" })
      ])
      const encoded = Analysis.encode(Analysis.analyzeSync(t)) as unknown as Record<string, unknown>
      expect(Object.keys(encoded).slice(0, 10)).toEqual([
        "trace_id",
        "workflow_name",
        "total_duration_seconds",
        "total_nodes",
        "successful_nodes",
        "failed_nodes",
        "total_tool_calls",
        "slowest_nodes",
        "most_used_tools",
        "error_count"
      ])
      expect(encoded).toMatchObject({
        trace_id: "t1",
        workflow_name: "wf",
        total_duration_seconds: 3.75,
        total_nodes: 4,
        // store's tool call failed, but the node itself succeeded
        successful_nodes: 3,
        failed_nodes: 1,
        total_tool_calls: 4,
        // fetch and parse tie at 1.5 s: the earlier node first.
        slowest_nodes: [
          { node_id: "fetch", duration: 1.5 },
          { node_id: "parse", duration: 1.5 },
          { node_id: "store", duration: 0.5 },
          { node_id: "notify", duration: 0.25 }
        ],
        // json and db tie at one call: order of first use.
        most_used_tools: [{ tool: "http", calls: 2 }, { tool: "json", calls: 1 }, { tool: "db", calls: 1 }],
        // one failed node plus one failed tool call
        error_count: 2
      })
      expect(encoded["tools"]).toEqual([
        { tool: "http", calls: 2, failures: 0, failure_rate: 0, total_seconds: 1 },
        { tool: "json", calls: 1, failures: 0, failure_rate: 0, total_seconds: 0.25 },
        { tool: "db", calls: 1, failures: 1, failure_rate: 1, total_seconds: 0.25 }
      ])
    }))

  it.effect("a failed node without tool calls: all of its time is self time", () =>
    Effect.sync(() => {
      const analysis = Analysis.analyzeSync(trace([
        node("check", 0, 0.75, { type: "condition", error: "no branch for 'maybe'" })
      ]))
      expect(analysis.failedNodes).toBe(1)
      expect(analysis.errorCount).toBe(1)
      expect(analysis.totalToolCalls).toBe(0)
      expect(analysis.tools).toEqual([])
      expect(analysis.nodes).toEqual([{
        nodeId: "check",
        iteration: 1,
        nodeType: "condition",
        parentNodeId: null,
        durationSeconds: 0.75,
        selfSeconds: 0.75,
        toolCalls: 0,
        success: false,
        error: "no branch for 'maybe'"
      }])
      expect(analysis.criticalPath).toEqual({
        durationSeconds: 0.75,
        steps: [{ nodeId: "check", iteration: 1, nodeType: "condition", seconds: 0.75 }]
      })
    }))

  it.effect("self time subtracts overlapping tool calls once and clips at 0", () =>
    Effect.sync(() => {
      const analysis = Analysis.analyzeSync(trace([
        // calls cover [0.25, 1.75] together (overlapping by 0.5 s): self 2 - 1.5
        node("overlap", 0, 2, { calls: [call("a", 0.25, 1), call("b", 0.75, 1)] }),
        // a call reported longer than its node: clipped to the node, self 0
        node("clipped", 2, 0.5, { calls: [call("c", 2, 1)] })
      ]))
      expect(analysis.nodes.map((n) => [n.nodeId, n.selfSeconds])).toEqual([["overlap", 0.5], ["clipped", 0]])
    }))

  it.effect("the critical path goes through the parallel branch that finished last", () =>
    Effect.sync(() => {
      // Records in the order the tracer writes them: children end before their parallel node.
      const analysis = Analysis.analyzeSync(trace([
        node("start", 0, 1, { calls: [call("read", 0.25, 0.5)] }),
        node("a", 1, 1),
        node("c", 1, 1.5),
        node("b", 1, 2.75),
        parallel("fan", 1, 3, ["a", "b", "c"]),
        node("end", 4, 0.5, { type: "transform" })
      ]))
      expect(analysis.criticalPath).toEqual({
        durationSeconds: 4.5,
        steps: [
          { nodeId: "start", iteration: 1, nodeType: "compute", seconds: 1 },
          { nodeId: "fan", iteration: 1, nodeType: "parallel", seconds: 0.25 },
          { nodeId: "b", iteration: 1, nodeType: "compute", seconds: 2.75 },
          { nodeId: "end", iteration: 1, nodeType: "transform", seconds: 0.5 }
        ]
      })
      const self = Object.fromEntries(analysis.nodes.map((n) => [n.nodeId, n.selfSeconds]))
      expect(self).toEqual({ start: 0.5, a: 1, c: 1.5, b: 2.75, fan: 0.25, end: 0.5 })
      expect(analysis.nodes.find((n) => n.nodeId === "b")?.parentNodeId).toBe("fan")
      expect(analysis.nodes.find((n) => n.nodeId === "end")?.parentNodeId).toBeNull()
    }))

  it.effect("with queued branches the path follows the child whose end freed the slot it waited for", () =>
    Effect.sync(() => {
      // Concurrency 2 (as the executor records it): a and b both end at 1 s; d took the slot of the first to finish,
      // a (first in trace order).
      const fan = parallel("fan", 0, 3, ["a", "b", "d"])
      const analysis = Analysis.analyzeSync(trace([
        node("a", 0, 1),
        node("b", 0, 1),
        node("d", 1, 1.75),
        { ...fan, inputs: { ...fan.inputs, concurrency: 2 } }
      ]))
      expect(analysis.criticalPath.steps.map((s) => [s.nodeId, s.seconds])).toEqual([
        ["fan", 0.25],
        ["a", 1],
        ["d", 1.75]
      ])
      expect(analysis.criticalPath.durationSeconds).toBe(3)
      // A file without the concurrency: d waited for the sibling that ended last before it started, b (the later
      // of the two in trace order, which completed after a).
      const legacy = Analysis.analyzeSync(trace([node("a", 0, 1), node("b", 0, 1), node("d", 1, 1.75), fan]))
      expect(legacy.criticalPath.steps.map((s) => s.nodeId)).toEqual(["fan", "b", "d"])
    }))

  it.effect("iterations: each visit is its own record, numbered from metadata or by order", () =>
    Effect.sync(() => {
      const analysis = Analysis.analyzeSync(trace([
        node("step", 0, 1, { metadata: { iteration: 1 } }),
        node("check", 1, 0.25, { type: "condition", metadata: { iteration: 1 } }),
        node("step", 1.25, 2, { metadata: { iteration: 2 } }),
        node("check", 3.25, 0.25, { type: "condition", metadata: { iteration: 2 } }),
        // no iteration recorded: numbered by position among `legacy` records
        node("legacy", 3.5, 0.5, { metadata: {} }),
        node("legacy", 4, 0.5, { metadata: {} })
      ]))
      expect(analysis.nodes.map((n) => `${n.nodeId}#${n.iteration}`)).toEqual([
        "step#1",
        "check#1",
        "step#2",
        "check#2",
        "legacy#1",
        "legacy#2"
      ])
      expect(analysis.criticalPath.steps.map((s) => `${s.nodeId}#${s.iteration}`)).toEqual([
        "step#1",
        "check#1",
        "step#2",
        "check#2",
        "legacy#1",
        "legacy#2"
      ])
      expect(analysis.criticalPath.durationSeconds).toBe(4.5)
    }))

  it.effect("p50 and p95 per node type by nearest rank", () =>
    Effect.sync(() => {
      const analysis = Analysis.analyzeSync(trace([
        node("c1", 0, 4),
        node("c2", 4, 1),
        node("c3", 5, 3),
        node("c4", 8, 2),
        node("t1", 10, 0.5, { type: "transform" })
      ]))
      expect(Analysis.encode(analysis).node_types).toEqual([
        { node_type: "compute", count: 4, total_seconds: 10, p50_seconds: 2, p95_seconds: 4 },
        { node_type: "transform", count: 1, total_seconds: 0.5, p50_seconds: 0.5, p95_seconds: 0.5 }
      ])
    }))

  it.effect("token use from node metadata, and from model_call_completed events where metadata has none", () =>
    Effect.sync(() => {
      const analysis = Analysis.analyzeSync(trace([
        node("plan", 0, 2, {
          type: "agent",
          metadata: {
            iteration: 1,
            model_calls: [
              { turn: 1, model: "m-large", input_tokens: 100, output_tokens: 20 },
              { turn: 2, model: "m-large", input_tokens: 150, output_tokens: 30 }
            ]
          }
        }),
        node("write", 2, 1, { type: "agent" })
      ], {
        events: [
          // already in plan's metadata: not counted twice
          { eventType: "model_call_completed", timestamp: T0 + 1, nodeId: "plan", data: { model: "m-large", input_tokens: 100, output_tokens: 20 } },
          { eventType: "model_call_completed", timestamp: T0 + 2.5, nodeId: "write", data: { model: "m-small", input_tokens: 40, output_tokens: 8 } }
        ]
      }))
      expect(Analysis.encode(analysis).tokens).toEqual({
        model_calls: 3,
        input_tokens: 290,
        output_tokens: 58,
        total_tokens: 348,
        by_model: [
          { model: "m-large", model_calls: 2, input_tokens: 250, output_tokens: 50 },
          { model: "m-small", model_calls: 1, input_tokens: 40, output_tokens: 8 }
        ],
        by_node: [
          { node_id: "plan", iteration: 1, model_calls: 2, input_tokens: 250, output_tokens: 50 },
          { node_id: "write", iteration: 1, model_calls: 1, input_tokens: 40, output_tokens: 8 }
        ]
      })
    }))

  it.effect("render names the slowest and failed nodes", () =>
    Effect.sync(() => {
      const text = Analysis.render(Analysis.analyzeSync(trace([
        node("fast", 0, 0.25),
        node("broken", 0.25, 1.25, { error: "boom" })
      ])))
      expect(text).toContain("Total duration: 1.50s")
      expect(text).toContain("broken: boom")
      expect(text.indexOf("broken")).toBeLessThan(text.indexOf("fast"))
    }))

  it.effect("encode gives exactly what the schema encodes, keys in the same order", () =>
    Effect.sync(() => {
      const t = trace([
        node("plan", 0, 2, {
          type: "agent",
          calls: [call("search", 0.5, 0.5, { error: "rate limited" })],
          metadata: { iteration: 1, model_calls: [{ model: "m", input_tokens: 10, output_tokens: 2 }] }
        }),
        node("a", 2, 1),
        node("b", 2, 1.5, { error: "boom" }),
        parallel("fan", 2, 1.75, ["a", "b"]),
        node("end", 3.75, 0.25, { type: "transform" })
      ])
      const analysis = Analysis.analyzeSync(t)
      const bySchema = Schema.encodeSync(Analysis.Analysis)(analysis)
      expect(Analysis.encode(analysis)).toEqual(bySchema)
      expect(JSON.stringify(Analysis.encode(analysis))).toBe(JSON.stringify(bySchema))
    }))

  it.effect("the critical path is CriticalPath's, the one the HTML report marks", () =>
    Effect.sync(() => {
      const t = longRun(5_000)
      const analysis = Analysis.analyzeSync(t)
      const path = CriticalPath.computeSync(t)
      expect(analysis.criticalPath.durationSeconds).toBe(path.durationSeconds)
      expect(analysis.criticalPath.steps.map((s) => s.seconds)).toEqual(path.steps.map((s) => s.seconds))
    }))

  it.effect("render: durations at the precision their size calls for, rates that never round a failure away", () =>
    Effect.sync(() => {
      const calls = (n: number, failed: number) =>
        Array.from({ length: n }, (_, i) => call("probe", 0, 0.0004, i < failed ? { error: "refused" } : {}))
      const text = Analysis.render(Analysis.analyzeSync(trace([
        node("quick", 0, 0.0004, { calls: calls(1000, 1) }),
        node("mid", 0.0004, 0.012, { calls: [call("http", 0.0004, 0.012)] }),
        node("slow", 0.0124, 123, { calls: calls(10_000, 1).map((c) => ({ ...c, toolName: "poll" })) })
      ])))
      expect(text).toContain("Total duration: 2m 03s")
      expect(text).toMatch(/quick\s+1\s+compute\s+0\.4ms/)
      expect(text).toMatch(/mid\s+1\s+compute\s+12ms/)
      // 1 failure in 1,000 calls and 1 in 10,000: neither reads as no failure.
      expect(text).toMatch(/probe\s+1000\s+1\s+0\.1%/)
      expect(text).toMatch(/poll\s+10000\s+1\s+<0\.1%/)
      // Exactly none is 0.0%.
      expect(text).toMatch(/http\s+1\s+0\s+0\.0%/)
    }))

  it.effect("render: a long critical path shows its ends and its longest steps, not every step", () =>
    Effect.sync(() => {
      const text = Analysis.render(Analysis.analyzeSync(longRun(5_000)))
      const line = text.split("\n").find((l) => l.startsWith("Critical path"))!
      expect(line).toMatch(/^Critical path \(\d+\.\d\ds, 5000 nodes\): step_0 1\.0ms -> /)
      expect(line).toContain("... 4976 more ...")
      expect(text).toContain("longest steps: ")
      expect(text.length).toBeLessThan(10_000)
    }))

  it.live("analyze of 200,000 records is linear and stops within a slice when interrupted", () =>
    Effect.gen(function*() {
      const t = longRun(200_000)
      const from = performance.now()
      const analysis = yield* Analysis.analyze(t)
      const took = performance.now() - from
      expect(analysis.totalNodes).toBe(200_000)
      expect(took).toBeLessThan(10_000)
      // Interrupted a little way in, it stops at the next turn of the event loop, not at the end.
      const fiber = yield* Effect.fork(Analysis.analyze(t))
      yield* Effect.sleep("30 millis")
      const asked = performance.now()
      yield* Fiber.interrupt(fiber)
      expect(performance.now() - asked).toBeLessThan(150)
    }), 60_000)
})
