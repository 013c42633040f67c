/**
 * The exporter plugin contract (like OpenTelemetry's span exporters, but pure): an exporter turns a trace into a
 * stream of bytes and never writes files itself; writing is the caller's job. Streams let a 100,000-node trace be
 * exported without building one giant string.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type { WorkflowTrace } from "./WorkflowTrace.ts"

/** An exporter failed to render a trace. */
export class ExportError extends Schema.TaggedError<ExportError>()("ExportError", {
  format: Schema.String,
  description: Schema.String
}) {
  override get message(): string {
    return `${this.format} export failed: ${this.description}`
  }
}

/** An exporter plugin: a stable `name` (the `--format` value) and a pure `export`. */
export interface Exporter {
  /** The format name, e.g. `json`. */
  readonly name: string
  /** The usual file extension without the dot, e.g. `json`; used to infer the format from `-o`. */
  readonly fileExtension: string
  /** The media type of the bytes, e.g. `application/json`. */
  readonly mediaType: string
  /** One line for `--help` listings. */
  readonly description: string
  /** The trace as a stream of bytes. */
  readonly export: (trace: WorkflowTrace) => Stream.Stream<Uint8Array, ExportError>
}

/** Identity helper that checks a plugin object against the contract. */
export const make = (exporter: Exporter): Exporter => exporter

/**
 * The bytes of a trace made piece by piece: the pieces `start` gives (bytes, or text written as UTF-8) as a stream,
 * each made when the stream is pulled, so that a 100,000-node trace is never one string. A throw while making one
 * fails the stream with an `ExportError` naming the format and the trace: "trace T cannot be written as CSV: ...".
 */
export const streamPieces = (
  format: string,
  formatTitle: string,
  trace: WorkflowTrace,
  start: () => Iterator<Uint8Array | string>
): Stream.Stream<Uint8Array, ExportError> =>
  Stream.suspend(() => {
    let pieces: Iterator<Uint8Array | string> | undefined
    const encoder = new TextEncoder()
    return Stream.repeatEffectOption(
      Effect.try({
        try: () => {
          const next = (pieces ??= start()).next()
          return next.done === true ? undefined : typeof next.value === "string" ? encoder.encode(next.value) : next.value
        },
        catch: (cause) =>
          Option.some(
            new ExportError({
              format,
              description: `trace ${trace.traceId} cannot be written as ${formatTitle}: ${
                cause instanceof Error ? cause.message : String(cause)
              }`
            })
          )
      }).pipe(Effect.flatMap((piece) => piece === undefined ? Effect.fail(Option.none()) : Effect.succeed(piece)))
    )
  })
