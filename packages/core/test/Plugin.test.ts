import { describe, expect, it } from "@effect/vitest"
import * as Exporter from "@victor/core/Exporter"
import * as ExporterRegistry from "@victor/core/ExporterRegistry"
import * as Plugin from "@victor/core/Plugin"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

const exporter = (name: string, fileExtension: string) =>
  Exporter.make({ name, fileExtension, mediaType: "text/plain", description: name, export: () => Stream.empty })

describe("Plugin", () => {
  it("takes a plugin from a module's default export, object or factory", () => {
    const plugin = Plugin.make({ name: "md", exporters: [exporter("markdown", "md")] })
    expect(Plugin.fromModule("md", { default: plugin })).toBe(plugin)
    expect(Plugin.fromModule("md", { default: () => plugin })).toBe(plugin)
    expect(Plugin.fromModule("md", { default: { name: "analysis-only", analyzers: [{}] } })).toMatchObject({
      name: "analysis-only"
    })
  })

  it("rejects what is not a plugin with a reason naming the plugin", () => {
    const cases: ReadonlyArray<readonly [unknown, string, string]> = [
      [{}, "InvalidPlugin", "no default export"],
      [{ default: 42 }, "InvalidPlugin", "no default export"],
      [{ default: { exporters: [] } }, "InvalidPlugin", "no name"],
      [{ default: { name: "x", exporters: {} } }, "InvalidPlugin", "not an array"],
      [{ default: { name: "x", exporters: [{ name: "y" }] } }, "InvalidPlugin", "exporters[0]"],
      [{ default: () => {
        throw new Error("nope")
      } }, "LoadFailed", "nope"]
    ]
    for (const [module, reason, text] of cases) {
      const result = Plugin.fromModule("victor-x", module)
      expect(result).toBeInstanceOf(Plugin.PluginError)
      expect(result).toMatchObject({ reason, plugin: "victor-x" })
      expect((result as Plugin.PluginError).message).toContain(text)
      expect((result as Plugin.PluginError).message).toContain(`plugin "victor-x"`)
    }
  })
})

describe("ExporterRegistry", () => {
  const registry = ExporterRegistry.make([exporter("json", "json"), exporter("csv", "csv"), exporter("markdown", "md")])

  it.effect("finds exporters by name, case-insensitively, and lists the known ones otherwise", () =>
    Effect.gen(function*() {
      expect((yield* registry.get("CSV")).name).toBe("csv")
      const error = yield* Effect.flip(registry.get("xml"))
      expect(error.message).toBe(`unknown format "xml"; known formats: json, csv, markdown`)
    }))

  it("infers the format from a path's extension", () => {
    expect(Option.map(registry.forPath("out/report.MD"), (e) => e.name)).toEqual(Option.some("markdown"))
    expect(Option.isNone(registry.forPath("dir.csv/trace"))).toBe(true)
    expect(Option.isNone(registry.forPath("trace"))).toBe(true)
    expect(Option.isNone(registry.forPath("out/.json"))).toBe(true)
  })

  it("prefers the longest extension a file name ends with, in any order of registration", () => {
    for (const order of [["otlp", "json"], ["json", "otlp"]] as const) {
      const both = ExporterRegistry.make(order.map((name) => exporter(name, name === "otlp" ? "otlp.json" : "json")))
      expect(Option.map(both.forPath("out/trace.otlp.json"), (e) => e.name)).toEqual(Option.some("otlp"))
      expect(Option.map(both.forPath("out/trace.json"), (e) => e.name)).toEqual(Option.some("json"))
    }
  })

  it("lets a later exporter replace an earlier one of the same name", () => {
    const replaced = ExporterRegistry.make([exporter("csv", "csv"), exporter("csv", "tsv")])
    expect(replaced.exporters.map((e) => e.fileExtension)).toEqual(["tsv"])
  })
})
