/**
 * Run with `pnpm --filter @victor/example-custom-tracer-layer start`: traces a small simulated workflow with the
 * handlers of Monitoring.ts installed, over an in-memory store, and prints what they saw.
 */
import * as TraceHandler from "@victor/core/TraceHandler"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import * as Monitoring from "./Monitoring.ts"

/** A simulated workflow: three nodes, one of them slow, calling tools. */
export const simulatedWorkflow = Effect.gen(function*() {
  const tracer = yield* WorkflowTracer.WorkflowTracer
  yield* tracer.startTrace({ workflowName: "monitored", inputs: { task: "fix bug" } })
  const tool = (name: string, millis: number) =>
    tracer.withToolCall(name, { millis }, Effect.as(Effect.sleep(`${millis} millis`), { ok: true }))
  yield* tracer.withNode({ nodeId: "analyze", nodeType: "compute" }, tool("read_file", 5))
  yield* tracer.withNode(
    { nodeId: "fix", nodeType: "compute" },
    Effect.zipRight(tool("read_file", 10), tool("write_file", 1_200))
  )
  yield* tracer.withNode({ nodeId: "verify", nodeType: "compute" }, tool("shell", 20))
  return yield* tracer.endTrace({ outputs: { result: "success" } })
})

/** The program: install the handlers for this run, run it, report. */
export const program = Effect.gen(function*() {
  const slow = yield* Monitoring.slowNodeAlerts(1.0)
  const tools = yield* Monitoring.toolUsage
  const trace = yield* simulatedWorkflow.pipe(TraceHandler.provideMore(slow.handler, tools.handler))
  return { trace, alerts: yield* Ref.get(slow.alerts), usage: yield* Ref.get(tools.usage) }
})

if (import.meta.url === `file://${process.argv[1]}`) {
  const { alerts, trace, usage } = await Effect.runPromise(program.pipe(Effect.provide(WorkflowTracer.layerMemory())))
  console.log(`trace ${trace.traceId}: ${trace.nodes.length} nodes, ${trace.durationSeconds.toFixed(2)}s`)
  for (const alert of alerts) console.log(alert)
  for (const [tool, calls] of usage) console.log(`  ${tool}: ${calls} calls`)
}
