/**
 * The tools workflow nodes call by name (`compute` nodes' `tools:`, the tools an agent may use). The registry is a
 * service so that a program, a test or a plugin can swap or extend it; `layerBuiltin` provides the built-in tools
 * `shell`, `read`, `write`, `grep` and `ls`, which work on the platform `FileSystem`, `Path` and `CommandExecutor`
 * captured when the layer is built. Named conditions and compute handlers live in `FunctionRegistry`.
 *
 * Processes the `shell` tool starts get the environment of the process, plus `RegistryOptions.env`, plus
 * `currentEnvironment` (the executor sets `TRACEPARENT` / `TRACESTATE` there for the node that runs the tool).
 * The file tools work inside `RegistryOptions.allowedPaths` (the working directory by default), and the shell's
 * `command` quotes every value placed into it (`ShellTemplate`): values are data.
 *
 * Large outputs: the shell's stdout and stderr and `read`'s content are read with `BlobSink.captureText`. With a
 * `BlobSink` in the context of the run (the file store provides one), a text past 8 MiB is streamed, redacted, into
 * the store's blobs while the tool runs, and the output (and so the workflow state) holds the store's blob reference
 * in its place: `{"$blob": "sha256:...", "bytes": N, "preview": "first 256 characters"}`. Downstream nodes read
 * `stdout.preview` and `stdout.bytes`; the whole text is in the blob. Without a sink the text is kept whole.
 */
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as Context from "effect/Context"
import type * as Either from "effect/Either"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type { JsonObject } from "@victor/core/Json"
import { makeBuiltinTools } from "./internal/builtinTools.ts"

/** Why a tool failed. */
export const ToolErrorReason = Schema.Literal(
  "UnknownTool",
  "InvalidInput",
  "NotFound",
  "Failed",
  "Timeout",
  /** A path outside the directories the file tools may use. */
  "OutsideAllowedPaths"
)

/** A tool, handler or condition failed, or was not found; the message is one readable line. */
export class ToolError extends Schema.TaggedError<ToolError>()("ToolError", {
  reason: ToolErrorReason,
  tool: Schema.String,
  description: Schema.String,
  /** What the failed call left behind, recorded as its outputs (a command's stdout, stderr and exit code). */
  evidence: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
}) {
  override get message(): string {
    return this.description
  }
}

/** How a traced call records a `ToolError`: its message, and its evidence as the call's outputs. */
export const describeToolError = (error: ToolError): string | { readonly error: string; readonly outputs: JsonObject } =>
  error.evidence === undefined ? error.message : { error: error.message, outputs: error.evidence as JsonObject }

/** An input that is code (the `shell` tool's `command`): how its template renders and what to say about it. */
export interface CodeTemplate {
  /** The template rendered with every value from state quoted for the language, or why it cannot be. */
  readonly render: (template: string, state: JsonObject) => Either.Either<string, { readonly message: string }>
  /** What `workflow validate` says about a template before any value exists. */
  readonly check?: (template: string) => ReadonlyArray<{ readonly severity: "error" | "warning"; readonly description: string }>
}

/** A tool: a name, what it does, and how to run it on JSON inputs. */
export interface Tool {
  readonly name: string
  readonly description: string
  readonly run: (inputs: JsonObject) => Effect.Effect<JsonObject, ToolError>
  /**
   * Inputs that are code, by name, with how their templates render: a compute node's value for such an input is
   * rendered with it instead of `Template.resolve`, so that a value from state is data, never code.
   */
  readonly codeInputs?: Readonly<Record<string, CodeTemplate>>
  /** The JSON schema of its inputs, shown to models (an MCP tool's `inputSchema`); absent: an open object. */
  readonly inputSchema?: JsonObject
}

/** The registry service. */
export interface ToolRegistryService {
  readonly tools: ReadonlyMap<string, Tool>
  /** The tool with this name, or an `UnknownTool` error listing the known ones. */
  readonly get: (name: string) => Effect.Effect<Tool, ToolError>
}

/** The registry tag. */
export class ToolRegistry extends Context.Tag("@victor/workflow/ToolRegistry")<ToolRegistry, ToolRegistryService>() {}

/** What a registry holds; every part is optional. */
export interface RegistryOptions {
  readonly tools?: Iterable<Tool>
  /** Environment variables added to every process the built-in `shell` tool starts. */
  readonly env?: Readonly<Record<string, string>>
  /**
   * The directories the file tools (`read`, `write`, `ls`, `grep`) may use, with everything below them; default the
   * working directory. A path outside them (after following links) fails the call, so that no value (a context's,
   * a model's) can widen what a node reads or writes.
   */
  readonly allowedPaths?: ReadonlyArray<string>
}

/**
 * Environment variables for the processes tools start in the current fiber, on top of the process environment and
 * `RegistryOptions.env`: the executor sets the node's trace context here (`Effect.locally`).
 */
export const currentEnvironment: FiberRef.FiberRef<Readonly<Record<string, string>>> = globalValue(
  "@victor/workflow/ToolRegistry/currentEnvironment",
  () => FiberRef.unsafeMake<Readonly<Record<string, string>>>({})
)

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
    get: (name) => {
      const tool = tools.get(name)
      return tool === undefined ? Effect.fail(unknownTool(name, tools.keys())) : Effect.succeed(tool)
    }
  }
}

/** A registry holding exactly these tools. */
export const layer = (options: RegistryOptions = {}): Layer.Layer<ToolRegistry> =>
  Layer.succeed(ToolRegistry, make(options))

/** The built-in tools (`shell`, `read`, `write`, `grep`, `ls`) over the platform services in context. */
export const builtinTools: Effect.Effect<
  ReadonlyArray<Tool>,
  never,
  FileSystem.FileSystem | Path.Path | CommandExecutor.CommandExecutor
> = makeBuiltinTools(
  (tool, reason, description, evidence) =>
    new ToolError({ reason, tool, description, ...(evidence === undefined ? {} : { evidence }) }),
  {},
  currentEnvironment
)

/** The built-in tools plus these extras (an extra tool replaces a built-in one of the same name). */
export const layerBuiltinWith = (
  options: RegistryOptions
): Layer.Layer<ToolRegistry, never, FileSystem.FileSystem | Path.Path | CommandExecutor.CommandExecutor> =>
  Layer.effect(
    ToolRegistry,
    Effect.map(
      makeBuiltinTools(
        (tool, reason, description, evidence) =>
    new ToolError({ reason, tool, description, ...(evidence === undefined ? {} : { evidence }) }),
        options.env ?? {},
        currentEnvironment,
        options.allowedPaths
      ),
      (builtin) => make({ ...options, tools: [...builtin, ...(options.tools ?? [])] })
    )
  )

/** The built-in tools. */
export const layerBuiltin: Layer.Layer<
  ToolRegistry,
  never,
  FileSystem.FileSystem | Path.Path | CommandExecutor.CommandExecutor
> = layerBuiltinWith({})
