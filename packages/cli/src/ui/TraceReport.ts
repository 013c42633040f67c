/**
 * A stored trace's page in the explorer is the HTML exporter's report, the very page `victor trace export --format
 * html` writes (`@victor/exporter-html`'s `HtmlExporter.make`), served as it is: self-contained, with its own
 * Content-Security-Policy, its blobs read back first as `trace export` does. The explorer adds only where a
 * sub-workflow node links to (its child trace's report here) and, around it, a sandbox (see `UiAccess.reportPolicy`).
 */
import * as Exporter from "@victor/core/Exporter"
import * as TraceBlobs from "@victor/core/TraceBlobs"
import * as TraceStore from "@victor/core/TraceStore"
import * as HtmlExporter from "@victor/exporter-html/HtmlExporter"
import * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"

/** The report of a stored trace, as bytes; `childHref` says where a child trace's report is. */
export const report = (
  traceId: string,
  childHref: (traceId: string) => string
): Effect.Effect<
  { readonly mediaType: string; readonly bytes: Stream.Stream<Uint8Array, Exporter.ExportError> },
  TraceStore.TraceStoreError,
  TraceStore.TraceStore
> =>
  Effect.gen(function*() {
    const store = yield* TraceStore.TraceStore
    const trace = yield* Effect.flatMap(store.get(traceId), TraceBlobs.resolve)
    const exporter = HtmlExporter.make({ childTraceHref: childHref })
    return { mediaType: exporter.mediaType, bytes: exporter.export(trace) }
  })
