import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it, layer } from "@effect/vitest"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as AgentProvider from "@victor/workflow/AgentProvider"
import * as FunctionRegistry from "@victor/workflow/FunctionRegistry"
import * as ToolRegistry from "@victor/workflow/ToolRegistry"
import type * as WorkflowDefinition from "@victor/workflow/WorkflowDefinition"
import * as WorkflowExecutor from "@victor/workflow/WorkflowExecutor"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as WorkflowValidation from "@victor/workflow/WorkflowValidation"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"

// `bugfix_full.yaml` and `code_review_full.yaml` have the structure of Victor's own coding workflows, written with
// `stage:` / `overrides:` includes, `.get()` and `current_timestamp()`.
import { testAllowedPaths } from "./fixtures.ts"
const fixture = (name: string) => `${import.meta.dirname}/fixtures/victor-format/${name}`

const workflows = [
  ["bugfix_full.yaml", "bug_fix"],
  ["bugfix_full.yaml", "quick_fix"],
  ["bugfix_full.yaml", "debug_investigation"],
  ["code_review_full.yaml", "code_review"],
  ["code_review_full.yaml", "quick_review"],
  ["code_review_full.yaml", "pr_review"]
] as const

/** The named conditions Victor's coding vertical registers and these files use. */
const codingConditions = [
  "tests_passing",
  "should_continue_fixing",
  "code_quality_check",
  "has_critical_issues",
  "auto_fix_choice",
  "approval_decision",
  "fixes_verified",
  "has_issues",
  "review_verdict"
]

/** The tools of Victor's these files name that are not built in. */
const codingTools = ["code_search", "git", "refs", "symbol", "edit", "references", "symbols"]

/** What a coding plugin would register (test doubles returning fixed values). */
const codingPlugin = FunctionRegistry.plugin("test-coding", {
  conditions: Object.fromEntries(codingConditions.map((name) => [name, () => "ok"])),
  handlers: { code_validation: () => Effect.succeed({ lint_errors: 0, type_errors: 0 }) }
})

const toolDouble = (name: string): ToolRegistry.Tool => ({
  name,
  description: `test double of Victor's '${name}' tool`,
  run: (inputs) => Effect.succeed({ tool: name, inputs })
})

const CodingTools = Layer.provideMerge(
  ToolRegistry.layerBuiltinWith({ tools: codingTools.map(toolDouble), allowedPaths: testAllowedPaths }),
  NodeContext.layer
)

const load = (file: string, workflow: string) => WorkflowLoader.loadFile(fixture(file), { workflow })

const check = (file: string, workflow: string) => Effect.flatMap(load(file, workflow), WorkflowValidation.check)

const node = (workflow: WorkflowDefinition.WorkflowDefinition, id: string) => workflow.nodes.find((n) => n.id === id)!

layer(CodingTools)("Victor's coding workflows, full format", (it) => {
  it.effect("every workflow of both files loads and validates with zero errors once the coding names are registered", () =>
    Effect.gen(function*() {
      for (const [file, workflow] of workflows) {
        const findings = yield* check(file, workflow).pipe(Effect.provide(FunctionRegistry.layer([codingPlugin])))
        expect(WorkflowValidation.errors(findings).map((f) => f.message), `${file} ${workflow}`).toEqual([])
      }
      // The warnings left are about what the files say that no runner uses: the agent nodes' `inputs`, a compute
      // stage given agent fields. (`options` on an approval are presented; `services` is carried into the trace.)
      const messages = yield* Effect.forEach(
        [["code_review_full.yaml", "code_review"], ["code_review_full.yaml", "pr_review"]] as const,
        ([file, workflow]) => check(file, workflow).pipe(Effect.provide(FunctionRegistry.layer([codingPlugin])))
      )
      const path = fixture("code_review_full.yaml")
      expect(messages.flat().filter((f) => !f.description.includes("shell command:")).map((f) => f.message)).toEqual([
        `${path}:37:11: node 'gather_changes': unknown field 'inputs' is ignored`,
        `${path}:385:11: node 'fetch_pr': unknown field 'inputs' is ignored`,
        `${path}:420:17: node 'check_tests': unknown field 'role' is ignored`,
        `${path}:421:17: node 'check_tests': unknown field 'goal' is ignored`,
        `${path}:424:24: node 'check_tests': unknown field 'tool_budget' is ignored`,
        `${path}:427:13: node 'check_tests': unknown field 'llm_config' is ignored`
      ])
    }))

  it.effect("without a coding plugin, each unregistered condition, handler and tool is reported by name", () =>
    Effect.gen(function*() {
      const conditions = new Set<string>()
      const handlers = new Set<string>()
      const tools = new Set<string>()
      for (const [file, workflow] of workflows) {
        const findings = yield* check(file, workflow).pipe(
          Effect.provide(Layer.provideMerge(ToolRegistry.layerBuiltin, NodeContext.layer))
        )
        for (const { description } of findings) {
          const condition = /condition '([^']+)' is not a registered condition/.exec(description)?.[1]
          const handler = /uses handler '([^']+)', which is not registered/.exec(description)?.[1]
          const tool = /uses unknown tool '([^']+)'/.exec(description)?.[1]
          if (condition !== undefined) conditions.add(condition)
          if (handler !== undefined) handlers.add(handler)
          if (tool !== undefined) tools.add(tool)
        }
      }
      expect([...conditions].sort()).toEqual([...codingConditions].sort())
      expect([...handlers]).toEqual(["code_validation"])
      expect([...tools].sort()).toEqual([...codingTools].sort())
      const findings = yield* check("bugfix_full.yaml", "bug_fix").pipe(
        Effect.provide(Layer.provideMerge(ToolRegistry.layerBuiltin, NodeContext.layer))
      )
      expect(findings.find((f) => f.nodeId === "check_quality")?.message).toBe(
        `${fixture("bugfix_full.yaml")}:165:18: node 'check_quality' uses handler 'code_validation', which is not ` +
          "registered; registered handlers: passthrough (plugins add more)"
      )
    }))

  it.effect("resolves stage includes as Victor does: template, then the node's fields, then overrides merged deeply", () =>
    Effect.gen(function*() {
      const bugFix = yield* load("bugfix_full.yaml", "bug_fix")
      // analyze_stage is an agent (role analyst, tools, budget 20, temperature 0.3, timeout 180).
      expect(node(bugFix, "investigate")).toMatchObject({
        type: "agent",
        name: "Investigate Bug",
        role: "researcher",
        tools: ["read", "grep", "code_search", "shell", "git", "refs", "symbol"],
        toolBudget: 25,
        llmConfig: { temperature: 0.2 },
        timeout: 180,
        output: "investigation",
        next: ["diagnose"]
      })
      expect(node(bugFix, "diagnose")).toMatchObject({ inputMapping: { findings: "investigation" }, output: "fix_plan" })
      // test_stage is a compute node; its `constraints: [llm]` is Victor's list form.
      expect(node(bugFix, "run_tests")).toMatchObject({
        type: "compute",
        name: "Run Tests",
        tools: ["shell"],
        inputs: { command: "$ctx.test_command" },
        output: "test_results",
        timeout: 180,
        constraints: { llm_allowed: false, network_allowed: true, write_allowed: true }
      })
      expect(node(bugFix, "approve_fix")).toMatchObject({
        type: "hitl",
        hitlType: "approval",
        contextKeys: ["investigation", "fix_plan"],
        timeout: 300,
        fallback: "continue"
      })
      expect(node(bugFix, "complete")).toMatchObject({
        type: "transform",
        name: "Complete",
        transform: ["status = \"completed\"\nsuccess = true\n"]
      })
      // No stage include is left, and nothing from the template's own bookkeeping.
      for (const n of bugFix.nodes) expect(Object.keys(n)).not.toContain("stage")

      const review = yield* load("code_review_full.yaml", "code_review")
      // Fields written next to `stage:` replace the template's (output, timeout, constraints of an agent).
      expect(node(review, "gather_changes")).toMatchObject({
        type: "agent",
        tools: ["shell"],
        toolBudget: 5,
        llmConfig: { temperature: 0 },
        output: "changes",
        timeout: 60,
        constraints: { llm_allowed: false, network_allowed: true, write_allowed: false }
      })
      expect(node(review, "lint_check")).toMatchObject({
        type: "compute",
        inputs: { commands: ["$ctx.lint_command", "$ctx.format_check_command"] },
        output: "lint_results",
        timeout: 180
      })
      // A choice stage's `options: [{label, description}]` are its choices.
      expect(node(review, "offer_auto_fix")).toMatchObject({
        type: "hitl",
        hitlType: "choice",
        choices: ["Yes, fix automatically", "No, I'll fix manually"]
      })
      expect(node(review, "complete_approved")).toMatchObject({
        transform: ["status = \"approved\"\napproval_time = current_timestamp()\n"]
      })
      // Positions of a resolved node's fields: the override's line, or the `stage:` line for the template's.
      const positions = review.source?.nodePositions?.["lint_check"]
      expect(positions?.fields["timeout"]?.line).toBe(69)
      expect(positions?.fields["stage"]?.line).toBe(67)
      expect(positions?.fields["tools"]?.line).toBe(67)
    }))
})

const script = (input: AgentProvider.ScriptInput) => Schema.decodeUnknownSync(AgentProvider.Script)(input)

describe("running Victor's coding workflows", () => {
  const RunLayer = Layer.mergeAll(
    CodingTools,
    WorkflowTracer.layerMemory(),
    FunctionRegistry.layer([codingPlugin])
  )

  it.effect("quick_fix runs to the end: two stage agents, the test stage and a transform using .get()", () =>
    Effect.gen(function*() {
      const workflow = yield* load("bugfix_full.yaml", "quick_fix")
      const provider = AgentProvider.layerScripted(script({
        locate_bug: [{ response: "src/parse.ts:12 reads past the end" }],
        fix_bug: [{ response: "bounds check added" }]
      }))
      // `command: $ctx.test_command` passes the value as one quoted word: a program's name runs, and no value is
      // ever read as shell code.
      const result = yield* WorkflowExecutor.execute(workflow, { context: { test_command: "true" } }).pipe(
        Effect.provide(provider)
      )
      expect(result).toMatchObject({ status: "succeeded", error: null })
      expect(result.trace.nodes.map((n) => n.nodeId)).toEqual(["locate_bug", "fix_bug", "verify_fix", "done"])
      // test_results has no "failed" key: `.get("failed", 0)` gives the default.
      expect(result.state).toMatchObject({ status: "completed", success: true })
    }).pipe(Effect.provide(RunLayer)), { timeout: 30_000 })
})
