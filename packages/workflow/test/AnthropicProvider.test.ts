// The anthropic provider (@effect/ai-anthropic) against a real HTTP server on loopback speaking the Messages API.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { expect, layer } from "@effect/vitest"
import * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as AnthropicProvider from "@victor/workflow/providers/AnthropicProvider"
import * as ProviderConfig from "@victor/workflow/providers/ProviderConfig"
import * as WorkflowExecutor from "@victor/workflow/WorkflowExecutor"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { makeTree, RunLayer } from "./fixtures.ts"
import { serve } from "./loopbackServer.ts"

/** A Messages API response as Anthropic sends it. */
const message = (content: Array<Record<string, unknown>>, stopReason: string, usage: [number, number]) => ({
  id: "msg_01",
  type: "message",
  role: "assistant",
  model: "claude-test-20250101",
  content,
  stop_reason: stopReason,
  stop_sequence: null,
  usage: { input_tokens: usage[0], output_tokens: usage[1] }
})

const secret = "sk-ant-test-SECRET-987654321"

const run = (dir: string, port: number) =>
  Effect.gen(function*() {
    const workflow = yield* WorkflowLoader.parse(
      [
        "name: review",
        "metadata:",
        "  llm_config: { provider: anthropic, model: claude-test }",
        "nodes:",
        "  - id: review",
        "    role: a careful reviewer",
        `    goal: Read ${dir}/src/a.ts and say what it defines`,
        "    tools: [read]",
        "    llm_config: { max_tokens: 500 }",
        ""
      ].join("\n"),
      "review.yaml"
    )
    const node = workflow.nodes[0]!
    const resolved = ProviderConfig.resolve({
      flags: {},
      env: { ANTHROPIC_API_KEY: secret, ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}` },
      workflowConfig: ProviderConfig.workflowConfigOf(workflow.metadata),
      nodeConfig: node.type === "agent" ? node.llmConfig : {},
      nodeId: node.id
    })
    if (Either.isLeft(resolved) || resolved.right?._tag !== "Model") throw new Error("expected an endpoint")
    return yield* WorkflowExecutor.execute(workflow).pipe(
      Effect.provide(AnthropicProvider.layer(resolved.right.endpoint).pipe(Layer.provide(FetchHttpClient.layer)))
    )
  })

const encoded = (trace: WorkflowTrace.WorkflowTrace) => JSON.stringify(Schema.encodeSync(WorkflowTrace.WorkflowTrace)(trace))

layer(RunLayer, { excludeTestServices: true })("anthropic provider (Messages API on loopback)", (it) => {
  it.scoped("tool_use blocks are run and traced, tool_result blocks sent back, tokens and stop reason recorded", () =>
    Effect.gen(function*() {
      const dir = yield* makeTree
      const server = yield* serve([
        {
          json: message([
            { type: "text", text: "Let me read it." },
            { type: "tool_use", id: "toolu_01", name: "read", input: { path: `${dir}/src/a.ts` } }
          ], "tool_use", [400, 30])
        },
        { json: message([{ type: "text", text: "It defines a constant a." }], "end_turn", [520, 8]) }
      ])
      const result = yield* run(dir, server.port)
      expect(result).toMatchObject({ status: "succeeded", error: null })
      const node = result.trace.nodes[0]!
      expect(node.inputs).toMatchObject({ provider: "anthropic" })
      expect(node.outputs).toMatchObject({ response: "It defines a constant a.", tool_calls: 1 })
      expect(node.toolCalls[0]).toMatchObject({
        toolName: "read",
        success: true,
        outputs: { content: "const a = 1\n// TODO: rename a\n" }
      })
      expect(node.metadata.model_calls).toMatchObject([
        { turn: 1, model: "claude-test-20250101", input_tokens: 400, output_tokens: 30, finish_reason: "tool_calls" },
        { turn: 2, model: "claude-test-20250101", input_tokens: 520, output_tokens: 8, finish_reason: "stop" }
      ])

      expect(server.received.map((request) => request.url.split("?")[0])).toEqual(["/v1/messages", "/v1/messages"])
      expect(server.received[0]!.headers["x-api-key"]).toBe(secret)
      expect(server.received[0]!.headers["anthropic-version"]).toBeDefined()
      const [first, second] = server.received.map((request) => request.body)
      expect(first).toMatchObject({ model: "claude-test", max_tokens: 500 })
      expect(JSON.stringify(first.system)).toContain("You are a careful reviewer.")
      expect(first.messages).toMatchObject([
        { role: "user", content: [{ type: "text", text: `Read ${dir}/src/a.ts and say what it defines` }] }
      ])
      expect(first.tools).toMatchObject([
        { name: "read", input_schema: { type: "object", properties: { path: { type: "string" } }, required: ["path"] } }
      ])
      expect(second.messages.slice(1)).toMatchObject([
        {
          role: "assistant",
          content: [
            { type: "text", text: "Let me read it." },
            { type: "tool_use", id: "toolu_01", name: "read", input: { path: `${dir}/src/a.ts` } }
          ]
        },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_01", is_error: false }] }
      ])
      expect(JSON.parse(second.messages[2].content[0].content)).toEqual({
        content: "const a = 1\n// TODO: rename a\n",
        size: 30
      })
      expect(encoded(result.trace)).not.toContain(secret)
    }))

  it.scoped("a 401 fails the node with one clear error naming the URL and ANTHROPIC_API_KEY", () =>
    Effect.gen(function*() {
      const dir = yield* makeTree
      const server = yield* serve([{
        status: 401,
        json: { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } }
      }])
      const result = yield* run(dir, server.port)
      expect(result.status).toBe("failed")
      expect(result.error).toMatch(
        /^node 'review' failed: anthropic provider: 401 Unauthorized from http:\/\/127\.0\.0\.1:\d+\/v1\/messages \(invalid x-api-key\); check ANTHROPIC_API_KEY$/
      )
      expect(result.trace.nodes[0]!.success).toBe(false)
      expect(encoded(result.trace)).not.toContain(secret)
    }))

  it.scoped("an unreachable endpoint fails the node and says so", () =>
    Effect.gen(function*() {
      const dir = yield* makeTree
      const port = yield* Effect.scoped(Effect.map(serve([]), (server) => server.port))
      const result = yield* run(dir, port)
      expect(result.status).toBe("failed")
      expect(result.error).toMatch(/anthropic provider: cannot reach http:\/\/127\.0\.0\.1:\d+\/v1\/messages \(ECONNREFUSED\)/)
    }))
})
