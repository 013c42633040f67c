/**
 * What workflow nodes call without a model: tools by name (used by `compute` nodes' `tools:`), compute handlers
 * (`handler:`) and named conditions (a `condition:` that is a registered name). The registry is a service so that a
 * program, a test or a plugin can swap or extend it; `layerBuiltin` provides the built-in tools `shell`, `read`,
 * `write`, `grep` and `ls`, which work on the platform `FileSystem`, `Path` and `CommandExecutor` captured when the
 * layer is built.
 */
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type { JsonObject } from "@victor/core/Json"
import { makeBuiltinTools } from "./internal/builtinTools.ts"

/** Why a tool failed. */
export const ToolErrorReason = Schema.Literal("UnknownTool", "InvalidInput", "NotFound", "Failed", "Timeout")

/** A tool, handler or condition failed, or was not found; the message is one readable line. */
export class ToolError extends Schema.TaggedError<ToolError>()("ToolError", {
  reason: ToolErrorReason,
  tool: Schema.String,
  description: Schema.String
}) {
  override get message(): string {
    return this.description
  }
}

/** A tool: a name, what it does, and how to run it on JSON inputs. */
export interface Tool {
  readonly name: string
  readonly description: string
  readonly run: (inputs: JsonObject) => Effect.Effect<JsonObject, ToolError>
}

/** A compute handler: gets the node's resolved inputs and the state, returns the node's output. */
export type ComputeHandler = (inputs: JsonObject, state: JsonObject) => Effect.Effect<unknown, ToolError>

/** A named condition: gets the state, returns the value matched against the branches (a string, boolean, ...). */
export type NamedCondition = (state: JsonObject) => unknown

/** The registry service. */
export interface ToolRegistryService {
  readonly tools: ReadonlyMap<string, Tool>
  readonly handlers: ReadonlyMap<string, ComputeHandler>
  readonly conditions: ReadonlyMap<string, NamedCondition>
  /** The tool with this name, or an `UnknownTool` error listing the known ones. */
  readonly get: (name: string) => Effect.Effect<Tool, ToolError>
}

/** The registry tag. */
export class ToolRegistry extends Context.Tag("@victor/workflow/ToolRegistry")<ToolRegistry, ToolRegistryService>() {}

/** What a registry holds; every part is optional. */
export interface RegistryOptions {
  readonly tools?: Iterable<Tool>
  readonly handlers?: Readonly<Record<string, ComputeHandler>>
  readonly conditions?: Readonly<Record<string, NamedCondition>>
}

/** "a, b, c" or "none", for error messages that list what is known. */
export const listNames = (names: Iterable<string>): string => {
  const sorted = Array.from(names).sort()
  return sorted.length === 0 ? "none" : sorted.join(", ")
}

/** An `UnknownTool` error naming the tool and listing the known ones. */
export const unknownTool = (name: string, known: Iterable<string>): ToolError =>
  new ToolError({
    reason: "UnknownTool",
    tool: name,
    description: `unknown tool '${name}'; known tools: ${listNames(known)}`
  })

/** Builds a registry; a later tool with the same name replaces an earlier one. */
export const make = (options: RegistryOptions = {}): ToolRegistryService => {
  const tools = new Map<string, Tool>()
  for (const tool of options.tools ?? []) tools.set(tool.name, tool)
  return {
    tools,
    handlers: new Map(Object.entries(options.handlers ?? {})),
    conditions: new Map(Object.entries(options.conditions ?? {})),
    get: (name) => {
      const tool = tools.get(name)
      return tool === undefined ? Effect.fail(unknownTool(name, tools.keys())) : Effect.succeed(tool)
    }
  }
}

/** A registry holding exactly these tools, handlers and conditions. */
export const layer = (options: RegistryOptions = {}): Layer.Layer<ToolRegistry> =>
  Layer.succeed(ToolRegistry, make(options))

/** The built-in tools (`shell`, `read`, `write`, `grep`, `ls`) over the platform services in context. */
export const builtinTools: Effect.Effect<
  ReadonlyArray<Tool>,
  never,
  FileSystem.FileSystem | Path.Path | CommandExecutor.CommandExecutor
> = makeBuiltinTools(
  (tool, reason, description) => new ToolError({ reason, tool, description })
)

/** The built-in tools plus these extras (an extra tool replaces a built-in one of the same name). */
export const layerBuiltinWith = (
  options: RegistryOptions
): Layer.Layer<ToolRegistry, never, FileSystem.FileSystem | Path.Path | CommandExecutor.CommandExecutor> =>
  Layer.effect(
    ToolRegistry,
    Effect.map(builtinTools, (builtin) => make({ ...options, tools: [...builtin, ...(options.tools ?? [])] }))
  )

/** The built-in tools. */
export const layerBuiltin: Layer.Layer<
  ToolRegistry,
  never,
  FileSystem.FileSystem | Path.Path | CommandExecutor.CommandExecutor
> = layerBuiltinWith({})
