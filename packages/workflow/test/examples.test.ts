import * as Path from "@effect/platform/Path"
import { beforeAll, expect, layer } from "@effect/vitest"
import * as TraceHistory from "@victor/core/TraceHistory"
import * as AgentProvider from "@victor/workflow/AgentProvider"
import * as HumanInput from "@victor/workflow/HumanInput"
import * as WorkflowExecutor from "@victor/workflow/WorkflowExecutor"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as Effect from "effect/Effect"
import { RunLayer } from "./fixtures.ts"

// The examples are written to run from the repository root, as the README runs them.
const repoRoot = `${import.meta.dirname}/../../..`
beforeAll(() => process.chdir(repoRoot))

layer(RunLayer, { excludeTestServices: true })("examples/workflows", (it) => {
  it.effect("code_review.yaml succeeds over the repository's own files", () =>
    Effect.gen(function*() {
      const path = yield* Path.Path
      const workflow = yield* WorkflowLoader.loadFile("examples/workflows/code_review.yaml")
      expect(workflow.warnings).toEqual([])
      const result = yield* WorkflowExecutor.execute(workflow)
      expect(result.error).toBeNull()
      expect(result.status).toBe("succeeded")
      const nodeIds = result.trace.nodes.map((node) => node.nodeId)
      expect(nodeIds.slice(0, 5)).toEqual(["list_packages", "find_todos", "read_readme", "count_files", "triage"])
      expect(nodeIds.at(-1)).toBe("summarize")
      expect(result.trace.nodes.every((node) => node.success)).toBe(true)
      const toolCalls = result.trace.nodes.flatMap((node) => node.toolCalls)
      expect(toolCalls.map((call) => call.toolName)).toEqual(["ls", "grep", "read", "shell"])
      expect(toolCalls.every((call) => call.success && call.durationSeconds > 0)).toBe(true)
      const state = result.state as Record<string, unknown>
      expect(state.packages).toBeGreaterThanOrEqual(2)
      expect(state.readme_bytes).toBeGreaterThan(0)
      expect(typeof state.tracked_files).toBe("number")
      expect(state.summary).toMatch(
        /^\d+ packages, \d+ tracked files, README of \d+ bytes; (tidy|needs attention): \d+/
      )
      // The grep skipped node_modules: every match is in a package's own files.
      const matches = (state.find_todos as { grep: { matches: ReadonlyArray<{ file: string }> } }).grep.matches
      expect(matches.every((match) => !match.file.split(path.sep).includes("node_modules"))).toBe(true)
    }))

  it.effect("parallel_checks.yaml runs its checks concurrently and summarises them", () =>
    Effect.gen(function*() {
      const workflow = yield* WorkflowLoader.loadFile("examples/workflows/parallel_checks.yaml")
      expect(workflow.warnings).toEqual([])
      const result = yield* WorkflowExecutor.execute(workflow)
      expect(result.error).toBeNull()
      expect(result.status).toBe("succeeded")
      const { nodes } = result.trace
      expect(nodes.map((node) => node.nodeId).sort()).toEqual(
        ["checks", "count_files", "find_todos", "list_packages", "summarize"]
      )
      expect(nodes.at(-1)?.nodeId).toBe("summarize")
      expect(nodes.every((node) => node.success)).toBe(true)
      const byId = new Map(nodes.map((node) => [node.nodeId, node]))
      const checks = byId.get("checks")!
      expect(checks).toMatchObject({
        nodeType: "parallel",
        toolCalls: [],
        outputs: {
          join_strategy: "all",
          children: { find_todos: "succeeded", list_packages: "succeeded", count_files: "succeeded" }
        }
      })
      // Each check made its own tool call, within the parallel node's run.
      for (const [id, tool] of [["find_todos", "grep"], ["list_packages", "ls"], ["count_files", "shell"]] as const) {
        const child = byId.get(id)!
        expect(child.toolCalls.map((call) => [call.toolName, call.success])).toEqual([[tool, true]])
        expect(child.timestamp).toBeGreaterThanOrEqual(checks.timestamp)
        expect(child.timestamp + child.durationSeconds).toBeLessThanOrEqual(checks.timestamp + checks.durationSeconds)
      }
      const state = result.state as Record<string, unknown>
      expect(state.packages).toBeGreaterThanOrEqual(2)
      expect(typeof state.tracked_files).toBe("number")
      expect(typeof state.todos).toBe("number")
      expect(state.summary).toMatch(/^\d+ packages, \d+ tracked files, \d+ TODO\/FIXME markers$/)
    }))

  it.effect("agent_review.yaml runs two scripted agents concurrently over real files and summarises them", () =>
    Effect.gen(function*() {
      const workflow = yield* WorkflowLoader.loadFile("examples/workflows/agent_review.yaml")
      expect(workflow.warnings).toEqual([])
      const script = yield* AgentProvider.loadScript("examples/workflows/agent_review.script.yaml")
      const result = yield* WorkflowExecutor.execute(workflow).pipe(
        Effect.provide(AgentProvider.layerScripted(script)),
        Effect.provide(HumanInput.layerAnswers({ sign_off: true }))
      )
      expect(result.error).toBeNull()
      expect(result.status).toBe("succeeded")
      const { nodes } = result.trace
      expect(nodes.map((node) => node.nodeId).sort()).toEqual(
        ["readme_reviewer", "reviews", "sign_off", "summarize", "todo_hunter"]
      )
      expect(result.trace.events.filter((e) => e.nodeId === "sign_off").map((e) => e.eventType)).toEqual(
        expect.arrayContaining(["hitl_requested", "hitl_resolved"])
      )
      expect(nodes.at(-1)?.nodeId).toBe("summarize")
      expect(nodes.every((node) => node.success)).toBe(true)
      const byId = new Map(nodes.map((node) => [node.nodeId, node]))
      const readme = byId.get("readme_reviewer")!
      const todos = byId.get("todo_hunter")!
      expect(readme.nodeType).toBe("agent")
      expect(readme.toolCalls).toMatchObject([{ toolName: "read", success: true, inputs: { path: "README.md" } }])
      expect(readme.toolCalls[0]!.outputs.content).toMatch(/^# Victor/)
      expect(todos.toolCalls).toMatchObject([{ toolName: "grep", success: true }])
      expect(typeof todos.toolCalls[0]!.outputs.count).toBe("number")
      expect(readme.metadata.model_calls).toMatchObject([
        { turn: 1, input_tokens: 180, output_tokens: 24, finish_reason: "tool_calls" },
        { turn: 2, input_tokens: 1400, output_tokens: 18, finish_reason: "stop" }
      ])
      // Both ran inside the parallel node's record.
      const reviews = byId.get("reviews")!
      for (const child of [readme, todos]) expect(child.timestamp).toBeGreaterThanOrEqual(reviews.timestamp)
      expect(result.trace.events.filter((e) => e.eventType === "model_call_completed")).toHaveLength(4)
      const state = result.state as Record<string, unknown>
      expect(state.tool_calls).toBe(2)
      expect(state.summary).toBe(
        "README: Victor traces workflow executions and stores, exports and compares the traces. " +
          "TODOs: The matches are reviewed by a maintainer before each release; nothing blocks this one."
      )
    }))

  it.effect("release_gate.yaml publishes when the gate is approved, and fails at the gate when it is not", () =>
    Effect.gen(function*() {
      const workflow = yield* WorkflowLoader.loadFile("examples/workflows/release_gate.yaml")
      expect(workflow.warnings).toEqual([])
      const approved = yield* WorkflowExecutor.execute(workflow, { context: { version: "1.4.0" } }).pipe(
        Effect.provide(HumanInput.layerAnswers({ gate: true }))
      )
      expect(approved.error).toBeNull()
      expect(approved.status).toBe("succeeded")
      expect(approved.trace.nodes.map((node) => [node.nodeId, node.nodeType, node.success])).toEqual([
        ["count_files", "compute", true],
        ["gate", "hitl", true],
        ["release", "transform", true]
      ])
      const state = approved.state as Record<string, unknown>
      expect(typeof state.tracked_files).toBe("number")
      expect(state.gate).toEqual({ approved: true, value: true, timed_out: false })
      expect(state.released).toBe(`release 1.4.0 approved with ${state.tracked_files} tracked files`)
      const gate = approved.trace.nodes[1]!
      expect(gate.inputs).toMatchObject({
        hitl_type: "approval",
        prompt: `Publish release 1.4.0 (${state.tracked_files} tracked files)?`,
        context: { version: "1.4.0", "count_files.shell.stdout": String(state.tracked_files) }
      })

      const rejected = yield* WorkflowExecutor.execute(workflow, { context: { version: "1.4.0" } }).pipe(
        Effect.provide(HumanInput.layerAnswers({ gate: false }))
      )
      expect(rejected.status).toBe("failed")
      expect(rejected.error).toBe("node 'gate' failed: 'gate' was not approved")
      expect(rejected.trace.nodes.map((node) => [node.nodeId, node.success])).toEqual([
        ["count_files", true],
        ["gate", false]
      ])
      expect(rejected.state).not.toHaveProperty("released")

      // The version is optional (the CLI's `--yes` runs it without one).
      const unversioned = yield* WorkflowExecutor.execute(workflow).pipe(
        Effect.provide(HumanInput.layerAnswers({}, { yes: true }))
      )
      expect(unversioned.status).toBe("succeeded")
      expect((unversioned.state as Record<string, unknown>).released).toMatch(
        /^release unversioned approved with \d+ tracked files$/
      )
    }))

  it.effect("failing_build.yaml fails at its test step", () =>
    Effect.gen(function*() {
      const workflow = yield* WorkflowLoader.loadFile("examples/workflows/failing_build.yaml")
      const result = yield* WorkflowExecutor.execute(workflow)
      expect(result.status).toBe("failed")
      expect(result.error).toBe(
        "node 'run_tests' failed: shell: command exited with code 3: error: 2 of 12 tests failed"
      )
      expect(result.trace.nodes.map((node) => [node.nodeId, node.success])).toEqual([
        ["compile", true],
        ["run_tests", false]
      ])
      expect(result.trace.nodes[1]!.toolCalls[0]).toMatchObject({
        toolName: "shell",
        success: false,
        error: "command exited with code 3: error: 2 of 12 tests failed"
      })
      expect(result.state).not.toHaveProperty("published")
    }))

  it.effect("release_report.yaml runs its sub-workflows (same file and a relative path), each in a linked trace", () =>
    Effect.gen(function*() {
      const workflow = yield* WorkflowLoader.loadFile("examples/workflows/release_report.yaml", {
        workflow: "release_report"
      })
      expect(workflow.warnings).toEqual([])
      const result = yield* WorkflowExecutor.execute(workflow)
      expect(result.error).toBeNull()
      const state = result.state as Record<string, unknown>
      expect(state.core_files).toBeGreaterThan(0)
      expect(state.workflow_files).toBeGreaterThan(0)
      expect(state.report).toBe(
        `packages/core: ${state.core_files} source files; headline: ${
          Number(state.core_files) + Number(state.workflow_files)
        } TypeScript files in two packages`
      )
      const children = result.trace.nodes.filter((node) => node.nodeType === "workflow")
      expect(children.map((node) => node.metadata["child_workflow"])).toEqual([
        "package_stats",
        "package_stats",
        "headline"
      ])
      for (const node of children) {
        const child = yield* TraceHistory.get(node.metadata["child_trace_id"] as string)
        expect(child.parentTraceId).toBe(result.trace.traceId)
        expect(child.traceParent).toBe(node.metadata["traceparent"])
      }
    }))
})
