/**
 * The exporter plugin contract (like OpenTelemetry's span exporters, but pure): an exporter turns a trace into a
 * stream of bytes and never writes files itself; writing is the caller's job. Streams let a 100,000-node trace be
 * exported without building one giant string.
 */
import * as Schema from "effect/Schema"
import type * as Stream from "effect/Stream"
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
