import { beforeAll, describe, expect, it } from "@effect/vitest"
import * as TestsPassing from "@victor/example-workflow-plugin/TestsPassing"
import * as WordCount from "@victor/example-workflow-plugin/WordCount"
import plugin from "@victor/example-workflow-plugin/plugin"
import * as FunctionRegistry from "@victor/workflow/FunctionRegistry"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as Effect from "effect/Effect"
import { build } from "esbuild"
import { execFileSync } from "node:child_process"
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { repoRoot, runVictor, sandbox } from "../../../packages/cli/test/setup/runVictor.ts"

const example = join(import.meta.dirname, "..")

interface JsonNode {
  readonly node_id: string
  readonly node_type: string
  readonly inputs: Record<string, unknown>
  readonly outputs: Record<string, unknown>
  readonly tool_calls: ReadonlyArray<{ readonly tool_name: string; readonly outputs: unknown }>
}

/**
 * A project like a team's: the example's workflow and victor.config.json, and the plugin installed in its
 * node_modules as `npm install victor-plugin-release-checks` would put it there (compiled to one ESM file).
 */
const project = async () => {
  const { home } = sandbox()
  for (const file of ["victor.config.json", "release_check.yaml"]) copyFileSync(join(example, file), join(home, file))
  const pkg = join(home, "node_modules", "victor-plugin-release-checks")
  mkdirSync(pkg, { recursive: true })
  await build({
    entryPoints: [join(example, "src", "plugin.ts")],
    bundle: true,
    format: "esm",
    platform: "node",
    outfile: join(pkg, "index.mjs"),
    logLevel: "silent"
  })
  writeFileSync(
    join(pkg, "package.json"),
    JSON.stringify({ name: "victor-plugin-release-checks", type: "module", main: "index.mjs" })
  )
  return { home, victor: (...args: Array<string>) => runVictor(args, { home, cwd: home }) }
}

describe("workflow plugin (release checks)", () => {
  beforeAll(() => {
    execFileSync(process.execPath, [join(repoRoot, "packages", "cli", "scripts", "build.mjs"), "--if-stale"])
  }, 120_000)

  it("is a FunctionRegistry plugin with a tool, a handler, a condition and a node kind", () => {
    expect(plugin.name).toBe("victor-plugin-release-checks")
    expect(plugin.tools?.map((tool) => tool.name)).toEqual(["word_count"])
    expect(Object.keys(plugin.handlers ?? {})).toEqual(["test_runner"])
    expect(Object.keys(plugin.conditions ?? {})).toEqual(["tests_passing"])
    expect(plugin.nodeKinds?.map((kind) => kind.type)).toEqual(["checklist"])
  })

  it.effect("word_count counts words, lines and characters, and refuses a text that is not one", () =>
    Effect.gen(function*() {
      const tool = WordCount.make()
      expect(yield* tool.run({ text: "two words\nand a line" })).toEqual({ words: 5, lines: 2, characters: 20 })
      const error = yield* Effect.flip(tool.run({ text: 42 }))
      expect(error).toMatchObject({
        reason: "InvalidInput",
        message: "word_count: `text` must be a string, not number"
      })
    }))

  it("tests_passing is passing only when tests ran and none failed", () => {
    expect(TestsPassing.condition({ test_results: { total: 2, passed: 2, failed: 0 } })).toBe("passing")
    expect(TestsPassing.condition({ test_results: { total: 2, passed: 1, failed: 1 } })).toBe("failing")
    expect(TestsPassing.condition({ test_results: { total: 0, passed: 0, failed: 0 } })).toBe("failing")
    expect(TestsPassing.condition({})).toBe("failing")
  })

  it.effect("a checklist item that does not parse is a load error naming the item and its line", () =>
    Effect.gen(function*() {
      const yaml = ["nodes:", "  - id: ready", "    type: checklist", "    items:", "      tests pass: 'failed =='"]
      const error = yield* Effect.flip(
        WorkflowLoader.parse(yaml.join("\n"), "ready.yaml").pipe(Effect.provide(FunctionRegistry.layer([plugin])))
      )
      expect(error.message).toMatch(/^ready\.yaml:5:\d+: checklist item 'tests pass': invalid expression "failed =="/)
    }))

  it("victor validates and traces the example with the plugin from victor.config.json", async () => {
    const { home, victor } = await project()
    const validate = victor("workflow", "validate", "release_check.yaml")
    expect(validate.stderr).toBe("")
    expect(validate.stdout).toBe("release_check.yaml: workflow 'release_check' is valid (6 nodes)\n")
    expect(validate.code).toBe(0)

    const trace = victor("workflow", "trace", "release_check.yaml", "-o", "out.json")
    expect(trace.stderr).toBe("")
    expect(trace.code).toBe(0)
    const nodes = (JSON.parse(readFileSync(join(home, "out.json"), "utf8")) as { nodes: ReadonlyArray<JsonNode> }).nodes
    const node = (id: string) => nodes.find((n) => n.node_id === id)!
    expect(nodes.map((n) => n.node_id)).toEqual(["notes", "notes_size", "tests", "gate", "release_checklist"])
    // The tool: a traced call of word_count with its inputs and outputs.
    expect(node("notes_size").tool_calls).toEqual([
      expect.objectContaining({
        tool_name: "word_count",
        inputs: { text: expect.stringContaining("Plugins named in victor.config.json") },
        outputs: { words: 14, lines: 1, characters: 100 }
      })
    ])
    // The handler: its output, and the shell calls it made through its HandlerTools, traced under its node.
    expect(node("tests").inputs).toMatchObject({ handler: "test_runner", tools: ["shell"] })
    expect(node("tests").outputs).toMatchObject({ total: 2, passed: 2, failed: 0 })
    expect(node("tests").tool_calls.map((call) => call.tool_name)).toEqual(["shell", "shell"])
    // The condition: the branch it chose.
    expect(node("gate").inputs).toEqual({ expression: "tests_passing", value: "passing" })
    expect(node("gate").outputs).toEqual({ value: "passing", branch: "passing", next: "release_checklist" })
    // The node kind: its own type, its field as inputs, what it checked as outputs.
    expect(node("release_checklist")).toMatchObject({
      node_type: "checklist",
      inputs: { items: { "tests pass": "test_results.failed == 0" }, required: true },
      outputs: { checked: ["tests pass", "release notes written"], unchecked: [], complete: true }
    })
  }, 120_000)

  it("the checklist stops a release with short notes; without the plugin, validate rejects the file", async () => {
    const { home, victor } = await project()
    const context = JSON.stringify({ release_notes: "Fixes." })
    const short = victor("workflow", "run", "release_check.yaml", "--context", context)
    expect(short.code).toBe(1)
    expect(short.stdout).toContain("checklist 'release_checklist': not done: 'release notes written'")

    rmSync(join(home, "victor.config.json"))
    const without = victor("workflow", "validate", "release_check.yaml")
    expect(without.code).toBe(2)
    expect(without.stderr).toContain("node 'release_checklist' has unknown type 'checklist'")
  }, 120_000)
})
