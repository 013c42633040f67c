/**
 * A comparison as one self-contained HTML page that opens offline: the verdict and the regression threshold in the
 * header; a summary of both runs (durations, statuses, the difference, the critical path, how many nodes regressed,
 * improved, were added or removed, now fail); then a table of every compared node with the baseline's and the
 * candidate's waterfall bars side by side on one time axis, sortable by each column, filterable by name and by change
 * ("regressions only", improvements, added, removed, now failing), with the keyboard, and the details of the selected
 * node. A regression is ▲ and red, an improvement ▼ and green, an added node +, a removed one −: never colour alone.
 * Light and dark follow `prefers-color-scheme`, and every text colour meets WCAG AA in both.
 *
 * How it stays safe: the page around the data escapes every value (`escape`); the rows are one JSON object in a
 * `<script type="application/json">` block with every `<` written as `\u003c`, so no value can end the block; the
 * page's script only ever sets text. The Content-Security-Policy allows no request of any kind and no script or style
 * but the page's own (by their SHA-256), so even markup that slipped through could neither run nor load anything.
 *
 * How it stays fast: the rows are flat arrays and only the rows in view exist in the page, so a comparison of 10,000
 * nodes opens as fast as one of 10.
 */
import * as Display from "@victor/core/Display"
import * as Comparison from "./Comparison.ts"
import * as ReportData from "./internal/reportData.ts"
import { script } from "./internal/reportScript.ts"
import { styles } from "./internal/reportStyles.ts"
import * as Sha256 from "@victor/core/Sha256"
import * as Threshold from "./Threshold.ts"

/** Escapes text for HTML element content and quoted attribute values. */
export const escape = (text: string): string =>
  text.replace(/[&<>"'`]/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : c === "'" ? "&#39;" : "&#96;"
  )

/** JSON that is safe inside a `<script>` block: `<` (and the two JavaScript line terminators) as `\u` escapes. */
export const scriptSafeJson = ReportData.scriptSafeJson

let policy: string | undefined

/** The page's Content-Security-Policy: nothing from anywhere, and only the page's own style and script (by hash). */
export const contentSecurityPolicy = (): string =>
  policy ??= `default-src 'none'; style-src 'sha256-${Sha256.base64OfText(styles)}'; ` +
    `script-src 'sha256-${Sha256.base64OfText(script)}'; img-src data:; base-uri 'none'; form-action 'none'`

/** The thresholds a comparison used. */
const thresholdsOf = ({ thresholds }: Comparison.Comparison): Threshold.Thresholds => ({
  ...(thresholds.absoluteSeconds === null ? {} : { absoluteSeconds: thresholds.absoluteSeconds }),
  ...(thresholds.relative === null ? {} : { relative: thresholds.relative })
})

/** The thresholds a comparison used, as `Threshold.describe` words them (`> 0.5s and > 20%`). */
export const thresholdText = (comparison: Comparison.Comparison): string => Threshold.describe(thresholdsOf(comparison))

const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`

/** A side's statuses: `succeeded` for one run, `4 succeeded · 1 failed` for several; and the badge's class. */
const statusOf = (side: Comparison.Comparison["base"]): { readonly text: string; readonly tone: string } => {
  const entries = Object.entries(side.statuses).filter(([, count]) => count > 0)
  const tone = entries.length === 0
    ? "other"
    : entries.some(([status]) => status === "failed")
    ? "fail"
    : entries.every(([status]) => status === "succeeded")
    ? "ok"
    : "other"
  const text = entries.length === 0
    ? "unknown"
    : side.runs === 1 && entries.length === 1
    ? entries[0]![0]
    : entries.map(([status, count]) => `${count} ${status}`).join(" · ")
  return { text, tone }
}

/** A summary card; `value` and `key` are markup (escaped by the caller). */
const card = (tone: string, value: string, key: string, id: string) =>
  `<div class="card${tone === "" ? "" : ` ${tone}`}" id="${id}"><div class="v">${value}</div><div class="k">${key}</div></div>`

const runCard = (which: "base" | "head", side: Comparison.Comparison["base"]) => {
  const status = statusOf(side)
  return `<div class="card run ${which}" id="run-${which}"><div class="v">${escape(Display.duration(side.durationSeconds))} ` +
    `<span class="badge ${status.tone}">${escape(status.text)}</span></div>` +
    `<div class="k">${which === "base" ? "baseline" : "candidate"}${side.runs > 1 ? " (median)" : ""} · total duration</div>` +
    `<div class="s mono" title="${escape(side.label)}">${escape(side.label)}</div></div>`
}

/** Up to `max` items as `<li>`s, then how many more. */
const items = (lines: ReadonlyArray<string>, max: number) =>
  lines.slice(0, max).map((line) => `<li>${escape(line)}</li>`).join("") +
  (lines.length > max ? `<li class="muted">and ${lines.length - max} more: filter the table by ▲ Regressions</li>` : "")

const sortButton = (key: string, label: string, title: string) =>
  `<button type="button" data-sort="${key}" title="${title}">${label}<span class="arrow" aria-hidden="true"></span></button>`

/** The comparison as an HTML document (UTF-8 text). */
export const render = (comparison: Comparison.Comparison): string => {
  const { base, criticalPath: path, head, total } = comparison
  const thresholds = thresholdText(comparison)
  // The run as a whole is judged by the same threshold as its nodes.
  const totalTone = Threshold.exceeds(thresholdsOf(comparison), total.baseSeconds, total.deltaSeconds)
    ? "reg"
    : Threshold.exceeds(thresholdsOf(comparison), total.baseSeconds, -total.deltaSeconds)
    ? "imp"
    : ""
  const totalSymbol = total.deltaSeconds > 0 ? "▲ " : total.deltaSeconds < 0 ? "▼ " : ""
  const regressions = comparison.regressions.length
  const improvements = comparison.improvements.length
  const nowFailing = comparison.successFlips.filter((n) => n.successFlip === "broken").length
  const nowSucceeding = comparison.successFlips.length - nowFailing
  const workflows = base.workflowName === head.workflowName
    ? `<code>${escape(head.workflowName)}</code>`
    : `<code>${escape(base.workflowName)}</code> → <code>${escape(head.workflowName)}</code>`
  const verdict = regressions === 0
    ? `<span class="badge ok" id="verdict">✓ no regressions</span>`
    : `<span class="badge fail" id="verdict">▲ ${plural(regressions, "regression")}</span>`
  return [
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy()}">`,
    '<meta name="generator" content="Victor">',
    `<title>Victor comparison: ${escape(base.label)} vs ${escape(head.label)}</title>`,
    '<link rel="icon" href="data:,">',
    `<style>${styles}</style></head><body><main>`,
    '<header class="top"><div>',
    `<h1>Comparison of ${workflows} ${verdict}</h1>`,
    `<div class="muted">baseline <code>${escape(base.label)}</code> → candidate <code>${escape(head.label)}</code></div>`,
    "</div>",
    `<p class="threshold" id="threshold">Regression threshold: <strong>${escape(thresholds)}</strong><br>` +
    `<span class="muted">a node regresses (▲) when it slows down past it, improves (▼) when it speeds up past it</span></p>`,
    "</header>",
    '<section id="summary" aria-label="Summary"><div class="cards">',
    runCard("base", base),
    runCard("head", head),
    card(
      totalTone,
      escape(`${totalSymbol}${Display.signedDuration(total.deltaSeconds)}`),
      escape(`${Display.signedPercent(total.deltaRatio)} total duration`),
      "total-delta"
    ),
    card(
      "",
      escape(`${Display.duration(path.baseSeconds)} → ${Display.duration(path.headSeconds)}`),
      escape(`critical path (${Display.signedDuration(path.deltaSeconds)})`),
      "critical-path"
    ),
    card(regressions > 0 ? "reg" : "", escape(`▲ ${regressions}`), "regressions", "count-regressions"),
    card(improvements > 0 ? "imp" : "", escape(`▼ ${improvements}`), "improvements", "count-improvements"),
    card("add", escape(`+ ${comparison.added.length}`), "added nodes", "count-added"),
    card("rem", escape(`− ${comparison.removed.length}`), "removed nodes", "count-removed"),
    card(
      nowFailing > 0 ? "reg" : "",
      escape(`✗ ${nowFailing}`),
      escape(nowSucceeding > 0 ? `now fail · ${nowSucceeding} now succeed` : "now fail"),
      "count-flips"
    ),
    "</div></section>",
    '<section id="explorer" aria-label="Nodes of both runs">',
    '<div class="toolbar" role="search" aria-label="Find nodes">',
    '<input type="search" id="filter-text" placeholder="Filter nodes" title="Filter nodes by name or type (/)" aria-label="Filter by node name or type">',
    '<fieldset class="seg" id="filter-show"><legend class="sr-only">Show</legend>',
    '<input type="radio" name="show" id="show-all" value="" checked><label for="show-all">All</label>',
    `<input type="radio" name="show" id="show-regressed" value="regressed"><label for="show-regressed">▲ Regressions only (${regressions})</label>`,
    `<input type="radio" name="show" id="show-improved" value="improved"><label for="show-improved">▼ Improved (${improvements})</label>`,
    `<input type="radio" name="show" id="show-added" value="added"><label for="show-added">+ Added (${comparison.added.length})</label>`,
    `<input type="radio" name="show" id="show-removed" value="removed"><label for="show-removed">− Removed (${comparison.removed.length})</label>`,
    `<input type="radio" name="show" id="show-fails" value="fails"><label for="show-fails">✗ Now failing (${nowFailing})</label>`,
    "</fieldset>",
    '<span class="fill"></span><span id="match-count" aria-live="polite"></span>',
    '<span role="group" aria-label="Zoom the timeline"><button type="button" id="zoom-out" aria-label="Zoom out" title="Zoom out (-)">−</button> ' +
    '<button type="button" id="zoom-in" aria-label="Zoom in" title="Zoom in (+)">+</button> ' +
    '<button type="button" id="zoom-fit" title="Show the whole run (0)">Fit</button> ' +
    '<button type="button" id="zoom-row" title="Zoom to the selected node" disabled>Zoom to node</button></span>',
    '<span id="view-range" aria-live="polite"></span>',
    "</div>",
    '<div class="grid" id="grid" role="grid" tabindex="0" aria-colcount="7" ' +
    'aria-label="Nodes of both runs: Up and Down move between rows, Page Up, Page Down, Home and End jump, ' +
    'Left and Right pan the timeline, plus and minus zoom it; the column headers sort">',
    '<div class="grid-head" id="grid-head" role="rowgroup"><div class="cols colhead" role="row" aria-rowindex="1">',
    `<div role="columnheader" aria-sort="none">${sortButton("change", "Δ", "Sort by change: regressions first")}</div>`,
    `<div role="columnheader" aria-sort="none">${sortButton("name", "Node", "Sort by name")}</div>`,
    `<div role="columnheader" aria-sort="none" class="num">${sortButton("base", "Baseline", "Sort by the baseline's duration")}</div>`,
    `<div role="columnheader" aria-sort="none" class="num">${sortButton("head", "Candidate", "Sort by the candidate's duration")}</div>`,
    `<div role="columnheader" aria-sort="none" class="num">${sortButton("delta", "Delta", "Sort by delta: largest slowdown first")}</div>`,
    `<div role="columnheader" aria-sort="none" class="num">${sortButton("ratio", "Delta %", "Sort by relative delta")}</div>`,
    `<div role="columnheader" aria-sort="ascending" class="tl">${
      sortButton("start", "Timeline: baseline above, candidate below", "Sort by start time")
    }<div class="axis" id="axis" aria-hidden="true"></div></div>`,
    "</div>",
    `<div class="cols total${totalTone === "" ? "" : ` ${totalTone}`}" id="grid-total" role="row" aria-rowindex="2">` +
    '<span role="gridcell"></span>',
    '<span role="rowheader">whole run</span>',
    `<span role="gridcell" class="num">${escape(Display.duration(base.durationSeconds))}</span>`,
    `<span role="gridcell" class="num">${escape(Display.duration(head.durationSeconds))}</span>`,
    `<span role="gridcell" class="num${totalTone === "" ? "" : ` ${totalTone}-text`}">${
      escape(Display.signedDuration(total.deltaSeconds))
    }</span>`,
    `<span role="gridcell" class="num">${escape(Display.signedPercent(total.deltaRatio))}</span>`,
    '<span role="gridcell" class="lanes"></span></div>',
    "</div>",
    '<div class="body" id="grid-body" role="rowgroup"></div>',
    '<p class="empty" id="grid-empty" hidden>No node matches the filters.</p>',
    "</div>",
    '<div class="legend" id="legend" aria-label="Legend">',
    '<span><i class="sw base"></i>baseline run (upper bar)</span><span><i class="sw head"></i>candidate run (lower bar)</span>',
    `<span><b class="reg">▲</b><i class="sw reg"></i>regression: slower past ${escape(thresholds)}</span>`,
    '<span><b class="imp">▼</b><i class="sw imp"></i>improvement: faster past it</span>',
    '<span><b class="add">+</b><i class="sw add"></i>added: only in the candidate</span>',
    '<span><b class="rem">−</b>removed: only in the baseline</span>',
    '<span><b class="fails">✗</b>failed</span><span><b class="crit">◆</b>on the critical path</span>',
    "<span>one time axis: both runs from their start</span>",
    "<span><kbd>/</kbd> filter · <kbd>↑</kbd> <kbd>↓</kbd> rows · <kbd>+</kbd> <kbd>-</kbd> zoom · <kbd>←</kbd> <kbd>→</kbd> pan · " +
    "<kbd>0</kbd> whole run · click a header to sort</span>",
    "</div>",
    '<aside class="details" id="details" aria-label="Details" aria-live="polite"></aside>',
    "</section>",
    '<section id="regressions" aria-label="Regressions">',
    regressions === 0
      ? `<h2>No regressions (threshold: ${escape(thresholds)})</h2>`
      : `<h2>${escape(plural(regressions, "regression"))} (threshold: ${escape(thresholds)})</h2>` +
        `<ul>${items(Comparison.regressionLines(comparison), 50)}</ul>`,
    "</section>",
    '<section id="critical" aria-label="Critical path">',
    `<h2>Critical path</h2><ul>${items(Comparison.criticalPathLines(comparison).map((line) => line.trim()), 50)}</ul>`,
    "</section>",
    `<p class="muted">${plural(comparison.nodes.length, "compared node visit")} · ` +
    `${comparison.toolCallChanges.length} with a changed number of tool calls</p>`,
    "<noscript><p>The node table needs JavaScript; the summary and the lists above do not.</p></noscript>",
    "</main>",
    `<script type="application/json" id="victor-compare-data">${ReportData.json(comparison)}</script>`,
    `<script>${script}</script>`,
    "</body></html>",
    ""
  ].join("\n")
}
