import { describe, expect, it } from "@effect/vitest"
import * as AgentProvider from "@victor/workflow/AgentProvider"
import * as Effect from "effect/Effect"

/** A provider that answers with its own name, or fails when `fail` is set. */
const fake = (name: string, fail = false): AgentProvider.AgentProviderService => ({
  name,
  complete: (request) =>
    fail
      ? Effect.fail(new AgentProvider.AgentError({ reason: "Unauthorized", nodeId: request.nodeId, description: "401" }))
      : Effect.succeed({
        model: name,
        text: `${name} answers ${request.nodeId}`,
        toolCalls: [],
        finishReason: "stop" as const,
        usage: { inputTokens: 1, outputTokens: 1 }
      })
})

const request = (nodeId: string): AgentProvider.ModelRequest => ({
  nodeId,
  goal: "g",
  tools: [],
  messages: [{ role: "user", content: "g" }],
  llmConfig: {}
})

describe("AgentProvider.makeRouted", () => {
  it.effect("sends each node's turns to its own provider and the others to the fallback", () =>
    Effect.gen(function*() {
      const routed = AgentProvider.makeRouted({ a: fake("openai"), b: fake("anthropic") }, fake("scripted"))
      expect(routed.name).toBe("anthropic+openai")
      expect((yield* routed.complete(request("a"))).text).toBe("openai answers a")
      expect((yield* routed.complete(request("b"))).text).toBe("anthropic answers b")
      expect((yield* routed.complete(request("c"))).text).toBe("scripted answers c")
    }))

  it.effect("names the provider in errors when nodes use different ones, and not when they share one", () =>
    Effect.gen(function*() {
      const mixed = AgentProvider.makeRouted({ a: fake("openai", true), b: fake("anthropic") })
      const error = yield* Effect.flip(mixed.complete(request("a")))
      expect(error).toMatchObject({ reason: "Unauthorized", nodeId: "a", message: "openai: 401" })
      const single = AgentProvider.makeRouted({ a: fake("openai", true), b: fake("openai") })
      expect(single.name).toBe("openai")
      expect((yield* Effect.flip(single.complete(request("a")))).message).toBe("401")
      // A node no provider was given to gets the default: none, which says how to configure one.
      expect((yield* Effect.flip(single.complete(request("z")))).reason).toBe("NoProvider")
    }))
})
