// Third-party plugins named in victor.config.json, loaded by the real `victor` binary in a subprocess.
import { describe, expect, it } from "@effect/vitest"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { repoRoot, runVictor, sandbox } from "./setup/runVictor.ts"

const streamModule = pathToFileURL(join(repoRoot, "node_modules", "effect", "dist", "esm", "Stream.js")).href

/** A plugin module (plain ESM, as published plugins are) with one exporter whose bytes come from `body`. */
const exporterPlugin = (pluginName: string, format: string, extension: string, body: string) =>
  [
    `import * as Stream from ${JSON.stringify(streamModule)}`,
    `export default {`,
    `  name: ${JSON.stringify(pluginName)},`,
    `  exporters: [{`,
    `    name: ${JSON.stringify(format)}, fileExtension: ${JSON.stringify(extension)}, mediaType: "text/plain",`,
    `    description: "test exporter",`,
    `    export: (trace) => { ${body} }`,
    `  }]`,
    `}`
  ].join("\n")

const upper = `return Stream.make(new TextEncoder().encode("UPPER " + trace.workflowName.toUpperCase() + " " + trace.nodes.length))`

const project = (plugins: ReadonlyArray<string>) => {
  const { home, traceDir } = sandbox()
  writeFileSync(join(home, "victor.config.json"), JSON.stringify({ plugins }))
  writeFileSync(
    join(home, "flow.yaml"),
    ["workflows:", "  flow:", "    nodes:", "      - id: a", "        type: transform", "        transform: x = 1"].join("\n")
  )
  writeFileSync(join(home, "upper.mjs"), exporterPlugin("upper-plugin", "upper", "up", upper))
  // An ESM-only npm package (only an `import` condition), installed in the project's node_modules.
  const pkg = join(home, "node_modules", "victor-exporter-shout")
  mkdirSync(join(pkg, "dist"), { recursive: true })
  writeFileSync(
    join(pkg, "package.json"),
    JSON.stringify({ name: "victor-exporter-shout", type: "module", exports: { ".": { import: "./dist/index.mjs" } } })
  )
  writeFileSync(
    join(pkg, "dist", "index.mjs"),
    exporterPlugin("victor-exporter-shout", "shout", "shout", upper.replace("UPPER", "SHOUT"))
  )
  writeFileSync(join(home, "throws.mjs"), `throw new Error("plugin blew up on import")`)
  writeFileSync(join(home, "not-a-plugin.mjs"), `export default 42`)
  writeFileSync(join(home, "factory-throws.mjs"), `export default () => { throw new Error("factory failed") }`)
  writeFileSync(
    join(home, "explodes.mjs"),
    exporterPlugin("explosive", "explode", "boom", `throw new Error("kaboom while exporting")`)
  )
  const victor = (...args: Array<string>) => runVictor(["workflow", "trace", "flow.yaml", ...args], { home, cwd: home })
  return { home, traceDir, victor }
}

describe("plugins from victor.config.json", () => {
  it("loads plugins by path and by npm package name, and -o picks their format by extension", () => {
    const { home, victor } = project(["./upper.mjs", "victor-exporter-shout"])
    const byFormat = victor("--format", "upper", "-o", "out.txt")
    expect(byFormat.stderr).toBe("")
    expect(byFormat.code).toBe(0)
    expect(readFileSync(join(home, "out.txt"), "utf8")).toBe("UPPER FLOW 1")
    const byExtension = victor("-o", "out.shout")
    expect(byExtension.code).toBe(0)
    expect(readFileSync(join(home, "out.shout"), "utf8")).toBe("SHOUT FLOW 1")
    expect(byExtension.stdout).toContain("out.shout (shout,")
  })

  it("reports each plugin that fails to load by name, once, and the others still work", () => {
    const specs = ["./throws.mjs", "./not-a-plugin.mjs", "no-such-victor-plugin", "./factory-throws.mjs", "./gone.mjs"]
    const { home, victor } = project([...specs, "./upper.mjs"])
    const run = victor("-o", "out.up")
    expect(run.code).toBe(0)
    expect(readFileSync(join(home, "out.up"), "utf8")).toBe("UPPER FLOW 1")
    const warnings = run.stderr.trim().split("\n")
    expect(warnings).toHaveLength(specs.length)
    specs.forEach((spec, i) => expect(warnings[i]).toContain(`warning: plugin "${spec}"`))
    expect(warnings[0]).toContain("plugin blew up on import")
    expect(warnings[1]).toContain("no default export")
    expect(warnings[2]).toContain("was not found")
    expect(warnings[3]).toContain("factory failed")
    expect(warnings[4]).toContain("no such file")
  })

  it("an exporter that throws fails that export with its plugin's name, and writes nothing", () => {
    const { home, victor } = project(["./explodes.mjs"])
    const run = victor("--format", "explode", "-o", "out.boom")
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(`the exporter of plugin "explosive" failed: kaboom while exporting`)
    expect(existsSync(join(home, "out.boom"))).toBe(false)
  })

  it("an unknown format lists the bundled and the plugins' formats", () => {
    const { victor } = project(["./upper.mjs"])
    const run = victor("--format", "xml", "-o", "out.xml")
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(`unknown format "xml"; known formats: json, csv, html, otlp, upper`)
  })

  it("a run without an export loads plugins too (they may add tools and node kinds), and one that fails is a warning", () => {
    const { victor } = project(["./throws.mjs"])
    const run = victor()
    expect(run.code).toBe(0)
    expect(run.stderr).toBe(
      "warning: plugin \"./throws.mjs\" failed to load: plugin blew up on import; continuing without it\n"
    )
  })

  it("a malformed plugins section is a usage error naming the file", () => {
    const { home, victor } = project([])
    writeFileSync(join(home, "victor.config.json"), JSON.stringify({ plugins: "./upper.mjs" }))
    const run = victor("-o", "out.json")
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("victor.config.json")
    expect(run.stderr).toContain("plugins")
  })
})
