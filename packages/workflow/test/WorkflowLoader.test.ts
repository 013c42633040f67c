import * as NodeContext from "@effect/platform-node/NodeContext"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { describe, expect, it, layer } from "@effect/vitest"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"

const parse = (source: string, options?: WorkflowLoader.LoadOptions) =>
  WorkflowLoader.parse(source, "flow.yaml", options)

const parseError = (source: string, options?: WorkflowLoader.LoadOptions) => Effect.flip(parse(source, options))

const lines = (...text: ReadonlyArray<string>) => text.join("\n") + "\n"

describe("WorkflowLoader", () => {
  it.effect("loads a workflows: file with defaults and settings under execution:", () =>
    Effect.gen(function*() {
      const workflow = yield* parse(lines(
        "workflows:",
        "  review:",
        "    description: Review things",
        "    metadata: { team: core }",
        "    timeout: 60",
        "    execution:",
        "      timeout: 30",
        "      max_retries: 2",
        "    nodes:",
        "      - id: list",
        "        type: compute",
        "        tools: ls",
        "        inputs: { path: . }",
        "        next: decide",
        "      - id: decide",
        "        type: condition",
        "        condition: list.ls.count > 0",
        "        branches: { true: done, default: done }",
        "      - id: done",
        "        type: transform",
        "        transform: |",
        "          ok = true",
        "          # a comment",
        "          total = list.ls.count"
      ))
      expect(workflow.name).toBe("review")
      expect(workflow.description).toBe("Review things")
      expect(workflow.metadata).toEqual({ team: "core" })
      expect(workflow.startNode).toBe("list")
      expect(workflow.settings).toEqual({
        timeout: 30,
        defaultNodeTimeout: undefined,
        maxIterations: 25,
        maxRetries: 2
      })
      expect(workflow.nodes.map((node) => node.type)).toEqual(["compute", "condition", "transform"])
      const [list, decide] = workflow.nodes
      expect(list).toMatchObject({ id: "list", tools: ["ls"], next: ["decide"], failFast: true, inputs: { path: "." } })
      expect(decide).toMatchObject({ branches: { true: "done", default: "done" } })
      expect(workflow.warnings).toEqual([])
      expect(workflow.source).toMatchObject({ path: "flow.yaml", nodeLines: { list: 10, decide: 15, done: 19 } })
      expect(workflow.source?.nodePositions?.["decide"]?.node).toEqual({ line: 15, column: 9 })
    }))

  it.effect("names a top-level workflow by its name: key or the file's base name", () =>
    Effect.gen(function*() {
      const body = lines("nodes:", "  - id: a", "    type: transform", "    transform: x = 1")
      expect((yield* parse(`name: custom\n${body}`)).name).toBe("custom")
      expect((yield* WorkflowLoader.parse(body, "dir/my_flow.yml")).name).toBe("my_flow")
      const wrong = yield* parseError(body, { workflow: "other" })
      expect(wrong.reason).toBe("UnknownWorkflow")
      expect(wrong.message).toBe("flow.yaml:1:1: no workflow named 'other' in this file; it defines one workflow: flow")
    }))

  it.effect("names line and column of malformed YAML", () =>
    Effect.gen(function*() {
      const error = yield* parseError(lines(
        "workflows:",
        "  ci:",
        "    nodes:",
        "      - id: a",
        "        type: compute",
        "        tools: [shell",
        "      - id: b"
      ))
      expect(error.reason).toBe("Syntax")
      expect(error.line).toBe(7)
      expect(error.column).toBe(7)
      expect(error.message).toMatch(/^flow\.yaml:7:7: invalid YAML: /)
      const duplicate = yield* parseError(lines("nodes: []", "nodes: []"))
      expect(duplicate.message).toMatch(/^flow\.yaml:2:1: invalid YAML: Map keys must be unique/)
    }))

  it.effect("names line and column of a merge key that merges no mapping, and of aliases past the limit", () =>
    Effect.gen(function*() {
      const node = ["nodes:", "  - id: a", "    type: transform", "    transform: \"x = 1\""]
      const merge = yield* parseError(lines("metadata:", "  base: 1", "  <<: x", ...node))
      expect(merge.reason).toBe("Syntax")
      expect(merge.message).toMatch(/^flow\.yaml:3:3: invalid YAML: Merge sources must be maps/)
      // A billion laughs: each level doubles the aliases that expand.
      const levels = Array.from({ length: 12 }, (_, i) => `  l${i + 1}: [*l${i}, *l${i}]`)
      const laughs = yield* parseError(lines("metadata:", "  l0: &l0 [lol]", ...levels.map((l, i) => l.replace(`l${i + 1}:`, `l${i + 1}: &l${i + 1}`)), ...node))
      expect(laughs.reason).toBe("Syntax")
      expect(laughs.message).toMatch(/^flow\.yaml:\d+:\d+: invalid YAML: .*alias/i)
    }))

  it.effect("rejects an unknown node type, listing the known ones", () =>
    Effect.gen(function*() {
      const error = yield* parseError(lines(
        "nodes:",
        "  - id: a",
        "    type: transform",
        "    transform: x = 1",
        "  - id: fetch",
        "    type: http"
      ))
      expect(error).toMatchObject({ reason: "Invalid", nodeId: "fetch", line: 6, column: 11 })
      expect(error.message).toBe(
        "flow.yaml:6:11: node 'fetch' has unknown type 'http'; known types: agent, compute, condition, parallel, " +
          "transform, hitl, team, workflow (supported node types: agent, compute, condition, parallel, transform, hitl, team, " +
          "workflow)"
      )
    }))

  it.effect("rejects node kinds that are not executed yet, by node id and line, never skipping them", () =>
    Effect.gen(function*() {
      // Team nodes run now (see UpstreamShapes.test.ts); one without members is invalid, never skipped.
      const team = yield* parseError(lines("nodes:", "  - id: n", "    type: team"))
      expect(team.reason).toBe("Invalid")
      expect(team.message).toContain("node 'n', field 'members'")
      const ref = yield* parseError(lines("nodes:", "  - $ref: ./common.yaml#lint"))
      expect(ref.reason).toBe("Unsupported")
      expect(ref.message).toBe(
        "flow.yaml:2:11: node #1: '$ref' includes are not supported yet; inline the included nodes"
      )
      // Stage includes are resolved (see StageInclude.test.ts): an unknown one is an error at its line.
      const stage = yield* parseError(lines("nodes:", "  - id: s", "    stage: build"))
      expect(stage.message).toContain("flow.yaml:3:12: node 's' uses unknown stage 'build'")
    }))

  it.effect("loads hitl nodes with their defaults", () =>
    Effect.gen(function*() {
      const workflow = yield* parse(lines(
        "nodes:",
        "  - id: gate",
        "    type: hitl",
        "    hitl_type: approval",
        "    prompt: Ship {version}?",
        "    context_keys: version",
        "  - id: pick",
        "    type: hitl",
        "    hitl_type: choice",
        "    prompt: Which?",
        "    choices: [a, b]",
        "    default_value: b",
        "    timeout: 30",
        "    fallback: continue"
      ))
      expect(workflow.warnings).toEqual([])
      expect(workflow.nodes[0]).toEqual({
        type: "hitl",
        id: "gate",
        hitlType: "approval",
        prompt: "Ship {version}?",
        contextKeys: ["version"],
        choices: [],
        timeout: 300,
        fallback: "abort",
        next: [],
        inputMapping: {},
        constraints: {}
      })
      expect(workflow.nodes[1]).toMatchObject({
        choices: ["a", "b"],
        defaultValue: "b",
        timeout: 30,
        fallback: "continue"
      })
    }))

  it.effect("rejects hitl nodes without a prompt, with a bad hitl_type or fallback, or a choice without choices", () =>
    Effect.gen(function*() {
      const noPrompt = yield* parseError(lines("nodes:", "  - { id: gate, type: hitl, hitl_type: approval }"))
      expect(noPrompt).toMatchObject({ reason: "Invalid", nodeId: "gate" })
      expect(noPrompt.message).toMatch(/^flow\.yaml:2:\d+: node 'gate', field 'prompt': is missing/)

      const badType = yield* parseError(lines(
        "nodes:",
        "  - id: gate",
        "    type: hitl",
        "    hitl_type: vote",
        "    prompt: Go?"
      ))
      expect(badType).toMatchObject({ reason: "Invalid", nodeId: "gate", line: 4 })
      expect(badType.message).toContain("node 'gate', field 'hitl_type'")
      expect(badType.message).toContain('"approval"')

      const badFallback = yield* parseError(lines(
        "nodes:",
        "  - { id: gate, type: hitl, hitl_type: approval, prompt: Go?, fallback: retry }"
      ))
      expect(badFallback.message).toContain("node 'gate', field 'fallback'")

      const noChoices = yield* parseError(lines(
        "nodes:",
        "  - id: pick",
        "    type: hitl",
        "    hitl_type: choice",
        "    prompt: Which?"
      ))
      expect(noChoices).toMatchObject({ reason: "Invalid", nodeId: "pick", line: 4 })
      expect(noChoices.message).toBe(
        "flow.yaml:4:16: hitl node 'pick' asks for a choice but has no 'choices'; " +
          "add 'choices: [a, b]', or use hitl_type: input"
      )

      const badDefault = yield* parseError(lines(
        "nodes:",
        "  - { id: pick, type: hitl, hitl_type: choice, prompt: Which?, choices: [a, b], default_value: c }"
      ))
      expect(badDefault.message).toContain("hitl node 'pick' has default_value \"c\", which is not one of its choices")

      // An approval presents its choices; a confirmation ignores them.
      const presented = yield* parse(lines(
        "nodes:",
        "  - { id: gate, type: hitl, hitl_type: approval, prompt: Go?, choices: [a] }"
      ))
      expect(presented.warnings).toEqual([])
      const ignored = yield* parse(lines(
        "nodes:",
        "  - { id: gate, type: hitl, hitl_type: confirmation, prompt: Go?, choices: [a] }"
      ))
      expect(ignored.warnings).toEqual([
        "flow.yaml:2:76: hitl node 'gate' has 'choices', which are ignored: its hitl_type is confirmation"
      ])
    }))

  it.effect("loads agent nodes, with or without 'type: agent', applying the defaults", () =>
    Effect.gen(function*() {
      const workflow = yield* WorkflowLoader.parse(
        lines(
          "nodes:",
          "  - id: think",
          "    type: agent",
          "    role: reviewer",
          "    goal: Review {files}",
          "    tools: [read, grep]",
          "    tool_budget: 3",
          "    llm_config: { temperature: 0.2, model_hint: small }",
          "  - id: helper",
          "    goal: Do it",
          "    tools: read"
        ),
        "flow.yaml"
      )
      expect(workflow.warnings).toEqual([])
      expect(workflow.nodes).toMatchObject([
        {
          type: "agent",
          id: "think",
          role: "reviewer",
          goal: "Review {files}",
          tools: ["read", "grep"],
          toolBudget: 3,
          llmConfig: { temperature: 0.2, model_hint: "small" }
        },
        { type: "agent", id: "helper", goal: "Do it", tools: ["read"], toolBudget: 15, llmConfig: {} }
      ])
      const noGoal = yield* parseError(lines("nodes:", "  - id: helper", "    tools: [read]"))
      expect(noGoal).toMatchObject({ reason: "Invalid", nodeId: "helper" })
      expect(noGoal.message).toContain("node 'helper', field 'goal': is missing")
      const badBudget = yield* parseError(lines("nodes:", "  - id: a", "    goal: g", "    tool_budget: -1"))
      expect(badBudget.message).toContain("node 'a', field 'tool_budget'")
    }))

  it.effect("rejects next and branches pointing at missing nodes, naming node, target and line", () =>
    Effect.gen(function*() {
      const next = yield* parseError(lines(
        "nodes:",
        "  - id: build",
        "    type: compute",
        "    tools: [shell]",
        "    inputs: { command: make }",
        "    next: [tset]",
        "  - id: test",
        "    type: transform",
        "    transform: ok = true"
      ))
      expect(next).toMatchObject({ reason: "Invalid", nodeId: "build", line: 6, column: 12 })
      expect(next.message).toBe(
        "flow.yaml:6:12: node 'build' has next 'tset', which is not a node in this workflow; did you mean 'test'?"
      )
      const branch = yield* parseError(lines(
        "nodes:",
        "  - id: check",
        "    type: condition",
        "    condition: ready",
        "    branches:",
        "      true: check",
        "      false: elsewhere"
      ))
      expect(branch).toMatchObject({ reason: "Invalid", nodeId: "check", line: 7, column: 14 })
      expect(branch.message).toContain("node 'check' branch 'false' goes to 'elsewhere', which is not a node")
      expect(branch.message).toContain("known nodes: check")
      const start = yield* parseError(
        lines("start_node: nope", "nodes:", "  - id: a", "    type: transform", "    transform: x = 1")
      )
      expect(start.message).toContain("flow.yaml:1:13: start_node 'nope' is not a node in this workflow")
    }))

  it.effect("loads parallel nodes: children are skipped by auto-chaining, reached through their parent", () =>
    Effect.gen(function*() {
      const workflow = yield* parse(lines(
        "nodes:",
        "  - { id: one, type: transform, transform: x = 1, next: [done] }",
        "  - { id: two, type: condition, condition: x > 0, branches: { true: done } }",
        "  - id: fan",
        "    type: parallel",
        "    parallel_nodes: [one, two, inner]",
        "  - { id: inner, type: parallel, parallel_nodes: three, join_strategy: first }",
        "  - { id: three, type: transform, transform: z = 3 }",
        "  - { id: done, type: transform, transform: y = 2 }"
      ))
      // The first node that is not a child is the start.
      expect(workflow.startNode).toBe("fan")
      expect(workflow.nodes[2]).toMatchObject({
        type: "parallel",
        parallelNodes: ["one", "two", "inner"],
        joinStrategy: "all",
        next: []
      })
      expect(workflow.nodes[3]).toMatchObject({ parallelNodes: ["three"], joinStrategy: "first" })
      // No "never reached" warning for the children (nor for `done`, which fan auto-chains to past its children).
      expect(workflow.warnings).toEqual([
        "flow.yaml:2:57: node 'one' has 'next', which is ignored: it is a child of parallel node 'fan', which " +
        "continues with its own next",
        "flow.yaml:3:61: condition node 'two' is a child of parallel node 'fan': its value is recorded but its " +
        "branches are not followed"
      ])
      const unreached = yield* parse(lines(
        "nodes:",
        "  - { id: start, type: transform, transform: x = 1, next: [end] }",
        "  - { id: fan, type: parallel, parallel_nodes: [a] }",
        "  - { id: a, type: transform, transform: y = 1 }",
        "  - { id: end, type: transform, transform: z = 1 }"
      ))
      expect(unreached.warnings).toEqual([
        "flow.yaml:3:5: node 'fan' is never reached from the start node",
        "flow.yaml:4:5: node 'a' is never reached from the start node"
      ])
    }))

  it.effect("rejects parallel nodes with missing, repeated or cyclic children, naming node, child and line", () =>
    Effect.gen(function*() {
      const missing = yield* parseError(lines(
        "nodes:",
        "  - id: checks",
        "    type: parallel",
        "    parallel_nodes:",
        "      - lint",
        "      - tset",
        "  - { id: lint, type: transform, transform: x = 1 }",
        "  - { id: test, type: transform, transform: y = 1 }"
      ))
      expect(missing).toMatchObject({ reason: "Invalid", nodeId: "checks", line: 6, column: 9 })
      expect(missing.message).toBe(
        "flow.yaml:6:9: node 'checks' has parallel_nodes entry 'tset', which is not a node in this workflow; " +
          "did you mean 'test'?"
      )
      const itself = yield* parseError(lines(
        "nodes:",
        "  - { id: fan, type: parallel, parallel_nodes: [a, fan] }",
        "  - { id: a, type: transform, transform: x = 1 }"
      ))
      expect(itself).toMatchObject({ reason: "Invalid", nodeId: "fan", line: 2 })
      expect(itself.message).toContain("parallel node 'fan' lists itself in parallel_nodes")
      const twice = yield* parseError(lines(
        "nodes:",
        "  - { id: fan, type: parallel, parallel_nodes: [a, a] }",
        "  - { id: a, type: transform, transform: x = 1 }"
      ))
      expect(twice.message).toContain("parallel node 'fan' lists 'a' twice in parallel_nodes")
      const cycle = yield* parseError(lines(
        "nodes:",
        "  - { id: start, type: transform, transform: x = 1 }",
        "  - { id: p, type: parallel, parallel_nodes: [q] }",
        "  - { id: q, type: parallel, parallel_nodes: [p] }"
      ))
      expect(cycle).toMatchObject({ reason: "Invalid", nodeId: "p", line: 3 })
      expect(cycle.message).toContain("parallel node 'p' contains itself: 'p' -> 'q' -> 'p'")
      const empty = yield* parseError(lines("nodes:", "  - { id: fan, type: parallel, parallel_nodes: [] }"))
      expect(empty.message).toBe("flow.yaml:2:48: node 'fan', field 'parallel_nodes': must list at least one node id")
      const absent = yield* parseError(lines("nodes:", "  - { id: fan, type: parallel }"))
      expect(absent.message).toContain("node 'fan', field 'parallel_nodes': is missing")
      const strategy = yield* parseError(lines(
        "nodes:",
        "  - { id: fan, type: parallel, parallel_nodes: [a], join_strategy: most }",
        "  - { id: a, type: transform, transform: x = 1 }"
      ))
      expect(strategy).toMatchObject({ reason: "Invalid", nodeId: "fan", line: 2 })
      expect(strategy.message).toContain("node 'fan', field 'join_strategy'")
    }))

  it.effect("rejects next, branches and start_node pointing at a parallel child", () =>
    Effect.gen(function*() {
      const next = yield* parseError(lines(
        "nodes:",
        "  - { id: first, type: transform, transform: x = 1, next: [a] }",
        "  - { id: fan, type: parallel, parallel_nodes: [a] }",
        "  - { id: a, type: transform, transform: y = 1 }"
      ))
      expect(next).toMatchObject({ reason: "Invalid", nodeId: "first", line: 2 })
      expect(next.message).toContain(
        "node 'first' has next 'a', which is a child of parallel node 'fan' and runs only as part of it; " +
          "go to 'fan' instead"
      )
      const branch = yield* parseError(lines(
        "nodes:",
        "  - { id: route, type: condition, condition: 'true', branches: { true: fan, false: a } }",
        "  - { id: fan, type: parallel, parallel_nodes: [a] }",
        "  - { id: a, type: transform, transform: y = 1 }"
      ))
      expect(branch.message).toContain("node 'route' branch 'false' goes to 'a', which is a child of parallel node")
      const start = yield* parseError(lines(
        "start_node: a",
        "nodes:",
        "  - { id: fan, type: parallel, parallel_nodes: [a] }",
        "  - { id: a, type: transform, transform: y = 1 }"
      ))
      expect(start.message).toBe(
        "flow.yaml:1:13: start_node 'a' is a child of parallel node 'fan' and runs only as part of it; " +
          "start at 'fan' instead"
      )
    }))

  it.effect("rejects duplicate ids, conditions without branches and bad expressions", () =>
    Effect.gen(function*() {
      const duplicate = yield* parseError(lines(
        "nodes:",
        "  - { id: a, type: transform, transform: x = 1 }",
        "  - { id: a, type: transform, transform: y = 2 }"
      ))
      expect(duplicate).toMatchObject({ reason: "Invalid", nodeId: "a", line: 3 })
      expect(duplicate.message).toContain("duplicate node id 'a' (also node #1); give every node a unique id")
      const noBranches = yield* parseError(lines("nodes:", "  - id: c", "    type: condition", "    condition: x > 1"))
      expect(noBranches).toMatchObject({ nodeId: "c", line: 2 })
      expect(noBranches.message).toContain("condition node 'c' has no branches; add 'branches:'")
      const badExpression = yield* parseError(lines(
        "nodes:",
        "  - id: c",
        "    type: condition",
        "    condition: x >",
        "    branches: { true: c }"
      ))
      expect(badExpression.message).toBe(
        "flow.yaml:4:16: invalid expression \"x >\": unexpected end of expression at position 4"
      )
      const badTransform = yield* parseError(
        lines("nodes:", "  - id: t", "    type: transform", "    transform: [a = 1, b == 2]")
      )
      expect(badTransform.message).toContain("flow.yaml:4:24: transform line \"b == 2\" is not 'key = expression'")
    }))

  it.effect("names the field and its line when a value has the wrong shape", () =>
    Effect.gen(function*() {
      const timeout = yield* parseError(lines(
        "nodes:",
        "  - id: slow",
        "    type: compute",
        "    tools: [shell]",
        "    timeout: -5"
      ))
      expect(timeout).toMatchObject({ reason: "Invalid", nodeId: "slow", line: 5, column: 14 })
      expect(timeout.message).toBe("flow.yaml:5:14: node 'slow', field 'timeout': must be a positive number of seconds")
      const missingId = yield* parseError(lines("nodes:", "  - type: compute", "    tools: [shell]"))
      expect(missingId.message).toBe("flow.yaml:2:5: node #1, field 'id': is missing")
      const iterations = yield* parseError(
        lines("max_iterations: 0", "nodes: [{ id: a, type: transform, transform: x = 1 }]")
      )
      expect(iterations.message).toBe("flow.yaml:1:17: field 'max_iterations': must be a positive whole number")
      const noNodes = yield* parseError("nodes: []\n")
      expect(noNodes.message).toBe("flow.yaml:1:8: field 'nodes': must be a non-empty list of nodes")
      const empty = yield* parseError("")
      expect(empty.message).toContain("the file is empty; write 'workflows:")
    }))

  it.effect("asks which workflow when a file has several, and lists them for an unknown name", () =>
    Effect.gen(function*() {
      const source = lines(
        "workflows:",
        "  lint: { nodes: [{ id: a, type: transform, transform: x = 1 }] }",
        "  test: { nodes: [{ id: b, type: transform, transform: y = 2 }] }"
      )
      const none = yield* parseError(source)
      expect(none.reason).toBe("UnknownWorkflow")
      expect(none.message).toBe(
        "flow.yaml:2:3: the file defines 2 workflows (lint, test) and none was chosen; pick one with --workflow <name>"
      )
      const unknown = yield* parseError(source, { workflow: "deploy" })
      expect(unknown.reason).toBe("UnknownWorkflow")
      expect(unknown.message).toContain("no workflow named 'deploy' in this file; known workflows: lint, test")
      const chosen = yield* parse(source, { workflow: "test" })
      expect(chosen.name).toBe("test")
      expect(chosen.nodes[0]?.id).toBe("b")
    }))

  it.effect("warns about next with several targets and unknown fields", () =>
    Effect.gen(function*() {
      const workflow = yield* parse(lines(
        "nodes:",
        "  - id: a",
        "    type: compute",
        "    tools: [shell]",
        "    tool: grep",
        "    next: [b, c]",
        "  - { id: b, type: transform, transform: x = 1, next: [a] }",
        "  - { id: c, type: transform, transform: y = 1 }"
      ))
      expect(workflow.warnings).toEqual([
        "flow.yaml:6:11: node 'a' has 2 'next' targets; only the first ('b') is followed " +
        "(use a parallel node for fan-out)",
        "flow.yaml:2:5: loop 'a' -> 'b' -> 'a' has no exit: no node in it reaches the end of the workflow and no " +
        "condition branch leaves it, so a run that enters it stops only at max_iterations",
        "flow.yaml:8:5: node 'c' is never reached from the start node",
        "flow.yaml:5:11: node 'a': unknown field 'tool' is ignored"
      ])
    }))

  it.effect("interpolates $env.NAME and ${NAME:-default} in string values through Config", () =>
    Effect.gen(function*() {
      const source = lines(
        "name: $env.FLOW_NAME",
        "timeout: ${FLOW_TIMEOUT:-30}",
        "nodes:",
        "  - id: build",
        "    type: compute",
        "    tools: [shell]",
        "    inputs:",
        "      command: \"make ${TARGET:-all} in $env.HOME_DIR/src; echo ${SHELL_VAR}\"",
        "      quoted: \"${FLOW_TIMEOUT:-30}\"",
        "      $env.KEY: keys are never interpolated"
      )
      const withEnv = ConfigProvider.fromMap(
        new Map([["FLOW_NAME", "nightly"], ["HOME_DIR", "/home/ci"], ["TARGET", ""]])
      )
      const workflow = yield* parse(source).pipe(Effect.withConfigProvider(withEnv))
      expect(workflow.name).toBe("nightly")
      expect(workflow.settings.timeout).toBe(30)
      expect(workflow.nodes[0]).toMatchObject({
        inputs: {
          command: "make all in /home/ci/src; echo ${SHELL_VAR}",
          quoted: "30",
          "$env.KEY": "keys are never interpolated"
        }
      })
      const set = ConfigProvider.fromMap(
        new Map([["FLOW_NAME", "n"], ["HOME_DIR", "/h"], ["TARGET", "lib"], ["FLOW_TIMEOUT", "5"]])
      )
      const overridden = yield* parse(source).pipe(Effect.withConfigProvider(set))
      expect(overridden.settings.timeout).toBe(5)
      expect(overridden.nodes[0]).toMatchObject({ inputs: { command: "make lib in /h/src; echo ${SHELL_VAR}" } })

      const missing = yield* parseError(source).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map())))
      expect(missing).toMatchObject({ reason: "Invalid", line: 1, column: 7 })
      expect(missing.message).toBe(
        "flow.yaml:1:7: environment variable FLOW_NAME is not set; " +
          "set it, or write ${FLOW_NAME:-default} to give a default"
      )
    }))
})

layer(NodeContext.layer)("WorkflowLoader.loadFile", (it) => {
  it.scoped("reads a real file, and reports a missing one as NotFound", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const directory = yield* fs.makeTempDirectoryScoped()
      const file = path.join(directory, "deploy.yaml")
      yield* fs.writeFileString(file, lines("nodes:", "  - id: a", "    type: transform", "    transform: x = 1"))
      const workflow = yield* WorkflowLoader.loadFile(file)
      expect(workflow.name).toBe("deploy")
      expect(workflow.source?.path).toBe(file)

      const missing = yield* Effect.flip(WorkflowLoader.loadFile(path.join(directory, "nope.yaml")))
      expect(missing.reason).toBe("NotFound")
      expect(missing.message).toBe(
        `${
          path.join(directory, "nope.yaml")
        }: no such workflow file; check the path (relative paths start at the current directory)`
      )
      const unreadable = yield* Effect.flip(WorkflowLoader.loadFile(directory))
      expect(unreadable.reason).toBe("Unreadable")
    }))
})
