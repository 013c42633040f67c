/**
 * Reading the workflow a command was given, turned into the CLI's usage errors: load the plugins of
 * `victor.config.json` (whose node kinds, handlers, conditions, transforms and tools the workflow may use), load and
 * validate the file, check its tools and handlers against the registries, and choose its agents' model provider —
 * all before anything runs or anything is stored.
 */
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as AgentProvider from "@victor/workflow/AgentProvider"
import * as FunctionRegistry from "@victor/workflow/FunctionRegistry"
import * as ModelProvider from "@victor/workflow/providers/ModelProvider"
import * as ProviderConfig from "@victor/workflow/providers/ProviderConfig"
import * as ToolRegistry from "@victor/workflow/ToolRegistry"
import type * as WorkflowDefinition from "@victor/workflow/WorkflowDefinition"
import * as WorkflowExecutor from "@victor/workflow/WorkflowExecutor"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import { UsageError } from "./CliError.ts"
import type * as PluginLoader from "./PluginLoader.ts"
import type * as ProviderOptions from "./ProviderOptions.ts"
import type * as VictorConfig from "./VictorConfig.ts"

const noPlugins: PluginLoader.Loaded = { plugins: [], problems: [] }

/**
 * The plugins the config names, loaded before the workflow is (a warning for each that does not load). A config that
 * names none loads none, and not the loader either: a plain run starts as fast as before.
 */
export const loadPlugins = (config: VictorConfig.LoadedConfig): Effect.Effect<PluginLoader.Loaded> =>
  (config.config.plugins ?? []).length === 0
    ? Effect.succeed(noPlugins)
    : Effect.flatMap(Effect.promise(() => import("./PluginLoader.ts")), (loader) => loader.loadConfigured(config))

/**
 * Provides the registry of named functions and node kinds that loading, validating and running a workflow read: the
 * built-in ones plus the plugins'. Without plugins, the built-in registry (the one used when none is provided).
 */
export const provideFunctions = (plugins: PluginLoader.Loaded) => {
  const registry = FunctionRegistry.make([FunctionRegistry.builtin, ...plugins.plugins])
  return <A, E, R>(
    effect: Effect.Effect<A, E, R>
  ): Effect.Effect<A, E, Exclude<R, FunctionRegistry.FunctionRegistry>> =>
    Effect.provideService(effect, FunctionRegistry.FunctionRegistry, registry)
}

/** Loads and validates a workflow file (`workflow` picks one of several). */
export const load = (
  file: string,
  workflow: string | undefined
): Effect.Effect<WorkflowDefinition.WorkflowDefinition, UsageError, FileSystem.FileSystem> =>
  Effect.zipRight(
    notADirectory(file),
    WorkflowLoader.loadFile(file, workflow === undefined ? {} : { workflow }).pipe(
      Effect.mapError((error) => new UsageError({ description: error.message }))
    )
  )

/** A directory given as the workflow file: one line saying so, with a workflow file in it as the example. */
const notADirectory = (file: string): Effect.Effect<void, UsageError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const info = yield* Effect.option(fs.stat(file))
    if (info._tag === "None" || info.value.type !== "Directory") return
    const entries = yield* fs.readDirectory(file).pipe(Effect.orElseSucceed((): Array<string> => []))
    // A plain `name.yaml` rather than `name.script.yaml` (an agent script, not a workflow) when there is one.
    const yamls = entries.filter((name) => /\.ya?ml$/.test(name)).sort()
    const example = yamls.find((name) => name.split(".").length === 2) ?? yamls[0]
    return yield* new UsageError({
      description: `${file} is a directory, not a workflow file; ` +
        (example === undefined
          ? "give the path of a workflow file (YAML)"
          : `give a workflow file in it, e.g. ${file.replace(/\/+$/, "")}/${example}`)
    })
  })

/**
 * Loads the workflow of a file that holds one, or lists the workflows of a file that defines several under
 * `workflows:` (in file order; the loader stops at their names, so nothing is loaded twice).
 */
export const loadOrList = (
  file: string
): Effect.Effect<
  { readonly workflow: WorkflowDefinition.WorkflowDefinition } | { readonly names: ReadonlyArray<string> },
  UsageError,
  FileSystem.FileSystem
> =>
  Effect.zipRight(
    notADirectory(file),
    WorkflowLoader.loadFile(file).pipe(
      Effect.map((workflow) => ({ workflow })),
      Effect.catchAll((error) =>
        error.reason === "UnknownWorkflow" && error.workflows !== undefined && error.workflows.length > 1
          ? Effect.succeed({ names: error.workflows })
          : Effect.fail(new UsageError({ description: error.message }))
      )
    )
  )

/** Checks that every tool and handler the workflow names is registered. */
export const checkTools = (
  workflow: WorkflowDefinition.WorkflowDefinition,
  tools: Layer.Layer<
    ToolRegistry.ToolRegistry,
    never,
    FileSystem.FileSystem | Path.Path | CommandExecutor.CommandExecutor
  > = ToolRegistry.layerBuiltin
): Effect.Effect<void, UsageError, FileSystem.FileSystem | Path.Path | CommandExecutor.CommandExecutor> =>
  WorkflowExecutor.validate(workflow).pipe(
    Effect.provide(tools),
    Effect.mapError((error) => new UsageError({ description: error.message }))
  )

/** The provider settings of a run: `--script` and the provider flags. */
export interface ProviderSettings extends ProviderOptions.ProviderFlags {
  readonly script: string | undefined
}

/**
 * The model provider for the run, per agent node: flags win over the environment, which wins over the node's
 * `llm_config` and then the workflow's `metadata.llm_config`; `--script` means the scripted provider. A workflow with
 * agent nodes that no setting gives a provider, an unknown provider, a key written in the workflow or a missing key
 * for a public API is bad input, reported before anything runs. The API keys are read from `env` here and held
 * redacted from then on.
 */
export const agentProvider = (
  workflow: WorkflowDefinition.WorkflowDefinition,
  settings: ProviderSettings,
  env: ProviderConfig.Environment = process.env
): Effect.Effect<Layer.Layer<AgentProvider.AgentProvider>, UsageError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const { script } = settings
    const loadScript = (path: string) =>
      AgentProvider.loadScript(path).pipe(
        Effect.mapError((error) => new UsageError({ description: `--script: ${error.message}` }))
      )
    const agents = workflow.nodes.filter((node) => node.type === "agent")
    if (agents.length === 0) {
      return script === undefined ? AgentProvider.layerNone : AgentProvider.layerScripted(yield* loadScript(script))
    }
    const workflowConfig = ProviderConfig.workflowConfigOf(workflow.metadata)
    const endpoints: Record<string, ProviderConfig.Endpoint> = {}
    const scripted: Array<string> = []
    const unconfigured: Array<string> = []
    for (const node of agents) {
      const resolved = ProviderConfig.resolve({
        flags: settings,
        env,
        workflowConfig,
        nodeConfig: node.llmConfig,
        nodeId: node.id
      })
      if (Either.isLeft(resolved)) return yield* new UsageError({ description: resolved.left })
      const choice = resolved.right
      if (choice === undefined) unconfigured.push(`'${node.id}'`)
      else if (choice._tag === "Scripted") scripted.push(`'${node.id}'`)
      else endpoints[node.id] = choice.endpoint
    }
    if (unconfigured.length > 0) {
      return yield* new UsageError({
        description: `workflow '${workflow.name}' has agent nodes (${unconfigured.join(", ")}) and no model ` +
          "provider; give --provider openai or --provider anthropic (key in OPENAI_API_KEY / ANTHROPIC_API_KEY), " +
          "set VICTOR_PROVIDER, or name one in llm_config.provider; or give --script FILE to play their model " +
          "turns from a script, offline"
      })
    }
    if (scripted.length > 0 && script === undefined) {
      return yield* new UsageError({
        description: `agent nodes ${scripted.join(", ")} use the scripted provider, which plays model turns from a ` +
          "script: give --script FILE"
      })
    }
    const fallback = script === undefined
      ? AgentProvider.none
      : yield* AgentProvider.makeScripted(yield* loadScript(script))
    if (Object.keys(endpoints).length === 0) return Layer.succeed(AgentProvider.AgentProvider, fallback)
    // The HTTP client (and @effect/platform's client code) is loaded only for a run that calls a model.
    const httpClient = Layer.unwrapEffect(
      Effect.promise(() => import("@effect/platform/FetchHttpClient")).pipe(Effect.map((module) => module.layer))
    )
    return ModelProvider.layerForNodes(endpoints, fallback).pipe(Layer.provide(httpClient))
  })
