/**
 * The plugin module contract: what a third-party package (or a local file) named in `victor.config.json` exports so
 * that Victor can load it with a dynamic import. The module's default export is a {@link Plugin} (or a function
 * returning one); it contributes exporters and, later, analyzers, which join the bundled ones by name. The same
 * default export may also carry what `@victor/workflow`'s `FunctionRegistry.FunctionPlugin` adds to workflows
 * (`conditions`, `handlers`, `transforms`, `tools`, `nodeKinds`): the CLI checks and installs those itself, since
 * this package knows nothing of workflows.
 */
import * as Schema from "effect/Schema"
import type { Analyzer } from "./AnalyzerRegistry.ts"
import type { Exporter } from "./Exporter.ts"

/** A plugin: a stable `name` (used in warnings) and what it contributes. */
export interface Plugin {
  /** The plugin's name, e.g. `victor-exporter-markdown`; warnings about the plugin name it. */
  readonly name: string
  /** Exporters this plugin adds (or replaces, when a name is already taken), selected with `--format NAME`. */
  readonly exporters?: ReadonlyArray<Exporter>
  /** Analyzers this plugin adds (or replaces, when a name is already taken), run with `--analyzer NAME`. */
  readonly analyzers?: ReadonlyArray<Analyzer>
}

/** Identity helper that checks a plugin object against the contract. */
export const make = (plugin: Plugin): Plugin => plugin

/** A plugin could not be used: its module did not load, did not export a plugin, or threw. */
export class PluginError extends Schema.TaggedError<PluginError>()("PluginError", {
  /** The plugin as named in the config (package name or path). */
  plugin: Schema.String,
  reason: Schema.Literal("NotFound", "LoadFailed", "InvalidPlugin"),
  description: Schema.String
}) {
  override get message(): string {
    return `plugin "${this.plugin}" ${
      this.reason === "NotFound" ? "was not found" : this.reason === "LoadFailed" ? "failed to load" : "is not usable"
    }: ${this.description}`
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null

/** Whether a value has the shape of an exporter (what a plugin module is trusted for is checked, not assumed). */
export const isExporter = (value: unknown): value is Exporter =>
  isRecord(value) && typeof value["name"] === "string" && value["name"].length > 0 &&
  typeof value["fileExtension"] === "string" && typeof value["mediaType"] === "string" &&
  typeof value["export"] === "function"

/**
 * The plugin a loaded module provides: its default export, a plugin object or a function returning one. Fails with
 * `InvalidPlugin` naming what is wrong; a function that throws fails with `LoadFailed`.
 */
export const fromModule = (specifier: string, module: unknown): Plugin | PluginError => {
  const invalid = (description: string) => new PluginError({ plugin: specifier, reason: "InvalidPlugin", description })
  let value = isRecord(module) ? module["default"] : undefined
  if (typeof value === "function") {
    try {
      value = (value as () => unknown)()
    } catch (cause) {
      return new PluginError({
        plugin: specifier,
        reason: "LoadFailed",
        description: `its default export threw: ${cause instanceof Error ? cause.message : String(cause)}`
      })
    }
  }
  if (!isRecord(value)) return invalid("the module has no default export with { name, exporters? }")
  if (typeof value["name"] !== "string" || value["name"].length === 0) return invalid("the default export has no name")
  const exporters = value["exporters"]
  if (exporters !== undefined && !Array.isArray(exporters)) return invalid("`exporters` is not an array")
  const bad = (exporters ?? []).findIndex((exporter) => !isExporter(exporter))
  if (bad >= 0) {
    return invalid(`exporters[${bad}] lacks one of name, fileExtension, mediaType, export()`)
  }
  const analyzers = value["analyzers"]
  if (analyzers !== undefined && !Array.isArray(analyzers)) return invalid("`analyzers` is not an array")
  return value as unknown as Plugin
}
