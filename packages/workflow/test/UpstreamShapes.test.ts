import * as NodeContext from "@effect/platform-node/NodeContext"
import * as FileSystem from "@effect/platform/FileSystem"
import { expect, layer } from "@effect/vitest"
import type { NodeTraceRecord, WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as AgentProvider from "@victor/workflow/AgentProvider"
import * as FunctionRegistry from "@victor/workflow/FunctionRegistry"
import * as HumanInput from "@victor/workflow/HumanInput"
import type * as ToolRegistry from "@victor/workflow/ToolRegistry"
import * as WorkflowExecutor from "@victor/workflow/WorkflowExecutor"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as WorkflowValidation from "@victor/workflow/WorkflowValidation"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { RunLayer } from "./fixtures.ts"

const dir = `${import.meta.dirname}/fixtures/upstream`
const fixture = (file: string) => `${dir}/${file}`

// The transform shapes.yaml names, and a plugin tool.
const countWords: FunctionRegistry.NamedTransform = (state) => {
  const facts = state.facts as { version?: string; channel?: string } | undefined
  return { word_count: [facts?.version, facts?.channel].filter((word) => word !== undefined).length }
}
const echoTool: ToolRegistry.Tool = {
  name: "echo",
  description: "returns its inputs",
  run: (inputs) => Effect.succeed({ echoed: inputs })
}
const testPlugin = FunctionRegistry.plugin("upstream-shapes", {
  transforms: { count_words: countWords },
  tools: [echoTool]
})

/** A scripted provider that keeps every request it was asked. */
const recording = (input: AgentProvider.ScriptInput) => {
  const requests: Array<AgentProvider.ModelRequest> = []
  const scripted = Effect.map(
    AgentProvider.makeScripted(Schema.decodeUnknownSync(AgentProvider.Script)(input)),
    (provider): AgentProvider.AgentProviderService => ({
      name: provider.name,
      complete: (request) =>
        Effect.suspend(() => {
          requests.push(request)
          return provider.complete(request)
        })
    })
  )
  return { requests, layer: Layer.effect(AgentProvider.AgentProvider, scripted) }
}

const recordOf = (trace: WorkflowTrace, id: string): NodeTraceRecord => trace.nodes.find((n) => n.nodeId === id)!

const within = (inner: NodeTraceRecord, outer: NodeTraceRecord) => {
  expect(inner.timestamp).toBeGreaterThanOrEqual(outer.timestamp)
  expect(inner.timestamp + inner.durationSeconds).toBeLessThanOrEqual(outer.timestamp + outer.durationSeconds + 1e-3)
}

// What a fixture may still be told: names a run must register (tools, handlers, conditions).
const tolerated = (description: string) =>
  description.includes("unknown tool") ||
  /handler '.*', which is not registered/.test(description) ||
  description.includes("is not a registered condition")

layer(Layer.mergeAll(RunLayer, NodeContext.layer), { excludeTestServices: true })("upstream shapes", (it) => {
  it.effect("every fixture loads and validates with no problem other than unregistered names", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const files = (yield* fs.readDirectory(dir)).filter((file) => /\.ya?ml$/.test(file)).sort()
      expect(files).toEqual(expect.arrayContaining(["fields.yaml", "shapes.yaml"]))
      for (const file of files) {
        const source = yield* fs.readFileString(fixture(file))
        const names = /^workflows:/m.test(source)
          ? [...source.matchAll(/^ {2}([A-Za-z_][\w-]*):\s*$/gm)].map((m) => m[1]!)
          : [undefined]
        for (const workflow of names) {
          const definition = yield* WorkflowLoader.loadFile(fixture(file), workflow === undefined ? {} : { workflow })
          const findings = yield* WorkflowValidation.check(definition).pipe(
            Effect.provide(FunctionRegistry.layer([testPlugin]))
          )
          expect(findings.filter((f) => !tolerated(f.description)).map((f) => f.message), `${file} ${workflow}`)
            .toEqual([])
        }
      }
    }))

  it.effect("fields: allowed_tools, instructions, profile, ... reach the run; workflow fields reach the trace", () =>
    Effect.gen(function*() {
      const workflow = yield* WorkflowLoader.loadFile(fixture("fields.yaml"))
      expect(workflow.warnings).toEqual([])
      expect(workflow.mcpServers).toEqual([{ name: "docs", command: "docs-server", args: ["--stdio"] }])
      const [look, write] = workflow.nodes
      // allowed_tools alone is the tool list; with tools, it restricts them.
      expect(look).toMatchObject({ tools: ["ls", "read"], profile: "fast-local", disableEmbeddings: true })
      expect(write).toMatchObject({ tools: ["read", "write"], sandboxDir: ".notes" })
      const { requests, layer: provider } = recording({
        look_around: [{ response: "src and docs" }],
        write_notes: [{ response: "notes written" }]
      })
      const result = yield* WorkflowExecutor.execute(workflow, { context: { dir: "/repo" } }).pipe(
        Effect.provide(provider)
      )
      expect(result).toMatchObject({ status: "succeeded" })
      expect(result.trace.metadata).toMatchObject({
        services: { index: { type: "embeddings", shared: true } },
        batch_config: { batch_size: 8, max_concurrent: 2 },
        error_handling: { on_failure: "stop", notify: ["maintainer"] },
        temporal_context: { as_of_date: "$ctx.as_of", lookback_periods: 2 }
      })
      expect(recordOf(result.trace, "look_around").metadata).toMatchObject({
        profile: "fast-local",
        disable_embeddings: true
      })
      expect(recordOf(result.trace, "write_notes").metadata).toMatchObject({ sandbox_dir: ".notes" })
      expect(requests.map((r) => r.tools.map((t) => t.name))).toEqual([["ls", "read"], ["read", "write"]])
      expect(requests[1]!.messages[0]).toEqual({
        role: "system",
        content: "You are writer.\n\nKeep the notes under 20 lines.\nNever touch files outside the notes directory.\n"
      })
      expect(recordOf(result.trace, "write_notes").inputs).toMatchObject({ instructions: expect.any(String) })
    }))

  it.effect("shapes: passthrough compute, approval choices, a named transform, sequential and parallel teams", () =>
    Effect.gen(function*() {
      const workflow = yield* WorkflowLoader.loadFile(fixture("shapes.yaml"))
      expect(workflow.warnings).toEqual([])
      const { requests, layer: provider } = recording({
        "pair.drafter": [{ response: "Release 2.0 is out." }],
        "pair.checker": [{ response: "Release 2.0 is out now." }],
        "panel.optimist": [{ response: "clear" }],
        "panel.skeptic": [{ response: "no dates" }]
      })
      const result = yield* WorkflowExecutor.execute(workflow, { context: { version: "2.0" } }).pipe(
        Effect.provide(Layer.mergeAll(
          provider,
          HumanInput.layerAnswers({ sign_off: "ship" }),
          FunctionRegistry.layer([testPlugin])
        ))
      )
      expect(result).toMatchObject({ status: "succeeded", error: null })
      const { state, trace } = result
      // The compute node passes its resolved inputs through.
      expect(state.facts).toEqual({ version: "2.0", channel: "stable" })
      // The approval takes one of its choices as the answer.
      expect(state.sign_off).toMatchObject({ approved: true, value: "ship" })
      // The named transform's updates are merged into state.
      expect(state.word_count).toBe(2)
      expect(recordOf(trace, "summarize").inputs).toEqual({ transform: "count_words" })
      // Sequential team: members in order under the team node, the second given the first's answer.
      const pair = recordOf(trace, "pair")
      expect(pair).toMatchObject({
        nodeType: "team",
        inputs: { team_formation: "sequential", members: ["drafter", "checker"] },
        metadata: { merge_strategy: "dict", total_tool_budget: 6 }
      })
      expect(state.description).toMatchObject({
        formation: "sequential",
        response: "Release 2.0 is out now.",
        success: true,
        members: { drafter: { response: "Release 2.0 is out." }, checker: { response: "Release 2.0 is out now." } }
      })
      within(recordOf(trace, "pair.drafter"), pair)
      within(recordOf(trace, "pair.checker"), pair)
      const checker = requests.find((r) => r.nodeId === "pair.checker")!
      expect(checker.goal).toBe(
        "Correct the draft\n\nTeam goal:\nDescribe release 2.0\n\nPrevious team member's work:\nRelease 2.0 is out."
      )
      expect(checker.messages[0]).toEqual({ role: "system", content: "You are reviewer.\n\nPersonality: terse." })
      const drafter = requests.find((r) => r.nodeId === "pair.drafter")!
      expect(drafter.messages[0]).toEqual({
        role: "system",
        content: "You are writer.\n\nWrites release notes every week.\n\nExpertise: changelogs."
      })
      // Parallel team: both members on the team's input state, output under the node id.
      expect(state.panel).toMatchObject({
        formation: "parallel",
        members: { optimist: { response: "clear" }, skeptic: { response: "no dates" } }
      })
      within(recordOf(trace, "panel.optimist"), recordOf(trace, "panel"))
      expect(requests.find((r) => r.nodeId === "panel.skeptic")!.goal).toBe(
        "Say what is missing\n\nTeam goal:\nRate the description"
      )
    }))

  it.effect("an unregistered named transform is reported with the registered ones, and fails the node", () =>
    Effect.gen(function*() {
      const workflow = yield* WorkflowLoader.parse(
        "nodes:\n  - { id: shape, type: transform, transform: extract_error_patterns }\n",
        "t.yaml"
      )
      const findings = yield* WorkflowValidation.check(workflow).pipe(
        Effect.provide(FunctionRegistry.layer([testPlugin]))
      )
      expect(findings.map((f) => f.message)).toEqual([
        "t.yaml:2:46: node 'shape' uses transform 'extract_error_patterns', which is not registered; " +
          "registered transforms: count_words (plugins add more)"
      ])
      const result = yield* WorkflowExecutor.execute(workflow)
      expect(result).toMatchObject({ status: "failed" })
      expect(result.error).toContain("transform 'extract_error_patterns', which is not registered")
    }))

  it.effect("a team member's failure fails the team, unless continue_on_error", () =>
    Effect.gen(function*() {
      const source = (continueOnError: boolean) =>
        [
          "nodes:",
          "  - id: crew",
          "    type: team",
          `    continue_on_error: ${continueOnError}`,
          "    members:",
          "      - { id: a, goal: first, tools: [read], tool_budget: 0 }",
          "      - { id: b, goal: second }"
        ].join("\n") + "\n"
      const script = {
        "crew.a": [{ tool_calls: [{ name: "read", arguments: { path: "x" } }] }],
        "crew.b": [{ response: "ok" }]
      }
      const strict = yield* WorkflowLoader.parse(source(false), "crew.yaml")
      const failed = yield* WorkflowExecutor.execute(strict).pipe(Effect.provide(recording(script).layer))
      expect(failed).toMatchObject({ status: "failed" })
      expect(failed.error).toContain("1 of 2 team members failed: 'a':")
      const lenient = yield* WorkflowLoader.parse(source(true), "crew.yaml")
      const passed = yield* WorkflowExecutor.execute(lenient).pipe(Effect.provide(recording(script).layer))
      expect(passed).toMatchObject({ status: "succeeded" })
      expect(passed.state.crew).toMatchObject({ success: false, response: "ok", errors: { a: expect.any(String) } })
    }))

  it.effect("plugin tools: a name the tool registry lacks resolves among the plugins' tools", () =>
    Effect.gen(function*() {
      const workflow = yield* WorkflowLoader.parse(
        "nodes:\n  - { id: say, type: compute, tools: [echo], inputs: { text: hi } }\n",
        "p.yaml"
      )
      const registry = FunctionRegistry.layer([testPlugin])
      expect(yield* WorkflowValidation.check(workflow).pipe(Effect.provide(registry))).toEqual([])
      const result = yield* WorkflowExecutor.execute(workflow).pipe(Effect.provide(registry))
      expect(result.state.say).toEqual({ echo: { echoed: { text: "hi" } } })
      expect(recordOf(result.trace, "say").toolCalls.map((call) => call.toolName)).toEqual(["echo"])
      // Without the plugin, the tool is unknown.
      const findings = yield* WorkflowValidation.check(workflow)
      expect(findings.map((f) => f.description)).toEqual(["node 'say' uses unknown tool 'echo'"])
    }))
})
