/**
 * The `openai` agent provider: any OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, vLLM, LM Studio, ...)
 * through the `ChatCompletions` language model, over the platform `HttpClient` (`FetchHttpClient.layer` works in Node
 * and Deno).
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as AgentProvider from "../AgentProvider.ts"
import * as ChatCompletions from "./ChatCompletions.ts"
import * as LanguageModelProvider from "./LanguageModelProvider.ts"
import type { Endpoint } from "./ProviderConfig.ts"

/** An agent provider calling the chat-completions endpoint under `endpoint.baseUrl`. */
export const make = (
  endpoint: Endpoint
): Effect.Effect<AgentProvider.AgentProviderService, never, HttpClient.HttpClient> =>
  Effect.map(
    ChatCompletions.make({
      baseUrl: endpoint.baseUrl,
      model: endpoint.model,
      apiKey: endpoint.apiKey,
      ...(endpoint.temperature === undefined ? {} : { temperature: endpoint.temperature }),
      ...(endpoint.maxTokens === undefined ? {} : { maxTokens: endpoint.maxTokens })
    }),
    (languageModel) => LanguageModelProvider.make("openai", endpoint, languageModel)
  )

/** The `openai` provider as the `AgentProvider` of a program. */
export const layer = (endpoint: Endpoint): Layer.Layer<AgentProvider.AgentProvider, never, HttpClient.HttpClient> =>
  Layer.effect(AgentProvider.AgentProvider, make(endpoint))
