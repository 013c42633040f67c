// Run by OtlpDeno.test.ts with the real deno binary: encodes a small trace with the plugin under Deno and prints the
// protobuf bytes (base64) and the OTLP/JSON line, for the test to decode with Node.
import * as OtlpExporter from "../../src/OtlpExporter.ts"
import type { WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

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
console.log(JSON.stringify({ protobuf: btoa(binary), json }))
