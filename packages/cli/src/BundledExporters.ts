/**
 * The exporters that ship with Victor: json, csv, html and otlp. Third-party exporters named in `victor.config.json`
 * join them through `PluginLoader`.
 *
 * Each is known by what `--format`, `-o` and the help need (name, file extension, media type, description) and loaded
 * only when it exports: the HTML report brings Handlebars and its page script, the OTLP one the OpenTelemetry
 * packages, and a run with `-o trace.json` needs neither (about 20 ms of its start). A test holds this catalog to
 * the exporters' own descriptions.
 */
import type { Exporter } from "@victor/core/Exporter"
import * as ExporterRegistry from "@victor/core/ExporterRegistry"
import type * as CsvExporter from "@victor/exporter-csv/CsvExporter"
import type * as HtmlExporter from "@victor/exporter-html/HtmlExporter"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as VictorConfig from "./VictorConfig.ts"

/** Options of the bundled exporters that the command line exposes. */
export interface Options {
  /** `--csv-rows`: one CSV row per node (default) or per tool call. */
  readonly csvRows?: CsvExporter.Rows | undefined
  /** Token prices by model (`victor.config.json` `prices`): the HTML report's costs. */
  readonly prices?: HtmlExporter.Options["prices"] | undefined
}

type Description = Omit<Exporter, "export">

/** An exporter whose module is imported when it first exports (once: later exports reuse it). */
const lazy = (description: Description, load: () => Promise<Exporter>): Exporter => {
  let loaded: Promise<Exporter> | undefined
  return {
    ...description,
    export: (trace) =>
      Stream.unwrap(Effect.map(Effect.promise(() => loaded ??= load()), (exporter) => exporter.export(trace)))
  }
}

/** The bundled exporters, in the order `--format` lists them. */
export const make = (options: Options = {}): ReadonlyArray<Exporter> => [
  lazy({
    name: "json",
    fileExtension: "json",
    mediaType: "application/json",
    description: "the guide's JSON trace format (snake_case keys), with every node and event"
  }, () => import("@victor/exporter-json/JsonExporter").then((json) => json.make())),
  lazy({
    name: "csv",
    fileExtension: "csv",
    mediaType: "text/csv; charset=utf-8; header=present",
    description: options.csvRows === "tools"
      ? "one row per tool call with its node (tool_name, timestamp, duration_seconds, success, error)"
      : "the guide's CSV: one row per node (node_id, node_type, timestamp, duration_seconds, success, error, tool_calls_count)"
  }, () =>
    import("@victor/exporter-csv/CsvExporter").then((csv) =>
      csv.make(options.csvRows === undefined ? {} : { rows: options.csvRows })
    )),
  lazy({
    name: "html",
    fileExtension: "html",
    mediaType: "text/html; charset=utf-8",
    description: "a self-contained report: summary, trace tree and waterfall with the critical path, filters, details"
  }, () =>
    import("@victor/exporter-html/HtmlExporter").then((html) =>
      html.make(options.prices === undefined ? {} : { prices: options.prices })
    )),
  lazy({
    name: "otlp",
    fileExtension: "otlp.json",
    mediaType: "application/x-ndjson",
    description: "OpenTelemetry OTLP/JSON Lines (GenAI conventions), as the Collector's otlpjsonfile receiver reads"
  }, () => import("@victor/exporter-otlp/OtlpExporter").then((otlp) => otlp.make()))
]

/** The registry of bundled exporters: json, csv, html, otlp. */
export const layer = ExporterRegistry.layer(make())

/** The registry of bundled exporters, with the options `victor.config.json` gives them (the report's prices). */
export const layerFromConfig = Layer.unwrapEffect(
  Effect.map(VictorConfig.load(), (loaded) => ExporterRegistry.layer(make({ prices: loaded.config.prices })))
)
