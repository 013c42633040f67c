import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { expect, layer } from "@effect/vitest"
import * as TraceContext from "@victor/core/TraceContext"
import type { NodeTraceRecord, WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as OtlpEndpoint from "@victor/exporter-otlp/OtlpEndpoint"
import * as OtlpExporter from "@victor/exporter-otlp/OtlpExporter"
import * as OtlpPush from "@victor/exporter-otlp/OtlpPush"
import * as OtlpSpans from "@victor/exporter-otlp/OtlpSpans"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { decode, type DecodedSpan } from "./otlpProto.ts"
import * as Receiver from "./receiver.ts"

const node = (overrides: Partial<NodeTraceRecord>): NodeTraceRecord => ({
  nodeId: "n",
  nodeType: "compute",
  timestamp: 1_700_000_001,
  durationSeconds: 0.25,
  success: true,
  error: null,
  inputs: {},
  outputs: {},
  toolCalls: [],
  metadata: { iteration: 1 },
  ...overrides
})

const traceOf = (nodes: ReadonlyArray<NodeTraceRecord>, overrides: Partial<WorkflowTrace> = {}): WorkflowTrace => ({
  schemaVersion: 1,
  traceId: "push-trace",
  workflowName: "push-demo",
  status: "succeeded",
  startTime: 1_700_000_000.123456,
  endTime: 1_700_000_003.5,
  durationSeconds: 3.376544,
  error: null,
  inputs: {},
  outputs: {},
  metadata: {},
  parentTraceId: null,
  traceParent: null,
  nodes: [...nodes],
  events: [],
  ...overrides
})

// An agent with a model call and a tool call, a parallel node with two children, and a failed node.
const rich = traceOf([
  node({
    nodeId: "plan",
    nodeType: "agent",
    timestamp: 1_700_000_000.234567,
    durationSeconds: 1.25,
    inputs: { provider: "anthropic" },
    toolCalls: [{
      toolName: "search",
      inputs: { q: "otlp" },
      outputs: { hits: 1 },
      durationSeconds: 0.1,
      success: true,
      error: null,
      timestamp: 1_700_000_000.912345
    }],
    metadata: {
      iteration: 1,
      model_calls: [{ model: "claude-x", duration_seconds: 0.5, input_tokens: 120, output_tokens: 9, turn: 1 }]
    }
  }),
  node({ nodeId: "fan", nodeType: "parallel", timestamp: 1_700_000_001.5, durationSeconds: 1, inputs: { parallel_nodes: ["left", "right"] } }),
  node({ nodeId: "left", timestamp: 1_700_000_001.6, durationSeconds: 0.3 }),
  node({ nodeId: "right", timestamp: 1_700_000_001.7, durationSeconds: 0.3 }),
  node({ nodeId: "broken", timestamp: 1_700_000_002.6, success: false, error: "boom" })
], { status: "failed", error: "boom" })

/** A trace of `count` plain nodes: one span each, plus the root. */
const big = (count: number) =>
  traceOf(Array.from({ length: count }, (_, i) => node({ nodeId: `n${i}`, timestamp: 1_700_000_001 + i / 1000 })))

const micros = (nanos: bigint): number => Number(nanos / 1000n)
const toMicros = (seconds: number): number => Math.round(seconds * 1e6)
const named = (spans: ReadonlyArray<DecodedSpan>, name: string): DecodedSpan => {
  const found = spans.filter((s) => s.name === name)
  expect(found, name).toHaveLength(1)
  return found[0]!
}

const endpointOf = (env: Record<string, string>, overrides?: OtlpEndpoint.Overrides) =>
  Either.getOrThrow(OtlpEndpoint.resolve(env, overrides))

/** A plain (uncompressed, protobuf) endpoint at `url`. */
const plain = (url: string, extra: Partial<OtlpEndpoint.Endpoint> = {}): OtlpEndpoint.Endpoint => ({
  url,
  protocol: "http/protobuf",
  headers: {},
  compression: "none",
  timeoutMillis: 5_000,
  ...extra
})

const fast = { retryBaseMillis: 1 } as const

layer(FetchHttpClient.layer, { excludeTestServices: true })("OtlpPush", (it) => {
  it.scoped("pushes gzip protobuf, resolved from the environment: the span tree, GenAI attributes, resource", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.make()
      const env = {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.origin,
        OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=k%20123",
        OTEL_SERVICE_NAME: "nightly",
        OTEL_RESOURCE_ATTRIBUTES: "deployment.environment.name=ci,team=a%2Cb"
      }
      const receipt = yield* OtlpPush.push(rich, endpointOf(env), OtlpEndpoint.resourceOptions(env))
      const [request, ...rest] = yield* Effect.promise(receiver.requests)
      expect(rest).toHaveLength(0)
      expect(request!.method).toBe("POST")
      expect(request!.path).toBe("/v1/traces")
      expect(request!.headers["content-type"]).toBe("application/x-protobuf")
      expect(request!.headers["content-encoding"]).toBe("gzip")
      expect(request!.headers["x-api-key"]).toBe("k 123")
      expect([...request!.body.subarray(0, 2)]).toEqual([0x1f, 0x8b])
      expect(request!.gunzipped).toBeDefined()

      const { resource, spans } = decode(request!.payload)
      expect(receipt).toEqual({ requests: 1, spans: spans.length, attempts: 1, rejectedSpans: 0 })
      expect(resource).toEqual({ "deployment.environment.name": "ci", team: "a,b", "service.name": "nightly" })
      expect(spans.map((s) => s.name)).toEqual([
        "invoke_workflow push-demo",
        "invoke_agent plan",
        "chat claude-x",
        "execute_tool search",
        "parallel fan",
        "compute left",
        "compute right",
        "compute broken"
      ])
      const root = named(spans, "invoke_workflow push-demo")
      expect(root.traceId).toBe(TraceContext.traceIdOf("push-trace"))
      expect(root.spanId).toBe(OtlpSpans.rootSpanIdOf("push-trace"))
      expect(root.parentSpanId).toBe("")
      expect(micros(root.startTimeUnixNano)).toBe(toMicros(1_700_000_000.123456))
      expect(root.status.code).toBe(2)
      const plan = named(spans, "invoke_agent plan")
      expect(plan.parentSpanId).toBe(root.spanId)
      expect(plan.attributes).toMatchObject({
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "plan",
        "gen_ai.provider.name": "anthropic"
      })
      expect(micros(plan.startTimeUnixNano)).toBe(toMicros(1_700_000_000.234567))
      expect(micros(plan.endTimeUnixNano)).toBe(toMicros(1_700_000_000.234567 + 1.25))
      const chat = named(spans, "chat claude-x")
      expect(chat.parentSpanId).toBe(plan.spanId)
      expect(chat.attributes).toMatchObject({
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "claude-x",
        "gen_ai.usage.input_tokens": 120,
        "gen_ai.usage.output_tokens": 9
      })
      const tool = named(spans, "execute_tool search")
      expect(tool.parentSpanId).toBe(plan.spanId)
      expect(tool.attributes["gen_ai.tool.name"]).toBe("search")
      expect(micros(tool.startTimeUnixNano)).toBe(toMicros(1_700_000_000.912345))
      const fan = named(spans, "parallel fan")
      expect(named(spans, "compute left").parentSpanId).toBe(fan.spanId)
      expect(named(spans, "compute right").parentSpanId).toBe(fan.spanId)
      const broken = named(spans, "compute broken")
      expect(broken.status).toEqual({ code: 2, message: "boom" })
      expect(plan.status.code).toBe(0)
      // The same spans the exporter encodes, byte for byte.
      expect(request!.payload).toEqual(OtlpExporter.encodeProtobuf(rich, OtlpEndpoint.resourceOptions(env)))
    }))

  it.scoped("pushes OTLP/JSON uncompressed when asked", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.make()
      const endpoint = endpointOf({
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_EXPORTER_OTLP_COMPRESSION: "none"
      })
      const receipt = yield* OtlpPush.push(rich, endpoint)
      const [request] = yield* Effect.promise(receiver.requests)
      expect(request!.headers["content-type"]).toBe("application/json")
      expect(request!.headers["content-encoding"]).toBeUndefined()
      expect(request!.gunzipped).toBeUndefined()
      const json = JSON.parse(new TextDecoder().decode(request!.payload))
      const expected = decode(OtlpExporter.encodeProtobuf(rich)).spans
      expect(json.resourceSpans[0].scopeSpans[0].spans.map((s: { spanId: string; name: string }) => [s.spanId, s.name]))
        .toEqual(expected.map((s) => [s.spanId, s.name]))
      expect(receipt.spans).toBe(expected.length)
    }))

  it.scoped("sends no traceparent of the pushing process, whose spans would otherwise include the push", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.make()
      yield* OtlpPush.push(rich, plain(receiver.url)).pipe(Effect.withSpan("victor trace push"))
      const [request] = yield* Effect.promise(receiver.requests)
      expect(request!.headers["traceparent"]).toBeUndefined()
      expect(request!.headers["b3"]).toBeUndefined()
      expect(request!.headers["user-agent"]).toBe("@victor/exporter-otlp/0.1.0")
    }))

  it.scoped("retries 503s: 503, 503, 200 gives one accepted request after three attempts", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.make([503, 503, 200])
      const receipt = yield* OtlpPush.push(rich, plain(receiver.url), fast)
      const requests = yield* Effect.promise(receiver.requests)
      expect(requests.map((r) => r.status)).toEqual([503, 503, 200])
      expect(requests[1]!.payload).toEqual(requests[0]!.payload)
      expect(requests[2]!.payload).toEqual(requests[0]!.payload)
      expect(receipt).toMatchObject({ requests: 1, attempts: 3 })
    }))

  it.scoped("retries each batch on its own: one accepted request per batch", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.make([503, 200, 429, 502, 504, 200])
      const receipt = yield* OtlpPush.push(big(30), plain(receiver.url), { ...fast, spansPerRequest: 20 })
      const requests = yield* Effect.promise(receiver.requests)
      const accepted = requests.filter((r) => r.status === 200)
      expect(accepted).toHaveLength(2)
      expect(accepted[0]!.payload).not.toEqual(accepted[1]!.payload)
      expect(accepted.map((r) => decode(r.payload).spans.length)).toEqual([20, 11])
      expect(receipt).toEqual({ requests: 2, spans: 31, attempts: 6, rejectedSpans: 0 })
    }))

  it.scoped("honours Retry-After in seconds", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.make([{ status: 503, headers: { "retry-after": "1" } }, 200])
      const receipt = yield* OtlpPush.push(rich, plain(receiver.url), fast)
      const [first, second] = yield* Effect.promise(receiver.requests)
      expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(1000)
      expect(receipt.attempts).toBe(2)
    }))

  it.scoped("honours Retry-After as an HTTP-date", () =>
    Effect.gen(function*() {
      const at = new Date(Date.now() + 2_000).toUTCString() // whole seconds: between 1 and 2 s from now
      const receiver = yield* Receiver.make([{ status: 429, headers: { "retry-after": at } }, 200])
      yield* OtlpPush.push(rich, plain(receiver.url), fast)
      const [first, second] = yield* Effect.promise(receiver.requests)
      expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(900)
    }))

  it.scoped("does not retry a 401: one line with the endpoint and status, no header value", () =>
    Effect.gen(function*() {
      const token = "s3cr3t-token-value"
      const receiver = yield* Receiver.make([{
        status: 401,
        headers: { "content-type": "text/plain" },
        body: `invalid token: Bearer ${token}\n`
      }])
      const endpoint = plain(receiver.url, { headers: { authorization: `Bearer ${token}` } })
      const error = yield* Effect.flip(OtlpPush.push(rich, endpoint, fast))
      expect(yield* Effect.promise(receiver.requests)).toHaveLength(1)
      expect(error).toBeInstanceOf(OtlpPush.PushError)
      expect(error).toMatchObject({ reason: "Rejected", status: 401, deliveredRequests: 0, endpoint: receiver.url })
      expect(error.message).toBe(
        `OTLP endpoint ${receiver.url} rejected the trace: HTTP 401 Unauthorized: invalid token: ***`
      )
      expect(error.message).not.toContain(token)
    }))

  it.scoped("quotes a protobuf google.rpc.Status; keeps query values out of the message", () =>
    Effect.gen(function*() {
      const status = new Uint8Array([0x08, 0x03, 0x12, 0x0b, ...new TextEncoder().encode("bad payload")])
      const receiver = yield* Receiver.make([{ status: 400, body: status }])
      const error = yield* Effect.flip(OtlpPush.push(rich, plain(`${receiver.url}?api_key=k-9876543`), fast))
      expect(error.message).toBe(
        `OTLP endpoint ${receiver.url}?api_key=*** rejected the trace: HTTP 400 Bad Request: bad payload`
      )
      expect((yield* Effect.promise(receiver.requests))[0]!.path).toBe("/v1/traces?api_key=k-9876543")
    }))

  it.scoped("is Unavailable when the receiver is down (connection refused)", () =>
    Effect.gen(function*() {
      const receiver = yield* Effect.promise(() => Receiver.start())
      yield* Effect.promise(receiver.close)
      const error = yield* Effect.flip(OtlpPush.push(rich, plain(receiver.url), { ...fast, maxAttempts: 2 }))
      expect(error.reason).toBe("Unavailable")
      expect(error.status).toBeUndefined()
      expect(error.message).toBe(
        `OTLP endpoint ${receiver.url} is unavailable after 2 attempts: connection refused (ECONNREFUSED)`
      )
    }))

  it.scoped("is Unavailable after maxAttempts retryable answers, naming the last status", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.make([503, 502, 503, 503])
      const error = yield* Effect.flip(OtlpPush.push(rich, plain(receiver.url), { ...fast, maxAttempts: 3 }))
      expect(error).toMatchObject({ reason: "Unavailable", status: 503 })
      expect(error.message).toBe(`OTLP endpoint ${receiver.url} is unavailable after 3 attempts: HTTP 503 Service Unavailable`)
      expect(yield* Effect.promise(receiver.requests)).toHaveLength(3)
    }))

  it.scoped("stops when a Retry-After would pass the deadline", () =>
    Effect.gen(function*() {
      const receiver = yield* Receiver.make([{ status: 503, headers: { "retry-after": "5" } }])
      const started = Date.now()
      const error = yield* Effect.flip(OtlpPush.push(rich, plain(receiver.url), { ...fast, deadlineMillis: 1_500 }))
      expect(Date.now() - started).toBeLessThan(1_000)
      expect(error.reason).toBe("Unavailable")
      expect(error.message).toContain("would pass the 1500 ms deadline")
      expect(yield* Effect.promise(receiver.requests)).toHaveLength(1)
    }))

  it.scoped("cuts a slow request at the deadline, and retries a request past its own timeout", () =>
    Effect.gen(function*() {
      const hanging = yield* Receiver.make([{ status: 200, delayMillis: 10_000 }])
      const started = Date.now()
      const error = yield* Effect.flip(OtlpPush.push(rich, plain(hanging.url), { ...fast, deadlineMillis: 400 }))
      expect(Date.now() - started).toBeLessThan(2_000)
      expect(error.reason).toBe("Unavailable")
      expect(error.message).toContain("no answer within")

      const slow = yield* Receiver.make([{ status: 200, delayMillis: 2_000 }, 200])
      const receipt = yield* OtlpPush.push(rich, plain(slow.url, { timeoutMillis: 200 }), fast)
      expect(receipt.attempts).toBe(2)
      expect(yield* Effect.promise(slow.requests)).toHaveLength(2)
    }))

  it.scoped("splits a 2,500-node trace into 3 requests of up to 1000 spans; startAtRequest skips", () =>
    Effect.gen(function*() {
      const trace = big(2_500)
      const whole = yield* Receiver.make()
      const delivered: Array<number> = []
      const receipt = yield* OtlpPush.push(trace, plain(whole.url), {
        spansPerRequest: 1000,
        onRequestDelivered: (index) => Effect.sync(() => delivered.push(index))
      })
      const all = yield* Effect.promise(whole.requests)
      expect(all.map((r) => decode(r.payload).spans.length)).toEqual([1000, 1000, 501])
      expect(new Set(all.flatMap((r) => decode(r.payload).spans.map((s) => s.spanId))).size).toBe(2_501)
      expect(receipt).toEqual({ requests: 3, spans: 2_501, attempts: 3, rejectedSpans: 0 })
      expect(delivered).toEqual([0, 1, 2])

      const resumed = yield* Receiver.make()
      const later: Array<number> = []
      const rest = yield* OtlpPush.push(trace, plain(resumed.url), {
        startAtRequest: 1,
        onRequestDelivered: (index) => Effect.sync(() => later.push(index))
      })
      expect((yield* Effect.promise(resumed.requests)).map((r) => r.payload)).toEqual(all.slice(1).map((r) => r.payload))
      expect(rest).toEqual({ requests: 2, spans: 1_501, attempts: 2, rejectedSpans: 0 })
      expect(later).toEqual([1, 2])
    }))

  it.scoped("reports the requests delivered before a failure, so that a push resumes where it stopped", () =>
    Effect.gen(function*() {
      const trace = big(50)
      const receiver = yield* Receiver.make([200, 400, 200, 200])
      const error = yield* Effect.flip(OtlpPush.push(trace, plain(receiver.url), { spansPerRequest: 20 }))
      expect(error).toMatchObject({ reason: "Rejected", status: 400, deliveredRequests: 1 })
      const receipt = yield* OtlpPush.push(trace, plain(receiver.url), {
        spansPerRequest: 20,
        startAtRequest: error.deliveredRequests
      })
      expect(receipt.requests).toBe(2)
      const accepted = (yield* Effect.promise(receiver.requests)).filter((r) => r.status === 200)
      expect(accepted.flatMap((r) => decode(r.payload).spans.map((s) => s.spanId)).sort()).toEqual(
        decode(OtlpExporter.encodeProtobuf(trace)).spans.map((s) => s.spanId).sort()
      )
    }))

  it.scoped("counts the spans a collector rejected in a partial success (protobuf and JSON)", () =>
    Effect.gen(function*() {
      const partial = new Uint8Array([0x0a, 0x05, 0x08, 0x03, 0x12, 0x01, 0x78]) // rejected_spans 3, error "x"
      const receiver = yield* Receiver.make([
        { status: 200, body: partial },
        { status: 200, headers: { "content-type": "application/json" }, body: "{\"partialSuccess\":{\"rejectedSpans\":\"2\"}}" }
      ])
      expect((yield* OtlpPush.push(rich, plain(receiver.url))).rejectedSpans).toBe(3)
      const json = plain(receiver.url, { protocol: "http/json" })
      expect((yield* OtlpPush.push(rich, json)).rejectedSpans).toBe(2)
    }))
})
