/**
 * The exporters that ship with Victor: json, csv, html and otlp. Third-party exporters named in `victor.config.json`
 * join them through `PluginLoader`.
 */
import type { Exporter } from "@victor/core/Exporter"
import * as ExporterRegistry from "@victor/core/ExporterRegistry"
import * as CsvExporter from "@victor/exporter-csv/CsvExporter"
import * as HtmlExporter from "@victor/exporter-html/HtmlExporter"
import * as JsonExporter from "@victor/exporter-json/JsonExporter"
import * as OtlpExporter from "@victor/exporter-otlp/OtlpExporter"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as VictorConfig from "./VictorConfig.ts"

/** Options of the bundled exporters that the command line exposes. */
export interface Options {
  /** `--csv-rows`: one CSV row per node (default) or per tool call. */
  readonly csvRows?: CsvExporter.Rows | undefined
  /** Token prices by model (`victor.config.json` `prices`): the HTML report's costs. */
  readonly prices?: HtmlExporter.Options["prices"] | undefined
}

/** The bundled exporters, in the order `--format` lists them. */
export const make = (options: Options = {}): ReadonlyArray<Exporter> => [
  JsonExporter.make(),
  CsvExporter.make(options.csvRows === undefined ? {} : { rows: options.csvRows }),
  HtmlExporter.make(options.prices === undefined ? {} : { prices: options.prices }),
  OtlpExporter.make()
]

/** The registry of bundled exporters: json, csv, html, otlp. */
export const layer = ExporterRegistry.layer(make())

/** The registry of bundled exporters, with the options `victor.config.json` gives them (the report's prices). */
export const layerFromConfig = Layer.unwrapEffect(
  Effect.map(VictorConfig.load(), (loaded) => ExporterRegistry.layer(make({ prices: loaded.config.prices })))
)
