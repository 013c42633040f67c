// Runs to compare in the report tests: a code-review workflow before and after a change (one node slower past the
// threshold, one faster, one added, one removed, one that now fails), hostile names, and large runs.
import type { NodeTraceRecord, WorkflowTrace } from "@victor/core/WorkflowTrace"
import { call, node, parallel, T0, trace } from "@victor/core/testing/TraceFixtures"

/** The thresholds of the sample: slower by more than 250 ms and by more than 10%. */
export const thresholds = { absoluteSeconds: 0.25, relative: 0.1 }

const checks = ["lint", "type_check", "unit_tests", "security_scan"]

/** The review workflow as it ran before the change. */
export const baseline = (): WorkflowTrace =>
  trace([
    node("load_config", 0, 0.04),
    node("fetch_pr", 0.04, 0.76, { type: "tool", calls: [call("github.get_pr", 0.05, 0.7)] }),
    node("plan_review", 0.8, 1.2, { type: "agent" }),
    parallel("checks", 2, 4.1, checks),
    node("lint", 2, 1),
    node("type_check", 2, 1.6),
    node("unit_tests", 2, 4.1, { calls: [call("pytest", 2, 4)] }),
    node("security_scan", 2, 2.5, { type: "agent" }),
    node("legacy_cache_warmup", 6.1, 0.6),
    node("summarize", 6.7, 2, { type: "agent", calls: [call("llm.complete", 6.7, 1.9)] }),
    node("score_risk", 8.7, 0.3, { type: "transform" }),
    node("post_comment", 9, 0.4, { type: "tool", calls: [call("github.comment", 9, 0.4)] }),
    node("notify", 9.4, 0.1)
  ], { traceId: "3f9c1e20-base", workflowName: "code_review" })

/** The same workflow after the change. */
export const candidate = (): WorkflowTrace =>
  trace([
    node("load_config", 0, 0.04),
    node("fetch_pr", 0.04, 0.71, { type: "tool", calls: [call("github.get_pr", 0.05, 0.66)] }),
    node("plan_review", 0.75, 0.85, { type: "agent" }),
    parallel("checks", 1.6, 6.1, checks),
    node("lint", 1.6, 0.95),
    node("type_check", 1.6, 1.55),
    node("unit_tests", 1.6, 6.1, { calls: [call("pytest", 1.6, 3), call("pytest", 4.6, 3)] }),
    node("security_scan", 1.6, 2.4, { type: "agent" }),
    node("cache_lookup", 7.7, 0.15),
    node("summarize", 7.85, 2.8, { type: "agent", calls: [call("llm.complete", 7.85, 2.7)] }),
    node("score_risk", 10.65, 0.3, { type: "transform" }),
    node("post_comment", 10.95, 0.45, { type: "tool", error: "the review API answered 502", calls: [call("github.comment", 10.95, 0.45, { error: "502" })] }),
    node("notify", 11.4, 0.1)
  ], { traceId: "8b41d7a2-head", workflowName: "code_review" })

/** Strings that would run or load something if they ever became markup. */
export const hostile = {
  img: "<img src=x onerror=alert(1)>",
  script: "</script><script>alert(2)</script>",
  svg: `"><svg onload=alert(3)>`,
  error: "<img src=y onerror=alert(4)>",
  quote: "x' onmouseover='alert(5)"
}

/** Two runs whose names, labels and errors are all hostile. */
export const hostileRuns = (): readonly [WorkflowTrace, WorkflowTrace] => [
  trace([node(hostile.img, 0, 1), node(hostile.quote, 1, 0.5), node(hostile.script, 1.5, 0.2)], {
    traceId: hostile.svg,
    workflowName: hostile.svg
  }),
  trace([
    node(hostile.img, 0, 3),
    node(hostile.quote, 3, 0.5, { error: hostile.error, type: hostile.script }),
    node(`${hostile.img}-new`, 3.5, 0.2)
  ], { traceId: hostile.script, workflowName: hostile.svg })
]

/** A sequential run of `count` nodes; `slower` makes every `every`th node slower by a second. */
export const longRun = (count: number, slower: number, every = 97): WorkflowTrace => {
  const nodes: Array<NodeTraceRecord> = []
  let t = T0
  for (let i = 0; i < count; i++) {
    const seconds = 0.01 + (i % 13) / 1000 + (slower > 0 && i % every === 0 ? slower : 0)
    nodes.push({
      nodeId: `step_${String(i).padStart(5, "0")}`,
      nodeType: i % 3 === 0 ? "agent" : "compute",
      timestamp: t,
      durationSeconds: seconds,
      success: true,
      error: null,
      inputs: {},
      outputs: {},
      toolCalls: [],
      metadata: { iteration: 1 }
    })
    t += seconds
  }
  return { ...trace([]), traceId: `long-${slower}`, nodes, endTime: t, durationSeconds: t - T0 }
}
