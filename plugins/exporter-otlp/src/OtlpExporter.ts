/**
 * The `otlp` exporter: a trace as OpenTelemetry spans (see `OtlpSpans` for the mapping), encoded by the OpenTelemetry
 * project's own serializers (`@opentelemetry/otlp-transformer`), never by hand.
 *
 * The exporter writes OTLP/JSON Lines, the file format of the OpenTelemetry Collector's `otlpjsonfile` receiver (and
 * of its `file` exporter): one `ExportTraceServiceRequest` per line, each holding up to `spansPerLine` spans, so a
 * 100,000-node trace streams in bounded chunks. Its file extension is `otlp.json`. `encodeProtobuf` and `encodeJson`
 * give the body of one OTLP/HTTP request (`application/x-protobuf` or `application/json`); `OtlpPush.push` sends a
 * trace to a collector in such requests, to the endpoint `OtlpEndpoint.resolve` finds.
 */
import { JsonTraceSerializer, ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer"
import * as Exporter from "@victor/core/Exporter"
import type { WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as OtlpSpans from "./OtlpSpans.ts"

/** Options of the exporter: the mapping's, and how many spans one line holds. */
export interface Options extends OtlpSpans.Options {
  /** Spans per `ExportTraceServiceRequest` line (a node's spans are never split); defaults to 1000. */
  readonly spansPerLine?: number
}

/** The format name of this exporter, as given to `--format`. */
export const name = "otlp"

/** The file extension (without the dot): `.otlp.json`, so that a plain `.json` stays the `json` format's. */
export const fileExtension = "otlp.json"

/** The default of `spansPerLine`. */
export const defaultSpansPerLine = 1000

/** The spans of a trace (re-exported from `OtlpSpans`, the mapping). */
export const toReadableSpans = OtlpSpans.toReadableSpans

/** A trace as one OTLP `ExportTraceServiceRequest` in protobuf: the body of an OTLP/HTTP protobuf request. */
export const encodeProtobuf = (trace: WorkflowTrace, options: OtlpSpans.Options = {}): Uint8Array =>
  ProtobufTraceSerializer.serializeRequest(OtlpSpans.toReadableSpans(trace, options)) ?? new Uint8Array(0)

/** A trace as one OTLP `ExportTraceServiceRequest` in OTLP/JSON: the body of an OTLP/HTTP JSON request. */
export const encodeJson = (trace: WorkflowTrace, options: OtlpSpans.Options = {}): Uint8Array =>
  JsonTraceSerializer.serializeRequest(OtlpSpans.toReadableSpans(trace, options)) ?? new Uint8Array(0)

const newline = 0x0a

/** One line of OTLP/JSON Lines per batch of spans, computed as the lines are pulled. */
function* jsonLines(trace: WorkflowTrace, options: Options): Generator<Uint8Array, void, void> {
  const size = options.spansPerLine !== undefined && options.spansPerLine >= 1
    ? Math.floor(options.spansPerLine)
    : defaultSpansPerLine
  for (const batch of OtlpSpans.batches(trace, options, size)) {
    const json = JsonTraceSerializer.serializeRequest(batch) ?? new Uint8Array(0)
    const line = new Uint8Array(json.byteLength + 1)
    line.set(json)
    line[json.byteLength] = newline
    yield line
  }
}

/** An OTLP exporter. Nothing is computed until the returned stream is pulled, and then one line per pull. */
export const make = (options: Options = {}): Exporter.Exporter =>
  Exporter.make({
    name,
    fileExtension,
    mediaType: "application/x-ndjson",
    description: "OpenTelemetry OTLP/JSON Lines (GenAI conventions), as the Collector's otlpjsonfile receiver reads",
    export: (trace) => Exporter.streamPieces(name, "OTLP", trace, () => jsonLines(trace, options))
  })
