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

/** Options of the bundled exporters that the command line exposes. */
export interface Options {
  /** `--csv-rows`: one CSV row per node (default) or per tool call. */
  readonly csvRows?: CsvExporter.Rows | undefined
}

/** The bundled exporters, in the order `--format` lists them. */
export const make = (options: Options = {}): ReadonlyArray<Exporter> => [
  JsonExporter.make(),
  CsvExporter.make(options.csvRows === undefined ? {} : { rows: options.csvRows }),
  HtmlExporter.make(),
  OtlpExporter.make()
]

/** The registry of bundled exporters: json, csv, html, otlp. */
export const layer = ExporterRegistry.layer(make())
