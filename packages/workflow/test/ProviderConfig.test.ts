import { describe, expect, it } from "@effect/vitest"
import * as ProviderConfig from "@victor/workflow/providers/ProviderConfig"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"

const resolve = (input: Partial<ProviderConfig.ResolveInput>) =>
  ProviderConfig.resolve({ flags: {}, env: {}, workflowConfig: {}, nodeConfig: {}, nodeId: "n", ...input })

const endpoint = (input: Partial<ProviderConfig.ResolveInput>): ProviderConfig.Endpoint => {
  const resolved = resolve(input)
  if (Either.isLeft(resolved)) throw new Error(resolved.left)
  if (resolved.right?._tag !== "Model") throw new Error(`expected a model, got ${JSON.stringify(resolved.right)}`)
  return resolved.right.endpoint
}

const error = (input: Partial<ProviderConfig.ResolveInput>): string => {
  const resolved = resolve(input)
  if (Either.isRight(resolved)) throw new Error(`expected an error, got ${JSON.stringify(resolved.right)}`)
  return resolved.left
}

const keys = { OPENAI_API_KEY: "sk-openai", ANTHROPIC_API_KEY: "sk-ant" }

describe("ProviderConfig.resolve", () => {
  it.effect("flags win over the environment, which wins over the node's llm_config, then the workflow's", () =>
    Effect.sync(() => {
      const workflowConfig = { provider: "openai", model: "wf-model", base_url: "http://wf:1/v1" }
      const nodeConfig = { provider: "openai", model: "node-model", base_url: "http://node:1/v1" }
      const env = { ...keys, VICTOR_PROVIDER: "openai", VICTOR_MODEL: "env-model", OPENAI_BASE_URL: "http://env:1/v1/" }
      const flags = { provider: "openai", model: "flag-model", baseUrl: "http://flag:1/v1" }
      expect(endpoint({ flags, env, nodeConfig, workflowConfig })).toMatchObject({
        model: "flag-model",
        baseUrl: "http://flag:1/v1",
        url: "http://flag:1/v1/chat/completions"
      })
      expect(endpoint({ env, nodeConfig, workflowConfig })).toMatchObject({
        model: "env-model",
        baseUrl: "http://env:1/v1"
      })
      expect(endpoint({ env: keys, nodeConfig, workflowConfig })).toMatchObject({
        model: "node-model",
        baseUrl: "http://node:1/v1"
      })
      expect(endpoint({ env: keys, workflowConfig })).toMatchObject({ model: "wf-model", baseUrl: "http://wf:1/v1" })
      expect(endpoint({ env: keys, workflowConfig: { provider: "anthropic" } })).toMatchObject({
        provider: "anthropic",
        model: ProviderConfig.providerDefaults.anthropic.model,
        url: "https://api.anthropic.com/v1/messages",
        keyVariable: "ANTHROPIC_API_KEY"
      })
    }))

  it.effect("a flag's provider ignores a node's model and base URL written for another provider", () =>
    Effect.sync(() => {
      const nodeConfig = { provider: "anthropic", model: "claude-x", base_url: "http://claude:1" }
      expect(endpoint({ flags: { provider: "openai" }, env: keys, nodeConfig })).toMatchObject({
        provider: "openai",
        model: "gpt-4o-mini",
        baseUrl: "https://api.openai.com/v1"
      })
      expect(endpoint({ flags: { provider: "openai" }, env: keys, nodeConfig: { model: "llama3", temperature: 0.2 } }))
        .toMatchObject({ model: "llama3", temperature: 0.2 })
    }))

  it.effect("--script means scripted, and conflicts with another --provider; nothing configured is undefined", () =>
    Effect.sync(() => {
      expect(resolve({ flags: { script: "s.yaml" }, env: { VICTOR_PROVIDER: "openai" } })).toEqual(
        Either.right({ _tag: "Scripted" })
      )
      expect(error({ flags: { script: "s.yaml", provider: "openai" } })).toMatch(/--script .* --provider asks for openai/)
      expect(resolve({ env: keys, nodeConfig: { temperature: 0 } })).toEqual(Either.right(undefined))
    }))

  it.effect("keys come only from the environment, stay redacted, and are required by the public APIs", () =>
    Effect.sync(() => {
      const found = endpoint({ flags: { provider: "openai" }, env: keys })
      expect(Option.map(found.apiKey, Redacted.value)).toEqual(Option.some("sk-openai"))
      expect(JSON.stringify(found)).not.toContain("sk-openai")
      expect(String(found.apiKey)).not.toContain("sk-openai")
      expect(error({ flags: { provider: "openai" } })).toMatch(/needs an API key: set OPENAI_API_KEY/)
      expect(error({ flags: { provider: "anthropic" } })).toMatch(/set ANTHROPIC_API_KEY/)
      // A local server (Ollama, vLLM) needs no key.
      expect(endpoint({ flags: { provider: "openai", baseUrl: "http://localhost:11434/v1" } }).apiKey).toEqual(
        Option.none()
      )
      expect(error({ env: keys, nodeConfig: { provider: "openai", api_key: "sk-in-file" } })).toMatch(
        /node 'n' llm_config has 'api_key': keys do not belong in workflow files/
      )
    }))

  it.effect("unknown providers and bad base URLs are errors that say what is known", () =>
    Effect.sync(() => {
      expect(error({ nodeConfig: { provider: "gemini" } })).toMatch(
        /node 'n' llm_config has provider "gemini", which is not a provider \(known: scripted, openai, anthropic\)/
      )
      expect(error({ env: { VICTOR_PROVIDER: "cohere" } })).toMatch(/VICTOR_PROVIDER=cohere is not a provider/)
      expect(error({ flags: { provider: "openai", baseUrl: "localhost:11434" } })).toMatch(/not an http\(s\) URL/)
    }))
})
