/**
 * The `html` exporter: one self-contained report page (styles and script inline, no network request of any kind)
 * with the guide's summary statistics, slowest nodes, tool and model usage, and a trace explorer: a collapsible tree
 * (the workflow, its nodes, a parallel node's children inside it, each node's model calls and tool calls as rows of
 * their own, a sub-workflow node's link to its child trace) beside a waterfall timeline of the whole run with zoom,
 * pan, a time axis, a minimap and a legend; the critical path (`@victor/core/CriticalPath`, the one `trace analyze`
 * prints) is marked in both. Rows can be searched and filtered by status and kind; selecting one, in the tree, on the
 * timeline or through a `#node=<id>` link, opens its details (inputs, outputs, errors, model calls, tool calls,
 * Effect spans, as the trace holds them after capture and redaction). Light and dark follow `prefers-color-scheme`.
 *
 * The page around the data is a Handlebars template (every value escaped); the rows are embedded as one JSON object
 * in a `<script type="application/json">` block with every `<` written as `\u003c`, so no value can end the block or
 * become markup, and the page's script only ever sets `textContent`. The Content-Security-Policy allows no request
 * and no script or style but the page's own (by their hashes), so even markup that slipped through could neither run
 * nor fetch anything. The data is streamed a batch of rows at a time, inputs and outputs come after the script in
 * blocks the page parses only when a row is opened, and the page renders only the rows in view, so a 100,000-node
 * report is written without one giant string and opens in about a second.
 */
import * as Cooperative from "@victor/core/Cooperative"
import * as CriticalPath from "@victor/core/CriticalPath"
import * as Exporter from "@victor/core/Exporter"
import type { WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import Handlebars from "handlebars"
import { script } from "./internal/client.ts"
import * as Data from "./internal/data.ts"
import * as ModelCalls from "./internal/modelCalls.ts"
import * as Report from "./internal/report.ts"
import * as Sha256 from "@victor/core/Sha256"
import * as Template from "./internal/template.ts"

/** The price of a model's tokens, per million input and per million output tokens. */
export interface ModelPrice extends ModelCalls.ModelPrice {}

/** Options of the HTML exporter. */
export interface Options {
  /** About how many characters of node data go into one chunk of the stream; defaults to 256 KiB. */
  readonly batchSize?: number
  /**
   * Token prices by model name, per million tokens; with them, model calls, models and the run show their cost. A
   * model matches its own name or else the longest name it starts with (`gpt-4o` prices `gpt-4o-2024-08-06`).
   */
  readonly prices?: Readonly<Record<string, ModelPrice>>
  /** Put before every cost; defaults to `$`. */
  readonly currency?: string
  /**
   * Where a sub-workflow node links to: the address of its child trace's report (relative, `http(s):` or `file:`;
   * anything else is dropped). Without it the child trace id is shown as text.
   */
  readonly childTraceHref?: (childTraceId: string) => string | undefined
}

/** The format name of this exporter, as given to `--format`. */
export const name = "html"

/** JSON that is safe inside a `<script>` block: `<` (and the two JavaScript line terminators) as `\u` escapes. */
export const scriptSafeJson = Data.scriptSafeJson

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

/** The page's Content-Security-Policy: nothing from anywhere, and only the page's own style and script (by hash). */
let policy: string | undefined
const contentSecurityPolicy = (): string =>
  policy ??= `default-src 'none'; style-src 'sha256-${Sha256.base64OfText(Template.styles)}'; ` +
    `script-src 'sha256-${Sha256.base64OfText(script)}'; img-src data:; base-uri 'none'; form-action 'none'`

interface Analysed {
  readonly parents: Int32Array
  readonly path: CriticalPath.CriticalPath
}

/**
 * The report as a lazy sequence of strings: the page head, the data in batches, the script, then the inputs and
 * outputs in blocks of {@link DETAIL_BLOCK} nodes (parsed by the page only when a row is opened), then the end.
 */
function* pieces(
  trace: WorkflowTrace,
  analysed: Analysed,
  csp: string,
  options: Options,
  batchSize: number
): Generator<string, void, undefined> {
  const nodes = trace.nodes
  const currency = options.currency ?? "$"
  const calls = ModelCalls.modelCallsOf(trace, options.prices)
  const { meta, model } = Report.model(trace, analysed.path, calls, DETAIL_BLOCK, currency)
  const { end, head, middle } = compiled()
  yield head({ model, csp, styles: Template.styles })
  yield* Data.pieces({
    trace,
    meta,
    parents: analysed.parents,
    critical: CriticalPath.membership(analysed.path, nodes.length),
    calls,
    batchSize,
    childTraceHref: options.childTraceHref
  })
  yield middle({ script })
  for (let block = 0; block * DETAIL_BLOCK < nodes.length; block++) {
    const from = block * DETAIL_BLOCK
    const to = Math.min(nodes.length, from + DETAIL_BLOCK)
    const batch = new Array<unknown>(to - from)
    for (let i = from; i < to; i++) batch[i - from] = Report.detail(nodes[i]!, meta.origin)
    yield `<script type="application/json" id="victor-details-${block}">${scriptSafeJson(JSON.stringify(batch))}</script>\n`
  }
  yield end({})
}

/** An HTML report exporter. Nothing is rendered until the stream is pulled, and then one batch of rows per pull. */
export const make = (options: Options = {}): Exporter.Exporter => {
  const batchSize = Math.max(1024, Math.floor(options.batchSize ?? 256 * 1024))
  return Exporter.make({
    name,
    fileExtension: "html",
    mediaType: "text/html; charset=utf-8",
    description: "a self-contained report: summary, trace tree and waterfall with the critical path, filters, details",
    // The nesting and the critical path first (interruptible, see `Cooperative.run`), then the page a batch at a time.
    export: (trace) =>
      Stream.unwrap(Effect.map(
        Cooperative.run(function*() {
          const parents = yield* CriticalPath.parentsWork(trace)
          const path = yield* CriticalPath.work(trace, parents)
          return { parents, path }
        }),
        (analysed) =>
          Exporter.streamPieces(name, "HTML", trace, () =>
            pieces(trace, analysed, contentSecurityPolicy(), options, batchSize))
      ))
  })
}
