/**
 * Loads the third-party plugins named in `victor.config.json` (`{"plugins": ["victor-exporter-markdown",
 * "./plugins/mine.mjs"]}`) with a dynamic import, and builds the exporter registry from the bundled exporters plus
 * theirs. Package names resolve from the config file's directory (its `node_modules`), paths relative to it. A plugin
 * that cannot be found, fails to import, exports no plugin or throws is reported by name in one warning and left out;
 * the others still load. An exporter of a plugin that throws while exporting fails that export with an `ExportError`
 * naming the plugin, never the process. What a plugin says (its exporters' descriptions, its error messages) is
 * escaped for the terminal (`TerminalText`) before the CLI can print it.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Exporter from "@victor/core/Exporter"
import * as ExporterRegistry from "@victor/core/ExporterRegistry"
import * as Plugin from "@victor/core/Plugin"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { readFileSync, statSync } from "node:fs"
import { createRequire } from "node:module"
import * as nodePath from "node:path"
import { pathToFileURL } from "node:url"
import * as BundledExporters from "./BundledExporters.ts"
import type { UsageError } from "./CliError.ts"
import * as TerminalText from "./TerminalText.ts"
import * as VictorConfig from "./VictorConfig.ts"

/** The plugins that loaded, and a problem per plugin that did not. */
export interface Loaded {
  readonly plugins: ReadonlyArray<Plugin.Plugin>
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
export const loadOne = (specifier: string, directory: string): Effect.Effect<Plugin.Plugin, Plugin.PluginError> =>
  resolve(specifier, directory).pipe(
    Effect.flatMap((url) =>
      Effect.tryPromise({
        try: () => import(url) as Promise<unknown>,
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
      return plugin instanceof Plugin.PluginError ? Effect.fail(plugin) : Effect.succeed(plugin)
    }),
    Effect.map((plugin) => ({
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

/** Bundled exporters first, then the plugins' (a plugin may replace a bundled format by using its name). */
export const exporters = (loaded: Loaded, options: BundledExporters.Options = {}): ReadonlyArray<Exporter.Exporter> => [
  ...BundledExporters.make(options),
  ...loaded.plugins.flatMap((plugin) => plugin.exporters ?? [])
]

/**
 * The exporter registry of a command: reads `victor.config.json` (a malformed file is a usage error), loads its
 * plugins, prints one warning per plugin that did not load, and provides bundled plus plugin exporters.
 */
export const layer = (
  options: BundledExporters.Options & { readonly cwd?: string } = {}
): Layer.Layer<ExporterRegistry.ExporterRegistry, UsageError, FileSystem.FileSystem> =>
  Layer.effect(
    ExporterRegistry.ExporterRegistry,
    Effect.gen(function*() {
      const { config, directory } = yield* VictorConfig.load(options.cwd)
      const loaded = yield* load(config.plugins ?? [], directory)
      for (const problem of loaded.problems) {
        yield* Console.error(`warning: ${TerminalText.escape(problem.message)}; continuing without it`)
      }
      return ExporterRegistry.make(exporters(loaded, options))
    })
  )
