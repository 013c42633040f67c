// Plugins named in victor.config.json that add to workflows (conditions, handlers, transforms, tools, node kinds), as
// the real `victor` binary loads them in a subprocess: compiled to one ESM file each, as published plugins are.
import { describe, expect, it } from "@effect/vitest"
import { build } from "esbuild"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { runVictor, sandbox } from "./setup/runVictor.ts"

/** Compiles a plugin module written in TypeScript (importing Victor's packages) to `<dir>/<file>`, effect and all. */
const bundle = async (dir: string, file: string, source: string) => {
  await build({
    stdin: { contents: source, loader: "ts", resolveDir: import.meta.dirname, sourcefile: file },
    bundle: true,
    format: "esm",
    platform: "node",
    outfile: join(dir, file),
    logLevel: "silent"
  })
}

/** Every kind of contribution, and an exporter beside them: one default export carrying both sets. */
const checksPlugin = `
import * as FunctionRegistry from "@victor/workflow/FunctionRegistry"
import * as NodeFields from "@victor/workflow/NodeFields"
import * as NodeKind from "@victor/workflow/NodeKind"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"

const shout = NodeKind.make({
  type: "shout",
  schema: Schema.Struct({ type: Schema.Literal("shout"), ...NodeFields.common, text: Schema.String }),
  prepare: (node, visit) => {
    const outputs = { text: node.text.toUpperCase() }
    const updates = { [NodeKind.outputKey(node)]: outputs }
    return { inputs: { text: node.text }, body: Effect.succeed({ outputs, updates, next: visit.next }) }
  }
})

export default {
  ...FunctionRegistry.plugin("team-checks", {
    conditions: { lint_clean: (state) => (state.lint && state.lint.problems === 0 ? "clean" : "dirty") },
    handlers: {
      lint: (inputs, _state, tools) =>
        Effect.map(tools.call("count_todos", { text: String(inputs.source) }), (found) => ({ problems: found.todos }))
    },
    transforms: { stamp: (state) => ({ stamped: "by team-checks", problems_seen: state.lint.problems }) },
    tools: [{
      name: "count_todos",
      description: "Counts TODO markers in text",
      run: (inputs) => Effect.succeed({ todos: (String(inputs.text).match(/TODO/g) ?? []).length })
    }],
    nodeKinds: [shout]
  }),
  exporters: [{
    name: "nodes", fileExtension: "nodes", mediaType: "text/plain", description: "node ids, one a line",
    export: (trace) => Stream.make(new TextEncoder().encode(trace.nodes.map((node) => node.nodeId).join("\\n")))
  }]
}
`

/** A workflow that needs every one of them. */
const checksWorkflow = [
  "name: checks",
  "nodes:",
  "  - id: lint",
  "    type: compute",
  "    handler: lint",
  "    tools: [count_todos]",
  "    inputs: { source: 'let x = 1' }",
  "  - id: gate",
  "    type: condition",
  "    condition: lint_clean",
  "    branches: { clean: loud, dirty: stamp }",
  "  - id: loud",
  "    type: shout",
  "    text: all clear",
  "  - id: stamp",
  "    type: transform",
  "    transform: stamp"
].join("\n")

const project = async (plugins: ReadonlyArray<string>) => {
  const { home } = sandbox()
  writeFileSync(join(home, "victor.config.json"), JSON.stringify({ plugins }))
  writeFileSync(join(home, "checks.yaml"), checksWorkflow)
  await bundle(home, "checks.mjs", checksPlugin)
  const victor = (...args: Array<string>) => runVictor(args, { home, cwd: home })
  return { home, victor }
}

interface JsonTrace {
  readonly nodes: ReadonlyArray<{
    readonly node_id: string
    readonly node_type: string
    readonly inputs: Record<string, unknown>
    readonly outputs: Record<string, unknown>
    readonly tool_calls: ReadonlyArray<{ readonly tool_name: string; readonly outputs: Record<string, unknown> }>
  }>
}

describe("workflow plugins from victor.config.json", () => {
  it("validate knows their node kinds, handlers, conditions, transforms and tools", async () => {
    const { victor } = await project(["./checks.mjs"])
    const run = victor("workflow", "validate", "checks.yaml")
    expect(run.stderr).toBe("")
    expect(run.stdout).toBe("checks.yaml: workflow 'checks' is valid (4 nodes)\n")
    expect(run.code).toBe(0)
  })

  it("trace runs them (the plugin's exporter still works beside them) and records each", async () => {
    const { home, victor } = await project(["./checks.mjs"])
    const run = victor("workflow", "trace", "checks.yaml", "-o", "out.json")
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    const trace = JSON.parse(readFileSync(join(home, "out.json"), "utf8")) as JsonTrace
    expect(trace.nodes.map((node) => [node.node_id, node.node_type])).toEqual([
      ["lint", "compute"],
      ["gate", "condition"],
      ["loud", "shout"],
      ["stamp", "transform"]
    ])
    const [lint, gate, loud, stamp] = trace.nodes
    expect(lint!.outputs).toEqual({ problems: 0 })
    expect(lint!.tool_calls.map((call) => [call.tool_name, call.outputs])).toEqual([["count_todos", { todos: 0 }]])
    expect(gate!.outputs).toMatchObject({ value: "clean", branch: "clean" })
    expect(loud!).toMatchObject({ inputs: { text: "all clear" }, outputs: { text: "ALL CLEAR" } })
    expect(stamp!.outputs).toEqual({ stamped: "by team-checks", problems_seen: 0 })

    const exported = victor("workflow", "trace", "checks.yaml", "-o", "out.nodes")
    expect(exported.code).toBe(0)
    expect(readFileSync(join(home, "out.nodes"), "utf8")).toBe("lint\ngate\nloud\nstamp")
  })

  it("run (no export) loads them too, and a file of several workflows validates each with them", async () => {
    const { home, victor } = await project(["./checks.mjs"])
    const run = victor("workflow", "run", "checks.yaml")
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    expect(run.stdout).toContain("4 run: 4 succeeded")
    writeFileSync(
      join(home, "two.yaml"),
      [
        "workflows:",
        "  first:",
        "    nodes:",
        "      - { id: a, type: shout, text: one }",
        "  second:",
        "    nodes:",
        "      - { id: b, type: transform, transform: stamp, next: [c] }",
        "      - { id: c, type: shout, text: two }"
      ].join("\n")
    )
    const both = victor("workflow", "validate", "two.yaml")
    expect(both.stderr).toBe("")
    expect(both.stdout).toBe(
      "two.yaml: workflow 'first' is valid (1 nodes)\ntwo.yaml: workflow 'second' is valid (2 nodes)\n"
    )
    expect(both.code).toBe(0)
  })

  it("a handler nobody provides still fails validate, naming it beside the plugins' handlers", async () => {
    const { home, victor } = await project(["./checks.mjs"])
    writeFileSync(
      join(home, "deploy.yaml"),
      ["name: deploy", "nodes:", "  - { id: ship, type: compute, handler: deploy }"].join("\n")
    )
    const run = victor("workflow", "validate", "deploy.yaml")
    expect(run.code).toBe(2)
    expect(run.stderr).toBe(
      "victor: deploy.yaml:3:41: node 'ship' uses handler 'deploy', which is not registered; " +
        "registered handlers: lint, passthrough (plugins add more)\n"
    )
  })

  it("a plugin whose handler is not a function is one warning naming plugin and field, and is left out", async () => {
    const { home, victor } = await project(["./bad-handler.mjs", "./checks.mjs"])
    writeFileSync(
      join(home, "bad-handler.mjs"),
      `export default { name: "bad-handlers", handlers: { run_tests: "npm test" } }`
    )
    writeFileSync(
      join(home, "tests.yaml"),
      ["name: tests", "nodes:", "  - { id: t, type: compute, handler: run_tests }"].join("\n")
    )
    const warning = `warning: plugin "./bad-handler.mjs" is not usable: handlers.run_tests is not a function ` +
      `(it is a string); continuing without it\n`
    const validate = victor("workflow", "validate", "tests.yaml")
    expect(validate.code).toBe(2)
    expect(validate.stderr).toBe(
      warning +
        "victor: tests.yaml:3:38: node 't' uses handler 'run_tests', which is not registered; " +
        "registered handlers: lint, passthrough (plugins add more)\n"
    )
    // Loaded once for the workflow and the export alike: still one warning, and the other plugin works.
    const traced = victor("workflow", "trace", "checks.yaml", "-o", "out.nodes")
    expect(traced.code).toBe(0)
    expect(traced.stderr).toBe(warning)
  })

  it("tools, node kinds and function tables of the wrong shape are reported the same way, by field", async () => {
    const { home, victor } = await project([])
    // The file, its default export, and what the warning says is wrong with it.
    const plugins: ReadonlyArray<readonly [string, string, string]> = [
      [
        "no-run.mjs",
        `{ name: "a", tools: [{ name: "scan", description: "scans" }] }`,
        "tools[0] ('scan') is not a tool: no run function (a tool is { name, description, run })"
      ],
      ["tools-object.mjs", `{ name: "b", tools: { scan: {} } }`, "`tools` is not an array (it is an object)"],
      [
        "kind.mjs",
        `{ name: "c", nodeKinds: [{ type: "shout", prepare: () => ({}) }] }`,
        "nodeKinds[0] ('shout') is not a node kind: no schema (an effect/Schema), no keys, no timeout policy, " +
        "no toolEnvironment (build it with NodeKind.make)"
      ],
      [
        "conditions.mjs",
        `{ name: "d", conditions: [() => true] }`,
        "`conditions` is not an object of functions by name (it is an array)"
      ],
      ["transform.mjs", `{ name: "e", transforms: { stamp: null } }`, "transforms.stamp is not a function (it is null)"]
    ]
    for (const [file, plugin] of plugins) writeFileSync(join(home, file), `export default ${plugin}`)
    writeFileSync(join(home, "victor.config.json"), JSON.stringify({ plugins: plugins.map(([file]) => `./${file}`) }))
    const run = victor("workflow", "validate", "checks.yaml")
    expect(run.code).toBe(2)
    const warnings = run.stderr.trim().split("\n").slice(0, plugins.length)
    expect(warnings).toEqual(
      plugins.map(([file, , problem]) => `warning: plugin "./${file}" is not usable: ${problem}; continuing without it`)
    )
    expect(run.stderr).toContain("node 'loud' has unknown type 'shout'")
  })

  it("a plugin that does not load warns once, also for a run that does not export, and the run goes on", async () => {
    const { home, victor } = await project(["./throws.mjs"])
    writeFileSync(join(home, "throws.mjs"), `throw new Error("plugin blew up on import")`)
    writeFileSync(
      join(home, "plain.yaml"),
      ["name: plain", "nodes:", "  - { id: a, type: transform, transform: x = 1 }"].join("\n")
    )
    const run = victor("workflow", "run", "plain.yaml")
    expect(run.code).toBe(0)
    expect(run.stderr).toBe(
      `warning: plugin "./throws.mjs" failed to load: plugin blew up on import; continuing without it\n`
    )
  })
})
