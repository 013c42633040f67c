// Run by OtlpDeno.test.ts with the real deno binary: encodes a small trace with the plugin under Deno and prints the
// protobuf bytes (base64) and the OTLP/JSON line, for the test to decode with Node. With OTEL_EXPORTER_OTLP_ENDPOINT
// set, it also pushes the trace there (Deno's fetch and CompressionStream) and prints the receipt.
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as OtlpEndpoint from "../../src/OtlpEndpoint.ts"
import * as OtlpExporter from "../../src/OtlpExporter.ts"
import * as OtlpPush from "../../src/OtlpPush.ts"
import type { WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"

declare const Deno: { readonly env: { readonly toObject: () => Record<string, string> } }

const trace: WorkflowTrace = {
  schemaVersion: 1,
  traceId: "deno-trace",
  workflowName: "deno",
  status: "succeeded",
  startTime: 1_700_000_000,
  endTime: 1_700_000_001,
  durationSeconds: 1,
  error: null,
  inputs: {},
  outputs: {},
  metadata: {},
  parentTraceId: null,
  traceParent: null,
  nodes: [{
    nodeId: "measure",
    nodeType: "compute",
    timestamp: 1_700_000_000.25,
    durationSeconds: 0.5,
    success: true,
    error: null,
    inputs: { text: "deno" },
    outputs: { size: 4 },
    toolCalls: [{
      toolName: "length",
      inputs: { text: "deno" },
      outputs: { size: 4 },
      durationSeconds: 0.25,
      success: true,
      error: null,
      timestamp: 1_700_000_000.5
    }],
    metadata: { iteration: 1 }
  }],
  events: []
}

const protobuf = OtlpExporter.encodeProtobuf(trace)
let binary = ""
for (const byte of protobuf) binary += String.fromCharCode(byte)
const chunks = await Effect.runPromise(Stream.runCollect(OtlpExporter.make().export(trace)))
const json = new TextDecoder().decode(Array.from(chunks)[0])
const env = Deno.env.toObject()
let pushed: { readonly endpoint: string; readonly receipt: OtlpPush.PushReceipt } | null = null
if (env["OTEL_EXPORTER_OTLP_ENDPOINT"] !== undefined) {
  const endpoint = Either.getOrThrow(OtlpEndpoint.resolve(env))
  const receipt = await Effect.runPromise(
    OtlpPush.push(trace, endpoint, OtlpEndpoint.resourceOptions(env)).pipe(Effect.provide(FetchHttpClient.layer))
  )
  pushed = { endpoint: OtlpEndpoint.describe(endpoint), receipt }
}
console.log(JSON.stringify({ protobuf: btoa(binary), json, pushed }))
