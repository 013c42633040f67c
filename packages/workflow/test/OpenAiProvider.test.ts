// The openai provider against a real HTTP server on loopback that speaks the chat-completions wire format.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { expect, layer } from "@effect/vitest"
import * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as OpenAiProvider from "@victor/workflow/providers/OpenAiProvider"
import * as ProviderConfig from "@victor/workflow/providers/ProviderConfig"
import * as WorkflowExecutor from "@victor/workflow/WorkflowExecutor"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { makeTree, RunLayer } from "./fixtures.ts"
import { type Reply, serve } from "./loopbackServer.ts"

/** A chat completion as OpenAI sends it. */
const completion = (message: Record<string, unknown>, finishReason: string, usage: [number, number]) => ({
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1700000000,
  model: "gpt-test-0613",
  choices: [{ index: 0, message: { role: "assistant", content: null, ...message }, finish_reason: finishReason }],
  usage: { prompt_tokens: usage[0], completion_tokens: usage[1], total_tokens: usage[0] + usage[1] }
})

const secret = "sk-test-SECRET-0123456789"

const endpointFor = (port: number, extra: Record<string, unknown> = {}) => {
  const resolved = ProviderConfig.resolve({
    flags: { provider: "openai", model: "gpt-test", baseUrl: `http://127.0.0.1:${port}/v1` },
    env: { OPENAI_API_KEY: secret },
    workflowConfig: {},
    nodeConfig: { temperature: 0, max_tokens: 300, ...extra },
    nodeId: "review"
  })
  if (Either.isLeft(resolved) || resolved.right?._tag !== "Model") throw new Error("expected an endpoint")
  return resolved.right.endpoint
}

const workflowText = (dir: string) =>
  [
    "name: review",
    "nodes:",
    "  - id: review",
    "    role: a careful reviewer",
    `    goal: Read ${dir}/src/a.ts and say what it defines`,
    "    tools: [read, grep]",
    "    llm_config: { temperature: 0, max_tokens: 300 }",
    ""
  ].join("\n")

const run = (dir: string, port: number, extra: Record<string, unknown> = {}) =>
  Effect.gen(function*() {
    const workflow = yield* WorkflowLoader.parse(workflowText(dir), "review.yaml")
    return yield* WorkflowExecutor.execute(workflow).pipe(
      Effect.provide(OpenAiProvider.layer(endpointFor(port, extra)).pipe(Layer.provide(FetchHttpClient.layer)))
    )
  })

const encoded = (trace: WorkflowTrace.WorkflowTrace) => JSON.stringify(Schema.encodeSync(WorkflowTrace.WorkflowTrace)(trace))

layer(RunLayer, { excludeTestServices: true })("openai provider (chat completions on loopback)", (it) => {
  it.scoped("runs the agent loop: tool_calls are run and traced, their results fed back, usage recorded", () =>
    Effect.gen(function*() {
      const dir = yield* makeTree
      const server = yield* serve([
        {
          json: completion({
            tool_calls: [{
              id: "call_1",
              type: "function",
              function: { name: "read", arguments: JSON.stringify({ path: `${dir}/src/a.ts` }) }
            }]
          }, "tool_calls", [120, 20])
        },
        { json: completion({ content: "It defines a constant a." }, "stop", [260, 9]) }
      ])
      const result = yield* run(dir, server.port)
      expect(result).toMatchObject({ status: "succeeded", error: null })
      const node = result.trace.nodes[0]!
      expect(node.inputs).toMatchObject({ provider: "openai" })
      expect(node.outputs).toEqual({ response: "It defines a constant a.", success: true, tool_calls: 1, error: null })
      expect(node.toolCalls).toHaveLength(1)
      expect(node.toolCalls[0]).toMatchObject({
        toolName: "read",
        success: true,
        inputs: { path: `${dir}/src/a.ts` },
        outputs: { content: "const a = 1\n// TODO: rename a\n" }
      })
      expect(node.metadata.model_calls).toMatchObject([
        { turn: 1, model: "gpt-test-0613", input_tokens: 120, output_tokens: 20, finish_reason: "tool_calls" },
        { turn: 2, model: "gpt-test-0613", input_tokens: 260, output_tokens: 9, finish_reason: "stop" }
      ])
      const modelEvents = result.trace.events.filter((event) => event.eventType === "model_call_completed")
      expect(modelEvents.map((event) => event.data?.finish_reason)).toEqual(["tool_calls", "stop"])

      // What the server was sent: the chat-completions request, twice, the second with the tool's real result.
      expect(server.received.map((request) => `${request.method} ${request.url}`)).toEqual([
        "POST /v1/chat/completions",
        "POST /v1/chat/completions"
      ])
      expect(server.received[0]!.headers["authorization"]).toBe(`Bearer ${secret}`)
      const [first, second] = server.received.map((request) => request.body)
      expect(first).toMatchObject({ model: "gpt-test", temperature: 0, max_tokens: 300 })
      expect(first.messages).toEqual([
        { role: "system", content: "You are a careful reviewer." },
        { role: "user", content: `Read ${dir}/src/a.ts and say what it defines` }
      ])
      expect(first.tools.map((tool: any) => [tool.type, tool.function.name])).toEqual([
        ["function", "read"],
        ["function", "grep"]
      ])
      expect(first.tools[0].function.parameters).toMatchObject({ type: "object", required: ["path"] })
      expect(first.tools[0].function.description).toMatch(/Reads a text file/)
      expect(second.messages.slice(2)).toEqual([
        {
          role: "assistant",
          content: null,
          tool_calls: [{
            id: "call_1",
            type: "function",
            function: { name: "read", arguments: JSON.stringify({ path: `${dir}/src/a.ts` }) }
          }]
        },
        {
          role: "tool",
          tool_call_id: "call_1",
          content: JSON.stringify({ content: "const a = 1\n// TODO: rename a\n", size: 30 })
        }
      ])
      expect(encoded(result.trace)).not.toContain(secret)
    }))

  it.scoped("accepts what lenient compatible servers send: no tool call id, arguments as an object", () =>
    Effect.gen(function*() {
      const dir = yield* makeTree
      const server = yield* serve([
        { json: completion({ tool_calls: [{ function: { name: "read", arguments: { path: `${dir}/src/a.ts` } } }] }, "tool_calls", [5, 5]) },
        { json: { choices: [{ message: { role: "assistant", content: "Done." }, finish_reason: "stop" }] } }
      ])
      const result = yield* run(dir, server.port)
      expect(result.status).toBe("succeeded")
      const node = result.trace.nodes[0]!
      expect(node.toolCalls[0]).toMatchObject({ toolName: "read", success: true, inputs: { path: `${dir}/src/a.ts` } })
      // No usage and no model in the reply: zero tokens, and the model that was asked for.
      expect(node.metadata.model_calls).toMatchObject([{ model: "gpt-test-0613" }, { model: "gpt-test", input_tokens: 0 }])
      const [assistant, tool] = server.received[1]!.body.messages.slice(2)
      expect(tool.tool_call_id).toBe(assistant.tool_calls[0].id)
      expect(tool.tool_call_id).toMatch(/^call_/)
    }))

  it.scoped("a failing tool's error is fed back to the model as the tool result, and the agent goes on", () =>
    Effect.gen(function*() {
      const dir = yield* makeTree
      const server = yield* serve([
        {
          json: completion({
            tool_calls: [{
              id: "call_x",
              type: "function",
              function: { name: "read", arguments: JSON.stringify({ path: `${dir}/missing.ts` }) }
            }]
          }, "tool_calls", [10, 5])
        },
        { json: completion({ content: "The file is missing." }, "stop", [30, 5]) }
      ])
      const result = yield* run(dir, server.port)
      expect(result.status).toBe("succeeded")
      expect(result.trace.nodes[0]!.toolCalls[0]).toMatchObject({ toolName: "read", success: false })
      const toolMessage = server.received[1]!.body.messages.at(-1)
      expect(toolMessage).toMatchObject({ role: "tool", tool_call_id: "call_x" })
      expect(JSON.parse(toolMessage.content).error).toMatch(/missing\.ts/)
    }))

  const failures: ReadonlyArray<readonly [string, Reply, RegExp]> = [
    [
      "401",
      { status: 401, json: { error: { message: `Incorrect API key provided: ${secret}`, code: "invalid_api_key" } } },
      /^node 'review' failed: openai provider: 401 Unauthorized from http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions \(Incorrect API key provided: \[redacted\]\); check OPENAI_API_KEY$/
    ],
    [
      "403",
      { status: 403, json: { error: { message: "forbidden" } } },
      /403 Forbidden from http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions \(forbidden\); check OPENAI_API_KEY/
    ],
    [
      "429",
      { status: 429, json: { error: { message: "Rate limit reached" } } },
      /429 Too Many Requests from .*chat\/completions \(Rate limit reached\); the server is rate limiting/
    ],
    [
      "503",
      { status: 503, text: "<html>down</html>" },
      /503 Service Unavailable from .*chat\/completions; the server failed: retry later/
    ],
    [
      "a body that is not JSON",
      { status: 200, text: "<html>Welcome to nginx</html>" },
      /the response from http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions \(200\) is not JSON; check that OPENAI_BASE_URL/
    ],
    [
      "JSON that is not a chat completion",
      { status: 200, json: { object: "list", data: [] } },
      /malformed response from http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions: not a chat completion: .*choices/
    ],
    [
      "tool call arguments that are not JSON",
      {
        json: completion({
          tool_calls: [{ id: "c", type: "function", function: { name: "read", arguments: "{path: oops" } }]
        }, "tool_calls", [1, 1])
      },
      /malformed response from .*: the arguments of tool call 'read' are not JSON/
    ]
  ]
  for (const [name, reply, message] of failures) {
    it.scoped(`${name} fails the node with one clear error; the trace is complete and holds no key`, () =>
      Effect.gen(function*() {
        const dir = yield* makeTree
        const server = yield* serve([reply])
        const result = yield* run(dir, server.port)
        expect(result.status).toBe("failed")
        expect(result.error).toMatch(message)
        expect(result.error).not.toContain("\n")
        const node = result.trace.nodes[0]!
        expect(node.success).toBe(false)
        expect(node.error).toMatch(message.source.startsWith("^") ? /openai provider: / : message)
        expect(encoded(result.trace)).not.toContain(secret)
        expect(server.received).toHaveLength(1)
      }))
  }

  it.scoped("a server that does not answer within request_timeout fails the node with a timeout error", () =>
    Effect.gen(function*() {
      const dir = yield* makeTree
      const server = yield* serve([{ json: completion({ content: "late" }, "stop", [1, 1]), delayMs: 5000 }])
      const result = yield* run(dir, server.port, { request_timeout: 0.3 })
      expect(result.status).toBe("failed")
      expect(result.error).toMatch(
        /openai provider: no response from http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions within 0\.3s/
      )
      expect(result.trace.nodes[0]!.durationSeconds).toBeLessThan(3)
    }))

  it.scoped("an unreachable endpoint (connection refused) fails the node and names the URL", () =>
    Effect.gen(function*() {
      const dir = yield* makeTree
      // A port that was just free: nothing listens on it any more.
      const port = yield* Effect.scoped(Effect.map(serve([]), (server) => server.port))
      const result = yield* run(dir, port)
      expect(result.status).toBe("failed")
      expect(result.error).toMatch(
        new RegExp(
          `openai provider: cannot reach http://127\\.0\\.0\\.1:${port}/v1/chat/completions \\(ECONNREFUSED\\); ` +
            "check that the server is running and --base-url / OPENAI_BASE_URL"
        )
      )
      expect(result.trace.nodes[0]!.success).toBe(false)
    }))
})
