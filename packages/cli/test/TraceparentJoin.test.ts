// A workflow started by a traced service appears inside the service's trace: a parent span started by the
// OpenTelemetry JS SDK, handed over in TRACEPARENT, is the parent of the exported `invoke_workflow` span.
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { quickWorkflow, runVictor, sandbox } from "./setup/runVictor.ts"

interface JsonSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  readonly attributes?: ReadonlyArray<{ readonly key: string; readonly value: { readonly stringValue?: string } }>
}

const spansOf = (file: string): Array<JsonSpan> =>
  readFileSync(file, "utf8").trimEnd().split("\n").flatMap((line) =>
    (JSON.parse(line) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<JsonSpan> }> }> })
      .resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans))
  )

describe("TRACEPARENT from an OpenTelemetry SDK span", () => {
  it("makes the SDK span the parent of invoke_workflow, in the SDK span's trace", () => {
    const sdkSpans = new InMemorySpanExporter()
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(sdkSpans)] })
    const service = provider.getTracer("ci-service").startSpan("ci.job")
    const { spanId, traceId, traceFlags } = service.spanContext()
    // The header exactly as the SDK's W3C propagator writes it.
    const traceparent = `00-${traceId}-${spanId}-0${traceFlags.toString(16)}`

    const { home } = sandbox()
    const workflow = quickWorkflow(home, "joined", "echo \"$TRACEPARENT\"")
    const out = join(home, "run.otlp.json")
    const run = runVictor(["workflow", "trace", workflow, "-o", out], {
      home,
      env: { TRACEPARENT: traceparent }
    })
    service.end()
    expect(run.stderr).not.toContain("TRACEPARENT ignored")
    expect(run.code).toBe(0)

    const spans = spansOf(out)
    const root = spans.find((span) => span.name === "invoke_workflow joined")
    expect(root).toBeDefined()
    expect(root!.traceId).toBe(traceId)
    expect(root!.parentSpanId).toBe(spanId)
    expect(sdkSpans.getFinishedSpans().map((span) => span.spanContext().spanId)).toEqual([spanId])

    // Every Victor span is in the service's trace, and the node's span is the one its shell process was handed.
    expect(spans.every((span) => span.traceId === traceId)).toBe(true)
    const node = spans.find((span) => span.name === "compute step")
    expect(node?.parentSpanId).toBe(root!.spanId)
    const tool = spans.find((span) => span.name === "execute_tool shell")
    const result = tool?.attributes?.find((attribute) => attribute.key === "gen_ai.tool.call.result")
    expect(result?.value.stringValue).toContain(`00-${traceId}-${node!.spanId}-01`)
  })
})
