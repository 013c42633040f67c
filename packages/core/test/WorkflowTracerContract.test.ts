import { describe, expect, it } from "@effect/vitest"
import { testWorkflowTracer } from "@victor/core/testing/WorkflowTracerContract"
import * as TraceHandler from "@victor/core/TraceHandler"
import * as TraceStore from "@victor/core/TraceStore"
import type { WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

// Victor's tracer, on both of its node paths: without trace handlers (the fast path the workflow executor runs) and
// with one (the guarded path).
testWorkflowTracer("layerMemory", () => WorkflowTracer.layerMemory(), { records: true })
testWorkflowTracer(
  "layerMemory with a trace handler",
  () =>
    Layer.merge(
      WorkflowTracer.layerMemory(),
      TraceHandler.layer(TraceHandler.make("quiet", { onEvent: () => Effect.void, onNodeComplete: () => Effect.void }))
    ),
  { records: true }
)
testWorkflowTracer("layer over TraceStore.layerMemory", () => Layer.provide(WorkflowTracer.layer(), TraceStore.layerMemory), {
  records: true
})

testWorkflowTracer("layerNoop", () => WorkflowTracer.layerNoop, { records: false })

// A user's own layers, written against the service as a user would: they implement the recording members only.

interface Counts {
  nodes: number
  toolCalls: number
}

// Decorates the tracer below it (here Victor's): counts nodes and tool calls, and leaves the recording to it.
const countingDecorator = (counts: Counts): Layer.Layer<WorkflowTracer.WorkflowTracer> =>
  Layer.effect(
    WorkflowTracer.WorkflowTracer,
    Effect.map(WorkflowTracer.WorkflowTracer, (inner): WorkflowTracer.WorkflowTracerService => ({
      ...inner,
      withNode: (options, effect, toOutputs) =>
        Effect.zipRight(Effect.sync(() => void counts.nodes++), inner.withNode(options, effect, toOutputs)),
      withToolCall: (toolName, inputs, effect, describeError) =>
        Effect.zipRight(
          Effect.sync(() => void counts.toolCalls++),
          inner.withToolCall(toolName, inputs, effect, describeError)
        )
    }))
  ).pipe(Layer.provide(WorkflowTracer.layerMemory()))

testWorkflowTracer("a user's decorator over layerMemory", () => countingDecorator({ nodes: 0, toolCalls: 0 }), {
  records: true
})

// Built from scratch: counts and records nothing else.
const nothing: WorkflowTrace = {
  schemaVersion: 1,
  traceId: "counted",
  workflowName: "",
  status: "succeeded",
  startTime: 0,
  endTime: 0,
  durationSeconds: 0,
  error: null,
  inputs: {},
  outputs: {},
  metadata: {},
  parentTraceId: null,
  traceParent: null,
  nodes: [],
  events: []
}
const record = (nodeId: string, nodeType: string) => ({
  nodeId,
  nodeType,
  timestamp: 0,
  durationSeconds: 0,
  success: true,
  error: null,
  inputs: {},
  outputs: {},
  toolCalls: [],
  metadata: {}
})
const countingTracer = (counts: Counts): Layer.Layer<WorkflowTracer.WorkflowTracer> =>
  Layer.succeed(WorkflowTracer.WorkflowTracer, {
    startTrace: (options) => Effect.succeed({ traceId: options.traceId ?? "counted", workflowName: options.workflowName }),
    startNode: () => Effect.sync(() => void counts.nodes++),
    endNode: () => Effect.succeed(record("", "")),
    withNode: (_options, effect) => Effect.zipRight(Effect.sync(() => void counts.nodes++), effect),
    traceNode: (options) => Effect.sync(() => (counts.nodes++, record(options.nodeId, options.nodeType))),
    traceToolCall: (options) =>
      Effect.sync(() => (counts.toolCalls++, {
        toolName: options.toolName,
        inputs: {},
        outputs: {},
        durationSeconds: 0,
        success: true,
        error: null,
        timestamp: 0
      })),
    withToolCall: (_toolName, _inputs, effect) => Effect.zipRight(Effect.sync(() => void counts.toolCalls++), effect),
    annotateNode: () => Effect.void,
    recordEvent: () => Effect.void,
    endTrace: () => Effect.succeed(nothing),
    getTrace: Effect.succeed(nothing)
  })

testWorkflowTracer("a user's counting tracer", () => countingTracer({ nodes: 0, toolCalls: 0 }), { records: false })

describe("user-style tracer layers", () => {
  const run = (tracer: WorkflowTracer.WorkflowTracerService) =>
    Effect.gen(function*() {
      yield* tracer.startTrace({ workflowName: "counted" })
      yield* tracer.withNode(
        { nodeId: "a", nodeType: "compute" },
        tracer.withToolCall("ls", {}, Effect.succeed({ files: 1 }))
      )
      yield* tracer.withNode({ nodeId: "b", nodeType: "compute" }, Effect.void)
      return yield* tracer.endTrace()
    })

  it.effect("the decorator counts and Victor's tracer below it records", () => {
    const counts = { nodes: 0, toolCalls: 0 }
    return Effect.gen(function*() {
      const trace = yield* run(yield* WorkflowTracer.WorkflowTracer)
      expect(counts).toEqual({ nodes: 2, toolCalls: 1 })
      expect(trace.nodes.map((n) => [n.nodeId, n.toolCalls.length])).toEqual([["a", 1], ["b", 0]])
    }).pipe(Effect.provide(countingDecorator(counts)))
  })

  it.effect("the counting tracer counts and records nothing", () => {
    const counts = { nodes: 0, toolCalls: 0 }
    return Effect.gen(function*() {
      const trace = yield* run(yield* WorkflowTracer.WorkflowTracer)
      expect(counts).toEqual({ nodes: 2, toolCalls: 1 })
      expect(trace.nodes).toEqual([])
    }).pipe(Effect.provide(countingTracer(counts)))
  })
})
