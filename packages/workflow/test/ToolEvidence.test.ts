// A failed tool call keeps its evidence: a command's stdout, stderr and exit code (or the signal that killed it).
import { expect, layer } from "@effect/vitest"
import * as WorkflowExecutor from "@victor/workflow/WorkflowExecutor"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as Effect from "effect/Effect"
import { RunLayer } from "./fixtures.ts"

const load = (source: ReadonlyArray<string>) => WorkflowLoader.parse(source.join("\n") + "\n", "test.yaml")

layer(RunLayer, { excludeTestServices: true })("failed tool calls keep their evidence", (it) => {
  it.effect("a non-zero exit keeps stdout, stderr and the exit code in the call's outputs", () =>
    Effect.gen(function*() {
      const workflow = yield* load([
        "nodes:",
        "  - id: build",
        "    type: compute",
        "    tools: [shell]",
        "    inputs: { command: 'echo compiling; echo \"error: 2 tests failed\" >&2; exit 3' }"
      ])
      const result = yield* WorkflowExecutor.execute(workflow)
      expect(result.status).toBe("failed")
      const call = result.trace.nodes[0]!.toolCalls[0]!
      expect(call.success).toBe(false)
      expect(call.error).toBe("command exited with code 3: error: 2 tests failed")
      expect(call.outputs).toEqual({ stdout: "compiling\n", stderr: "error: 2 tests failed\n", exit_code: 3 })
    }))

  it.effect("a command killed by a signal keeps what it printed and names the signal; fail_fast: false keeps it too", () =>
    Effect.gen(function*() {
      const workflow = yield* load([
        "nodes:",
        "  - id: crash",
        "    type: compute",
        "    tools: [shell]",
        "    fail_fast: false",
        "    inputs: { command: 'echo before; kill -KILL $$' }"
      ])
      const result = yield* WorkflowExecutor.execute(workflow)
      const node = result.trace.nodes[0]!
      const call = node.toolCalls[0]!
      expect(call.error).toBe("command was killed by signal SIGKILL")
      expect(call.outputs).toEqual({ stdout: "before\n", stderr: "", signal: "SIGKILL" })
      expect(node.outputs).toEqual({
        shell: { stdout: "before\n", stderr: "", signal: "SIGKILL", error: "command was killed by signal SIGKILL" }
      })
    }))
})
