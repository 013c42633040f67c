/**
 * Which model an agent node talks to. Settings come from four places, the first that gives one wins: flags
 * (`--provider`, `--model`, `--base-url`), the environment (`VICTOR_PROVIDER`, `VICTOR_MODEL`, `OPENAI_BASE_URL`,
 * `ANTHROPIC_BASE_URL`), the node's `llm_config` (`provider`, `model`, `base_url`), the workflow's
 * `metadata.llm_config`, and the provider's defaults. API keys come only from the environment (`OPENAI_API_KEY`,
 * `ANTHROPIC_API_KEY`) and are held as `Redacted`, so they never reach a trace, an event or a message; a key written
 * in a workflow file is refused. Resolution is pure (the caller passes the environment), so it runs anywhere.
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type { JsonObject } from "@victor/core/Json"

/** The providers Victor knows. */
export const providerNames = ["scripted", "openai", "anthropic"] as const

/** A provider's name. */
export type ProviderName = typeof providerNames[number]

/** A provider that calls a model over HTTP. */
export type ModelProviderName = Exclude<ProviderName, "scripted">

/** `true` for a known provider name. */
export const isProviderName = (value: unknown): value is ProviderName =>
  typeof value === "string" && (providerNames as ReadonlyArray<string>).includes(value)

/** The settings given as flags; `script` is `--script`, which implies the scripted provider. */
export interface Flags {
  readonly provider?: string | undefined
  readonly model?: string | undefined
  readonly baseUrl?: string | undefined
  readonly script?: string | undefined
}

/** The environment variables resolution reads (pass `process.env`, or a record in tests). */
export type Environment = Readonly<Record<string, string | undefined>>

/** The default request timeout of a model call, in seconds. */
export const defaultRequestTimeoutSeconds = 120

/** Per-provider facts: defaults and the names of the variables that configure it. */
export const providerDefaults: Readonly<
  Record<ModelProviderName, {
    readonly model: string
    readonly baseUrl: string
    readonly keyVariable: string
    readonly baseUrlVariable: string
    /** Appended to the base URL: the endpoint a turn is posted to. */
    readonly path: string
  }>
> = {
  openai: {
    model: "gpt-4o-mini",
    baseUrl: "https://api.openai.com/v1",
    keyVariable: "OPENAI_API_KEY",
    baseUrlVariable: "OPENAI_BASE_URL",
    path: "/chat/completions"
  },
  anthropic: {
    model: "claude-3-5-haiku-latest",
    baseUrl: "https://api.anthropic.com",
    keyVariable: "ANTHROPIC_API_KEY",
    baseUrlVariable: "ANTHROPIC_BASE_URL",
    path: "/v1/messages"
  }
}

/** Everything needed to call one model; `apiKey` is redacted, so logging an endpoint shows no secret. */
export interface Endpoint {
  readonly provider: ModelProviderName
  readonly model: string
  /** The base URL, without a trailing slash. */
  readonly baseUrl: string
  /** The URL a turn is posted to, for messages. */
  readonly url: string
  readonly apiKey: Option.Option<Redacted.Redacted<string>>
  /** The variable holding the key, named in the fix of a 401. */
  readonly keyVariable: string
  readonly baseUrlVariable: string
  readonly temperature?: number
  readonly maxTokens?: number
  readonly requestTimeoutSeconds: number
}

/** What an agent node runs on: a script, or a model behind an endpoint. */
export type Resolved =
  | { readonly _tag: "Scripted" }
  | { readonly _tag: "Model"; readonly endpoint: Endpoint }

/** What to resolve for one agent node. */
export interface ResolveInput {
  readonly flags: Flags
  readonly env: Environment
  /** The workflow's `metadata.llm_config`, when it has one. */
  readonly workflowConfig: JsonObject
  /** The node's `llm_config`. */
  readonly nodeConfig: JsonObject
  /** Names the node in errors. */
  readonly nodeId: string
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === "" ? undefined : value.trim()

const text = (config: JsonObject, key: string): string | undefined => {
  const value = config[key]
  return typeof value === "string" ? nonEmpty(value) : undefined
}

/** `llm_config.llm_config` of the workflow's metadata, or nothing. */
export const workflowConfigOf = (metadata: JsonObject): JsonObject => {
  const config = metadata["llm_config"]
  return typeof config === "object" && config !== null && !Array.isArray(config) ? config as JsonObject : {}
}

const secretKeys = ["api_key", "apiKey", "key", "token", "api_token"]

/**
 * The provider and endpoint of one agent node, or `undefined` when nothing names a provider. Fails with a readable
 * message (the caller adds the file) for an unknown provider, a key written in a workflow, or a missing key.
 */
export const resolve = (input: ResolveInput): Either.Either<Resolved | undefined, string> => {
  const { env, flags, nodeConfig, nodeId, workflowConfig } = input
  const levels = [
    { config: nodeConfig, where: `node '${nodeId}' llm_config` },
    { config: workflowConfig, where: "the workflow's metadata.llm_config" }
  ]
  for (const { config, where } of levels) {
    const secret = secretKeys.find((key) => Object.hasOwn(config, key))
    if (secret !== undefined) {
      return Either.left(
        `${where} has '${secret}': keys do not belong in workflow files; set OPENAI_API_KEY or ANTHROPIC_API_KEY ` +
          "in the environment instead"
      )
    }
    const named = config["provider"]
    if (named !== undefined && !isProviderName(named)) {
      return Either.left(
        `${where} has provider ${JSON.stringify(named)}, which is not a provider (known: ${providerNames.join(", ")})`
      )
    }
  }
  const flagProvider = nonEmpty(flags.provider)
  const envProvider = nonEmpty(env["VICTOR_PROVIDER"])
  if (flagProvider !== undefined && !isProviderName(flagProvider)) {
    return Either.left(`--provider ${flagProvider} is not a provider (known: ${providerNames.join(", ")})`)
  }
  if (flags.script !== undefined && flagProvider !== undefined && flagProvider !== "scripted") {
    return Either.left(
      `--script plays the scripted provider, and --provider asks for ${flagProvider}; give one of them`
    )
  }
  if (flagProvider === undefined && flags.script === undefined && envProvider !== undefined &&
    !isProviderName(envProvider))
  {
    return Either.left(
      `VICTOR_PROVIDER=${envProvider} is not a provider (known: ${providerNames.join(", ")})`
    )
  }
  const provider: ProviderName | undefined = (flagProvider as ProviderName | undefined) ??
    (flags.script !== undefined ? "scripted" : undefined) ??
    (envProvider as ProviderName | undefined) ??
    (text(nodeConfig, "provider") as ProviderName | undefined) ??
    (text(workflowConfig, "provider") as ProviderName | undefined)
  if (provider === undefined) return Either.right(undefined)
  if (provider === "scripted") return Either.right({ _tag: "Scripted" })

  // A level's model and base URL are for its own provider: a node written for anthropic keeps its model out of an
  // openai run chosen by a flag.
  const applies = (config: JsonObject) => {
    const own = text(config, "provider")
    return own === undefined || own === provider
  }
  const fromLevels = (key: string): string | undefined =>
    levels.map(({ config }) => (applies(config) ? text(config, key) : undefined)).find((value) => value !== undefined)
  const defaults = providerDefaults[provider]
  const model = nonEmpty(flags.model) ?? nonEmpty(env["VICTOR_MODEL"]) ?? fromLevels("model") ?? defaults.model
  const baseUrl = (nonEmpty(flags.baseUrl) ?? nonEmpty(env[defaults.baseUrlVariable]) ?? fromLevels("base_url") ??
    defaults.baseUrl).replace(/\/+$/, "")
  if (!/^https?:\/\/[^/]/i.test(baseUrl)) {
    return Either.left(
      `the ${provider} base URL '${baseUrl}' is not an http(s) URL; e.g. --base-url http://localhost:11434/v1`
    )
  }
  const key = nonEmpty(env[defaults.keyVariable])
  // Local servers (Ollama, vLLM, LM Studio) need no key; the public APIs do.
  if (key === undefined && baseUrl === defaults.baseUrl) {
    return Either.left(
      `the ${provider} provider needs an API key: set ${defaults.keyVariable} in the environment ` +
        `(or point --base-url / ${defaults.baseUrlVariable} at a server that needs none)`
    )
  }
  const number = (name: string): number | undefined => {
    const value = nodeConfig[name] ?? workflowConfig[name]
    return typeof value === "number" && Number.isFinite(value) ? value : undefined
  }
  const temperature = number("temperature")
  const maxTokens = number("max_tokens")
  const timeout = number("request_timeout")
  return Either.right({
    _tag: "Model",
    endpoint: {
      provider,
      model,
      baseUrl,
      url: `${baseUrl}${defaults.path}`,
      apiKey: key === undefined ? Option.none() : Option.some(Redacted.make(key)),
      keyVariable: defaults.keyVariable,
      baseUrlVariable: defaults.baseUrlVariable,
      ...(temperature === undefined ? {} : { temperature }),
      ...(maxTokens === undefined ? {} : { maxTokens: Math.trunc(maxTokens) }),
      requestTimeoutSeconds: timeout !== undefined && timeout > 0 ? timeout : defaultRequestTimeoutSeconds
    }
  })
}
