import * as Path from "@effect/platform/Path"
import { beforeAll, expect, layer } from "@effect/vitest"
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
})
