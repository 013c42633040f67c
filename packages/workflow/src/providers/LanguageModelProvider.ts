/**
 * An `AgentProvider` over any `@effect/ai` `LanguageModel`: each turn's conversation becomes a `Prompt` (the node's
 * role as the system message, the goal as the user message, earlier tool calls and their results), the node's tools
 * a toolkit whose calls are *not* resolved by `@effect/ai` (the workflow executor runs and traces them), and the
 * response the turn's text, tool calls, finish reason and token usage. Failures become one-line `AgentError`s that
 * name the URL and the fix, with the API key scrubbed out of anything a server echoed back.
 */
import * as AiError from "@effect/ai/AiError"
import type * as LanguageModel from "@effect/ai/LanguageModel"
import type * as Prompt from "@effect/ai/Prompt"
import type * as Response from "@effect/ai/Response"
import * as Tool from "@effect/ai/Tool"
import type * as Toolkit from "@effect/ai/Toolkit"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type { JsonObject } from "@victor/core/Json"
import * as AgentProvider from "../AgentProvider.ts"
import type { Endpoint } from "./ProviderConfig.ts"
import * as ToolParameters from "./ToolParameters.ts"

/** Decodes tool call arguments as any JSON object (an open struct, so no key is dropped). */
const AnyObject = Schema.Struct({}, Schema.Record({ key: Schema.String, value: Schema.Unknown }))

/** An `@effect/ai` tool for a node's tool, shown to the model with its JSON-schema parameters. */
export const toTool = (spec: AgentProvider.ToolSpec): Tool.Any =>
  Tool.make(spec.name, { description: spec.description }).setParameters(
    AnyObject.annotations({ jsonSchema: spec.inputSchema ?? ToolParameters.forTool(spec.name) })
  ) as unknown as Tool.Any

/** The conversation as an `@effect/ai` prompt. */
export const toPrompt = (messages: ReadonlyArray<AgentProvider.Message>): Prompt.RawInput =>
  messages.map((message): Prompt.MessageEncoded => {
    switch (message.role) {
      case "system":
        return { role: "system", content: message.content }
      case "user":
        return { role: "user", content: [{ type: "text", text: message.content }] }
      case "assistant":
        return {
          role: "assistant",
          content: [
            ...(message.content === undefined || message.content === ""
              ? []
              : [{ type: "text" as const, text: message.content }]),
            ...message.toolCalls.map((call) => ({
              type: "tool-call" as const,
              id: call.id,
              name: call.name,
              params: call.arguments,
              providerExecuted: false
            }))
          ]
        }
      case "tool":
        return {
          role: "tool",
          content: [{
            type: "tool-result",
            id: message.toolCallId,
            name: message.name,
            result: message.content,
            isFailure: message.isError,
            providerExecuted: false
          }]
        }
    }
  })

const finishReasons: Readonly<Record<Response.FinishReason, AgentProvider.ModelResponse["finishReason"]>> = {
  "stop": "stop",
  "tool-calls": "tool_calls",
  "length": "length",
  "content-filter": "content_filter",
  "error": "error",
  "pause": "other",
  "other": "other",
  "unknown": "other"
}

const statusTexts: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  408: "Request Timeout",
  413: "Payload Too Large",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  529: "Overloaded"
}

/** The `error.message` (or `message`) a server put in an error body, when it sent JSON. */
const serverMessage = (body: string | undefined): string | undefined => {
  if (body === undefined) return undefined
  try {
    const parsed = JSON.parse(body) as unknown
    if (typeof parsed === "string") return serverMessage(parsed)
    if (typeof parsed !== "object" || parsed === null) return undefined
    const record = parsed as Record<string, unknown>
    const error = record["error"]
    const message = typeof error === "object" && error !== null
      ? (error as Record<string, unknown>)["message"]
      : error ?? record["message"]
    return typeof message === "string" ? message : undefined
  } catch {
    return undefined
  }
}

const oneLine = (text: string, max = 200): string => {
  const line = text.replace(/\s+/g, " ").trim()
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}

/** The `AgentError` of a failed model call: what happened, where, and what to do. */
export const describeError = (
  endpoint: Endpoint,
  error: AiError.AiError
): { readonly reason: AgentProvider.AgentError["reason"]; readonly description: string } => {
  const url = endpoint.url
  switch (error._tag) {
    case "HttpResponseError": {
      const status = error.response.status
      if (error.reason !== "StatusCode") {
        return {
          reason: "BadResponse",
          description: `the response from ${url} (${status}) is not JSON; check that ${endpoint.baseUrlVariable} ` +
            `or --base-url points at ${
              endpoint.provider === "openai" ? "an OpenAI-compatible API (e.g. http://localhost:11434/v1)" :
                "the Anthropic API"
            }`
        }
      }
      const said = serverMessage(error.body)
      const saying = said === undefined ? "" : ` (${oneLine(said)})`
      const head = `${status} ${statusTexts[status] ?? "error"} from ${url}${saying}`
      if (status === 401 || status === 403) {
        return { reason: "Unauthorized", description: `${head}; check ${endpoint.keyVariable}` }
      }
      if (status === 429) {
        return {
          reason: "RateLimited",
          description: `${head}; the server is rate limiting: retry later, lower --concurrency, or raise max_retries`
        }
      }
      if (status >= 500) {
        return { reason: "Unavailable", description: `${head}; the server failed: retry later (max_retries)` }
      }
      if (status === 404) {
        return {
          reason: "Rejected",
          description: `${head}; check the model '${endpoint.model}' (--model / VICTOR_MODEL) and the base URL ` +
            `(--base-url / ${endpoint.baseUrlVariable})`
        }
      }
      return { reason: "Rejected", description: `${head}; the request for model '${endpoint.model}' was refused` }
    }
    case "HttpRequestError":
      return {
        reason: "Unavailable",
        description: `cannot reach ${url} (${oneLine(describeCause(error))}); check that the server is running ` +
          `and --base-url / ${endpoint.baseUrlVariable}`
      }
    case "MalformedOutput":
    case "MalformedInput":
      return {
        reason: "BadResponse",
        description: `malformed response from ${url}: ${oneLine(error.description ?? error.message, 300)}`
      }
    case "UnknownError":
      return { reason: "BadResponse", description: `${url}: ${oneLine(error.description ?? error.message, 300)}` }
  }
}

/** The innermost reason a request failed (`ECONNREFUSED`, ...), which the fetch error hides in its causes. */
const describeCause = (error: AiError.HttpRequestError): string => {
  const codes: Array<string> = []
  let cause: unknown = error.cause
  for (let depth = 0; depth < 6 && typeof cause === "object" && cause !== null; depth++) {
    const record = cause as Record<string, unknown>
    if (typeof record["code"] === "string") codes.push(record["code"])
    else if (typeof record["message"] === "string" && depth > 0) codes.push(record["message"])
    cause = record["cause"]
  }
  const last = codes.at(-1)
  return last ?? error.description ?? error.reason
}

/** Removes the key from text a server or a library produced. */
const scrub = (endpoint: Endpoint, text: string): string =>
  Option.match(endpoint.apiKey, {
    onNone: () => text,
    onSome: (key) => {
      const value = Redacted.value(key)
      return value.length < 4 ? text : text.split(value).join("[redacted]")
    }
  })

/** An agent provider over a language model that talks to `endpoint`. */
export const make = (
  name: string,
  endpoint: Endpoint,
  languageModel: LanguageModel.Service
): AgentProvider.AgentProviderService => ({
  name,
  complete: (request) =>
    Effect.gen(function*() {
      const tools = Object.fromEntries(request.tools.map((spec) => [spec.name, toTool(spec)]))
      // The executor runs every tool call itself, traced, so `@effect/ai` must never resolve one.
      const toolkit: Toolkit.WithHandler<Record<string, Tool.Any>> = {
        tools,
        handle: () => Effect.dieMessage("tool calls are run by the workflow executor")
      }
      const response = yield* languageModel.generateText({
        prompt: toPrompt(request.messages),
        toolkit,
        disableToolCallResolution: true
      })
      const text = response.text
      const metadata = response.content.find((part) => part.type === "response-metadata")
      return {
        model: Option.getOrElse(
          metadata === undefined ? Option.none() : metadata.modelId,
          () => endpoint.model
        ),
        ...(text === "" ? {} : { text }),
        toolCalls: response.toolCalls.map((call) => ({
          id: call.id,
          name: call.name,
          arguments: call.params as JsonObject
        })),
        finishReason: finishReasons[response.finishReason],
        usage: { inputTokens: response.usage.inputTokens ?? 0, outputTokens: response.usage.outputTokens ?? 0 }
      } satisfies AgentProvider.ModelResponse
    }).pipe(
      Effect.mapError((error) => {
        const { description, reason } = describeError(endpoint, error)
        return new AgentProvider.AgentError({
          reason,
          nodeId: request.nodeId,
          description: scrub(endpoint, description)
        })
      }),
      Effect.timeoutFail({
        duration: Duration.seconds(endpoint.requestTimeoutSeconds),
        onTimeout: () =>
          new AgentProvider.AgentError({
            reason: "Timeout",
            nodeId: request.nodeId,
            description: `no response from ${endpoint.url} within ${endpoint.requestTimeoutSeconds}s; check that the ` +
              `server is up, or raise llm_config.request_timeout`
          })
      })
    )
})
