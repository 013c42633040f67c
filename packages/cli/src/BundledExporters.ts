/**
 * The exporters that ship with Victor, as an `ExporterRegistry` layer. Third-party exporters (named in
 * `victor.config.json`) join them in a later release.
 */
import * as ExporterRegistry from "@victor/core/ExporterRegistry"
import * as JsonExporter from "@victor/exporter-json/JsonExporter"

/** The registry of bundled exporters: json. */
export const layer = ExporterRegistry.layer([JsonExporter.make()])
