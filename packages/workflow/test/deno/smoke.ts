// Runs under Deno (not Node): parses a workflow, executes it with a custom tool and the in-memory tracer, and prints
// the trace as JSON. Deno.test-free on purpose: the Vitest test below runs this file with the real `deno` binary.
import * as TraceJson from "@victor/core/TraceJson"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as ToolRegistry from "@victor/workflow/ToolRegistry"
import * as WorkflowExecutor from "@victor/workflow/WorkflowExecutor"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

const yaml = `
workflows:
  deno_smoke:
    nodes:
      - id: measure
        type: compute
        tools: [length]
        inputs: { text: "$ctx.text" }
      - id: check
        type: condition
        condition: measure.length.size > 3
        branches: { "true": shout, "false": done }
      - id: shout
        type: transform
        transform: loud = upper(text)
      - id: done
        type: transform
        transform: finished = true
`

const length: ToolRegistry.Tool = {
  name: "length",
  description: "the length of a text",
  run: (inputs) => Effect.succeed({ size: String(inputs["text"] ?? "").length })
}

const program = Effect.gen(function*() {
  const workflow = yield* WorkflowLoader.parse(yaml, "smoke.yaml")
  const result = yield* WorkflowExecutor.execute(workflow, { context: { text: "deno" } })
  return TraceJson.encodeToString(result.trace, { indent: 0 })
})

const layer = Layer.merge(WorkflowTracer.layerMemory(), ToolRegistry.layer({ tools: [length] }))
console.log(await Effect.runPromise(program.pipe(Effect.provide(layer))))
