/**
 * The benchmark's scenarios: each records `n` workflow nodes with one tool call each, the same workload for every
 * recorder, and hands back what it recorded so that the heap it keeps can be measured and its size checked.
 */
import { context, trace } from "@opentelemetry/api"
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as EffectSpans from "@victor/core/EffectSpans"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/** What one run recorded: kept alive while the heap is measured, then checked. */
export interface Recording {
  readonly value: unknown
  /** Throws unless the run recorded all `n` nodes and their tool calls. */
  readonly check: () => void
}

/** One way of recording the workload. */
export interface Scenario {
  readonly name: string
  readonly description: string
  /** Records `nodeIds.length` nodes with one tool call each. */
  readonly run: (nodeIds: ReadonlyArray<string>) => Recording | Promise<Recording>
  /**
   * At most this many timed runs, and one heap run: the rivals are an order of magnitude slower than Victor, so a few
   * runs settle their rank, and the bench stays well under two minutes.
   */
  readonly slow?: boolean
}

// The workload: every scenario records these, so only the recorders differ.
const workflowName = "bench"
const nodeType = "agent"
const toolName = "read_file"
const nodeInputs = { task: "fix bug" }
const nodeOutputs = { analysis: "complete" }
const toolInputs = { path: "file.py" }
const toolOutputs = { content: "def main(): ..." }
const noMetadata = Object.freeze({})

const expect = (what: string, actual: number, expected: number): void => {
  if (actual !== expected) throw new Error(`${what}: expected ${expected}, got ${actual}`)
}

/** The minimum any tracer must do: a plain node record holding one plain tool-call record, pushed into an array. */
export const floor: Scenario = {
  name: "floor",
  description: "plain objects pushed into an array (node record + tool-call record, Date.now/performance.now)",
  run: (nodeIds) => {
    const nodes: Array<unknown> = []
    const origin = Date.now() / 1000 - performance.now() / 1000
    for (const nodeId of nodeIds) {
      const start = performance.now() / 1000
      const toolEnd = performance.now() / 1000
      const toolCall = {
        toolName,
        inputs: toolInputs,
        outputs: toolOutputs,
        durationSeconds: 0.001,
        success: true,
        error: null,
        timestamp: origin + toolEnd - 0.001
      }
      const end = performance.now() / 1000
      nodes.push({
        nodeId,
        nodeType,
        timestamp: origin + start,
        durationSeconds: end - start,
        success: true,
        error: null,
        inputs: nodeInputs,
        outputs: nodeOutputs,
        toolCalls: [toolCall],
        metadata: noMetadata
      })
    }
    return { value: nodes, check: () => expect("nodes", nodes.length, nodeIds.length) }
  }
}

/**
 * A reference, not a rival: the floor plus the execution events Victor's trace model keeps for every node (node
 * started, tool call completed, node completed), as plain objects. What is left between this row and Victor's is
 * the cost of the Effect API and of the tracer's own bookkeeping.
 */
export const floorWithEvents: Scenario = {
  name: "floor + events",
  description: "the floor plus the 3 execution events per node a Victor trace holds, as plain objects",
  run: (nodeIds) => {
    const nodes: Array<unknown> = []
    const events: Array<unknown> = []
    const origin = Date.now() / 1000 - performance.now() / 1000
    for (const nodeId of nodeIds) {
      const start = origin + performance.now() / 1000
      events.push({ eventType: "node_started", timestamp: start, nodeId })
      const toolEnd = origin + performance.now() / 1000
      const toolCall = {
        toolName,
        inputs: toolInputs,
        outputs: toolOutputs,
        durationSeconds: 0.001,
        success: true,
        error: null,
        timestamp: toolEnd - 0.001
      }
      events.push({
        eventType: "tool_call_completed",
        timestamp: toolEnd,
        toolName,
        status: "success",
        durationSeconds: 0.001,
        nodeId
      })
      const end = origin + performance.now() / 1000
      nodes.push({
        nodeId,
        nodeType,
        timestamp: start,
        durationSeconds: end - start,
        success: true,
        error: null,
        inputs: nodeInputs,
        outputs: nodeOutputs,
        toolCalls: [toolCall],
        metadata: noMetadata
      })
      events.push({
        eventType: "node_completed",
        timestamp: end,
        nodeId,
        status: "success",
        durationSeconds: end - start
      })
    }
    const recorded = { nodes, events }
    return { value: recorded, check: () => expect("events", events.length, 3 * nodeIds.length) }
  }
}

const checkTrace = (
  recorded: { readonly nodes: ReadonlyArray<{ readonly toolCalls: ReadonlyArray<unknown> }> },
  n: number
) => () => {
  expect("nodes", recorded.nodes.length, n)
  expect("tool calls", recorded.nodes.reduce((sum, node) => sum + node.toolCalls.length, 0), n)
}

/** Victor's tracer, imperative style: `startNode`, `traceToolCall` (attached to the open node), `endNode`. */
export const victor: Scenario = {
  name: "victor",
  description: "WorkflowTracer (in-memory store): startNode → traceToolCall → endNode, one Effect.runSync",
  run: (nodeIds) => {
    const recorded = Effect.runSync(
      Effect.gen(function*() {
        const tracer = yield* WorkflowTracer.WorkflowTracer
        yield* tracer.startTrace({ workflowName })
        for (const nodeId of nodeIds) {
          yield* tracer.startNode({ nodeId, nodeType, inputs: nodeInputs })
          yield* tracer.traceToolCall({ toolName, inputs: toolInputs, outputs: toolOutputs, durationSeconds: 0.001 })
          yield* tracer.endNode({ outputs: nodeOutputs })
        }
        return yield* tracer.endTrace()
      }).pipe(Effect.provide(WorkflowTracer.layerMemory()))
    )
    return { value: recorded, check: checkTrace(recorded, nodeIds.length) }
  }
}

/** Victor's tracer, structured style: the tool runs inside `withToolCall`, inside `withNode`. */
export const victorWith: Scenario = {
  name: "victor (withNode)",
  description: "WorkflowTracer (in-memory store): withNode(withToolCall(tool)), one Effect.runSync",
  run: (nodeIds) => {
    const tool = Effect.succeed(toolOutputs)
    const toOutputs = () => ({ outputs: nodeOutputs })
    const recorded = Effect.runSync(
      Effect.gen(function*() {
        const tracer = yield* WorkflowTracer.WorkflowTracer
        yield* tracer.startTrace({ workflowName })
        for (const nodeId of nodeIds) {
          yield* tracer.withNode(
            { nodeId, nodeType, inputs: nodeInputs },
            tracer.withToolCall(toolName, toolInputs, tool),
            toOutputs
          )
        }
        return yield* tracer.endTrace()
      }).pipe(Effect.provide(WorkflowTracer.layerMemory()))
    )
    return { value: recorded, check: checkTrace(recorded, nodeIds.length) }
  }
}

// `victor (withNode)` with the Effect span bridge installed (as the CLI runs workflows), and a tool that makes
// `spansPerTool` Effect spans: none shows what the bridge costs a run that makes no span, one what a span costs.
const victorWithBridge = (name: string, spansPerTool: 0 | 1): Scenario => ({
  name,
  description: spansPerTool === 0
    ? "victor (withNode) with EffectSpans.layer installed, tools making no Effect span"
    : "victor (withNode) with EffectSpans.layer, each tool inside one Effect.withSpan (recorded into the trace)",
  run: (nodeIds) => {
    const plain = Effect.succeed(toolOutputs)
    const tool = spansPerTool === 0 ? plain : Effect.withSpan(plain, "db.query", { attributes: { "db.rows": 1 } })
    const toOutputs = () => ({ outputs: nodeOutputs })
    const recorded = Effect.runSync(
      Effect.gen(function*() {
        const tracer = yield* WorkflowTracer.WorkflowTracer
        yield* tracer.startTrace({ workflowName })
        for (const nodeId of nodeIds) {
          yield* tracer.withNode(
            { nodeId, nodeType, inputs: nodeInputs },
            tracer.withToolCall(toolName, toolInputs, tool),
            toOutputs
          )
        }
        return yield* tracer.endTrace()
      }).pipe(Effect.provide(Layer.merge(WorkflowTracer.layerMemory(), EffectSpans.layer)))
    )
    return {
      value: recorded,
      check: () => {
        checkTrace(recorded, nodeIds.length)()
        const spans = recorded.nodes.reduce((sum, node) => sum + (node.toolCalls[0]?.spans?.length ?? 0), 0)
        expect("Effect spans", spans, spansPerTool * nodeIds.length)
      }
    }
  }
})

/** `victor (withNode)` with `EffectSpans.layer` installed and no span made: the bridge's cost when unused. */
export const victorBridge: Scenario = victorWithBridge("victor (withNode) + EffectSpans", 0)

/** The same with one Effect span per tool call, recorded into the trace. */
export const victorBridgeSpan: Scenario = victorWithBridge("victor (withNode) + 1 Effect span", 1)

/** The OpenTelemetry JS SDK: a span per node and a child span per tool call, exported to memory as they end. */
export const otel: Scenario = {
  name: "otel",
  description: "OpenTelemetry SDK: BasicTracerProvider + SimpleSpanProcessor + InMemorySpanExporter, 2 spans/node" +
    " (timed until forceFlush settles)",
  slow: true,
  run: async (nodeIds) => {
    const exporter = new InMemorySpanExporter()
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
    const tracer = provider.getTracer(workflowName)
    for (const nodeId of nodeIds) {
      const node = tracer.startSpan(nodeId, { attributes: { "victor.node.id": nodeId, "victor.node.type": nodeType } })
      const tool = tracer.startSpan(
        toolName,
        { attributes: { "victor.tool.name": toolName, "victor.tool.duration_seconds": 0.001 } },
        trace.setSpan(context.active(), node)
      )
      tool.setAttribute("victor.tool.success", true)
      tool.end()
      node.setAttribute("victor.node.success", true)
      node.end()
    }
    // The simple processor hands each span to the exporter as it ends; the run is over when every export settled.
    await provider.forceFlush()
    const spans = exporter.getFinishedSpans()
    return { value: spans, check: () => expect("spans", spans.length, 2 * nodeIds.length) }
  }
}

/** Effect's own spans: `Effect.withSpan` for the node around `Effect.withSpan` for the tool, default tracer. */
export const withSpan: Scenario = {
  name: "Effect.withSpan",
  description: "Effect.withSpan(node) around Effect.withSpan(tool), Effect's default tracer, one Effect.runSync" +
    " (the default tracer keeps no spans: nothing to weigh)",
  slow: true,
  run: (nodeIds) => {
    const tool = Effect.succeed(toolOutputs)
    const count = Effect.runSync(
      Effect.gen(function*() {
        let spans = 0
        for (const nodeId of nodeIds) {
          yield* Effect.withSpan(
            Effect.withSpan(tool, toolName, { attributes: { "victor.tool.name": toolName } }),
            nodeId,
            { attributes: { "victor.node.id": nodeId, "victor.node.type": nodeType } }
          )
          spans += 2
        }
        return spans
      })
    )
    // The default tracer keeps no finished spans, so there is nothing to hold on to but the count.
    return { value: count, check: () => expect("spans", count, 2 * nodeIds.length) }
  }
}

/** Every scenario, in table order; the first is the floor the others are compared with. */
export const all: ReadonlyArray<Scenario> = [
  floor,
  floorWithEvents,
  victor,
  victorWith,
  victorBridge,
  victorBridgeSpan,
  otel,
  withSpan
]
