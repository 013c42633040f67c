import { beforeAll, describe, expect, it } from "@effect/vitest"
import { sampleTrace } from "@victor/core/testing/TraceStoreContract"
import * as MarkdownExporter from "@victor/example-custom-exporter-plugin/MarkdownExporter"
import plugin from "@victor/example-custom-exporter-plugin/plugin"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { build } from "esbuild"
import { execFileSync } from "node:child_process"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { repoRoot, runVictor, sandbox } from "../../../packages/cli/test/setup/runVictor.ts"

const exportText = (trace: Parameters<ReturnType<typeof MarkdownExporter.make>["export"]>[0]) =>
  Effect.map(Stream.runCollect(MarkdownExporter.make().export(trace)), (chunks) =>
    Chunk.toReadonlyArray(chunks).map((chunk) => new TextDecoder().decode(chunk)).join(""))

describe("custom exporter plugin (markdown)", () => {
  beforeAll(() => {
    execFileSync(process.execPath, [join(repoRoot, "packages", "cli", "scripts", "build.mjs"), "--if-stale"])
  }, 120_000)

  it("is a plugin object with a markdown exporter", () => {
    expect(plugin.name).toBe("victor-exporter-markdown")
    expect(plugin.exporters?.map((e) => [e.name, e.fileExtension])).toEqual([["markdown", "md"]])
  })

  it.effect("writes a summary and a node table, with cell text escaped", () =>
    Effect.gen(function*() {
      const base = sampleTrace().nodes[0]!
      const text = yield* exportText(sampleTrace({
        nodes: [base, { ...base, nodeId: "a|b", success: false, error: "<script>x</script>\nline 2" }]
      }))
      expect(text).toContain("| read | compute | ✅ ok | 1.250 s | 1 |  |")
      expect(text).toContain("| a\\|b | compute | ❌ failed | 1.250 s | 1 | &lt;script&gt;x&lt;/script&gt;<br>line 2 |")
      expect(text).not.toContain("<script>")
    }))

  it("is installed through victor.config.json and used by --format markdown and -o report.md", async () => {
    const { home } = sandbox()
    // What `npm install victor-exporter-markdown` would put there: the plugin compiled to one ESM file.
    const pkg = join(home, "node_modules", "victor-exporter-markdown")
    mkdirSync(pkg, { recursive: true })
    await build({
      entryPoints: [join(import.meta.dirname, "..", "src", "plugin.ts")],
      bundle: true,
      format: "esm",
      platform: "node",
      outfile: join(pkg, "index.mjs"),
      logLevel: "silent"
    })
    writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "victor-exporter-markdown", type: "module", main: "index.mjs" }))
    writeFileSync(join(home, "victor.config.json"), JSON.stringify({ plugins: ["victor-exporter-markdown"] }))
    writeFileSync(
      join(home, "flow.yaml"),
      ["workflows:", "  flow:", "    nodes:", "      - id: only", "        type: transform", "        transform: x = 1"]
        .join("\n")
    )
    const byFormat = runVictor(["workflow", "trace", "flow.yaml", "--format", "markdown", "-o", "out.txt"], { home, cwd: home })
    expect(byFormat.stderr).toBe("")
    expect(byFormat.code).toBe(0)
    const markdown = readFileSync(join(home, "out.txt"), "utf8")
    expect(markdown).toMatch(/^# flow\n/)
    expect(markdown).toContain("| only | transform | ✅ ok |")
    const byExtension = runVictor(["workflow", "trace", "flow.yaml", "-o", "report.md"], { home, cwd: home })
    expect(byExtension.code).toBe(0)
    expect(byExtension.stdout).toContain("report.md (markdown,")
    expect(readFileSync(join(home, "report.md"), "utf8")).toContain("| only | transform |")
  }, 120_000)
})
