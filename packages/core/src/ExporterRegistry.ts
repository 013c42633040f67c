/**
 * Exporters by format name. The CLI and `WorkflowTracer.exportTrace` look formats up here; an unknown name fails with
 * an error that lists the known ones.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { Exporter } from "./Exporter.ts"

/** No exporter has this format name. */
export class UnknownFormatError extends Schema.TaggedError<UnknownFormatError>()("UnknownFormatError", {
  format: Schema.String,
  known: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `unknown format "${this.format}"; known formats: ${this.known.join(", ")}`
  }
}

/** The registry of installed exporters. */
export class ExporterRegistry extends Context.Tag("@victor/core/ExporterRegistry")<
  ExporterRegistry,
  {
    /** The exporter for a format name (case-insensitive). */
    readonly get: (format: string) => Effect.Effect<Exporter, UnknownFormatError>
    /** The exporter whose file extension matches a path's, if any. */
    readonly forPath: (path: string) => Option.Option<Exporter>
    /** Every installed exporter, in installation order. */
    readonly exporters: ReadonlyArray<Exporter>
  }
>() {}

/** A registry of these exporters; a later one with the same name replaces an earlier one. */
export const make = (exporters: Iterable<Exporter>): ExporterRegistry["Type"] => {
  const byName = new Map<string, Exporter>()
  for (const exporter of exporters) byName.set(exporter.name.toLowerCase(), exporter)
  const all = Array.from(byName.values())
  return ExporterRegistry.of({
    exporters: all,
    get: (format) => {
      const exporter = byName.get(format.toLowerCase())
      return exporter === undefined
        ? Effect.fail(new UnknownFormatError({ format, known: all.map((e) => e.name) }))
        : Effect.succeed(exporter)
    },
    forPath: (path) => {
      const dot = path.lastIndexOf(".")
      if (dot < 0 || path.lastIndexOf("/") > dot) return Option.none()
      const extension = path.slice(dot + 1).toLowerCase()
      return Option.fromNullable(all.find((e) => e.fileExtension.toLowerCase() === extension))
    }
  })
}

/** A layer providing a registry of these exporters. */
export const layer = (exporters: Iterable<Exporter>): Layer.Layer<ExporterRegistry> =>
  Layer.succeed(ExporterRegistry, make(exporters))
