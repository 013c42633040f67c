/**
 * Loads the third-party plugins named in `victor.config.json` (`{"plugins": ["victor-exporter-markdown",
 * "./plugins/mine.mjs"]}`) with a dynamic import. A plugin contributes exporters and analyzers (`@victor/core/Plugin`)
 * and, for workflows, conditions, handlers, transforms, tools and node kinds (`FunctionRegistry.FunctionPlugin`); one
 * default export may carry both. Package names resolve from the config file's directory (its `node_modules`), paths
 * relative to it. A plugin that cannot be found, fails to import, exports no plugin, throws, or contributes something
 * of the wrong shape (a handler that is not a function, a tool without `run`) is reported by name in one warning and
 * left out; the others still load. An exporter of a plugin that throws while exporting fails that export with an
 * `ExportError` naming the plugin, never the process. What a plugin says (its exporters' descriptions, its error
 * messages) is escaped for the terminal (`TerminalText`) before the CLI can print it.
 *
 * Commands import this module only when the config names plugins, so a run without any loads none of it.
 */
import * as Exporter from "@victor/core/Exporter"
import * as Plugin from "@victor/core/Plugin"
import type * as FunctionRegistry from "@victor/workflow/FunctionRegistry"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { readFileSync, statSync } from "node:fs"
import { createRequire } from "node:module"
import * as nodePath from "node:path"
import { pathToFileURL } from "node:url"
import { importModule } from "./internal/importModule.ts"
import * as TerminalText from "./TerminalText.ts"
import type * as VictorConfig from "./VictorConfig.ts"

/**
 * A plugin as loaded: its exporters and analyzers, and what it adds to workflows (`FunctionRegistry.FunctionPlugin`:
 * install it with `FunctionRegistry.layer(loaded.plugins)`).
 */
export type LoadedPlugin = Plugin.Plugin & FunctionRegistry.FunctionPlugin

/** The plugins that loaded, and a problem per plugin that did not. */
export interface Loaded {
  readonly plugins: ReadonlyArray<LoadedPlugin>
  readonly problems: ReadonlyArray<Plugin.PluginError>
}

const isPath = (specifier: string) =>
  specifier.startsWith("./") || specifier.startsWith("../") || specifier.startsWith("file:") ||
  nodePath.isAbsolute(specifier) || specifier === "." || specifier === ".."

const describe = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause)).split("\n")[0]!

const isFile = (path: string) => {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

// The entry of an ESM-only package, which `require.resolve` cannot see: `exports` with an `import`, `node` or
// `default` condition, else `main`, else `index.js`, found in the nearest `node_modules` above the config.
const resolveEsmPackage = (specifier: string, directory: string): string | undefined => {
  const parts = specifier.split("/")
  const packageName = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!
  const subpath = "." + specifier.slice(packageName.length)
  const pick = (target: unknown): string | undefined => {
    if (typeof target === "string") return target
    if (typeof target !== "object" || target === null) return undefined
    const conditions = target as Record<string, unknown>
    for (const condition of ["import", "node", "default"]) {
      const found = pick(conditions[condition])
      if (found !== undefined) return found
    }
    return undefined
  }
  for (let dir = directory;; dir = nodePath.dirname(dir)) {
    const root = nodePath.join(dir, "node_modules", packageName)
    if (isFile(nodePath.join(root, "package.json"))) {
      const manifest = JSON.parse(readFileSync(nodePath.join(root, "package.json"), "utf8")) as Record<string, unknown>
      const exports = manifest["exports"]
      let entry: string | undefined
      if (exports !== undefined) {
        const map = typeof exports === "object" && exports !== null && Object.keys(exports).some((k) => k.startsWith("."))
          ? (exports as Record<string, unknown>)[subpath]
          : subpath === "." ? exports : undefined
        entry = pick(map)
      } else {
        entry = subpath === "." ? (typeof manifest["main"] === "string" ? manifest["main"] : "index.js") : subpath
      }
      if (entry !== undefined && isFile(nodePath.join(root, entry))) return nodePath.join(root, entry)
      return undefined
    }
    if (nodePath.dirname(dir) === dir) return undefined
  }
}

/** Where a plugin named in the config lives, as a `file:` URL for `import()`. */
const resolve = (specifier: string, directory: string): Effect.Effect<string, Plugin.PluginError> =>
  Effect.suspend(() => {
    if (isPath(specifier)) {
      const file = specifier.startsWith("file:") ? new URL(specifier).pathname : nodePath.resolve(directory, specifier)
      return isFile(file)
        ? Effect.succeed(pathToFileURL(file).href)
        : Effect.fail(new Plugin.PluginError({ plugin: specifier, reason: "NotFound", description: `no such file ${file}` }))
    }
    try {
      return Effect.succeed(pathToFileURL(createRequire(nodePath.join(directory, "victor.config.json")).resolve(specifier)).href)
    } catch (cause) {
      const esm = resolveEsmPackage(specifier, directory)
      if (esm !== undefined) return Effect.succeed(pathToFileURL(esm).href)
      return Effect.fail(
        new Plugin.PluginError({
          plugin: specifier,
          reason: "NotFound",
          description: `cannot find it from ${directory} (${describe(cause)}); install it there or give a path`
        })
      )
    }
  })

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** What a value is, for a message saying it is not what was expected. */
const kindOf = (value: unknown): string =>
  value === null
    ? "null"
    : Array.isArray(value)
    ? "an array"
    : typeof value === "object"
    ? "an object"
    : value === undefined
    ? "undefined"
    : `a ${typeof value}`

const label = (value: Record<string, unknown>, key: string): string =>
  typeof value[key] === "string" ? ` ('${value[key]}')` : ""

// `conditions`, `handlers`, `transforms`, `functions` (expression functions): functions by name.
const functionsProblem = (field: string, value: unknown): string | undefined => {
  if (value === undefined) return undefined
  if (!isRecord(value)) return `\`${field}\` is not an object of functions by name (it is ${kindOf(value)})`
  for (const [name, f] of Object.entries(value)) {
    if (typeof f !== "function") return `${field}.${name} is not a function (it is ${kindOf(f)})`
  }
  return undefined
}

// A tool as `ToolRegistry.Tool` has it: a name, a description and `run(inputs)`.
const toolProblems = (tool: Record<string, unknown>): ReadonlyArray<string> => [
  ...(typeof tool["name"] === "string" && tool["name"].length > 0 ? [] : ["no name"]),
  ...(typeof tool["description"] === "string" ? [] : ["no description"]),
  ...(typeof tool["run"] === "function" ? [] : ["no run function"]),
  ...(tool["codeInputs"] === undefined || isRecord(tool["codeInputs"]) ? [] : ["codeInputs that is not an object"]),
  ...(tool["inputSchema"] === undefined || isRecord(tool["inputSchema"]) ? [] : ["inputSchema that is not an object"])
]

const timeoutPolicies: ReadonlyArray<unknown> = ["default", "own", "none"]
const optionalHooks = ["rewrite", "check", "successors", "stateKeys", "validate"] as const

// A node kind as `NodeKind.make` builds it: what the loader, validation and the executor read of it.
const nodeKindProblems = (kind: Record<string, unknown>): ReadonlyArray<string> => {
  const children = kind["children"]
  return [
    ...(typeof kind["type"] === "string" && kind["type"].length > 0 ? [] : ["no type"]),
    ...(Schema.isSchema(kind["schema"]) ? [] : ["no schema (an effect/Schema)"]),
    ...(kind["keys"] instanceof Set ? [] : ["no keys"]),
    ...(timeoutPolicies.includes(kind["timeout"]) ? [] : ["no timeout policy"]),
    ...(typeof kind["toolEnvironment"] === "boolean" ? [] : ["no toolEnvironment"]),
    ...(typeof kind["prepare"] === "function" ? [] : ["no prepare function"]),
    ...optionalHooks.filter((hook) => kind[hook] !== undefined && typeof kind[hook] !== "function").map((hook) =>
      `${hook} that is not a function`
    ),
    ...(children === undefined ||
        (isRecord(children) && typeof children["key"] === "string" && typeof children["of"] === "function")
      ? []
      : ["children that is not { key, of }"])
  ]
}

// `tools` and `nodeKinds`: arrays of objects of a shape.
const listProblem = (
  field: string,
  value: unknown,
  what: string,
  nameKey: string,
  problems: (item: Record<string, unknown>) => ReadonlyArray<string>,
  hint: string
): string | undefined => {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) return `\`${field}\` is not an array (it is ${kindOf(value)})`
  for (const [index, item] of value.entries()) {
    if (!isRecord(item)) return `${field}[${index}] is not ${what} (it is ${kindOf(item)})`
    const found = problems(item)
    if (found.length > 0) return `${field}[${index}]${label(item, nameKey)} is not ${what}: ${found.join(", ")}${hint}`
  }
  return undefined
}

/**
 * What is wrong with the workflow part of a plugin (`FunctionRegistry.FunctionPlugin`'s fields), the first problem
 * naming its field; `undefined` when nothing is. What a module is trusted for is checked, not assumed: a handler
 * that is not a function would otherwise fail only when a node calls it.
 */
const workflowProblem = (plugin: Readonly<Record<string, unknown>>): string | undefined =>
  functionsProblem("conditions", plugin["conditions"]) ??
    functionsProblem("handlers", plugin["handlers"]) ??
    functionsProblem("transforms", plugin["transforms"]) ??
    functionsProblem("functions", plugin["functions"]) ??
    listProblem("tools", plugin["tools"], "a tool", "name", toolProblems, " (a tool is { name, description, run })") ??
    listProblem(
      "nodeKinds",
      plugin["nodeKinds"],
      "a node kind",
      "type",
      nodeKindProblems,
      " (build it with NodeKind.make)"
    )

/** An exporter whose failures, thrown or in its stream, become an `ExportError` naming the plugin. */
const guard = (pluginName: string, exporter: Exporter.Exporter): Exporter.Exporter => {
  const fail = (cause: unknown) =>
    new Exporter.ExportError({
      format: exporter.name,
      description: `the exporter of plugin "${pluginName}" failed: ${describe(cause)}`
    })
  return {
    ...exporter,
    description: TerminalText.escapeLine(`${exporter.description} (plugin ${pluginName})`),
    export: (trace) =>
      Stream.suspend(() => exporter.export(trace)).pipe(
        Stream.catchAllCause((cause) => {
          const failure = Cause.failureOption(cause)
          if (failure._tag === "Some" && failure.value instanceof Exporter.ExportError) return Stream.fail(failure.value)
          return Stream.fail(fail(Cause.squash(cause)))
        })
      )
  }
}

/** Imports one plugin; fails with a `PluginError` naming it. */
export const loadOne = (specifier: string, directory: string): Effect.Effect<LoadedPlugin, Plugin.PluginError> =>
  resolve(specifier, directory).pipe(
    Effect.flatMap((url) =>
      Effect.tryPromise({
        try: () => importModule(url),
        catch: (cause) =>
          new Plugin.PluginError({
            plugin: specifier,
            reason: "LoadFailed",
            description: describe(cause)
          })
      })
    ),
    Effect.flatMap((module) => {
      const plugin = Plugin.fromModule(specifier, module)
      if (plugin instanceof Plugin.PluginError) return Effect.fail(plugin)
      const problem = workflowProblem(plugin as unknown as Record<string, unknown>)
      return problem === undefined
        ? Effect.succeed(plugin as LoadedPlugin)
        : Effect.fail(new Plugin.PluginError({ plugin: specifier, reason: "InvalidPlugin", description: problem }))
    }),
    Effect.map((plugin): LoadedPlugin => ({
      ...plugin,
      exporters: (plugin.exporters ?? []).map((exporter) => guard(plugin.name, exporter))
    }))
  )

/** Imports every plugin, in order; one that fails is a problem, not a failure. */
export const load = (specifiers: ReadonlyArray<string>, directory: string): Effect.Effect<Loaded> =>
  Effect.forEach(specifiers, (specifier) => Effect.either(loadOne(specifier, directory))).pipe(
    Effect.map((results) => ({
      plugins: results.flatMap((result) => (result._tag === "Right" ? [result.right] : [])),
      problems: results.flatMap((result) => (result._tag === "Left" ? [result.left] : []))
    }))
  )

/**
 * Loads the plugins a `victor.config.json` names, in order, and prints one warning per plugin that did not load:
 * what a command does first, once, before it reads the workflow (whose node kinds and functions may be theirs).
 */
export const loadConfigured = (loaded: VictorConfig.LoadedConfig): Effect.Effect<Loaded> =>
  Effect.tap(load(loaded.config.plugins ?? [], loaded.directory), (result) =>
    Effect.forEach(
      result.problems,
      (problem) => Console.error(`warning: ${TerminalText.escape(problem.message)}; continuing without it`),
      { discard: true }
    ))
