/**
 * Agent providers for resolved endpoints: `make` picks the provider an endpoint names, and `layerForNodes` gives
 * every agent node its own (nodes with the same endpoint share one), routed by node id.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as AgentProvider from "../AgentProvider.ts"
import type { Endpoint } from "./ProviderConfig.ts"

/**
 * The provider for one endpoint. Its module is imported only now: the model clients (`@effect/ai`, and the
 * Anthropic client's hundreds of schemas, built when the module loads) cost a run without agent nodes nothing.
 */
export const make = (
  endpoint: Endpoint
): Effect.Effect<AgentProvider.AgentProviderService, never, HttpClient.HttpClient | Scope.Scope> =>
  endpoint.provider === "anthropic"
    ? Effect.flatMap(Effect.promise(() => import("./AnthropicProvider.ts")), (module) => module.make(endpoint))
    : Effect.flatMap(Effect.promise(() => import("./OpenAiProvider.ts")), (module) => module.make(endpoint))

/** What makes two endpoints the same (the key is the same for all of a run, so it is left out). */
const identity = (endpoint: Endpoint): string =>
  JSON.stringify([
    endpoint.provider,
    endpoint.model,
    endpoint.baseUrl,
    endpoint.temperature,
    endpoint.maxTokens,
    endpoint.requestTimeoutSeconds
  ])

/** Each node's turns go to its endpoint's provider; nodes not listed go to `fallback` (default: none). */
export const layerForNodes = (
  byNode: Readonly<Record<string, Endpoint>>,
  fallback?: AgentProvider.AgentProviderService
): Layer.Layer<AgentProvider.AgentProvider, never, HttpClient.HttpClient> =>
  Layer.scoped(
    AgentProvider.AgentProvider,
    Effect.gen(function*() {
      const built = new Map<string, AgentProvider.AgentProviderService>()
      const routes: Record<string, AgentProvider.AgentProviderService> = {}
      for (const [nodeId, endpoint] of Object.entries(byNode)) {
        const key = identity(endpoint)
        let provider = built.get(key)
        if (provider === undefined) {
          provider = yield* make(endpoint)
          built.set(key, provider)
        }
        routes[nodeId] = provider
      }
      return AgentProvider.makeRouted(routes, fallback)
    })
  )
