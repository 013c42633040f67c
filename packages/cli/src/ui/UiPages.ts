/**
 * The explorer's pages as the server sends them: a shell of static markup (the header, the empty tables and forms)
 * that loads the style sheet and the page's script from `/assets/`, which fill it from the API. No value of a trace
 * is ever in this markup: the scripts set it as text. What the shell does hold — the token, the store's name, a trace
 * id from the address — is escaped.
 */
import * as WorkflowTrace from "@victor/core/WorkflowTrace"

/** Escapes text for element content and quoted attribute values. */
export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"'`]/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : c === "'" ? "&#39;" : "&#96;"
  )

/** What every page shows in its header, and how it reaches the server. */
export interface Context {
  readonly token: string
  /** The store, as output shows it (a database URL's password masked). */
  readonly store: string
}

type Page = "history" | "trace" | "compare"

/** An address of the explorer with the token (and more parameters), escaped for an attribute. */
const href = (context: Context, path: string, params: Record<string, string> = {}) =>
  escapeHtml(`${path}?${new URLSearchParams({ ...params, token: context.token }).toString()}`)

const shell = (context: Context, page: Page, title: string, body: string, attributes = "") =>
  [
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    `<title>${escapeHtml(title)}</title>`,
    '<link rel="icon" href="data:,">',
    `<link rel="stylesheet" href="${href(context, "/assets/ui.css")}">`,
    `<script src="${href(context, "/assets/common.js")}" defer></script>`,
    `<script src="${href(context, `/assets/${page}.js`)}" defer></script>`,
    `</head><body data-page="${page}"${attributes}>`,
    '<header class="bar">',
    `<a class="brand" href="${href(context, "/")}">Victor</a>`,
    "<nav>",
    `<a href="${href(context, "/")}"${page === "history" ? ' class="current"' : ""}>History</a>`,
    `<a href="${href(context, "/compare")}"${page === "compare" ? ' class="current"' : ""}>Compare</a>`,
    "</nav>",
    `<span class="store" title="${escapeHtml(context.store)}">store: ${escapeHtml(context.store)}</span>`,
    "</header>",
    body,
    "</body></html>",
    ""
  ].join("\n")

const statusOptions = WorkflowTrace.TraceStatus.literals.map((s) => `<option value="${s}">${s}</option>`).join("")

/** The history: sparklines per workflow, the running traces, the filters and the table. */
export const history = (context: Context): string =>
  shell(
    context,
    "history",
    "Victor · History",
    `<main>
<section id="live" class="live" hidden><h2><span class="pulse"></span>Running now</h2><ul id="running"></ul></section>
<section><h2>Workflows</h2><div id="sparklines" class="cards"></div></section>
<section>
<h2>History</h2>
<form id="filters" class="filters panel">
<label>Workflow<select name="workflow" id="f-workflow"><option value="">all workflows</option></select></label>
<label>Status<select name="status" id="f-status"><option value="">any status</option>${statusOptions}</select></label>
<label>Started from<input type="datetime-local" name="from" id="f-from"></label>
<label>to<input type="datetime-local" name="to" id="f-to"></label>
<label>Search<input type="search" name="q" id="f-q" placeholder="trace id or workflow name"></label>
<button type="submit" class="primary">Apply</button>
<button type="button" id="f-clear">Clear</button>
</form>
<div class="toolbar"><span id="count">Loading…</span><span class="grow"></span>
<span id="selection" class="muted">Tick two traces to compare them</span>
<button type="button" id="compare" disabled>Compare</button></div>
<table id="traces"><thead><tr><th></th><th>Status</th><th>Workflow</th><th>Trace</th><th>Started</th>
<th class="num">Duration</th><th class="num">Nodes</th><th class="num">Failed</th></tr></thead><tbody></tbody></table>
<nav class="pager"><button type="button" id="prev">← Newer</button><span id="pageinfo"></span>
<button type="button" id="next">Older →</button></nav>
</section>
</main>`
  )

/** A trace: its header, the live view while it runs, then the HTML report in a sandboxed frame. */
export const trace = (context: Context, traceId: string): string =>
  shell(
    context,
    "trace",
    `Victor · ${traceId}`,
    `<main class="full">
<div class="tracehead">
<a href="${href(context, "/")}">← History</a>
<h1 id="title">Trace</h1>
<span id="status" class="badge s-unknown">loading</span>
<span id="meta" class="meta mono"></span>
<span class="links"><a id="compare-link" href="${href(context, "/compare", { head: traceId })}">Compare…</a>
<a id="report-link" href="${href(context, `/report/${encodeURIComponent(traceId)}`)}" target="_blank"
 rel="noopener">Open report alone</a></span>
</div>
<p id="problem" class="problem" hidden></p>
<section id="live" class="livebox" hidden>
<h2><span class="pulse"></span>Running: updates as the run's journal grows</h2>
<p id="live-note" class="muted"></p>
<table id="live-nodes"><thead><tr><th>Node</th><th>Type</th><th>Status</th><th>Started</th>
<th class="num">Duration</th><th class="num">Tool calls</th><th>Error</th></tr></thead><tbody></tbody></table>
</section>
<iframe id="report" class="report" title="Trace report" hidden
 sandbox="allow-scripts allow-popups allow-popups-to-escape-sandbox"></iframe>
</main>`,
    ` data-trace-id="${escapeHtml(traceId)}"`
  )

/** The comparison of two traces: the pickers, the plugin's verdict, then its HTML report in a sandboxed frame. */
export const compare = (context: Context): string =>
  shell(
    context,
    "compare",
    "Victor · Compare",
    `<main>
<section>
<h2>Compare two runs</h2>
<form id="pick" class="filters panel">
<label>Base (before)<input name="base" id="c-base" list="recent" placeholder="id, prefix or last" required></label>
<label>Head (after)<input name="head" id="c-head" list="recent" placeholder="id, prefix or last" required></label>
<label>Regression threshold<input name="threshold" id="c-threshold" placeholder="0.5s (default) or 20%"></label>
<button type="submit" class="primary">Compare</button>
</form>
<datalist id="recent"></datalist>
</section>
<p id="problem" class="problem" hidden></p>
<section id="result" hidden>
<table class="sides panel"><tbody>
<tr><td>Base</td><td id="r-base" class="wrap"></td></tr>
<tr><td>Head</td><td id="r-head" class="wrap"></td></tr>
<tr><td>Difference</td><td id="r-total"></td></tr>
<tr><td>Critical path</td><td id="r-critical" class="wrap"></td></tr>
<tr><td>Verdict</td><td class="wrap"><span id="r-verdict"></span><ul id="regressions" class="regressions"></ul></td></tr>
</tbody></table>
<div class="toolbar"><h2>The comparison plugin's report</h2><span class="grow"></span>
<a id="plugin-report" target="_blank" rel="noopener">Open it alone</a></div>
<iframe id="report" class="report compare" title="Comparison report"
 sandbox="allow-scripts allow-popups allow-popups-to-escape-sandbox"></iframe>
</section>
</main>`
  )
