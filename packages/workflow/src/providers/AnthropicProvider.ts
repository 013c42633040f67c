/**
 * The `anthropic` agent provider: the Anthropic Messages API (`POST {baseUrl}/v1/messages`) through
 * `@effect/ai-anthropic`'s `AnthropicClient` and `AnthropicLanguageModel`, with the base URL overridable (a proxy, a
 * gateway, a test server) and tool use mapped both ways (`tool_use` blocks in, `tool_result` blocks out).
 */
import * as AnthropicClient from "@effect/ai-anthropic/AnthropicClient"
import * as AnthropicLanguageModel from "@effect/ai-anthropic/AnthropicLanguageModel"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as AgentProvider from "../AgentProvider.ts"
import * as LanguageModelProvider from "./LanguageModelProvider.ts"
import type { Endpoint } from "./ProviderConfig.ts"

/** The most tokens a turn may produce when `llm_config.max_tokens` does not say (Anthropic requires a limit). */
export const defaultMaxTokens = 4096

/** An agent provider calling the Messages API under `endpoint.baseUrl`. */
export const make = (
  endpoint: Endpoint
): Effect.Effect<AgentProvider.AgentProviderService, never, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    const client = yield* AnthropicClient.make({
      apiUrl: endpoint.baseUrl,
      ...Option.match(endpoint.apiKey, { onNone: () => ({}), onSome: (apiKey) => ({ apiKey }) })
    })
    const languageModel = yield* AnthropicLanguageModel.make({
      model: endpoint.model,
      config: {
        max_tokens: endpoint.maxTokens ?? defaultMaxTokens,
        ...(endpoint.temperature === undefined ? {} : { temperature: endpoint.temperature })
      }
    }).pipe(Effect.provideService(AnthropicClient.AnthropicClient, client))
    return LanguageModelProvider.make("anthropic", endpoint, languageModel)
  })

/** The `anthropic` provider as the `AgentProvider` of a program. */
export const layer = (endpoint: Endpoint): Layer.Layer<AgentProvider.AgentProvider, never, HttpClient.HttpClient> =>
  Layer.scoped(AgentProvider.AgentProvider, make(endpoint))
