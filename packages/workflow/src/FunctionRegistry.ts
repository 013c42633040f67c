/**
 * Named functions workflows refer to by name: conditions (a `condition:` that is a registered name, as in Victor's
 * `condition: "tests_passing"`), compute handlers (`handler: code_validation`) and functions expressions call
 * (`next_due = calculate_next_maintenance(last_service)`). Plugins supply them: a plugin is a plain object with a
 * stable `name` and any of `conditions` / `handlers` / `transforms` / `functions` / `tools` / `nodeKinds`, and
 * `layer([...plugins])` installs the built-in ones plus those. Validation looks every name up before anything runs;
 * an unknown one is reported by name with the names that are registered. A plugin's node kinds (see
 * `NodeKind`) are node types its workflows may use: the loader, validation and the executor read them from the
 * registry in context.
 *
 * ```ts
 * const myPlugin = FunctionRegistry.plugin("my-checks", {
 *   conditions: { tests_passing: (state) => (state.failed === 0 ? "passing" : "failing") },
 *   handlers: { code_validation: (inputs, state, tools) => tools.call("shell", { command: "npm run lint" }) },
 *   functions: { days_between: ([from, to]) => (Date.parse(String(to)) - Date.parse(String(from))) / 86_400_000 }
 * })
 * WorkflowExecutor.execute(workflow).pipe(Effect.provide(FunctionRegistry.layer([myPlugin])))
 * ```
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type { JsonObject } from "@victor/core/Json"
import * as Expression from "./Expression.ts"
import type * as NodeKind from "./NodeKind.ts"
import type { Tool, ToolError, ToolRegistryService } from "./ToolRegistry.ts"

/** The tools a handler may call: those its compute node lists in `tools:`, each call traced under the node. */
export interface HandlerTools {
  readonly names: ReadonlyArray<string>
  readonly call: (tool: string, inputs: JsonObject) => Effect.Effect<JsonObject, ToolError>
}

/**
 * A compute handler: gets the node's resolved inputs, the state, and the node's tools; returns the node's output
 * (stored under the node's output key).
 */
export type ComputeHandler = (
  inputs: JsonObject,
  state: JsonObject,
  tools: HandlerTools
) => Effect.Effect<unknown, ToolError>

/** A named condition: gets the state, returns the value matched against the branches (a string, boolean, ...). */
export type NamedCondition = (state: JsonObject) => unknown

/**
 * A named transform (`transform: extract_error_patterns`, a single bare name): gets the state, returns the state
 * updates merged into it (directly or as an Effect).
 */
export type NamedTransform = (state: JsonObject) => JsonObject | Effect.Effect<JsonObject, ToolError>

/**
 * A function expressions may call by name (`days_between(a, b)` in a transform or a condition): it gets copies of
 * its evaluated arguments, positional and keyword, and returns plain JSON data (see `Expression.ExpressionFunction`).
 */
export type ExpressionFunction = Expression.ExpressionFunction

/**
 * A plugin: a stable name and the functions it registers. Its `tools` are tools nodes may name: a tool name is
 * looked up in the `ToolRegistry` first, then among the plugins' tools (the registry wins on a clash). Its
 * `nodeKinds` are node types workflows may use; one named like a built-in kind replaces it. Its `functions` are
 * functions expressions may call; one named like a built-in function (`len`) is ignored, as the built-in always wins
 * (validation warns where a node calls it).
 */
export interface FunctionPlugin {
  readonly name: string
  readonly conditions?: Readonly<Record<string, NamedCondition>>
  readonly handlers?: Readonly<Record<string, ComputeHandler>>
  readonly transforms?: Readonly<Record<string, NamedTransform>>
  readonly functions?: Readonly<Record<string, ExpressionFunction>>
  readonly tools?: ReadonlyArray<Tool>
  readonly nodeKinds?: ReadonlyArray<NodeKind.Any>
}

/** What kind of function a name was looked up as. */
export const FunctionKind = Schema.Literal("condition", "handler", "transform")

/** No function of this kind has this name. */
export class UnknownFunctionError extends Schema.TaggedError<UnknownFunctionError>()("UnknownFunctionError", {
  kind: FunctionKind,
  name: Schema.String,
  known: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `unknown ${this.kind} '${this.name}'; registered ${this.kind}s: ${
      this.known.length === 0 ? "none" : this.known.join(", ")
    }`
  }
}

/** The registry service. */
export interface FunctionRegistryService {
  readonly conditions: ReadonlyMap<string, NamedCondition>
  readonly handlers: ReadonlyMap<string, ComputeHandler>
  readonly transforms: ReadonlyMap<string, NamedTransform>
  /** The plugins' expression functions, by name: never a built-in function's name, which the built-in keeps. */
  readonly functions: ReadonlyMap<string, ExpressionFunction>
  /** The plugins' tools, by name (a later plugin's tool of the same name replaces an earlier one). */
  readonly tools: ReadonlyMap<string, Tool>
  /** The plugins' node kinds, by type (a later plugin's kind of the same type replaces an earlier one). */
  readonly nodeKinds: ReadonlyMap<string, NodeKind.Any>
  /** The installed plugins, in installation order (the built-in one first). */
  readonly plugins: ReadonlyArray<FunctionPlugin>
  readonly condition: (name: string) => Effect.Effect<NamedCondition, UnknownFunctionError>
  readonly handler: (name: string) => Effect.Effect<ComputeHandler, UnknownFunctionError>
  readonly transform: (name: string) => Effect.Effect<NamedTransform, UnknownFunctionError>
}

/** The registry tag. */
export class FunctionRegistry extends Context.Tag("@victor/workflow/FunctionRegistry")<
  FunctionRegistry,
  FunctionRegistryService
>() {}

/** Builds a plugin. */
export const plugin = (name: string, functions: Omit<FunctionPlugin, "name">): FunctionPlugin => ({ name, ...functions })

/** The built-in functions: `always` / `never` conditions and the `passthrough` handler (returns its inputs). */
export const builtin: FunctionPlugin = plugin("builtin", {
  conditions: { always: () => true, never: () => false },
  handlers: { passthrough: (inputs) => Effect.succeed(inputs) }
})

const sortedKeys = (map: ReadonlyMap<string, unknown>): ReadonlyArray<string> => Array.from(map.keys()).sort()

/** A registry of these plugins, in order; a later function with the same name replaces an earlier one. */
export const make = (plugins: Iterable<FunctionPlugin>): FunctionRegistryService => {
  const all = Array.from(plugins)
  const conditions = new Map<string, NamedCondition>()
  const handlers = new Map<string, ComputeHandler>()
  const transforms = new Map<string, NamedTransform>()
  const functions = new Map<string, ExpressionFunction>()
  const tools = new Map<string, Tool>()
  const nodeKinds = new Map<string, NodeKind.Any>()
  for (const p of all) {
    for (const [name, f] of Object.entries(p.conditions ?? {})) conditions.set(name, f)
    for (const [name, f] of Object.entries(p.handlers ?? {})) handlers.set(name, f)
    for (const [name, f] of Object.entries(p.transforms ?? {})) transforms.set(name, f)
    for (const [name, f] of Object.entries(p.functions ?? {})) {
      if (!Expression.isBuiltinFunction(name)) functions.set(name, f)
    }
    for (const tool of p.tools ?? []) tools.set(tool.name, tool)
    for (const kind of p.nodeKinds ?? []) nodeKinds.set(kind.type, kind)
  }
  const lookup = <F>(kind: "condition" | "handler" | "transform", map: ReadonlyMap<string, F>) => (name: string) => {
    const found = map.get(name)
    return found === undefined
      ? Effect.fail(new UnknownFunctionError({ kind, name, known: sortedKeys(map) }))
      : Effect.succeed(found)
  }
  return {
    conditions,
    handlers,
    transforms,
    functions,
    tools,
    nodeKinds,
    plugins: all,
    condition: lookup("condition", conditions),
    handler: lookup("handler", handlers),
    transform: lookup("transform", transforms)
  }
}

/** Something wrong with a function an expression calls, as a node kind's `validate` reports it. */
export interface FunctionProblem {
  readonly severity: "error" | "warning"
  /** The function's name and the 1-based position of its first call in the expression. */
  readonly name: string
  readonly position: number
  readonly description: string
  readonly hint: string
}

/**
 * What is wrong with the functions an expression calls under this registry: one neither built in nor registered is
 * an error (`unknown function 'x'`, with the registered ones as the hint); a built-in one that a plugin also
 * defines is a warning, as the plugin's is never called.
 */
export const functionProblems = (
  registry: FunctionRegistryService,
  expression: Expression.Expression
): ReadonlyArray<FunctionProblem> =>
  Expression.functionCalls(expression).flatMap(({ name, position }): ReadonlyArray<FunctionProblem> => {
    if (!Expression.isBuiltinFunction(name)) {
      return registry.functions.has(name) ? [] : [{
        severity: "error",
        name,
        position,
        description: `unknown function '${name}'`,
        hint: Expression.registeredFunctionsText(registry.functions.keys())
      }]
    }
    const shadowing = registry.plugins.filter((p) => p.functions !== undefined && Object.hasOwn(p.functions, name))
    return shadowing.length === 0 ? [] : [{
      severity: "warning",
      name,
      position,
      description: `${name}() is the built-in function: ${
        shadowing.length === 1 ? "plugin" : "plugins"
      } ${shadowing.map((p) => `'${p.name}'`).join(", ")} ${
        shadowing.length === 1 ? "defines" : "define"
      } a function '${name}' too, which is never called`,
      hint: "rename the plugin's function"
    }]
  })

/**
 * The tool registry a run uses: `registry`, then the plugins' tools for names it does not have. The same registry
 * when no plugin has tools.
 */
export const withPluginTools = (
  registry: ToolRegistryService,
  functions: FunctionRegistryService
): ToolRegistryService => {
  if (functions.tools.size === 0) return registry
  const tools = new Map(functions.tools)
  for (const [name, tool] of registry.tools) tools.set(name, tool)
  return {
    tools,
    get: (name) => {
      const found = registry.tools.get(name) ?? functions.tools.get(name)
      return found === undefined ? registry.get(name) : Effect.succeed(found)
    }
  }
}

/** The built-in functions plus these plugins' (the default when no registry is provided is the built-in ones). */
export const layer = (plugins: Iterable<FunctionPlugin> = []): Layer.Layer<FunctionRegistry> =>
  Layer.succeed(FunctionRegistry, make([builtin, ...plugins]))

/** Only these plugins' functions, without the built-in ones. */
export const layerOnly = (plugins: Iterable<FunctionPlugin>): Layer.Layer<FunctionRegistry> =>
  Layer.succeed(FunctionRegistry, make(plugins))

/** Adds plugins to the registry in context (or to the built-in one): for a program that loads plugins late. */
export const register = (...plugins: ReadonlyArray<FunctionPlugin>): Layer.Layer<FunctionRegistry> =>
  Layer.effect(
    FunctionRegistry,
    Effect.map(current, (registry) => make([...registry.plugins, ...plugins]))
  )

/** The registry in context, or the built-in one when none is provided. */
export const current: Effect.Effect<FunctionRegistryService> = Effect.map(
  Effect.serviceOption(FunctionRegistry),
  (option) => option._tag === "Some" ? option.value : defaultRegistry
)

const defaultRegistry = make([builtin])
