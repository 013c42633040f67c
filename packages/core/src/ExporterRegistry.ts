/**
 * Exporters by format name. The CLI and `exportTrace` (the guide's `export_trace`) look formats up here; an unknown
 * name fails with an error that lists the known ones.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type { ExportError, Exporter } from "./Exporter.ts"
import type { WorkflowTrace } from "./WorkflowTrace.ts"

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
    // The longest extension the file name ends with wins: `x.otlp.json` is otlp, `x.json` json.
    forPath: (path) => {
      const name = path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1).toLowerCase()
      let best: Exporter | undefined
      for (const exporter of all) {
        const extension = `.${exporter.fileExtension.toLowerCase()}`
        if (!name.endsWith(extension) || name.length === extension.length) continue
        if (best === undefined || extension.length > best.fileExtension.length + 1) best = exporter
      }
      return Option.fromNullable(best)
    }
  })
}

/** A layer providing a registry of these exporters. */
export const layer = (exporters: Iterable<Exporter>): Layer.Layer<ExporterRegistry> =>
  Layer.succeed(ExporterRegistry, make(exporters))

/**
 * A trace in an export format, as bytes, through the exporter the registry in context has for that format name (the
 * guide's `export_trace`). Writing them is the caller's job.
 */
export const exportTrace = (
  trace: WorkflowTrace,
  format: string
): Stream.Stream<Uint8Array, ExportError | UnknownFormatError, ExporterRegistry> =>
  Stream.unwrap(Effect.map(Effect.flatMap(ExporterRegistry, (registry) => registry.get(format)), (exporter) =>
    exporter.export(trace)))
