/**
 * Reading the workflow a command was given, turned into the CLI's usage errors: load and validate the file, and check
 * its tools and handlers against the built-in registry — all before anything runs or anything is stored.
 */
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as AgentProvider from "@victor/workflow/AgentProvider"
import * as ToolRegistry from "@victor/workflow/ToolRegistry"
import type * as WorkflowDefinition from "@victor/workflow/WorkflowDefinition"
import * as WorkflowExecutor from "@victor/workflow/WorkflowExecutor"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import { UsageError } from "./CliError.ts"

/** Loads and validates a workflow file (`workflow` picks one of several). */
export const load = (
  file: string,
  workflow: string | undefined
): Effect.Effect<WorkflowDefinition.WorkflowDefinition, UsageError, FileSystem.FileSystem> =>
  WorkflowLoader.loadFile(file, workflow === undefined ? {} : { workflow }).pipe(
    Effect.mapError((error) => new UsageError({ description: error.message }))
  )

/** Checks that every tool and handler the workflow names is registered. */
export const checkTools = (
  workflow: WorkflowDefinition.WorkflowDefinition
): Effect.Effect<void, UsageError, FileSystem.FileSystem | Path.Path | CommandExecutor.CommandExecutor> =>
  WorkflowExecutor.validate(workflow).pipe(
    Effect.provide(ToolRegistry.layerBuiltin),
    Effect.mapError((error) => new UsageError({ description: error.message }))
  )

/**
 * The model provider for the run: the scripted one when `--script` is given. A workflow with agent nodes and no script
 * is bad input (real model providers are not available yet), reported before anything runs.
 */
export const agentProvider = (
  workflow: WorkflowDefinition.WorkflowDefinition,
  script: string | undefined
): Effect.Effect<Layer.Layer<AgentProvider.AgentProvider>, UsageError, FileSystem.FileSystem> => {
  if (script !== undefined) {
    return AgentProvider.loadScript(script).pipe(
      Effect.map(AgentProvider.layerScripted),
      Effect.mapError((error) => new UsageError({ description: `--script: ${error.message}` }))
    )
  }
  const agents = workflow.nodes.filter((node) => node.type === "agent").map((node) => `'${node.id}'`)
  return agents.length === 0
    ? Effect.succeed(AgentProvider.layerNone)
    : Effect.fail(
      new UsageError({
        description: `workflow '${workflow.name}' has agent nodes (${agents.join(", ")}) and no model provider; ` +
          `give --script FILE to play their model turns from a script`
      })
    )
}
