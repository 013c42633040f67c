import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { expect, layer } from "@effect/vitest"
import type { NodeTraceRecord } from "@victor/core/WorkflowTrace"
import * as AgentProvider from "@victor/workflow/AgentProvider"
import * as WorkflowExecutor from "@victor/workflow/WorkflowExecutor"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { makeTree, RunLayer } from "./fixtures.ts"

const lines = (...text: ReadonlyArray<string>) => text.join("\n") + "\n"
const load = (source: string) => WorkflowLoader.parse(source, "agents.yaml")
const script = (input: AgentProvider.ScriptInput) => Schema.decodeUnknownSync(AgentProvider.Script)(input)

/** A scripted provider that also keeps every request it was asked, to check what the model was shown. */
const recording = (input: AgentProvider.ScriptInput) => {
  const requests: Array<AgentProvider.ModelRequest> = []
  const layer = Layer.effect(
    AgentProvider.AgentProvider,
    Effect.map(AgentProvider.makeScripted(script(input)), (scripted) => ({
      name: scripted.name,
      complete: (request: AgentProvider.ModelRequest) =>
        Effect.suspend(() => {
          requests.push(request)
          return scripted.complete(request)
        })
    }))
  )
  return { requests, layer }
}

const toolMessages = (request: AgentProvider.ModelRequest) => request.messages.filter((m) => m.role === "tool")

layer(RunLayer, { excludeTestServices: true })("agent nodes", (it) => {
  it.scoped("run read then grep through the provider, tracing each tool call, model call and the answer", () =>
    Effect.gen(function*() {
      const dir = yield* makeTree
      const workflow = yield* load(lines(
        "name: review",
        "nodes:",
        "  - id: review",
        "    role: a careful reviewer",
        "    goal: Review the sources under {dir}",
        "    tools: [read, grep]",
        "    llm_config: { temperature: 0, model_hint: small }",
        "    output: verdict"
      ))
      const { requests, layer: provider } = recording({
        review: [
          { tool_calls: [{ name: "read", arguments: { path: `${dir}/src/a.ts` } }], usage: { input_tokens: 120 } },
          { tool_calls: [{ name: "grep", arguments: { pattern: "TODO", path: `${dir}/src` } }], model: "m-2" },
          { response: "Two TODO markers; rename a.", usage: { input_tokens: 300, output_tokens: 7 } }
        ]
      })
      const result = yield* WorkflowExecutor.execute(workflow, { context: { dir } }).pipe(Effect.provide(provider))
      expect(result).toMatchObject({ status: "succeeded", error: null })
      const { trace } = result
      expect(trace.nodes).toHaveLength(1)
      const node = trace.nodes[0]!
      expect(node).toMatchObject({
        nodeId: "review",
        nodeType: "agent",
        success: true,
        inputs: {
          role: "a careful reviewer",
          goal: `Review the sources under ${dir}`,
          tools: ["read", "grep"],
          tool_budget: 15,
          llm_config: { temperature: 0, model_hint: "small" },
          provider: "scripted"
        },
        outputs: { response: "Two TODO markers; rename a.", success: true, tool_calls: 2, error: null }
      })
      expect(node.toolCalls.map((call) => [call.toolName, call.success])).toEqual([["read", true], ["grep", true]])
      expect(node.toolCalls[0]).toMatchObject({
        inputs: { path: `${dir}/src/a.ts` },
        outputs: { content: "const a = 1\n// TODO: rename a\n", size: 30 }
      })
      expect(node.toolCalls[1]).toMatchObject({
        inputs: { pattern: "TODO", path: `${dir}/src` },
        outputs: { count: 2 }
      })
      const modelEvents = trace.events.filter((event) => event.eventType === "model_call_completed")
      expect(modelEvents.map((event) => [event.nodeId, event.data?.turn, event.data?.model])).toEqual([
        ["review", 1, "scripted"],
        ["review", 2, "m-2"],
        ["review", 3, "scripted"]
      ])
      expect(modelEvents[2]!.data).toMatchObject({ input_tokens: 300, output_tokens: 7, finish_reason: "stop" })
      expect(modelEvents[0]!.data).toMatchObject({ input_tokens: 120, finish_reason: "tool_calls" })
      expect(modelEvents.every((event) => typeof event.durationSeconds === "number")).toBe(true)
      // Model calls and tool calls interleave in the event stream as they happened.
      expect(
        trace.events.filter((e) => e.eventType === "model_call_completed" || e.eventType === "tool_call_completed")
          .map((e) => e.toolName ?? "model")
      ).toEqual(["model", "read", "model", "grep", "model"])
      const calls = node.metadata.model_calls as ReadonlyArray<Record<string, unknown>>
      expect(calls).toHaveLength(3)
      expect(calls[0]).toMatchObject({ turn: 1, model: "scripted", input_tokens: 120, finish_reason: "tool_calls" })
      expect(calls[2]).toMatchObject({ turn: 3, input_tokens: 300, output_tokens: 7, finish_reason: "stop" })
      // The ids the model gave the tool calls it asked for, which the tool results answered.
      expect(calls.map((call) => call.tool_call_ids)).toEqual([["review-1-1"], ["review-2-1"], undefined])
      expect(calls.every((call) => typeof call.output_tokens === "number" && call.output_tokens > 0)).toBe(true)
      expect(result.state.verdict).toEqual(node.outputs)
      // The model saw the goal, its role, the allowed tools, and each tool's real result before answering.
      expect(requests).toHaveLength(3)
      expect(requests[0]!.tools.map((tool) => tool.name)).toEqual(["read", "grep"])
      expect(requests[0]!.tools.every((tool) => tool.description.length > 0)).toBe(true)
      expect(requests[0]!.llmConfig).toEqual({ temperature: 0, model_hint: "small" })
      expect(requests[0]!.messages.map((m) => m.role)).toEqual(["system", "user"])
      expect(requests[2]!.messages.map((m) => m.role)).toEqual(
        ["system", "user", "assistant", "tool", "assistant", "tool"]
      )
      expect(toolMessages(requests[2]!)).toMatchObject([
        { name: "read", toolCallId: "review-1-1", isError: false, content: { size: 30 } },
        { name: "grep", toolCallId: "review-2-1", isError: false, content: { count: 2 } }
      ])
    }))

  it.scoped("feeds a disallowed tool back to the model as an error, never runs it, and lets the agent answer", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* makeTree
      const workflow = yield* load(lines(
        "nodes:",
        "  - id: careful",
        "    goal: Look around",
        "    tools: [read]"
      ))
      const { requests, layer: provider } = recording({
        careful: [
          { tool_calls: [{ name: "shell", arguments: { command: `touch ${dir}/ran` } }] },
          { response: "I may only read." }
        ]
      })
      const result = yield* WorkflowExecutor.execute(workflow).pipe(Effect.provide(provider))
      expect(result.status).toBe("succeeded")
      const node = result.trace.nodes[0]!
      expect(node.success).toBe(true)
      expect(node.toolCalls).toHaveLength(1)
      expect(node.toolCalls[0]).toMatchObject({
        toolName: "shell",
        inputs: { command: `touch ${dir}/ran` },
        success: false,
        error: "tool 'shell' is not allowed for agent 'careful' (allowed: read)"
      })
      expect(result.trace.events.filter((e) => e.eventType === "tool_call_failed").map((e) => e.nodeId))
        .toEqual(["careful"])
      expect(yield* fs.exists(`${dir}/ran`)).toBe(false)
      expect(toolMessages(requests[1]!)).toEqual([{
        role: "tool",
        toolCallId: "careful-1-1",
        name: "shell",
        content: { error: "tool 'shell' is not allowed for agent 'careful' (allowed: read)" },
        isError: true
      }])
      expect(result.state.careful).toEqual({ response: "I may only read.", success: true, tool_calls: 1, error: null })
    }))

  it.scoped("a failing allowed tool is also reported back to the model", () =>
    Effect.gen(function*() {
      const dir = yield* makeTree
      const workflow = yield* load(lines("nodes:", "  - { id: a, goal: read it, tools: [read] }"))
      const result = yield* WorkflowExecutor.execute(workflow).pipe(
        Effect.provide(AgentProvider.layerScripted(script({
          a: [{ tool_calls: [{ name: "read", arguments: { path: `${dir}/missing.txt` } }] }, { response: "no file" }]
        })))
      )
      expect(result.status).toBe("succeeded")
      expect(result.trace.nodes[0]!.toolCalls[0]).toMatchObject({ toolName: "read", success: false })
      expect(result.state.a).toMatchObject({ response: "no file", tool_calls: 1 })
    }))

  it.scoped("fails the node when the agent uses up its tool budget without a final answer", () =>
    Effect.gen(function*() {
      const dir = yield* makeTree
      const workflow = yield* load(lines(
        "nodes:",
        "  - { id: busy, goal: read forever, tools: [read], tool_budget: 2 }",
        "  - { id: after, type: transform, transform: reached = true }"
      ))
      const read = { tool_calls: [{ name: "read", arguments: { path: `${dir}/src/a.ts` } }] }
      const result = yield* WorkflowExecutor.execute(workflow).pipe(
        Effect.provide(AgentProvider.layerScripted(script({ busy: [read, read, read, { response: "late" }] })))
      )
      expect(result.status).toBe("failed")
      expect(result.error).toBe(
        "node 'busy' failed: agent 'busy' used its tool budget of 2 tool calls without a final answer; " +
          "raise tool_budget or check the goal"
      )
      expect(result.trace.status).toBe("failed")
      const node = result.trace.nodes[0]!
      expect(node).toMatchObject({ nodeId: "busy", success: false })
      expect(node.toolCalls.map((call) => call.success)).toEqual([true, true])
      expect(result.trace.events.filter((e) => e.eventType === "model_call_completed")).toHaveLength(3)
      expect(result.state).not.toHaveProperty("reached")
      expect(result.state).not.toHaveProperty("busy")
    }))

  it.effect("fails clearly, naming the node, when the script runs out, lacks the node, or there is no provider", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines("nodes:", "  - { id: writer, goal: write, tools: [ls] }"))
      const exhausted = yield* WorkflowExecutor.execute(workflow).pipe(
        Effect.provide(AgentProvider.layerScripted(script({ writer: [{ tool_calls: [{ name: "ls" }] }] })))
      )
      expect(exhausted.status).toBe("failed")
      expect(exhausted.error).toBe(
        "node 'writer' failed: scripted provider: the script for agent node 'writer' ran out after 1 turn; " +
          "add a turn (end with { response: \"...\" } to give a final answer)"
      )
      expect(exhausted.trace.nodes[0]).toMatchObject({ nodeId: "writer", success: false, error: expect.any(String) })
      expect(exhausted.trace.nodes[0]!.toolCalls.map((call) => call.toolName)).toEqual(["ls"])
      // The model call the agent made before failing is still on its record.
      expect(exhausted.trace.nodes[0]!.metadata.model_calls).toMatchObject([{ turn: 1, finish_reason: "tool_calls" }])

      const missing = yield* WorkflowExecutor.execute(workflow).pipe(
        Effect.provide(AgentProvider.layerScripted(script({ reader: [{ response: "hi" }], other: [] })))
      )
      expect(missing.error).toBe(
        "node 'writer' failed: scripted provider: the script has no turns for agent node 'writer' " +
          "(it scripts: other, reader); add 'writer: [...]' to the script"
      )
      expect(missing.trace.status).toBe("failed")

      const expected = "node 'writer' failed: none provider: agent node 'writer' needs a model provider and none is " +
        "configured; provide one (e.g. a scripted provider: AgentProvider.layerScripted, or `--script <file>` on " +
        "the CLI)"
      const none = yield* WorkflowExecutor.execute(workflow).pipe(Effect.provide(AgentProvider.layerNone))
      expect(none.error).toBe(expected)
      const unprovided = yield* WorkflowExecutor.execute(workflow)
      expect(unprovided.error).toBe(expected)
    }))

  it.effect("a node visited again continues its script where it left off", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines(
        "nodes:",
        "  - { id: draft, goal: 'draft number {round}' }",
        "  - { id: bump, type: transform, transform: round = round + 1 }",
        "  - id: again",
        "    type: condition",
        "    condition: round < 3",
        "    branches: { true: draft, false: done }",
        "  - { id: done, type: transform, transform: last = draft.response }"
      ))
      const { requests, layer: provider } = recording({
        draft: [{ response: "first" }, { response: "second" }]
      })
      const result = yield* WorkflowExecutor.execute(workflow, { context: { round: 1 } }).pipe(
        Effect.provide(provider)
      )
      expect(result.status).toBe("succeeded")
      expect(result.state.last).toBe("second")
      expect(requests.map((request) => request.goal)).toEqual(["draft number 1", "draft number 2"])
    }))

  it.effect("validation rejects an agent tool that is not registered", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines("nodes:", "  - { id: a, goal: g, tools: [read, teleport] }"))
      const result = yield* WorkflowExecutor.execute(workflow).pipe(Effect.provide(AgentProvider.layerNone))
      expect(result.status).toBe("failed")
      expect(result.error).toContain("agents.yaml:2: node 'a' uses unknown tool 'teleport'; known tools: grep, ls")
      expect(result.trace.nodes).toEqual([])
    }))

  it.effect("agents inside a parallel node run concurrently, each with its own tool calls", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines(
        "nodes:",
        "  - { id: fan, type: parallel, parallel_nodes: [left, right], join_strategy: all }",
        "  - { id: left, goal: go left, tools: [shell] }",
        "  - { id: right, goal: go right, tools: [shell] }",
        "  - { id: join, type: transform, transform: \"both = left.response + ' & ' + right.response\" }"
      ))
      const turns = (side: string) => [
        { tool_calls: [{ name: "shell", arguments: { command: `sleep 0.4; echo ${side}` } }] },
        { response: `went ${side}` }
      ]
      const result = yield* WorkflowExecutor.execute(workflow).pipe(
        Effect.provide(AgentProvider.layerScripted(script({ left: turns("left"), right: turns("right") })))
      )
      expect(result.status).toBe("succeeded")
      expect(result.state.both).toBe("went left & went right")
      const byId = new Map(result.trace.nodes.map((node) => [node.nodeId, node]))
      const [left, right, fan] = [byId.get("left")!, byId.get("right")!, byId.get("fan")!]
      for (const [node, side] of [[left, "left"], [right, "right"]] as const) {
        expect(node.nodeType).toBe("agent")
        expect(node.toolCalls).toHaveLength(1)
        expect(node.toolCalls[0]).toMatchObject({ toolName: "shell", success: true, outputs: { stdout: `${side}\n` } })
        expect((node.metadata.model_calls as ReadonlyArray<unknown>)).toHaveLength(2)
      }
      const end = (node: NodeTraceRecord) => node.timestamp + node.durationSeconds
      // Each agent's 0.4 s tool call overlaps the other's: they ran at the same time.
      expect(left.timestamp).toBeLessThan(end(right))
      expect(right.timestamp).toBeLessThan(end(left))
      expect(fan.durationSeconds).toBeLessThan(left.durationSeconds + right.durationSeconds)
      expect(fan.toolCalls).toEqual([])
      const events = result.trace.events.filter((e) => e.eventType === "model_call_completed")
      expect(events.map((e) => e.nodeId).sort()).toEqual(["left", "left", "right", "right"])
      expect(
        result.trace.events.filter((e) => e.eventType === "tool_call_completed").map((e) => e.nodeId).sort()
      ).toEqual(["left", "right"])
    }))

  it.effect("a workflow without agent nodes runs with layerNone", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines("nodes:", "  - { id: t, type: transform, transform: x = 1 + 1 }"))
      const result = yield* WorkflowExecutor.execute(workflow).pipe(Effect.provide(AgentProvider.layerNone))
      expect(result.status).toBe("succeeded")
      expect(result.state).toEqual({ x: 2 })
    }))
})

layer(RunLayer, { excludeTestServices: true })("AgentProvider.loadScript", (it) => {
  const writeTemp = (name: string, content: string) =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "victor-script-" })
      const file = path.join(dir, name)
      yield* fs.writeFileString(file, content)
      return file
    })

  it.scoped("loads JSON and YAML scripts that play their turns", () =>
    Effect.gen(function*() {
      const json = yield* writeTemp(
        "s.json",
        JSON.stringify({ a: [{ tool_calls: [{ name: "ls", arguments: { path: "." } }] }, { response: "done" }] })
      )
      const yaml = yield* writeTemp(
        "s.yaml",
        lines("a:", "  - tool_calls: [{ name: ls, arguments: { path: . } }]", "  - response: done")
      )
      const fromJson = yield* AgentProvider.loadScript(json)
      expect(yield* AgentProvider.loadScript(yaml)).toEqual(fromJson)
      expect(fromJson).toEqual({ a: [{ toolCalls: [{ name: "ls", arguments: { path: "." } }] }, { response: "done" }] })
      const provider = yield* AgentProvider.makeScripted(fromJson)
      const request = { nodeId: "a", goal: "g", tools: [], messages: [], llmConfig: {} }
      const first = yield* provider.complete(request)
      expect(first).toMatchObject({
        model: "scripted",
        toolCalls: [{ id: "a-1-1", name: "ls", arguments: { path: "." } }],
        finishReason: "tool_calls"
      })
      expect(yield* provider.complete(request)).toMatchObject({ text: "done", toolCalls: [], finishReason: "stop" })
      const error = yield* Effect.flip(provider.complete(request))
      expect(error).toMatchObject({ _tag: "AgentError", reason: "ScriptExhausted", nodeId: "a" })
    }))

  it.scoped("names the file, and the node, turn and field, for malformed scripts", () =>
    Effect.gen(function*() {
      const badJson = yield* writeTemp("bad.json", "{ \"a\": [ { \"response\": \"x\" } ")
      const jsonError = yield* Effect.flip(AgentProvider.loadScript(badJson))
      expect(jsonError).toMatchObject({ _tag: "AgentError", reason: "InvalidScript" })
      expect(jsonError.message).toMatch(new RegExp(`^${escape(badJson)}: invalid JSON: `))

      const badYaml = yield* writeTemp("bad.yaml", lines("a:", "  - response: [unclosed"))
      const yamlError = yield* Effect.flip(AgentProvider.loadScript(badYaml))
      expect(yamlError.message).toMatch(new RegExp(`^${escape(badYaml)}: invalid YAML at line \\d+, column \\d+: `))

      const both = yield* writeTemp(
        "both.yaml",
        lines("review:", "  - response: ok", "  - { response: ok, tool_calls: [{ name: ls }] }")
      )
      expect((yield* Effect.flip(AgentProvider.loadScript(both))).message).toBe(
        `${both}: invalid agent script: node 'review', turn 2: a turn has either 'tool_calls' or 'response' ` +
          "(not both, not neither); a script maps agent node ids to turns, " +
          "each { tool_calls: [{ name, arguments }] } or { response: \"...\" }"
      )
      const typo = yield* writeTemp("typo.yaml", lines("review:", "  - tool_call: [{ name: ls }]"))
      expect((yield* Effect.flip(AgentProvider.loadScript(typo))).message).toContain(
        `${typo}: invalid agent script: node 'review', turn 1, field 'tool_call': is unexpected`
      )
      const noName = yield* writeTemp("noname.json", JSON.stringify({ r: [{ tool_calls: [{ arguments: {} }] }] }))
      expect((yield* Effect.flip(AgentProvider.loadScript(noName))).message).toContain(
        "node 'r', turn 1, field 'tool_calls.0.name': is missing"
      )
      const notList = yield* writeTemp("notlist.yaml", "r: { response: hi }\n")
      expect((yield* Effect.flip(AgentProvider.loadScript(notList))).message).toContain(
        `${notList}: invalid agent script: node 'r'`
      )
      const absent = yield* Effect.flip(AgentProvider.loadScript("/nonexistent/victor/script.json"))
      expect(absent.message).toBe("/nonexistent/victor/script.json: no such agent script file")
    }))
})

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
