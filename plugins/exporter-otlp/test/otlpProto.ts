/**
 * An independent OTLP decoder for the tests: protobufjs reading the official opentelemetry-proto definitions (the
 * `.proto` files that `@opentelemetry/otlp-grpc-exporter-base` 0.34 ships), not Victor's or the transformer's code
 * run backwards. Decoded spans are flattened into plain values: hex ids, nanoseconds as bigints, attribute maps.
 * Those definitions (opentelemetry-proto 0.19) predate `Span.flags`; the decoder skips it as an unknown field.
 */
import { createRequire } from "node:module"
import * as path from "node:path"
import protobuf from "protobufjs"

const require = createRequire(import.meta.url)
const protoRoot = path.join(
  path.dirname(require.resolve("@opentelemetry/otlp-grpc-exporter-base")),
  "..",
  "protos"
)

const root = new protobuf.Root()
root.resolvePath = (_origin, target) => path.isAbsolute(target) ? target : path.join(protoRoot, target)
root.loadSync("opentelemetry/proto/collector/trace/v1/trace_service.proto", { keepCase: true })

/** The request message type, from the definitions. */
export const ExportTraceServiceRequest = root.lookupType(
  "opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest"
)

/** An attribute value as a plain value. */
export type Value = string | number | boolean | ReadonlyArray<Value> | null

/** A decoded span, flattened. */
export interface DecodedSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId: string
  readonly name: string
  readonly kind: number
  readonly startTimeUnixNano: bigint
  readonly endTimeUnixNano: bigint
  readonly attributes: Readonly<Record<string, Value>>
  readonly events: ReadonlyArray<{ readonly name: string; readonly timeUnixNano: bigint; readonly attributes: Readonly<Record<string, Value>> }>
  readonly status: { readonly code: number; readonly message: string }
}

/** A decoded request: its resource attributes, scope and spans. */
export interface Decoded {
  readonly resource: Readonly<Record<string, Value>>
  readonly scope: { readonly name: string; readonly version: string }
  readonly spans: ReadonlyArray<DecodedSpan>
}

const hex = (bytes: unknown): string =>
  bytes instanceof Uint8Array ? Buffer.from(bytes).toString("hex") : ""

const valueOf = (any: Record<string, unknown> | undefined): Value => {
  if (any === undefined || any === null) return null
  if ("string_value" in any) return any["string_value"] as string
  if ("bool_value" in any) return any["bool_value"] as boolean
  if ("int_value" in any) return Number(any["int_value"])
  if ("double_value" in any) return any["double_value"] as number
  if ("array_value" in any) {
    const values = ((any["array_value"] as { values?: Array<Record<string, unknown>> }).values ?? [])
    return values.map(valueOf)
  }
  return null
}

const attributesOf = (list: unknown): Record<string, Value> => {
  const out: Record<string, Value> = {}
  for (const kv of (list as Array<{ key: string; value?: Record<string, unknown> }> | undefined) ?? []) {
    out[kv.key] = valueOf(kv.value)
  }
  return out
}

/** Decodes protobuf bytes of an `ExportTraceServiceRequest` (one resource and one scope, as Victor writes). */
export const decode = (bytes: Uint8Array): Decoded => {
  const message = ExportTraceServiceRequest.decode(bytes)
  const object = ExportTraceServiceRequest.toObject(message, { longs: String, enums: Number, defaults: true }) as {
    resource_spans: Array<{
      resource: { attributes: unknown }
      scope_spans: Array<{ scope: { name: string; version: string }; spans: Array<Record<string, unknown>> }>
    }>
  }
  const resourceSpans = object.resource_spans
  if (resourceSpans.length !== 1) throw new Error(`expected one ResourceSpans, got ${resourceSpans.length}`)
  const scopeSpans = resourceSpans[0]!.scope_spans
  if (scopeSpans.length !== 1) throw new Error(`expected one ScopeSpans, got ${scopeSpans.length}`)
  return {
    resource: attributesOf(resourceSpans[0]!.resource.attributes),
    scope: scopeSpans[0]!.scope,
    spans: scopeSpans[0]!.spans.map((span) => ({
      traceId: hex(span["trace_id"]),
      spanId: hex(span["span_id"]),
      parentSpanId: hex(span["parent_span_id"]),
      name: span["name"] as string,
      kind: span["kind"] as number,
      startTimeUnixNano: BigInt(span["start_time_unix_nano"] as string),
      endTimeUnixNano: BigInt(span["end_time_unix_nano"] as string),
      attributes: attributesOf(span["attributes"]),
      events: (span["events"] as Array<Record<string, unknown>>).map((event) => ({
        name: event["name"] as string,
        timeUnixNano: BigInt(event["time_unix_nano"] as string),
        attributes: attributesOf(event["attributes"])
      })),
      status: span["status"] as { code: number; message: string }
    }))
  }
}
