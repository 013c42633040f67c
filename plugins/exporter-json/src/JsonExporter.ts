/**
 * The `json` exporter: a trace in the guide's JSON format ("Trace Structure", snake_case keys), streamed as UTF-8 in
 * chunks of about 64 KiB so that a 100,000-node trace is never built as one string. The text comes from
 * `TraceJson`, the same encoder the file store writes with, so exported and stored traces are byte-identical.
 */
import * as Exporter from "@victor/core/Exporter"
import * as TraceJson from "@victor/core/TraceJson"

/** Options of the JSON exporter. */
export interface Options {
  /** Spaces per nesting level (0 for compact JSON); defaults to 2, like the guide. */
  readonly indent?: number
}

/** The format name of this exporter, as given to `--format`. */
export const name = "json"

/** A JSON exporter. Nothing is encoded until the returned stream is pulled, and then one chunk per pull. */
export const make = (options: Options = {}): Exporter.Exporter =>
  Exporter.make({
    name,
    fileExtension: "json",
    mediaType: "application/json",
    description: "the guide's JSON trace format (snake_case keys), with every node and event",
    export: (trace) =>
      Exporter.streamPieces(name, "JSON", trace, () => TraceJson.bytes(trace, options)[Symbol.iterator]())
  })
