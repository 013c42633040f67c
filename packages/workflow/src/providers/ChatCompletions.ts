/**
 * An `@effect/ai` `LanguageModel` for the OpenAI chat-completions API (`POST {baseUrl}/chat/completions`), which
 * OpenAI and every OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp, ...) speak. `@effect/ai-openai`
 * talks to the newer Responses API only, so this module builds the model with `LanguageModel.make` over the platform
 * `HttpClient`: the prompt becomes `messages` (tool calls as assistant `tool_calls`, their results as `role: tool`
 * messages), the toolkit becomes `tools` (function definitions with JSON-schema parameters), and the response is
 * decoded with Schema into text, tool calls, finish reason and usage. Only whole responses are supported (no
 * streaming), which is what an agent loop needs.
 */
import * as AiError from "@effect/ai/AiError"
import * as LanguageModel from "@effect/ai/LanguageModel"
import type * as Prompt from "@effect/ai/Prompt"
import type * as Response from "@effect/ai/Response"
import * as Tool from "@effect/ai/Tool"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"

/** Options of `make`. */
export interface Options {
  /** E.g. `https://api.openai.com/v1` or `http://localhost:11434/v1` (no trailing slash). */
  readonly baseUrl: string
  readonly model: string
  /** Sent as `Authorization: Bearer`; local servers need none. */
  readonly apiKey: Option.Option<Redacted.Redacted<string>>
  readonly temperature?: number
  readonly maxTokens?: number
}

// Some compatible servers leave out the id, or send the arguments as an object rather than JSON text.
const ToolCall = Schema.Struct({
  id: Schema.optional(Schema.NullOr(Schema.String)),
  type: Schema.optional(Schema.String),
  function: Schema.Struct({
    name: Schema.String,
    arguments: Schema.optional(
      Schema.NullOr(Schema.Union(Schema.String, Schema.Record({ key: Schema.String, value: Schema.Unknown })))
    )
  })
})

/** The part of a chat-completions response this model reads. */
export const ChatCompletion = Schema.Struct({
  id: Schema.optional(Schema.String),
  model: Schema.optional(Schema.String),
  choices: Schema.NonEmptyArray(Schema.Struct({
    message: Schema.Struct({
      content: Schema.optional(Schema.NullOr(Schema.String)),
      tool_calls: Schema.optional(Schema.NullOr(Schema.Array(ToolCall)))
    }),
    finish_reason: Schema.optional(Schema.NullOr(Schema.String))
  })),
  usage: Schema.optional(Schema.NullOr(Schema.Struct({
    prompt_tokens: Schema.optional(Schema.Number),
    completion_tokens: Schema.optional(Schema.Number),
    total_tokens: Schema.optional(Schema.Number)
  })))
})

/** A chat-completions response (decoded). */
export type ChatCompletion = typeof ChatCompletion.Type

const decodeCompletion = Schema.decodeUnknown(ChatCompletion, { errors: "all" })

const finishReasons: Readonly<Record<string, Response.FinishReason>> = {
  stop: "stop",
  tool_calls: "tool-calls",
  function_call: "tool-calls",
  length: "length",
  content_filter: "content-filter"
}

const textOf = (parts: ReadonlyArray<{ readonly type: string }>): string =>
  parts.flatMap((part) => (part.type === "text" ? [(part as Prompt.TextPart).text] : [])).join("")

/** The prompt as chat-completions `messages`. */
export const toMessages = (prompt: Prompt.Prompt): Array<Record<string, unknown>> =>
  prompt.content.flatMap((message): Array<Record<string, unknown>> => {
    switch (message.role) {
      case "system":
        return [{ role: "system", content: message.content }]
      case "user":
        return [{ role: "user", content: textOf(message.content) }]
      case "assistant": {
        const calls = message.content.flatMap((part) =>
          part.type === "tool-call"
            ? [{
              id: part.id,
              type: "function",
              function: { name: part.name, arguments: JSON.stringify(part.params ?? {}) }
            }]
            : []
        )
        const content = textOf(message.content)
        return [{
          role: "assistant",
          content: content === "" ? null : content,
          ...(calls.length === 0 ? {} : { tool_calls: calls })
        }]
      }
      case "tool":
        return message.content.map((part) => ({
          role: "tool",
          tool_call_id: part.id,
          content: typeof part.result === "string" ? part.result : JSON.stringify(part.result)
        }))
    }
  })

/** The toolkit as chat-completions `tools`. */
export const toTools = (tools: ReadonlyArray<Tool.Any>): Array<Record<string, unknown>> =>
  tools.filter(Tool.isUserDefined).map((tool) => ({
    type: "function",
    function: {
      name: tool.name,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      parameters: Tool.getJsonSchema(tool as Parameters<typeof Tool.getJsonSchema>[0])
    }
  }))

const toolChoiceOf = (choice: LanguageModel.ProviderOptions["toolChoice"]): unknown =>
  typeof choice === "string"
    ? choice
    : "tool" in choice
    ? { type: "function", function: { name: choice.tool } }
    : "required"

const module = "ChatCompletions"
const method = "generateText"

/** The request body of one turn. */
export const requestBody = (options: Options, provider: LanguageModel.ProviderOptions): Record<string, unknown> => {
  const tools = toTools(provider.tools)
  return {
    model: options.model,
    messages: toMessages(provider.prompt),
    ...(tools.length === 0 ? {} : { tools, tool_choice: toolChoiceOf(provider.toolChoice) }),
    ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
    ...(options.maxTokens === undefined ? {} : { max_tokens: options.maxTokens })
  }
}

/** The response as `@effect/ai` parts; tool call arguments that are not JSON are a `MalformedOutput` error. */
export const toParts = (
  completion: ChatCompletion
): Effect.Effect<Array<Response.PartEncoded>, AiError.MalformedOutput> =>
  Effect.gen(function*() {
    const choice = completion.choices[0]
    const parts: Array<Response.PartEncoded> = [{
      type: "response-metadata",
      ...(completion.id === undefined ? {} : { id: completion.id }),
      ...(completion.model === undefined ? {} : { modelId: completion.model })
    }]
    const content = choice.message.content
    if (content !== undefined && content !== null && content !== "") parts.push({ type: "text", text: content })
    const calls = choice.message.tool_calls ?? []
    for (const [index, call] of calls.entries()) {
      const raw = call.function.arguments ?? {}
      const params = typeof raw !== "string" ? raw : yield* Effect.try({
        try: () => JSON.parse(raw.trim() === "" ? "{}" : raw) as unknown,
        catch: () =>
          new AiError.MalformedOutput({
            module,
            method,
            description: `the arguments of tool call '${call.function.name}' are not JSON: ${raw.slice(0, 120)}`
          })
      })
      const id = call.id ?? `call_${completion.id ?? "turn"}_${index + 1}`
      parts.push({ type: "tool-call", id, name: call.function.name, params, providerExecuted: false })
    }
    const reason = choice.finish_reason ?? undefined
    parts.push({
      type: "finish",
      reason: reason === undefined ? (calls.length > 0 ? "tool-calls" : "unknown") : finishReasons[reason] ?? "other",
      usage: {
        inputTokens: completion.usage?.prompt_tokens,
        outputTokens: completion.usage?.completion_tokens,
        totalTokens: completion.usage?.total_tokens
      }
    })
    return parts
  })

/** A chat-completions language model over the `HttpClient` in context. */
export const make = (options: Options): Effect.Effect<LanguageModel.Service, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const client = HttpClient.filterStatusOk(yield* HttpClient.HttpClient)
    const url = `${options.baseUrl}/chat/completions`
    const generateText = (provider: LanguageModel.ProviderOptions) =>
      Effect.gen(function*() {
        const request = HttpClientRequest.post(url).pipe(
          HttpClientRequest.acceptJson,
          Option.match(options.apiKey, {
            onNone: () => (request: HttpClientRequest.HttpClientRequest) => request,
            onSome: (key) => HttpClientRequest.bearerToken(Redacted.value(key))
          }),
          HttpClientRequest.bodyUnsafeJson(requestBody(options, provider))
        )
        const body = yield* client.execute(request).pipe(
          Effect.flatMap((response) => response.json),
          Effect.catchTags({
            RequestError: (error) => Effect.fail(AiError.HttpRequestError.fromRequestError({ module, method, error })),
            ResponseError: (error) => AiError.HttpResponseError.fromResponseError({ module, method, error })
          })
        )
        const completion = yield* decodeCompletion(body).pipe(
          Effect.mapError((error) =>
            new AiError.MalformedOutput({
              module,
              method,
              description: `not a chat completion: ${error.message.split("\n").slice(0, 4).join(" ")}`
            })
          )
        )
        return yield* toParts(completion)
      })
    return yield* LanguageModel.make({
      generateText,
      streamText: () =>
        Stream.fail(
          new AiError.UnknownError({ module, method: "streamText", description: "streaming is not supported" })
        )
    })
  })
