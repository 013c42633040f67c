/**
 * OTLP encoding benchmark (`pnpm bench:otlp`), one process, run bundled as `victor` ships
 * (`node bench/bundled.mjs bench/otlp.ts`). The workload is a 100,000-node trace, each node with one tool call:
 * 200,001 spans with their GenAI and `victor.*` attributes and JSON payloads, as one OTLP protobuf
 * `ExportTraceServiceRequest`.
 *
 * (a) Encoding, the comparison:
 *   - `victor`: `OtlpExporter.encodeProtobuf(trace)` from a stored trace, the whole way: nesting, W3C ids,
 *     attributes, payload JSON, then `@opentelemetry/otlp-transformer`'s `ProtobufTraceSerializer`;
 *   - `otel sdk`: the same spans, recorded beforehand (not timed) by `@opentelemetry/sdk-trace-base`'s tracer with
 *     the same names, kinds, times, attributes, statuses, parents and resource, then
 *     `ProtobufTraceSerializer.serializeRequest(spans)`: what the SDK's OTLP proto exporter does with the spans a
 *     processor hands it.
 *   Victor runs the SDK's serializer too, after building the spans, so it cannot be faster than the serializer
 *   alone: two more rows split its time.
 * (b) From a run to OTLP bytes: Victor recording the run with `WorkflowTracer` (startNode, traceToolCall, endNode,
 *   in-memory store) then encoding it, against the SDK tracer recording the same spans as an instrumented program
 *   would (attributes and JSON payloads set while recording) then serializing them.
 *
 * Every row alternates with its rival, after warm-up runs; the tables give the median wall time, the median CPU time
 * (user + system of the process, GC threads included: steadier than wall time on a busy machine), and the ratio of
 * the wall medians.
 *
 * Options: `--nodes N` (default 100000), `--reps N` (timed runs of each, default 5), `--warmup N` (default 1),
 * `--only a|b`, `--check` (exit 1 when Victor is slower in (b), or in (a) by more than `--max-ratio`, default 1).
 * Environment: BENCH_NODES, BENCH_REPS, BENCH_WARMUP.
 */
import * as api from "@opentelemetry/api"
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer"
import { resourceFromAttributes } from "@opentelemetry/resources"
import { BasicTracerProvider, type ReadableSpan, type SpanProcessor } from "@opentelemetry/sdk-trace-base"
import type { NodeTraceRecord, WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as OtlpExporter from "@victor/exporter-otlp/OtlpExporter"
import * as OtlpSpans from "@victor/exporter-otlp/OtlpSpans"
import * as Effect from "effect/Effect"

const argument = (name: string, env: string, fallback: string): string => {
  const at = process.argv.indexOf(`--${name}`)
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : process.env[env] ?? fallback
}
const nodes = Number(argument("nodes", "BENCH_NODES", "100000"))
const reps = Number(argument("reps", "BENCH_REPS", "5"))
const warmup = Number(argument("warmup", "BENCH_WARMUP", "1"))
const only = argument("only", "BENCH_ONLY", "ab")
const maxRatio = Number(argument("max-ratio", "BENCH_MAX_RATIO", "1"))
const check = process.argv.includes("--check")

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

// The workload's payloads: the same objects for every node, as in `pnpm bench`.
const nodeType = "compute"
const toolName = "read"
const toolOutputs = { lines: 42, content: "export const x = 1\n" }
const nodeOutputs = { read: toolOutputs }
const pathOf = (i: number) => `src/file_${i}.ts`

/** A stored trace of `count` compute nodes, each with one tool call, as the executor records them. */
const makeTrace = (count: number): WorkflowTrace => {
  const start = 1_750_000_000.123456
  const records: Array<NodeTraceRecord> = []
  for (let i = 0; i < count; i++) {
    const at = start + i * 0.001
    records.push({
      nodeId: `n${i}`,
      nodeType,
      timestamp: at,
      durationSeconds: 0.0008,
      success: true,
      error: null,
      inputs: { path: pathOf(i) },
      outputs: nodeOutputs,
      toolCalls: [{
        toolName,
        inputs: { path: pathOf(i) },
        outputs: toolOutputs,
        durationSeconds: 0.0005,
        success: true,
        error: null,
        timestamp: at + 0.0001
      }],
      metadata: { iteration: 1 }
    })
  }
  const end = start + count * 0.001
  return {
    schemaVersion: 1,
    traceId: "0af76519-16cd-43dd-8448-eb211c80319c",
    workflowName: "bench",
    status: "succeeded",
    startTime: start,
    endTime: end,
    durationSeconds: end - start,
    error: null,
    inputs: { count },
    outputs: { done: true },
    metadata: {},
    parentTraceId: null,
    traceParent: null,
    nodes: records,
    events: []
  }
}

/** An SDK tracer whose processor keeps every ended span, as a batch processor would hand them to the exporter. */
const sdkTracer = () => {
  const finished: Array<ReadableSpan> = []
  const collect: SpanProcessor = {
    onStart: () => {},
    onEnd: (span) => {
      finished.push(span)
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve()
  }
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": OtlpSpans.defaultServiceName }),
    spanProcessors: [collect]
  })
  return { tracer: provider.getTracer(OtlpSpans.scope.name, OtlpSpans.scope.version), finished }
}

/** Victor's spans recorded again by the SDK's tracer (same names, kinds, times, attributes, statuses, parents). */
const replayWithSdk = (spans: ReadonlyArray<ReadableSpan>): Array<ReadableSpan> => {
  const { finished, tracer } = sdkTracer()
  const started = new Map<string, api.Span>()
  for (const victor of spans) {
    const parentId = victor.parentSpanContext?.spanId
    const parent = parentId === undefined ? undefined : started.get(parentId)
    const context = parent === undefined ? api.ROOT_CONTEXT : api.trace.setSpan(api.ROOT_CONTEXT, parent)
    const span = tracer.startSpan(
      victor.name,
      { kind: victor.kind, attributes: victor.attributes, startTime: victor.startTime },
      context
    )
    for (const event of victor.events) span.addEvent(event.name, event.attributes ?? {}, event.time)
    if (victor.status.code !== api.SpanStatusCode.UNSET) span.setStatus(victor.status)
    started.set(victor.spanContext().spanId, span)
  }
  // Children end before their parents, as in a run; the list is then put back in Victor's order.
  for (let i = spans.length - 1; i >= 0; i--) started.get(spans[i]!.spanContext().spanId)!.end(spans[i]!.endTime)
  return finished.reverse()
}

/** (b), Victor: the run recorded by `WorkflowTracer`, then encoded. */
const victorRun = (): Uint8Array => {
  const trace = Effect.runSync(
    Effect.gen(function*() {
      const tracer = yield* WorkflowTracer.WorkflowTracer
      yield* tracer.startTrace({ workflowName: "bench", inputs: { count: nodes } })
      for (let i = 0; i < nodes; i++) {
        const path = pathOf(i)
        yield* tracer.startNode({ nodeId: `n${i}`, nodeType, inputs: { path }, metadata: { iteration: 1 } })
        yield* tracer.traceToolCall({ toolName, inputs: { path }, outputs: toolOutputs, durationSeconds: 0.0005 })
        yield* tracer.endNode({ outputs: nodeOutputs })
      }
      return yield* tracer.endTrace({ outputs: { done: true } })
    }).pipe(Effect.provide(WorkflowTracer.layerMemory()))
  )
  return OtlpExporter.encodeProtobuf(trace)
}

/** (b), the SDK: the same spans recorded as an instrumented program would, then serialized. */
const sdkRun = (): Uint8Array => {
  const { finished, tracer } = sdkTracer()
  const root = tracer.startSpan("invoke_workflow bench", {
    attributes: {
      "gen_ai.operation.name": "invoke_workflow",
      "gen_ai.workflow.name": "bench",
      "victor.workflow.name": "bench",
      "victor.trace_id": "0af76519-16cd-43dd-8448-eb211c80319c",
      "victor.workflow.inputs": JSON.stringify({ count: nodes })
    }
  })
  const rootContext = api.trace.setSpan(api.ROOT_CONTEXT, root)
  for (let i = 0; i < nodes; i++) {
    const nodeId = `n${i}`
    const inputs = { path: pathOf(i) }
    const node = tracer.startSpan(`${nodeType} ${nodeId}`, {
      attributes: {
        "victor.node.id": nodeId,
        "victor.node.type": nodeType,
        "victor.iteration": 1,
        "victor.node.inputs": JSON.stringify(inputs)
      }
    }, rootContext)
    const tool = tracer.startSpan(`execute_tool ${toolName}`, {
      attributes: {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": toolName,
        "gen_ai.tool.type": "function",
        "gen_ai.tool.call.arguments": JSON.stringify(inputs)
      }
    }, api.trace.setSpan(rootContext, node))
    tool.setAttribute("gen_ai.tool.call.result", JSON.stringify(toolOutputs))
    tool.end()
    node.setAttribute("victor.status", "succeeded")
    node.setAttribute("victor.node.outputs", JSON.stringify(nodeOutputs))
    node.end()
  }
  root.setAttribute("victor.status", "succeeded")
  root.setAttribute("victor.workflow.outputs", JSON.stringify({ done: true }))
  root.end()
  return ProtobufTraceSerializer.serializeRequest(finished) ?? new Uint8Array(0)
}

interface Timing {
  readonly wall: Array<number>
  readonly cpu: Array<number>
}
const timing = (): Timing => ({ wall: [], cpu: [] })
const cpuNow = () => {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000
}
const timed = <A>(into: Timing | undefined, run: () => A): A => {
  const wall = performance.now()
  const cpu = cpuNow()
  const value = run()
  into?.wall.push(performance.now() - wall)
  into?.cpu.push(cpuNow() - cpu)
  return value
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`
const line = (cells: ReadonlyArray<string>) => `| ${cells.join(" | ")} |`
const header = () => {
  console.log(line(["", "wall ms (median)", "wall range", "CPU ms (median)", "vs otel sdk (wall)", "bytes"]))
  console.log(line(["---", "---:", "---:", "---:", "---:", "---:"]))
}
const row = (label: string, t: Timing, base: Timing | undefined, bytes: number | undefined) =>
  console.log(line([
    label,
    median(t.wall).toFixed(0),
    `${Math.min(...t.wall).toFixed(0)}–${Math.max(...t.wall).toFixed(0)}`,
    median(t.cpu).toFixed(0),
    base === undefined ? "" : `${(median(t.wall) / median(base.wall)).toFixed(2)}×`,
    bytes === undefined ? "" : mib(bytes)
  ]))

console.log(
  `OTLP protobuf of a ${nodes.toLocaleString("en-US")}-node trace (${
    (1 + 2 * nodes).toLocaleString("en-US")
  } spans); ${reps} timed runs of each after ${warmup} warm-up, alternating; Node ${process.version}\n`
)
let failed = false

if (only.includes("a")) {
  const trace = makeTrace(nodes)
  const sdkSpans = replayWithSdk(OtlpSpans.toReadableSpans(trace))
  const victor = timing()
  const sdk = timing()
  const build = timing()
  const serialize = timing()
  let victorBytes = 0
  let sdkBytes = 0
  for (let round = 0; round < warmup + reps; round++) {
    const measured = round >= warmup
    victorBytes = timed(measured ? victor : undefined, () => OtlpExporter.encodeProtobuf(trace)).byteLength
    sdkBytes = timed(measured ? sdk : undefined, () => ProtobufTraceSerializer.serializeRequest(sdkSpans))!.byteLength
    const built = timed(measured ? build : undefined, () => OtlpSpans.toReadableSpans(trace))
    timed(measured ? serialize : undefined, () => ProtobufTraceSerializer.serializeRequest(built))
  }
  console.log("(a) encoding: a stored trace, or spans the SDK recorded beforehand, to OTLP protobuf\n")
  header()
  row("victor: trace → OTLP protobuf", victor, sdk, victorBytes)
  row("otel sdk: recorded spans → OTLP protobuf", sdk, sdk, sdkBytes)
  row("  victor, of which: building the spans", build, undefined, undefined)
  row("  victor, of which: the SDK's serializer", serialize, sdk, undefined)
  const ratio = median(victor.wall) / median(sdk.wall)
  console.log(`\n${ratio <= maxRatio ? "PASS" : "FAIL"}  (a) victor ${ratio.toFixed(2)}× the SDK's exporter (target ≤ ${maxRatio.toFixed(2)}×)\n`)
  failed ||= ratio > maxRatio
}

if (only.includes("b")) {
  const victor = timing()
  const sdk = timing()
  let victorBytes = 0
  let sdkBytes = 0
  for (let round = 0; round < warmup + reps; round++) {
    const measured = round >= warmup
    victorBytes = timed(measured ? victor : undefined, victorRun).byteLength
    sdkBytes = timed(measured ? sdk : undefined, sdkRun).byteLength
  }
  console.log("(b) from a run to OTLP bytes: recording the run, then encoding it\n")
  header()
  row("victor: WorkflowTracer → encodeProtobuf", victor, sdk, victorBytes)
  row("otel sdk: tracer → ProtobufTraceSerializer", sdk, sdk, sdkBytes)
  const ratio = median(victor.wall) / median(sdk.wall)
  console.log(`\n${ratio <= 1 ? "PASS" : "FAIL"}  (b) victor ${ratio.toFixed(2)}× the SDK (target ≤ 1.00×)`)
  failed ||= ratio > 1
}

if (check && failed) process.exitCode = 1
