// A tool that carries the JSON schema of its inputs (as a tool from an MCP server does) is shown to the model with
// that schema; a tool without one keeps the built-in's schema or an open object. Checked on the wire, against a real
// chat-completions server on loopback.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { expect, layer } from "@effect/vitest"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as OpenAiProvider from "@victor/workflow/providers/OpenAiProvider"
import * as ProviderConfig from "@victor/workflow/providers/ProviderConfig"
import * as ToolRegistry from "@victor/workflow/ToolRegistry"
import * as WorkflowExecutor from "@victor/workflow/WorkflowExecutor"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import { ToolsLayer } from "./fixtures.ts"
import { serve } from "./loopbackServer.ts"

const lookupSchema = {
  type: "object",
  properties: { city: { type: "string", description: "A city name" }, units: { enum: ["metric", "imperial"] } },
  required: ["city"],
  additionalProperties: false
}

const tools = ToolRegistry.layerBuiltinWith({
  tools: [
    {
      name: "weather",
      description: "The weather in a city",
      inputSchema: lookupSchema,
      run: (inputs) => Effect.succeed({ city: String(inputs["city"]), sky: "clear" })
    },
    { name: "untyped", description: "Takes anything", run: (inputs) => Effect.succeed(inputs) }
  ]
})

const workflow = [
  "name: weather",
  "nodes:",
  "  - id: ask",
  "    role: a forecaster",
  "    goal: Say the weather in Oslo",
  "    tools: [weather, untyped, read]",
  ""
].join("\n")

layer(Layer.merge(Layer.provideMerge(tools, ToolsLayer), WorkflowTracer.layerMemory()), { excludeTestServices: true })(
  "tool input schemas",
  (it) => {
    it.scoped("reach the model as the tools' parameters", () =>
      Effect.gen(function*() {
        const server = yield* serve([{
          json: {
            id: "c1",
            object: "chat.completion",
            created: 1700000000,
            model: "gpt-test",
            choices: [{ index: 0, message: { role: "assistant", content: "Clear." }, finish_reason: "stop" }],
            usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 }
          }
        }])
        const resolved = ProviderConfig.resolve({
          flags: { provider: "openai", model: "gpt-test", baseUrl: `http://127.0.0.1:${server.port}/v1` },
          env: { OPENAI_API_KEY: "sk-test" },
          workflowConfig: {},
          nodeConfig: {},
          nodeId: "ask"
        })
        if (Either.isLeft(resolved) || resolved.right?._tag !== "Model") throw new Error("expected an endpoint")
        const parsed = yield* WorkflowLoader.parse(workflow, "weather.yaml")
        const result = yield* WorkflowExecutor.execute(parsed).pipe(
          Effect.provide(OpenAiProvider.layer(resolved.right.endpoint).pipe(Layer.provide(FetchHttpClient.layer)))
        )
        expect(result.status).toBe("succeeded")
        const sent = server.received[0]!.body.tools as ReadonlyArray<any>
        expect(sent.map((tool) => tool.function.name)).toEqual(["weather", "untyped", "read"])
        expect(sent[0].function.parameters).toEqual(lookupSchema)
        expect(sent[0].function.description).toBe("The weather in a city")
        // No schema: an open object; a built-in: its own schema.
        expect(sent[1].function.parameters).toMatchObject({ type: "object" })
        expect(sent[1].function.parameters.required).toBeUndefined()
        expect(sent[2].function.parameters).toMatchObject({ type: "object", required: ["path"] })
      }))
  }
)
