import { expect, layer } from "@effect/vitest"
import * as FunctionRegistry from "@victor/workflow/FunctionRegistry"
import * as NodeFields from "@victor/workflow/NodeFields"
import * as NodeKind from "@victor/workflow/NodeKind"
import * as Template from "@victor/workflow/Template"
import * as WorkflowExecutor from "@victor/workflow/WorkflowExecutor"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as WorkflowValidation from "@victor/workflow/WorkflowValidation"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { RunLayer } from "./fixtures.ts"

const lines = (...text: ReadonlyArray<string>) => text.join("\n") + "\n"

/** A kind with fields of its own: renders `text` against state (upper-cased with `upper: true`) into its output key. */
const template = NodeKind.make({
  type: "template",
  schema: Schema.Struct({
    type: Schema.Literal("template"),
    ...NodeFields.common,
    text: Schema.String,
    upper: Schema.optionalWith(Schema.Boolean, { default: () => false })
  }),
  validate: (node) =>
    node.text.trim() === "" ? [NodeKind.warning(["text"], `template node '${node.id}' renders nothing`)] : [],
  prepare: (node, visit) => {
    const rendered = Template.render(node.text, visit.state)
    const text = node.upper ? rendered.toUpperCase() : rendered
    return {
      inputs: { text: node.text, upper: node.upper },
      body: Effect.succeed({
        outputs: { text },
        updates: { [NodeKind.outputKey(node)]: text },
        next: visit.next
      })
    }
  }
})

/** A kind that chooses where the run goes (`to:`): its successor, which graph checks and reachability follow. */
const route = NodeKind.make({
  type: "route",
  schema: Schema.Struct({ type: Schema.Literal("route"), ...NodeFields.common, to: Schema.String }),
  successors: (node) => [{ target: node.to, at: ["to"], what: "routes to" }],
  stateKeys: () => [],
  prepare: (node) => ({
    inputs: { to: node.to },
    body: Effect.succeed({ outputs: { to: node.to }, updates: {}, next: node.to })
  })
})

const plugin = FunctionRegistry.plugin("test-kinds", { nodeKinds: [template, route] })

const greeting = lines(
  "name: greeting",
  "nodes:",
  "  - id: greet",
  "    type: template",
  "    text: 'Hello {name}'",
  "    upper: true",
  "    colour: red",
  "  - { id: pick, type: route, to: done }",
  "  - { id: skipped, type: transform, transform: never = true }",
  "  - { id: done, type: transform, transform: finished = true }"
)

const builtinTypes = "agent, compute, condition, parallel, transform, hitl, team, workflow"

const WithPlugin = Layer.merge(RunLayer, FunctionRegistry.layer([plugin]))

layer(WithPlugin, { excludeTestServices: true })("a plugin's node kinds", (it) => {
  it.effect("load, validate (its unknown fields warn, its successors are followed) and run, traced by type", () =>
    Effect.gen(function*() {
      const workflow = yield* WorkflowLoader.parse(greeting, "greeting.yaml")
      expect(workflow.nodes.map((node) => node.type)).toEqual(["template", "route", "transform", "transform"])
      expect(workflow.nodes[0]).toMatchObject({ id: "greet", text: "Hello {name}", upper: true, next: [] })
      // An unknown field of the plugin's node warns like any other; `skipped` is unreachable through `route`'s `to:`.
      expect(workflow.warnings).toEqual([
        "greeting.yaml:9:5: node 'skipped' is never reached from the start node",
        "greeting.yaml:7:13: node 'greet': unknown field 'colour' is ignored"
      ])
      const findings = yield* WorkflowValidation.check(workflow)
      expect(findings.map((finding) => [finding.severity, finding.message])).toEqual([
        ["warning", "greeting.yaml:9:5: node 'skipped' is never reached from the start node"],
        ["warning", "greeting.yaml:7:13: node 'greet': unknown field 'colour' is ignored"]
      ])

      const result = yield* WorkflowExecutor.execute(workflow, { context: { name: "Ada" } })
      expect(result).toMatchObject({ status: "succeeded", error: null })
      expect(result.state).toEqual({ name: "Ada", greet: "HELLO ADA", finished: true })
      expect(result.trace.nodes.map((node) => [node.nodeId, node.nodeType, node.success])).toEqual([
        ["greet", "template", true],
        ["pick", "route", true],
        ["done", "transform", true]
      ])
      expect(result.trace.nodes[0]).toMatchObject({
        inputs: { text: "Hello {name}", upper: true },
        outputs: { text: "HELLO ADA" },
        metadata: { iteration: 1 }
      })
      expect(result.trace.nodes[1]).toMatchObject({ inputs: { to: "done" }, outputs: { to: "done" } })
    }))

  it.effect("its validation runs with the registries, and its successors are checked like next", () =>
    Effect.gen(function*() {
      const empty = yield* WorkflowLoader.parse(lines("nodes:", "  - { id: say, type: template, text: ' ' }"), "t.yaml")
      const findings = yield* WorkflowValidation.check(empty)
      expect(findings.map((finding) => finding.message)).toEqual(["t.yaml:2:38: template node 'say' renders nothing"])

      const error = yield* Effect.flip(WorkflowLoader.parse(
        lines(
          "nodes:",
          "  - { id: pick, type: route, to: dnoe }",
          "  - { id: done, type: transform, transform: x = 1 }"
        ),
        "r.yaml"
      ))
      expect(error).toMatchObject({ reason: "Invalid", nodeId: "pick", line: 2 })
      expect(error.message).toBe(
        "r.yaml:2:34: node 'pick' routes to 'dnoe', which is not a node in this workflow; did you mean 'done'?"
      )
    }))

  it.effect("a workflow loaded with the plugin does not run without it: validation names the type", () =>
    Effect.gen(function*() {
      const workflow = yield* WorkflowLoader.parse(greeting, "greeting.yaml")
      const result = yield* WorkflowExecutor.execute(workflow, { context: { name: "Ada" } }).pipe(
        Effect.provide(FunctionRegistry.layer())
      )
      expect(result.status).toBe("failed")
      expect(result.error).toBe(
        `greeting.yaml:4:11: node 'greet' has unknown type 'template'; known types: ${builtinTypes} (plugins add more)`
      )
      expect(result.trace.nodes).toEqual([])
    }))
})

layer(RunLayer)("a node kind that is not installed", (it) => {
  it.effect("is a load error naming the node, its line and the known types", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(WorkflowLoader.parse(greeting, "greeting.yaml"))
      expect(error).toMatchObject({ _tag: "WorkflowLoadError", reason: "Invalid", nodeId: "greet", line: 4 })
      expect(error.message).toBe(
        `greeting.yaml:4:11: node 'greet' has unknown type 'template'; known types: ${builtinTypes} ` +
          `(supported node types: ${builtinTypes})`
      )
    }))

  it.effect("with the plugin installed, the known types include its kinds", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        WorkflowLoader.parse(lines("nodes:", "  - { id: wait, type: delay }"), "d.yaml").pipe(
          Effect.provide(FunctionRegistry.layer([plugin]))
        )
      )
      expect(error.message).toBe(
        `d.yaml:2:23: node 'wait' has unknown type 'delay'; known types: ${builtinTypes}, template, route ` +
          `(supported node types: ${builtinTypes}, template, route)`
      )
    }))
})
