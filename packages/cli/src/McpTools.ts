/**
 * The tool registry of a run or a validation: the built-in tools, plus the tools of the MCP servers that
 * `victor.config.json` (`mcp_servers`) and the workflow file (its top-level `mcp_servers`, which wins for a name both
 * give) configure. Without servers this is `ToolRegistry.layerBuiltinWith` and loads no MCP code; with them the MCP
 * package (and its SDK) is imported here, lazily, and the servers start when the layer is built and stop when its
 * scope closes. A server that cannot start is a warning on stderr, never a failed start (see `@victor/mcp/McpServers`).
 */
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as McpConfig from "@victor/mcp/McpConfig"
import * as ToolRegistry from "@victor/workflow/ToolRegistry"
import type * as WorkflowDefinition from "@victor/workflow/WorkflowDefinition"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as nodePath from "node:path"
import { UsageError } from "./CliError.ts"
import type * as VictorConfig from "./VictorConfig.ts"

/** The servers configured for a workflow: the config file's, then the workflow file's; a bad entry is a usage error. */
export const servers = (
  loaded: VictorConfig.LoadedConfig,
  workflow: WorkflowDefinition.WorkflowDefinition
): Effect.Effect<McpConfig.ServerConfigs, UsageError> =>
  Effect.gen(function*() {
    const fromConfig = McpConfig.resolveCwd(
      loaded.config.mcp_servers ?? {},
      (cwd) => nodePath.resolve(loaded.directory, cwd)
    )
    if (workflow.mcpServers === undefined || workflow.mcpServers === null) return fromConfig
    const file = workflow.source?.path
    const decoded = McpConfig.decode(workflow.mcpServers)
    if (Either.isLeft(decoded)) {
      return yield* new UsageError({ description: `${file ?? workflow.name}: mcp_servers: ${decoded.left}` })
    }
    const base = file === undefined ? process.cwd() : nodePath.dirname(nodePath.resolve(file))
    return { ...fromConfig, ...McpConfig.resolveCwd(decoded.right, (cwd) => nodePath.resolve(base, cwd)) }
  })

/** Every tool name the workflow and its sub-workflows name. */
export const namedTools = (workflow: WorkflowDefinition.WorkflowDefinition): ReadonlySet<string> => {
  const names = new Set<string>()
  const visit = (definition: WorkflowDefinition.WorkflowDefinition) => {
    for (const node of definition.nodes) {
      if (node.type === "compute" || node.type === "agent") for (const tool of node.tools) names.add(tool)
    }
    for (const sub of Object.values(definition.subWorkflows ?? {})) visit(sub)
  }
  visit(workflow)
  return names
}

/**
 * The registry: the built-in tools (with `options`), plus the servers' tools when there are servers. Names in
 * `expectedTools` that nothing provides fail, when called, with the start error of a server that failed.
 */
export const layer = (
  configs: McpConfig.ServerConfigs,
  options: ToolRegistry.RegistryOptions,
  expectedTools: Iterable<string> = [],
  onWarning: (message: string) => Effect.Effect<void> = (message) => Console.error(`warning: ${message}`)
): Layer.Layer<ToolRegistry.ToolRegistry, never, FileSystem.FileSystem | Path.Path | CommandExecutor.CommandExecutor> =>
  Object.keys(configs).length === 0
    ? ToolRegistry.layerBuiltinWith(options)
    : Layer.unwrapEffect(
      Effect.map(Effect.promise(() => import("@victor/mcp/McpServers")), (McpServers) =>
        McpServers.layer(configs, {
          builtin: options,
          expectedTools,
          onWarning
        }))
    )
