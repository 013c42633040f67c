/**
 * The report's data: one JSON object in one `<script type="application/json">` block, written a batch at a time so
 * that a 100,000-node trace never becomes one string. Rows are flat arrays with a fixed number of values per row
 * (a flat array of numbers and strings is what `JSON.parse` reads fastest), and repeated names (node types, tool and
 * model names) are numbers into `names`, which comes last because it fills while the rows are written:
 *
 * | key | one row is |
 * |---|---|
 * | `meta` | see `Report.Meta` |
 * | `run` | the workflow row's details: `Report.runDetail` |
 * | `nodes` | `id, type, start, duration, flags, error, parent` ({@link NODE_STRIDE}); flags: 1 succeeded, 2 on the critical path; parent: the index of the record it ran in (`CriticalPath.parentsWork`: a parallel node's children), or -1 |
 * | `tools` | `node, name, start, duration, ok, error` ({@link TOOL_STRIDE}), in node order, then call order |
 * | `models` | `node, model, start, duration, input tokens, output tokens, cost, finish reason, entry` ({@link MODEL_STRIDE}) |
 * | `links` | `node, child trace id, child workflow, href` ({@link LINK_STRIDE}): sub-workflow nodes |
 * | `names` | the strings the numbers above stand for |
 *
 * Times are seconds from `meta.origin`. Every chunk goes through `scriptSafeJson`, so no value can end the block.
 */
import type { WorkflowTrace } from "@victor/core/WorkflowTrace"
import type { ModelCalls } from "./modelCalls.ts"
import * as Report from "./report.ts"

/** Values per node row. */
export const NODE_STRIDE = 7
/** Values per tool-call row. */
export const TOOL_STRIDE = 6
/** Values per model-call row. */
export const MODEL_STRIDE = 9
/** Values per sub-workflow link. */
export const LINK_STRIDE = 4

/** JSON that is safe inside a `<script>` block: `<` (and the two JavaScript line terminators) as `\u` escapes. */
export const scriptSafeJson = (json: string): string =>
  json.replaceAll("<", "\\u003c").replaceAll("\u2028", "\\u2028").replaceAll("\u2029", "\\u2029")

/** Strings as small numbers, in order of first use. */
class Names {
  private readonly index = new Map<string, number>()
  readonly list: Array<string> = []
  of(name: string): number {
    let at = this.index.get(name)
    if (at === undefined) {
      at = this.list.length
      this.index.set(name, at)
      this.list.push(name)
    }
    return at
  }
}

/** Whether an href may go into the page: a relative reference, or an `http(s):` or `file:` URL (never `javascript:`). */
export const isSafeHref = (href: string): boolean =>
  !/[\u0000-\u001f]/.test(href) && (/^(https?|file):/i.test(href) || !/^[^/?#]*:/.test(href))

/** What the data is written from. */
export interface Input {
  readonly trace: WorkflowTrace
  readonly meta: Report.Meta
  readonly parents: Int32Array
  readonly critical: Uint8Array
  readonly calls: ModelCalls
  /** About how many characters go into one chunk. */
  readonly batchSize: number
  readonly childTraceHref: ((traceId: string) => string | undefined) | undefined
}

/**
 * `count` rows of `stride` values each, as comma-separated JSON chunks of about `batchSize` characters (the number
 * of rows per chunk adapts to the rows' size). `fill` writes row `i` into `out` from `at`.
 */
function* flatRows(
  count: number,
  stride: number,
  batchSize: number,
  fill: (i: number, out: Array<unknown>, at: number) => void
): Generator<string, void, undefined> {
  let rows = 64
  for (let start = 0, stop = 0; start < count; start = stop) {
    stop = Math.min(count, start + rows)
    const batch = new Array<unknown>((stop - start) * stride)
    for (let i = start; i < stop; i++) fill(i, batch, (i - start) * stride)
    const json = JSON.stringify(batch)
    rows = Math.max(1, Math.floor(batchSize / Math.max(1, json.length / (stop - start))))
    yield (start === 0 ? "" : ",") + scriptSafeJson(json.slice(1, -1))
  }
}

/** The data block's content (without the `<script>` tags), a chunk at a time. */
export function* pieces(input: Input): Generator<string, void, undefined> {
  const { batchSize, calls, critical, meta, parents, trace } = input
  const nodes = trace.nodes
  const origin = meta.origin
  const names = new Names()
  yield scriptSafeJson(`{"meta":${JSON.stringify(meta)},"run":${JSON.stringify(Report.runDetail(trace, origin))}`) +
    `,"nodes":[`
  yield* flatRows(nodes.length, NODE_STRIDE, batchSize, (i, out, at) => {
    const node = nodes[i]!
    out[at] = node.nodeId
    out[at + 1] = names.of(node.nodeType)
    out[at + 2] = Report.offset(node.timestamp, origin)
    out[at + 3] = node.durationSeconds
    out[at + 4] = (node.success ? 1 : 0) | (critical[i] === 1 ? 2 : 0)
    out[at + 5] = node.error
    out[at + 6] = parents[i]
  })
  // Tool calls in node order: the page finds a node's calls from where its first one is.
  const toolNode: Array<number> = []
  const toolIndex: Array<number> = []
  for (let i = 0; i < nodes.length; i++) {
    const count = nodes[i]!.toolCalls.length
    for (let k = 0; k < count; k++) {
      toolNode.push(i)
      toolIndex.push(k)
    }
  }
  yield `],"tools":[`
  yield* flatRows(toolNode.length, TOOL_STRIDE, batchSize, (c, out, at) => {
    const node = nodes[toolNode[c]!]!
    const call = node.toolCalls[toolIndex[c]!]!
    out[at] = toolNode[c]
    out[at + 1] = names.of(call.toolName)
    // A call recorded without a time (older files) is shown at its node's start.
    out[at + 2] = Report.offset(call.timestamp > 0 ? call.timestamp : node.timestamp, origin)
    out[at + 3] = call.durationSeconds
    out[at + 4] = call.success ? 1 : 0
    out[at + 5] = call.error
  })
  yield `],"models":[`
  yield* flatRows(calls.count, MODEL_STRIDE, batchSize, (m, out, at) => {
    out[at] = calls.node[m]
    out[at + 1] = names.of(calls.model[m]!)
    out[at + 2] = Report.offset(calls.start[m]!, origin)
    out[at + 3] = calls.duration[m]
    out[at + 4] = calls.inputTokens[m]
    out[at + 5] = calls.outputTokens[m]
    out[at + 6] = calls.cost[m]
    out[at + 7] = calls.finishReason[m]
    out[at + 8] = calls.entry[m]
  })
  const links: Array<unknown> = []
  for (let i = 0; i < nodes.length; i++) {
    const metadata = nodes[i]!.metadata
    const child = metadata["child_trace_id"]
    if (typeof child !== "string") continue
    const workflow = metadata["child_workflow"]
    const href = input.childTraceHref?.(child)
    links.push(i, child, typeof workflow === "string" ? workflow : null, href !== undefined && isSafeHref(href) ? href : null)
  }
  yield scriptSafeJson(`],"links":${JSON.stringify(links)},"names":${JSON.stringify(names.list)}}`)
}
