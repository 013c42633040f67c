/**
 * The `html` exporter: one self-contained report page (styles and script inline, no network request of any kind)
 * with the guide's summary statistics, slowest nodes and tool usage, a colour-coded node table, a timeline in which
 * parallel work overlaps and the critical path (`@victor/core/CriticalPath`, the one `trace analyze` prints) is
 * marked, collapsible node details (with the Effect spans of the node and of each tool call, nested as they ran), and
 * filters. Light and dark follow `prefers-color-scheme`.
 *
 * The page around the data is a Handlebars template (every value escaped); the nodes are embedded as JSON in a
 * `<script type="application/json">` block with every `<` written as `\u003c`, so no value can end the block or
 * become markup, and the page's script only ever sets `textContent`. The data is streamed a batch of nodes at a time,
 * and the page renders one page of nodes at a time, so a 100,000-node report is written without one giant string and
 * opens in about a second.
 */
import * as CriticalPath from "@victor/core/CriticalPath"
import * as Exporter from "@victor/core/Exporter"
import type { WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import Handlebars from "handlebars"
import { script } from "./internal/client.ts"
import * as Report from "./internal/report.ts"
import * as Template from "./internal/template.ts"

/** Options of the HTML exporter. */
export interface Options {
  /** Nodes per page of the table and timeline; defaults to 100. */
  readonly pageSize?: number
  /** About how many characters of node data go into one chunk of the stream; defaults to 256 KiB. */
  readonly batchSize?: number
}

/** The format name of this exporter, as given to `--format`. */
export const name = "html"

/** JSON that is safe inside a `<script>` block: `<` (and the two JavaScript line terminators) as `\u` escapes. */
export const scriptSafeJson = (json: string): string =>
  json.replaceAll("<", "\\u003c").replaceAll("\u2028", "\\u2028").replaceAll("\u2029", "\\u2029")

/** Nodes per details block. */
const DETAIL_BLOCK = 1000

let templates:
  | {
    readonly head: HandlebarsTemplateDelegate
    readonly middle: HandlebarsTemplateDelegate
    readonly end: HandlebarsTemplateDelegate
  }
  | undefined
const compiled = () =>
  templates ??= {
    head: Handlebars.compile(Template.head, { strict: true }),
    middle: Handlebars.compile(Template.middle, { strict: true }),
    end: Handlebars.compile(Template.end, { strict: true })
  }

/**
 * The report as a lazy sequence of strings: the page head, the node rows in batches, the script, then the inputs and
 * outputs in blocks of {@link DETAIL_BLOCK} nodes (parsed by the page only when a node is opened), then the end.
 */
function* pieces(
  trace: WorkflowTrace,
  path: CriticalPath.CriticalPath,
  pageSize: number,
  batchSize: number
): Generator<string, void, undefined> {
  const critical = CriticalPath.membership(path, trace.nodes.length)
  const { meta, model } = Report.model(trace, path, pageSize, DETAIL_BLOCK)
  const { end, head, middle } = compiled()
  yield head({ model, styles: Template.styles, metaJson: scriptSafeJson(JSON.stringify(meta)) }) + "["
  const nodes = trace.nodes
  let count = 64
  for (let start = 0, stop = 0; start < nodes.length; start = stop) {
    stop = Math.min(nodes.length, start + count)
    const batch = new Array<unknown>(stop - start)
    for (let i = start; i < stop; i++) batch[i - start] = Report.row(nodes[i]!, meta.origin, critical[i]!)
    const json = JSON.stringify(batch)
    count = Math.max(1, Math.floor(batchSize / Math.max(1, json.length / (stop - start))))
    yield (start === 0 ? "" : ",") + scriptSafeJson(json.slice(1, -1))
  }
  yield "]" + middle({ script })
  for (let block = 0; block * DETAIL_BLOCK < nodes.length; block++) {
    const from = block * DETAIL_BLOCK
    const to = Math.min(nodes.length, from + DETAIL_BLOCK)
    const batch = new Array<unknown>(to - from)
    for (let i = from; i < to; i++) batch[i - from] = Report.detail(nodes[i]!, meta.origin)
    yield `<script type="application/json" id="victor-details-${block}">${scriptSafeJson(JSON.stringify(batch))}</script>\n`
  }
  yield end({})
}

/** An HTML report exporter. Nothing is rendered until the stream is pulled, and then one batch of nodes per pull. */
export const make = (options: Options = {}): Exporter.Exporter => {
  const pageSize = Math.max(1, Math.floor(options.pageSize ?? 100))
  const batchSize = Math.max(1024, Math.floor(options.batchSize ?? 256 * 1024))
  return Exporter.make({
    name,
    fileExtension: "html",
    mediaType: "text/html; charset=utf-8",
    description: "a self-contained report: summary, timeline with the critical path, node table, filters, details",
    // The critical path first (interruptible, see `CriticalPath.compute`), then the page a batch at a time.
    export: (trace) =>
      Stream.unwrap(Effect.map(CriticalPath.compute(trace), (path) => {
        const iterator = pieces(trace, path, pageSize, batchSize)
        const encoder = new TextEncoder()
        return Stream.repeatEffectOption(
          Effect.try({
            try: () => {
              const next = iterator.next()
              return next.done === true ? undefined : encoder.encode(next.value)
            },
            catch: (cause) =>
              Option.some(
                new Exporter.ExportError({
                  format: name,
                  description: `trace ${trace.traceId} cannot be written as HTML: ${
                    cause instanceof Error ? cause.message : String(cause)
                  }`
                })
              )
          }).pipe(Effect.flatMap((chunk) => chunk === undefined ? Effect.fail(Option.none()) : Effect.succeed(chunk)))
        )
      }))
  })
}
