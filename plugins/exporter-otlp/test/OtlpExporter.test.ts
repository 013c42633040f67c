import { describe, expect, it, layer } from "@effect/vitest"
import { sampleTrace } from "@victor/core/testing/TraceStoreContract"
import * as ExporterRegistry from "@victor/core/ExporterRegistry"
import * as TraceContext from "@victor/core/TraceContext"
import * as TraceStore from "@victor/core/TraceStore"
import type { NodeTraceRecord, WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as Exporter from "@victor/core/Exporter"
import * as OtlpExporter from "@victor/exporter-otlp/OtlpExporter"
import * as OtlpSpans from "@victor/exporter-otlp/OtlpSpans"
import * as AgentProvider from "@victor/workflow/AgentProvider"
import * as ToolRegistry from "@victor/workflow/ToolRegistry"
import * as WorkflowExecutor from "@victor/workflow/WorkflowExecutor"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { decode, type DecodedSpan } from "./otlpProto.ts"

const lines = (...text: ReadonlyArray<string>) => text.join("\n") + "\n"

// A parallel node with two children that call tools, an agent with two model calls (and a tool call between them),
// a sub-workflow, and a node that fails and so fails the run.
const source = lines(
  "workflows:",
  "  main:",
  "    nodes:",
  "      - { id: prepare, type: transform, transform: \"topic = 'otlp'\" }",
  "      - id: fan",
  "        type: parallel",
  "        parallel_nodes: [left, right]",
  "      - id: left",
  "        type: compute",
  "        tools: [lookup, note]",
  "        inputs: { lookup: { key: l }, note: { text: from-left } }",
  "      - id: right",
  "        type: compute",
  "        tools: [lookup]",
  "        inputs: { key: r }",
  "      - id: writer",
  "        role: a writer",
  "        goal: Write about {topic}",
  "        tools: [lookup]",
  "      - id: sub",
  "        type: workflow",
  "        workflow: child",
  "      - id: broken",
  "        type: compute",
  "        tools: [explode]",
  "  child:",
  "    nodes:",
  "      - { id: work, type: transform, transform: \"x = 1\" }"
)

const script = Schema.decodeUnknownSync(AgentProvider.Script)({
  writer: [
    { tool_calls: [{ name: "lookup", arguments: { key: "w" } }], model: "m-large", usage: { input_tokens: 120, output_tokens: 9 } },
    { response: "All about otlp.", model: "m-large", usage: { input_tokens: 300, output_tokens: 7 } }
  ]
})

const tool = (
  name: string,
  run: (inputs: Record<string, unknown>) => Effect.Effect<Record<string, unknown>, ToolRegistry.ToolError>
): ToolRegistry.Tool => ({ name, description: name, run: run as ToolRegistry.Tool["run"] })

// `lookup` returns the TRACEPARENT a process it started would get, to compare with the exported span ids.
const tools = [
  tool("lookup", (inputs) =>
    Effect.map(FiberRef.get(ToolRegistry.currentEnvironment), (env) => ({
      value: `v-${String(inputs["key"])}`,
      traceparent: env["TRACEPARENT"] ?? null
    }))),
  tool("note", (inputs) => Effect.succeed({ noted: inputs["text"] ?? null })),
  tool("explode", () => Effect.fail(new ToolRegistry.ToolError({ reason: "Failed", tool: "explode", description: "boom" })))
]

const RunLayer = Layer.merge(ToolRegistry.layer({ tools }), WorkflowTracer.layerMemory())

/** Runs the workflow (with a fresh script); returns the main trace and the sub-workflow's. */
const run = Effect.gen(function*() {
  const workflow = yield* WorkflowLoader.parse(source, "otlp.yaml", { workflow: "main" })
  const result = yield* WorkflowExecutor.execute(workflow, { context: { secret_free: true } }).pipe(
    Effect.provide(AgentProvider.layerScripted(script))
  )
  const sub = result.trace.nodes.find((node) => node.nodeId === "sub")!
  const child = yield* (yield* TraceStore.TraceStore).get(sub.metadata["child_trace_id"] as string)
  return { trace: result.trace, child }
})

const micros = (nanos: bigint): number => Number(nanos / 1000n)
const toMicros = (seconds: number): number => Math.round(seconds * 1e6)
const only = <A>(items: ReadonlyArray<A>, what: string): A => {
  expect(items, what).toHaveLength(1)
  return items[0]!
}
const named = (spans: ReadonlyArray<DecodedSpan>, name: string) => only(spans.filter((s) => s.name === name), name)
const nodeSpan = (spans: ReadonlyArray<DecodedSpan>, nodeId: string) =>
  only(spans.filter((s) => s.attributes["victor.node.id"] === nodeId), nodeId)
const childrenOf = (spans: ReadonlyArray<DecodedSpan>, parent: DecodedSpan) =>
  spans.filter((s) => s.parentSpanId === parent.spanId)

const collect = (stream: Stream.Stream<Uint8Array, unknown>) =>
  Effect.map(Stream.runCollect(stream), (chunks) => Chunk.toReadonlyArray(chunks))

const text = (chunks: ReadonlyArray<Uint8Array>): string => {
  const decoder = new TextDecoder()
  return chunks.map((chunk) => decoder.decode(chunk, { stream: true })).join("") + decoder.decode()
}

layer(RunLayer, { excludeTestServices: true })("OTLP protobuf of an executed workflow", (it) => {
  it.effect("nests spans where they ran: parallel children under their parallel node, calls under their nodes", () =>
    Effect.gen(function*() {
      const { trace } = yield* run
      expect(trace.status).toBe("failed")
      const { spans, scope } = decode(OtlpExporter.encodeProtobuf(trace))
      expect(scope).toEqual({ name: "@victor/exporter-otlp", version: "0.1.0" })

      const root = named(spans, "invoke_workflow main")
      expect(root.parentSpanId).toBe("")
      expect(root.traceId).toBe(TraceContext.traceIdOf(trace.traceId))
      expect(root.spanId).toBe(OtlpSpans.rootSpanIdOf(trace.traceId))
      for (const span of spans) expect(span.traceId).toBe(root.traceId)
      expect(new Set(spans.map((s) => s.spanId)).size).toBe(spans.length)

      expect(childrenOf(spans, root).map((s) => s.name).sort()).toEqual(
        ["compute broken", "invoke_agent writer", "parallel fan", "transform prepare", "workflow sub"]
      )
      const fan = nodeSpan(spans, "fan")
      expect(childrenOf(spans, fan).map((s) => s.name).sort()).toEqual(["compute left", "compute right"])
      const left = nodeSpan(spans, "left")
      expect(childrenOf(spans, left).map((s) => s.name)).toEqual(["execute_tool lookup", "execute_tool note"])
      expect(childrenOf(spans, nodeSpan(spans, "right")).map((s) => s.name)).toEqual(["execute_tool lookup"])
      const writer = nodeSpan(spans, "writer")
      expect(childrenOf(spans, writer).map((s) => s.name)).toEqual(
        ["chat m-large", "chat m-large", "execute_tool lookup"]
      )
      // The run, 7 node records, the children's 3 tool calls, the agent's 2 model calls and 1 tool call, and the
      // failing tool call.
      expect(spans).toHaveLength(1 + 7 + 3 + 3 + 1)
      expect(spans.map((s) => s.kind)).toEqual(
        spans.map((s) => (s.name.startsWith("chat ") ? 3 : 1)) // CLIENT for model calls, INTERNAL otherwise
      )
    }))

  it.effect("gives node spans the span ids the executor hands a node's processes in TRACEPARENT", () =>
    Effect.gen(function*() {
      const { trace } = yield* run
      const { spans } = decode(OtlpExporter.encodeProtobuf(trace))
      for (const nodeId of ["left", "right", "writer"]) {
        const record = trace.nodes.find((node) => node.nodeId === nodeId)!
        const traceparents = record.toolCalls.filter((call) => call.toolName === "lookup").map((call) =>
          call.outputs["traceparent"]
        )
        expect(traceparents.length).toBeGreaterThan(0)
        const span = nodeSpan(spans, nodeId)
        for (const header of traceparents) {
          expect(header).toBe(`00-${span.traceId}-${span.spanId}-01`)
        }
        expect(span.spanId).toBe(TraceContext.spanIdOf(trace.traceId, nodeId, 1, 1))
      }
    }))

  it.effect("records GenAI attributes on agent, model-call and tool-call spans", () =>
    Effect.gen(function*() {
      const { trace } = yield* run
      const { spans } = decode(OtlpExporter.encodeProtobuf(trace))
      expect(nodeSpan(spans, "writer").attributes).toMatchObject({
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "writer",
        "gen_ai.provider.name": "scripted",
        "victor.node.type": "agent",
        "victor.iteration": 1,
        "victor.status": "succeeded"
      })
      const chats = spans.filter((s) => s.name === "chat m-large")
      expect(chats.map((s) => s.attributes)).toEqual([
        expect.objectContaining({
          "gen_ai.operation.name": "chat",
          "gen_ai.provider.name": "scripted",
          "gen_ai.request.model": "m-large",
          "gen_ai.usage.input_tokens": 120,
          "gen_ai.usage.output_tokens": 9,
          "gen_ai.response.finish_reasons": ["tool_calls"],
          "victor.turn": 1
        }),
        expect.objectContaining({
          "gen_ai.usage.input_tokens": 300,
          "gen_ai.usage.output_tokens": 7,
          "gen_ai.response.finish_reasons": ["stop"],
          "victor.turn": 2
        })
      ])
      // The model calls are timed by their events: the tool call ran between them.
      const tool = childrenOf(spans, nodeSpan(spans, "writer")).find((s) => s.name === "execute_tool lookup")!
      expect(chats[0]!.endTimeUnixNano <= tool.startTimeUnixNano).toBe(true)
      expect(tool.endTimeUnixNano <= chats[1]!.startTimeUnixNano + 1000n).toBe(true)
      const events = trace.events.filter((e) => e.eventType === "model_call_completed")
      expect(chats.map((s) => micros(s.endTimeUnixNano))).toEqual(events.map((e) => toMicros(e.timestamp)))

      expect(tool.attributes).toMatchObject({
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "lookup",
        "gen_ai.tool.type": "function",
        "gen_ai.tool.call.id": "writer-1-1",
        "gen_ai.tool.call.arguments": JSON.stringify({ key: "w" })
      })
      // A compute node's tool call was asked for by no model: it has no call id.
      const computed = childrenOf(spans, nodeSpan(spans, "left"))
      expect(computed.map((s) => s.attributes["gen_ai.tool.call.id"])).toEqual([undefined, undefined])
      expect(JSON.parse(tool.attributes["gen_ai.tool.call.result"] as string)).toMatchObject({ value: "v-w" })
      expect(nodeSpan(spans, "left").attributes).toMatchObject({ "victor.node.id": "left", "victor.node.type": "compute" })
      expect(nodeSpan(spans, "left").attributes).not.toHaveProperty("gen_ai.operation.name")
    }))

  it.effect("carries the trace's timestamps to the microsecond", () =>
    Effect.gen(function*() {
      const { trace } = yield* run
      const { spans } = decode(OtlpExporter.encodeProtobuf(trace))
      const root = named(spans, "invoke_workflow main")
      expect(micros(root.startTimeUnixNano)).toBe(toMicros(trace.startTime))
      expect(micros(root.endTimeUnixNano)).toBe(toMicros(trace.endTime!))
      for (const record of trace.nodes) {
        const span = nodeSpan(spans, record.nodeId)
        expect(span.startTimeUnixNano % 1000n).toBe(0n)
        expect(micros(span.startTimeUnixNano)).toBe(toMicros(record.timestamp))
        expect(micros(span.endTimeUnixNano)).toBe(toMicros(record.timestamp + record.durationSeconds))
        const tools = childrenOf(spans, span).filter((s) => s.name.startsWith("execute_tool "))
        expect(tools).toHaveLength(record.toolCalls.length)
        record.toolCalls.forEach((call, k) => {
          expect(micros(tools[k]!.startTimeUnixNano)).toBe(toMicros(call.timestamp))
          expect(micros(tools[k]!.endTimeUnixNano)).toBe(toMicros(call.timestamp + call.durationSeconds))
        })
      }
    }))

  it.effect("marks failures: ERROR status, error.type and an exception event, up to the run", () =>
    Effect.gen(function*() {
      const { trace } = yield* run
      const { spans } = decode(OtlpExporter.encodeProtobuf(trace))
      const broken = nodeSpan(spans, "broken")
      const record = trace.nodes.find((node) => node.nodeId === "broken")!
      expect(broken.status).toEqual({ code: 2, message: record.error })
      expect(broken.attributes).toMatchObject({ "error.type": "_OTHER", "victor.status": "failed" })
      expect(broken.events).toEqual([
        { name: "exception", timeUnixNano: broken.endTimeUnixNano, attributes: { "exception.message": record.error } }
      ])
      const explode = only(childrenOf(spans, broken), "explode")
      expect(explode.name).toBe("execute_tool explode")
      expect(explode.status).toEqual({ code: 2, message: "boom" })
      expect(explode.events[0]!.attributes).toEqual({ "exception.message": "boom" })
      const root = named(spans, "invoke_workflow main")
      expect(root.status).toEqual({ code: 2, message: trace.error })
      expect(root.attributes).toMatchObject({ "victor.status": "failed", "error.type": "_OTHER" })
      expect(root.events.map((e) => e.name)).toEqual(["exception"])
      // Succeeded spans keep the default (unset) status.
      expect(nodeSpan(spans, "left").status).toEqual({ code: 0, message: "" })
      expect(nodeSpan(spans, "left").events).toEqual([])
    }))

  it.effect("joins a sub-workflow's spans to its parent's trace, under the workflow node", () =>
    Effect.gen(function*() {
      const { trace, child } = yield* run
      const parent = decode(OtlpExporter.encodeProtobuf(trace)).spans
      const spans = decode(OtlpExporter.encodeProtobuf(child)).spans
      const node = nodeSpan(parent, "sub")
      expect(node.attributes["victor.child_trace_id"]).toBe(child.traceId)
      const root = named(spans, "invoke_workflow child")
      expect(root.traceId).toBe(node.traceId)
      expect(root.parentSpanId).toBe(node.spanId)
      expect(root.attributes).toMatchObject({ "victor.trace_id": child.traceId, "victor.parent_trace_id": trace.traceId })
      expect(nodeSpan(spans, "work").parentSpanId).toBe(root.spanId)
      for (const span of spans) expect(span.traceId).toBe(node.traceId)
    }))

  it.effect("is deterministic: the same trace gives the same bytes", () =>
    Effect.gen(function*() {
      const { trace } = yield* run
      expect(OtlpExporter.encodeProtobuf(trace)).toEqual(OtlpExporter.encodeProtobuf(structuredClone(trace)))
      expect(OtlpExporter.encodeJson(trace)).toEqual(OtlpExporter.encodeJson(trace))
    }))

  it.effect("writes OTLP/JSON Lines: an ExportTraceServiceRequest per line, the same spans as protobuf", () =>
    Effect.gen(function*() {
      const { trace } = yield* run
      const expected = decode(OtlpExporter.encodeProtobuf(trace)).spans
      for (const spansPerLine of [1000, 3]) {
        const output = text(yield* collect(OtlpExporter.make({ spansPerLine }).export(trace)))
        expect(output.endsWith("\n")).toBe(true)
        const requests = output.trimEnd().split("\n").map((line) => JSON.parse(line))
        if (spansPerLine === 1000) expect(requests).toHaveLength(1)
        else expect(requests.length).toBeGreaterThan(3)
        const spans = requests.flatMap((request) => {
          expect(Object.keys(request)).toEqual(["resourceSpans"])
          expect(request.resourceSpans[0].resource.attributes).toContainEqual({
            key: "service.name",
            value: { stringValue: "victor" }
          })
          return request.resourceSpans[0].scopeSpans[0].spans
        })
        expect(spans.map((s: any) => [s.traceId, s.spanId, s.parentSpanId ?? "", s.name])).toEqual(
          expected.map((s) => [s.traceId, s.spanId, s.parentSpanId, s.name])
        )
        expect(spans.map((s: any) => BigInt(s.startTimeUnixNano))).toEqual(expected.map((s) => s.startTimeUnixNano))
      }
    }))
})

// ---------------------------------------------------------------------------------------------------------------

const node = (overrides: Partial<NodeTraceRecord>): NodeTraceRecord => ({
  nodeId: "n",
  nodeType: "compute",
  timestamp: 1_700_000_000.25,
  durationSeconds: 0.5,
  success: true,
  error: null,
  inputs: {},
  outputs: {},
  toolCalls: [],
  metadata: { iteration: 1 },
  ...overrides
})

const spansOf = (trace: WorkflowTrace, options?: OtlpSpans.Options) =>
  decode(OtlpExporter.encodeProtobuf(trace, options)).spans

describe("OtlpExporter", () => {
  it("describes itself as the otlp format with the otlp.json extension", () => {
    expect(OtlpExporter.make()).toMatchObject({ name: "otlp", fileExtension: "otlp.json" })
    // A plain .json stays the json exporter's, whatever the order of registration.
    const json = Exporter.make({
      name: "json",
      fileExtension: "json",
      mediaType: "application/json",
      description: "json",
      export: () => Stream.empty
    })
    for (const exporters of [[json, OtlpExporter.make()], [OtlpExporter.make(), json]]) {
      const registry = ExporterRegistry.make(exporters)
      expect(Option.map(registry.forPath("trace.json"), (e) => e.name)).toEqual(Option.some("json"))
    }
  })

  it("joins the caller's trace when the trace has a W3C trace_parent", () => {
    const caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    const trace = sampleTrace({ traceParent: caller })
    const spans = spansOf(trace)
    expect(spans[0]!.traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736")
    expect(spans[0]!.parentSpanId).toBe("00f067aa0ba902b7")
    expect(spans[1]!.parentSpanId).toBe(spans[0]!.spanId)
    for (const span of spans) expect(span.traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736")
    // The caller's span is remote: OTLP span flags 0x100 (has is-remote) | 0x200 (is remote) | sampled.
    const json = JSON.parse(new TextDecoder().decode(OtlpExporter.encodeJson(trace)))
    const [root, child] = json.resourceSpans[0].scopeSpans[0].spans
    expect(root.flags).toBe(0x301)
    expect(child.flags).toBe(0x101)
    // A trace_parent that is not a W3C traceparent is ignored.
    const own = spansOf(sampleTrace({ traceParent: "free-form" }))
    expect(own[0]!.traceId).toBe(TraceContext.traceIdOf("trace-1"))
    expect(own[0]!.parentSpanId).toBe("")
  })

  it("sets the resource from the options", () => {
    const decoded = decode(
      OtlpExporter.encodeProtobuf(sampleTrace(), {
        serviceName: "nightly",
        resourceAttributes: { "deployment.environment.name": "ci", "service.name": "ignored" }
      })
    )
    expect(decoded.resource).toEqual({ "deployment.environment.name": "ci", "service.name": "nightly" })
    expect(decode(OtlpExporter.encodeProtobuf(sampleTrace())).resource).toEqual({ "service.name": "victor" })
  })

  it("marks cancelled and incomplete runs, and unfinished nodes", () => {
    const cancelled = spansOf(sampleTrace({ status: "cancelled", error: "cancelled" }))
    expect(cancelled[0]!.status).toEqual({ code: 2, message: "cancelled" })
    expect(cancelled[0]!.attributes).toMatchObject({ "error.type": "cancelled", "victor.status": "cancelled" })

    const trace = sampleTrace({
      status: "incomplete",
      endTime: null,
      error: "the run stopped before it finished (recovered from its journal)",
      nodes: [
        node({ nodeId: "a", durationSeconds: 1 }),
        node({
          nodeId: "b",
          timestamp: 1_700_000_001.5,
          durationSeconds: 2,
          success: false,
          error: "the run stopped before this node finished",
          metadata: { unfinished: true }
        }),
        node({ nodeId: "c", success: false, error: "cancelled", durationSeconds: 0.1 })
      ]
    })
    const spans = spansOf(trace)
    expect(spans[0]!.attributes).toMatchObject({ "error.type": "incomplete", "victor.status": "incomplete" })
    expect(spans[0]!.status.code).toBe(2)
    // Without an end time, the run ends where its last node did.
    expect(micros(spans[0]!.endTimeUnixNano)).toBe(toMicros(1_700_000_003.5))
    expect(spans.find((s) => s.name === "compute b")!.attributes).toMatchObject({
      "error.type": "incomplete",
      "victor.status": "incomplete"
    })
    expect(spans.find((s) => s.name === "compute c")!.attributes).toMatchObject({
      "error.type": "cancelled",
      "victor.status": "cancelled"
    })
    expect(spans.find((s) => s.name === "compute a")!.attributes).not.toHaveProperty("error.type")
  })

  it("cuts payloads and other strings to maxAttributeLength, and leaves payloads out on request", () => {
    const long = "x".repeat(50)
    const trace = sampleTrace({
      nodes: [node({
        nodeId: "n",
        inputs: { text: long },
        outputs: { emoji: "😀😀😀" },
        success: false,
        error: long,
        toolCalls: [{
          toolName: "t",
          inputs: { q: long },
          outputs: { a: 1 },
          durationSeconds: 0.1,
          success: true,
          error: null,
          timestamp: 1_700_000_000.3
        }]
      })]
    })
    const [, nodeSpan, toolSpan] = spansOf(trace, { maxAttributeLength: 12 })
    expect(nodeSpan!.attributes["victor.node.inputs"]).toBe(JSON.stringify({ text: long }).slice(0, 12))
    // Never half a surrogate pair: `{"emoji":"😀` is 11 code units and the next emoji would end at 13.
    expect(nodeSpan!.attributes["victor.node.outputs"]).toBe("{\"emoji\":\"😀")
    expect(nodeSpan!.status.message).toBe(long.slice(0, 12))
    expect(nodeSpan!.events[0]!.attributes["exception.message"]).toBe(long.slice(0, 12))
    expect(toolSpan!.attributes["gen_ai.tool.call.arguments"]).toBe(JSON.stringify({ q: long }).slice(0, 12))
    expect(toolSpan!.attributes["gen_ai.tool.call.result"]).toBe("{\"a\":1}")

    const whole = spansOf(trace, { maxAttributeLength: Infinity })
    expect(whole[1]!.attributes["victor.node.inputs"]).toBe(JSON.stringify({ text: long }))
    expect(spansOf(trace)[1]!.attributes["victor.node.inputs"]).toBe(JSON.stringify({ text: long }))

    const bare = spansOf(trace, { payloads: false })
    for (const span of bare) {
      expect(Object.keys(span.attributes).filter((key) => /inputs|outputs|arguments|result/.test(key))).toEqual([])
    }
    expect(bare[1]!.status.message).toBe(long)
  })

  it("nests by metadata.parent_node_id too, and tells repeated records apart", () => {
    const trace = sampleTrace({
      nodes: [
        node({ nodeId: "inner", timestamp: 1_700_000_000.3, durationSeconds: 0.1, metadata: { parent_node_id: "outer" } }),
        node({ nodeId: "outer", timestamp: 1_700_000_000.2, durationSeconds: 1 }),
        node({ nodeId: "twice", timestamp: 1_700_000_002 }),
        node({ nodeId: "twice", timestamp: 1_700_000_003 })
      ]
    })
    const spans = spansOf(trace)
    expect(spans.find((s) => s.name === "compute inner")!.parentSpanId).toBe(
      spans.find((s) => s.name === "compute outer")!.spanId
    )
    const twice = spans.filter((s) => s.name === "compute twice")
    expect(twice).toHaveLength(2)
    expect(twice[0]!.spanId).toBe(TraceContext.spanIdOf("trace-1", "twice", 1, 1))
    expect(twice[1]!.spanId).not.toBe(twice[0]!.spanId)
  })

  it("computes node span ids exactly as TraceContext.spanIdOf, whatever the ids and numbers", () => {
    const cases: ReadonlyArray<readonly [string, number, number]> = [
      ["a", 1, 1],
      ["ünïcode-😀-节点", 1, 1],
      ["x".repeat(300), 2, 1],
      ["loop", 12, 1],
      ["retry", 1, 3],
      ["both", 10, 10],
      ["", 1, 1]
    ]
    for (const traceId of ["trace-1", "0af76519-16cd-43dd-8448-eb211c80319c", "ü"]) {
      const trace = sampleTrace({
        traceId,
        nodes: cases.map(([nodeId, iteration, attempt]) => node({ nodeId, metadata: { iteration, attempt } }))
      })
      const spans = spansOf(trace).slice(1)
      expect(spans.map((s) => s.spanId)).toEqual(
        cases.map(([nodeId, iteration, attempt]) => TraceContext.spanIdOf(traceId, nodeId, iteration, attempt))
      )
    }
  })

  it.effect("streams a large trace in bounded lines, computing nothing until pulled", () =>
    Effect.gen(function*() {
      const count = 20_000
      const nodes = Array.from({ length: count }, (_, i) =>
        node({
          nodeId: `node_${i}`,
          timestamp: 1_700_000_000 + i / 1000,
          durationSeconds: 0.0005,
          toolCalls: [{
            toolName: "t",
            inputs: { i },
            outputs: { ok: true },
            durationSeconds: 0.0001,
            success: true,
            error: null,
            timestamp: 1_700_000_000 + i / 1000 + 0.0001
          }]
        }))
      let reads = 0
      const base = sampleTrace({ nodes, events: [] })
      const trace = { ...base, get nodes() {
        reads += 1
        return base.nodes
      } } as WorkflowTrace
      const stream = OtlpExporter.make().export(trace)
      expect(reads).toBe(0)
      const chunks = yield* collect(stream)
      expect(reads).toBeGreaterThan(0)
      expect(chunks.length).toBeGreaterThanOrEqual(40)
      let spans = 0
      for (const chunk of chunks) {
        const request = JSON.parse(new TextDecoder().decode(chunk))
        const lineSpans = request.resourceSpans[0].scopeSpans[0].spans.length
        // Up to 1000 spans a line, and a node's spans (here two) never split.
        expect(lineSpans).toBeLessThanOrEqual(1001)
        spans += lineSpans
      }
      expect(spans).toBe(1 + 2 * count)
    }), 60_000)
})
