import { describe, expect, layer } from "@effect/vitest"
import * as FunctionRegistry from "@victor/workflow/FunctionRegistry"
import * as ToolRegistry from "@victor/workflow/ToolRegistry"
import * as WorkflowExecutor from "@victor/workflow/WorkflowExecutor"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as WorkflowValidation from "@victor/workflow/WorkflowValidation"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { RunLayer, ToolsLayer } from "./fixtures.ts"

const lines = (...text: ReadonlyArray<string>) => text.join("\n") + "\n"
const fixture = (name: string) => `${import.meta.dirname}/fixtures/victor-format/${name}`

/** What a coding plugin would register for Victor's coding workflows (a test double, returning fixed values). */
const codingPlugin = FunctionRegistry.plugin("test-coding", {
  conditions: Object.fromEntries(
    [
      "suite_status",
      "next_fix_step",
      "quality_grade",
      "has_blockers",
      "chosen_fix_mode",
      "fixes_hold"
    ].map((name) => [name, () => "ok"])
  ),
  handlers: {
    lint_and_types: (_inputs, _state, tools) => tools.call("shell", { command: "echo linted" }),
    scan_secrets: () => Effect.succeed({ secret_issues: 0 })
  }
})

/** Not a shell command's quoting warning (checked on its own). */
const notShell = (finding: WorkflowValidation.Finding) => !finding.description.includes("shell command:")

const check = (file: string, workflow: string) =>
  Effect.flatMap(WorkflowLoader.loadFile(fixture(file), { workflow }), WorkflowValidation.check)

layer(ToolsLayer)("Victor's workflow format", (it) => {
  it.effect("bugfix.yaml and code_review.yaml load and validate cleanly with their conditions and handlers registered", () =>
    Effect.gen(function*() {
      for (const [file, workflow] of [
        ["bugfix.yaml", "fix_defect"],
        ["bugfix.yaml", "quick_patch"],
        ["code_review.yaml", "review_change"]
      ] as const) {
        const findings = yield* check(file, workflow).pipe(Effect.provide(FunctionRegistry.layer([codingPlugin])))
        expect(findings.filter(notShell).map((f) => f.message), `${file} ${workflow}`).toEqual([])
      }
      // `command: $ctx.test_command` is one quoted word now (values are data), and validate says so.
      const shell = (yield* check("bugfix.yaml", "fix_defect").pipe(
        Effect.provide(FunctionRegistry.layer([codingPlugin]))
      )).filter((f) => !notShell(f))
      expect(shell.map((f) => [f.severity, f.nodeId, f.line])).toEqual([["warning", "verify", 76]])
      expect(shell[0]!.message).toContain("the value of $ctx.test_command is passed as one quoted word")
      const bugfix = yield* WorkflowLoader.loadFile(fixture("bugfix.yaml"), { workflow: "fix_defect" })
      expect(new Set(bugfix.nodes.map((node) => node.type))).toEqual(
        new Set(["agent", "hitl", "compute", "condition", "transform"])
      )
      const review = yield* WorkflowLoader.loadFile(fixture("code_review.yaml"), { workflow: "review_change" })
      expect(new Set(review.nodes.map((node) => node.type))).toEqual(
        new Set(["agent", "hitl", "compute", "condition", "transform", "parallel"])
      )
    }))

  it.effect("without the plugin, every unregistered condition and handler is reported by name, file, line and column", () =>
    Effect.gen(function*() {
      const findings = (yield* check("bugfix.yaml", "fix_defect")).filter(notShell)
      const path = fixture("bugfix.yaml")
      expect(findings.map((f) => [f.severity, f.nodeId, f.line, f.column])).toEqual([
        ["warning", "tests_ok", 86, 20],
        ["warning", "retry_or_escalate", 103, 20],
        ["error", "quality", 126, 18],
        ["warning", "quality_gate", 139, 20]
      ])
      expect(findings[0]!.message).toBe(
        `${path}:86:20: node 'tests_ok': condition 'suite_status' is not a registered condition, and no node of ` +
          "the workflow sets a state key of that name; registered conditions: always, never; register it with a " +
          "plugin, or write '$ctx.suite_status' when the run's context gives it"
      )
      expect(findings[2]!.message).toBe(
        `${path}:126:18: node 'quality' uses handler 'lint_and_types', which is not registered; registered ` +
          "handlers: passthrough (plugins add more)"
      )
      // The run refuses to start on the error, naming the handler.
      const workflow = yield* WorkflowLoader.loadFile(path, { workflow: "fix_defect" })
      const error = yield* Effect.flip(WorkflowExecutor.validate(workflow))
      expect(error.message).toContain("uses handler 'lint_and_types', which is not registered")
      // A plugin registered later (`register`) fills the gap.
      const registered = yield* WorkflowValidation.check(workflow).pipe(
        Effect.provide(FunctionRegistry.register(codingPlugin))
      )
      expect(registered.filter(notShell)).toEqual([])
    }))
})

describe("WorkflowValidation", () => {
  layer(ToolsLayer)("findings", (it) => {
    it.effect("reports loops without an exit with the loop's nodes, and not loops a condition can leave", () =>
      Effect.gen(function*() {
        const trapped = yield* WorkflowLoader.parse(
          lines(
            "nodes:",
            "  - { id: start, type: transform, transform: n = 0 }",
            "  - { id: poll, type: transform, transform: n = n + 1 }",
            "  - id: again",
            "    type: condition",
            "    condition: n > 3",
            "    branches: { \"true\": poll, \"false\": poll }",
            "  - { id: unreachable_end, type: transform, transform: done = true }"
          ),
          "poll.yaml"
        )
        const findings = yield* WorkflowValidation.check(trapped)
        expect(findings.map((f) => f.message)).toEqual([
          "poll.yaml:3:5: loop 'poll' -> 'again' -> 'poll' has no exit: no node in it reaches the end of the " +
          "workflow and no condition branch leaves it, so a run that enters it stops only at max_iterations",
          "poll.yaml:8:5: node 'unreachable_end' is never reached from the start node"
        ])
        const leaving = yield* WorkflowLoader.parse(
          lines(
            "nodes:",
            "  - { id: poll, type: transform, transform: n = n + 1 }",
            "  - id: again",
            "    type: condition",
            "    condition: n > 3",
            "    branches: { \"true\": done, \"false\": poll }",
            "  - { id: done, type: transform, transform: ok = true }"
          ),
          "poll.yaml"
        )
        expect(yield* WorkflowValidation.check(leaving)).toEqual([])
        // A self-loop through `next` is a loop too.
        const self = yield* WorkflowLoader.parse(
          lines("nodes:", "  - { id: spin, type: transform, transform: n = 1, next: [spin] }"),
          "spin.yaml"
        )
        expect(self.warnings).toEqual([
          "spin.yaml:2:5: loop 'spin' -> 'spin' has no exit: no node in it reaches the end of the workflow and no " +
          "condition branch leaves it, so a run that enters it stops only at max_iterations"
        ])
      }))

    it.effect("a bare-name condition the workflow sets itself is an expression, not a named condition", () =>
      Effect.gen(function*() {
        const workflow = yield* WorkflowLoader.parse(
          lines(
            "nodes:",
            "  - { id: decide, type: transform, transform: go = true }",
            "  - { id: gate, type: condition, condition: go, branches: { \"true\": end, \"false\": end } }",
            "  - { id: end, type: transform, transform: x = 1 }"
          ),
          "set.yaml"
        )
        expect(yield* WorkflowValidation.check(workflow)).toEqual([])
      }))

    it.effect("checks sub-workflows too, each finding naming its own file", () =>
      Effect.gen(function*() {
        const workflow = yield* WorkflowLoader.parse(
          lines(
            "workflows:",
            "  main:",
            "    nodes:",
            "      - { id: call, type: workflow, workflow: child }",
            "  child:",
            "    nodes:",
            "      - { id: c, type: compute, handler: nope }"
          ),
          "nested.yaml",
          { workflow: "main" }
        )
        const findings = yield* WorkflowValidation.check(workflow)
        expect(findings.map((f) => [f.severity, f.nodeId, f.message])).toEqual([
          [
            "error",
            "c",
            "nested.yaml:7:42: node 'c' uses handler 'nope', which is not registered; registered handlers: " +
            "passthrough (plugins add more)"
          ]
        ])
      }))
  })

  layer(RunLayer, { excludeTestServices: true })("handlers", (it) => {
    it.effect("a handler calls its node's tools, traced under the node; other tools are refused", () =>
      Effect.gen(function*() {
        const workflow = yield* WorkflowLoader.parse(
          lines(
            "nodes:",
            "  - { id: q, type: compute, handler: lint_and_types, tools: [shell], inputs: { lint: true } }",
            "  - { id: r, type: compute, handler: sneaky, tools: [shell] }"
          ),
          "h.yaml"
        )
        const sneaky = FunctionRegistry.plugin("sneaky", {
          handlers: { sneaky: (_inputs, _state, tools) => tools.call("read", { path: "/etc/hostname" }) }
        })
        const result = yield* WorkflowExecutor.execute(workflow).pipe(
          Effect.provide(FunctionRegistry.layer([codingPlugin, sneaky]))
        )
        const [q, r] = result.trace.nodes
        expect(q).toMatchObject({ success: true, inputs: { handler: "lint_and_types", tools: ["shell"] } })
        expect(q!.toolCalls.map((call) => [call.toolName, call.success, call.outputs["stdout"]])).toEqual([
          ["shell", true, "linted\n"]
        ])
        expect(r!.success).toBe(false)
        expect(r!.error).toBe(
          "handler 'sneaky': handler 'sneaky' called tool 'read', which node 'r' does not list in 'tools' (listed: shell)"
        )
      }))
  })
})

// The registry on its own.
describe("FunctionRegistry", () => {
  layer(Layer.empty)("lookups", (it) => {
    it.effect("looks functions up by name; an unknown one lists the registered ones; a later plugin wins", () =>
      Effect.gen(function*() {
        const registry = FunctionRegistry.make([
          FunctionRegistry.builtin,
          FunctionRegistry.plugin("a", { conditions: { ready: () => "a" } }),
          FunctionRegistry.plugin("b", { conditions: { ready: () => "b" } })
        ])
        expect((yield* registry.condition("ready"))({})).toBe("b")
        const error = yield* Effect.flip(registry.handler("deploy"))
        expect(error.message).toBe("unknown handler 'deploy'; registered handlers: passthrough")
        expect(registry.plugins.map((p) => p.name)).toEqual(["builtin", "a", "b"])
        const only = yield* Effect.provide(FunctionRegistry.current, FunctionRegistry.layerOnly([]))
        expect((yield* Effect.flip(only.condition("always"))).message).toBe(
          "unknown condition 'always'; registered conditions: none"
        )
        expect(ToolRegistry.listNames([])).toBe("none")
      }))
  })
})

