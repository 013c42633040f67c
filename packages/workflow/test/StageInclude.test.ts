import { describe, expect, it, layer } from "@effect/vitest"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as StageTemplate from "@victor/workflow/StageTemplate"
import * as WorkflowExecutor from "@victor/workflow/WorkflowExecutor"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { ToolsLayer } from "./fixtures.ts"

const parse = (source: string, options?: WorkflowLoader.LoadOptions) =>
  WorkflowLoader.parse(source, "flow.yaml", options)

const parseError = (source: string, options?: WorkflowLoader.LoadOptions) => Effect.flip(parse(source, options))

const lines = (...text: ReadonlyArray<string>) => text.join("\n") + "\n"

describe("stage: / overrides: includes", () => {
  it.effect("an unknown stage is an error naming it, at the line of its 'stage:'", () =>
    Effect.gen(function*() {
      const close = yield* parseError(lines(
        "nodes:",
        "  - id: look",
        "    stage: analyse_stage",
        "    overrides: { goal: Look }"
      ))
      expect(close).toMatchObject({ reason: "Invalid", nodeId: "look", line: 3, column: 12 })
      expect(close.message).toBe(
        "flow.yaml:3:12: node 'look' uses unknown stage 'analyse_stage'; did you mean 'analyze_stage'?"
      )
      const far = yield* parseError(lines(
        "workflows:",
        "  w:",
        "    nodes:",
        "      - id: first",
        "        type: transform",
        "        transform: a = 1",
        "      - id: second",
        "        stage: nightly_build"
      ))
      expect(far).toMatchObject({ nodeId: "second", line: 8, column: 16 })
      expect(far.message).toContain("node 'second' uses unknown stage 'nightly_build'; known stages: analyze_stage, ")
      expect(far.message).toContain(StageTemplate.names(StageTemplate.builtin).join(", "))
    }))

  it.effect("bad overrides are errors at their line: not a mapping, without a stage, changing the id, a bad value", () =>
    Effect.gen(function*() {
      const notMapping = yield* parseError(lines("nodes:", "  - id: a", "    stage: test_stage", "    overrides: [1]"))
      expect(notMapping.message).toBe(
        "flow.yaml:4:16: node 'a': 'overrides' of stage 'test_stage' must be a mapping of node fields"
      )
      const noStage = yield* parseError(lines(
        "nodes:",
        "  - id: a",
        "    type: transform",
        "    transform: x = 1",
        "    overrides: { name: A }"
      ))
      expect(noStage.message).toBe(
        "flow.yaml:5:16: node 'a' has 'overrides' but no 'stage' to override; add 'stage: <name>', or write the " +
          "fields on the node itself"
      )
      const id = yield* parseError(lines("nodes:", "  - id: a", "    stage: test_stage", "    overrides:", "      id: b"))
      expect(id.message).toBe(
        "flow.yaml:5:11: node 'a': 'overrides' of stage 'test_stage' may not set 'id'; set 'id:' on the node itself"
      )
      const value = yield* parseError(lines(
        "nodes:",
        "  - id: a",
        "    stage: test_stage",
        "    overrides:",
        "      timeout: soon"
      ))
      expect(value).toMatchObject({ nodeId: "a", line: 5, column: 16 })
      expect(value.message).toContain("node 'a', field 'timeout'")
      // A field the template gives is located at 'stage:'.
      const template = yield* parseError(
        lines("nodes:", "  - id: a", "    stage: broken"),
        { stageTemplates: { broken: { type: "compute", tools: ["shell"], timeout: -1 } } }
      )
      expect(template).toMatchObject({ line: 3, column: 12 })
      expect(template.message).toContain("node 'a', field 'timeout': must be a positive number of seconds")
    }))

  it.effect("merges like Victor: node fields replace the template's, overrides merge objects and replace lists", () =>
    Effect.gen(function*() {
      const workflow = yield* parse(lines(
        "stage_templates:",
        "  probe:",
        "    description: Probe something (describes the template, not the node)",
        "    type: agent",
        "    role: prober",
        "    goal: Probe {target}",
        "    tools: [read, grep]",
        "    llm_config: { temperature: 0.3, model_hint: small }",
        "    timeout: 90",
        "workflows:",
        "  w:",
        "    nodes:",
        "      - id: merged",
        "        stage: probe",
        "        overrides:",
        "          tools: [shell]",
        "          llm_config: { temperature: 0.9 }",
        "      - id: replaced",
        "        stage: probe",
        "        llm_config: { max_tokens: 10 }",
        "        overrides: { timeout: 5 }"
      ))
      expect(workflow.nodes[0]).toMatchObject({
        id: "merged",
        type: "agent",
        role: "prober",
        goal: "Probe {target}",
        tools: ["shell"],
        llmConfig: { temperature: 0.9, model_hint: "small" },
        timeout: 90
      })
      expect(workflow.nodes[0]!.description).toBeUndefined()
      expect(workflow.nodes[1]).toMatchObject({ id: "replaced", llmConfig: { max_tokens: 10 }, timeout: 5 })
      expect(workflow.warnings).toEqual([])
    }))

  it.effect("stage templates come from the built-in library, then LoadOptions, then the file, the later winning", () =>
    Effect.gen(function*() {
      const source = (withFile: boolean) =>
        lines(
          ...(withFile ? ["stage_templates:", "  test_stage: { type: transform, transform: from = 'file' }"] : []),
          "nodes:",
          "  - id: t",
          "    stage: test_stage"
        )
      const builtin = yield* parse(source(false))
      expect(builtin.nodes[0]).toMatchObject({ type: "compute", tools: ["shell"], output: "test_results" })
      const stageTemplates = { test_stage: { type: "transform", transform: "from = 'options'" } }
      const fromOptions = yield* parse(source(false), { stageTemplates })
      expect(fromOptions.nodes[0]).toMatchObject({ type: "transform", transform: ["from = 'options'"] })
      const fromFile = yield* parse(source(true), { stageTemplates })
      expect(fromFile.nodes[0]).toMatchObject({ type: "transform", transform: ["from = 'file'"] })
      // A top-level workflow's `stage_templates:` is not one of its fields.
      expect(fromFile.warnings).toEqual([])
    }))

  it.effect("an unknown field of a resolved node is a warning at the override that wrote it", () =>
    Effect.gen(function*() {
      const workflow = yield* parse(lines(
        "nodes:",
        "  - id: t",
        "    stage: test_stage",
        "    overrides:",
        "      tool_budjet: 5"
      ))
      expect(workflow.warnings).toEqual(["flow.yaml:5:20: node 't': unknown field 'tool_budjet' is ignored"])
    }))
})

describe("Victor's spellings of constraints and choices", () => {
  it.effect("constraints: a list of what is blocked, or none, becomes the object form", () =>
    Effect.gen(function*() {
      const constraintsOf = (written: string) =>
        Effect.map(
          parse(lines("nodes:", "  - { id: c, type: compute, tools: [shell], constraints: " + written + " }")),
          (workflow) => workflow.nodes[0]!.constraints
        )
      expect(yield* constraintsOf("[llm, network]")).toEqual({
        llm_allowed: false,
        network_allowed: false,
        write_allowed: true
      })
      expect(yield* constraintsOf("[LLM, filesystem]")).toEqual({
        llm_allowed: false,
        network_allowed: false,
        write_allowed: false
      })
      expect(yield* constraintsOf("none")).toEqual({ llm_allowed: true, network_allowed: true, write_allowed: true })
      expect(yield* constraintsOf("{ llm_allowed: false, timeout: 5 }")).toEqual({ llm_allowed: false, timeout: 5 })
      const combined = yield* Effect.flip(constraintsOf("[none, llm]"))
      expect(combined.message).toContain("'none' cannot be combined with other constraints")
      const unknown = yield* Effect.flip(constraintsOf("[gpu]"))
      expect(unknown.message).toContain("unknown constraint 'gpu'; known: llm, network, write, filesystem, none")
    }))

  it.effect("a hitl node's options: [{label, description}] are its choices; an option without a label is an error", () =>
    Effect.gen(function*() {
      const workflow = yield* parse(lines(
        "nodes:",
        "  - id: pick",
        "    type: hitl",
        "    hitl_type: choice",
        "    prompt: Which?",
        "    options:",
        "      - { label: Left, description: Go left }",
        "      - Right"
      ))
      expect(workflow.nodes[0]).toMatchObject({ choices: ["Left", "Right"] })
      expect(workflow.warnings).toEqual([])
      const unlabelled = yield* parseError(lines(
        "nodes:",
        "  - id: pick",
        "    stage: choice_stage",
        "    overrides:",
        "      options:",
        "        - { description: no label }"
      ))
      expect(unlabelled.message).toBe(
        "flow.yaml:6:11: node 'pick': option #1 has no 'label'; write each option as a string or as " +
          "'{label: ..., description: ...}'"
      )
    }))
})

layer(ToolsLayer)("running stage nodes", (it) => {
  it.effect("complete_stage stamps the time from Effect's Clock (TestClock here) as ISO-8601 UTC", () =>
    Effect.gen(function*() {
      const workflow = yield* parse(lines(
        "nodes:",
        "  - id: done",
        "    stage: complete_stage",
        "  - id: approved",
        "    stage: complete_stage",
        "    overrides:",
        "      transform: |",
        "        status = \"approved\"",
        "        approval_time = current_timestamp()",
        "        late = $ctx.get(\"missing\", \"n/a\")"
      ))
      yield* TestClock.setTime(Date.parse("2026-03-04T05:06:07.089Z"))
      const result = yield* WorkflowExecutor.execute(workflow).pipe(Effect.provide(WorkflowTracer.layerMemory()))
      expect(result).toMatchObject({ status: "succeeded", error: null })
      expect(result.state).toMatchObject({
        // The built-in complete_stage: `final_results` was never set, so `output` is null rather than an error.
        end_time: "2026-03-04T05:06:07.089Z",
        output: null,
        status: "approved",
        approval_time: "2026-03-04T05:06:07.089Z",
        late: "n/a"
      })
    }))
})
