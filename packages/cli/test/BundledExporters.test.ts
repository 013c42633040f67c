// The bundled exporters are described up front and loaded when they export: the descriptions must be the exporters'
// own, and what a lazy one writes what the exporter itself writes.
import { describe, expect, it } from "@effect/vitest"
import * as BundledExporters from "@victor/cli/BundledExporters"
import type { Exporter } from "@victor/core/Exporter"
import * as CsvExporter from "@victor/exporter-csv/CsvExporter"
import * as HtmlExporter from "@victor/exporter-html/HtmlExporter"
import * as JsonExporter from "@victor/exporter-json/JsonExporter"
import * as OtlpExporter from "@victor/exporter-otlp/OtlpExporter"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { node, trace } from "../../core/testing/TraceFixtures.ts"

const describedAs = ({ description, fileExtension, mediaType, name }: Exporter) => ({
  name,
  fileExtension,
  mediaType,
  description
})

const bytes = (exporter: Exporter) =>
  Effect.map(Stream.runCollect(exporter.export(trace([node("a", 0, 1)], { traceId: "t-bundled" }))), (chunks) =>
    Buffer.concat(Chunk.toReadonlyArray(chunks)).toString("utf8"))

describe("BundledExporters", () => {
  it("describes each exporter as the exporter itself does, for every option the command line passes", () => {
    for (const csvRows of [undefined, "nodes", "tools"] as const) {
      const prices = { "gpt-4o": { input: 2.5, output: 10 } }
      expect(BundledExporters.make({ csvRows, prices }).map(describedAs)).toEqual([
        JsonExporter.make(),
        CsvExporter.make(csvRows === undefined ? {} : { rows: csvRows }),
        HtmlExporter.make({ prices }),
        OtlpExporter.make()
      ].map(describedAs))
    }
  })

  it.effect("a lazy exporter writes what the exporter writes, export after export", () =>
    Effect.gen(function*() {
      const [json, csv, html, otlp] = BundledExporters.make({ csvRows: "tools" })
      expect(yield* bytes(json!)).toBe(yield* bytes(JsonExporter.make()))
      expect(yield* bytes(json!)).toBe(yield* bytes(JsonExporter.make()))
      expect(yield* bytes(csv!)).toBe(yield* bytes(CsvExporter.make({ rows: "tools" })))
      expect(yield* bytes(html!)).toBe(yield* bytes(HtmlExporter.make()))
      expect(yield* bytes(otlp!)).toBe(yield* bytes(OtlpExporter.make()))
    }))
})
