/**
 * The report page: a Handlebars template for everything around the embedded node data, with its styles. Every value
 * goes through `{{ }}`, which escapes it; only the constant styles and script use `{{{ }}}`. The Content-Security-
 * Policy forbids every network request, so even markup that slipped through could not fetch anything.
 */

/** Styles: light by default, dark through `prefers-color-scheme`. */
export const styles = String.raw`
:root{--bg:#fff;--fg:#1b1f24;--muted:#5b6470;--line:#d8dde3;--card:#f5f7f9;--ok:#1a7f37;--ok-bg:#dafbe1;--fail:#cf222e;
--fail-bg:#ffebe9;--other:#9a6700;--other-bg:#fff8c5;--bar:#3b82f6;--tool:#8b5cf6;--crit:#f59e0b;--sel:#e7f0ff;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9aa5b1;--line:#30363d;--card:#161b22;
--ok:#3fb950;--ok-bg:#12261e;--fail:#f85149;--fail-bg:#2d1416;--other:#d29922;--other-bg:#2b2111;--bar:#4f8ff7;
--tool:#a78bfa;--crit:#fbbf24;--sel:#1c2b45}}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;background:var(--bg);color:var(--fg)}
main{max-width:1400px;margin:0 auto;padding:16px 24px 48px}h1{font-size:22px;margin:8px 0 4px}h2{font-size:17px;margin:28px 0 8px}
.muted{color:var(--muted)}code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:12px}
.ok .badge,.badge.ok{background:var(--ok-bg);color:var(--ok)}.badge.fail{background:var(--fail-bg);color:var(--fail)}
.badge.other{background:var(--other-bg);color:var(--other)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin-top:12px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.card .v{font-size:20px;font-weight:650}.card .k{color:var(--muted);font-size:12px}
.card.fail .v{color:var(--fail)}.card.ok .v{color:var(--ok)}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:24px}@media (max-width:900px){.grid2{grid-template-columns:1fr}}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;color:var(--muted);font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.fail td:first-child{box-shadow:inset 3px 0 var(--fail)}tr.ok td:first-child{box-shadow:inset 3px 0 var(--ok)}
#nodes tbody tr{cursor:pointer}#nodes tbody tr:hover{background:var(--card)}#nodes tbody tr.selected{background:var(--sel)}
.status{font-weight:600}.status.ok{color:var(--ok)}.status.fail{color:var(--fail)}.err{color:var(--fail);white-space:pre-wrap;word-break:break-word}
.crit-mark{color:var(--crit);font-weight:700}
.filters{display:flex;flex-wrap:wrap;gap:14px;align-items:center;padding:10px 12px;background:var(--card);border:1px solid var(--line);border-radius:8px;position:sticky;top:0;z-index:2}
.filters input[type=search]{min-width:240px;padding:4px 8px;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}
.filters select,.pager button{padding:3px 8px;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}
.pager{display:flex;gap:8px;align-items:center;margin:8px 0}
#overview{width:100%;height:48px;display:block;border:1px solid var(--line);border-radius:6px;background:var(--card)}
.timeline{border:1px solid var(--line);border-radius:8px;padding:6px 8px;margin-top:8px}
.axis{display:flex;justify-content:space-between;color:var(--muted);font-size:11px;margin-left:220px}
.lane{display:flex;align-items:center;height:20px}.lane .label{width:220px;flex:none;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;font-size:12px;padding-right:8px}
.track{position:relative;flex:1;height:14px;background:linear-gradient(90deg,var(--line) 1px,transparent 1px) 0 0/10% 100%}
.bar{position:absolute;top:1px;height:12px;min-width:2px;border-radius:3px;background:var(--bar);opacity:.9}
.bar.fail{background:var(--fail)}.bar.crit{outline:2px solid var(--crit);outline-offset:0}
.tool{position:absolute;top:4px;height:6px;min-width:2px;border-radius:2px;background:var(--tool)}.tool.fail{background:var(--fail)}
.legend{display:flex;gap:14px;font-size:12px;color:var(--muted);margin:6px 0}.legend i{display:inline-block;width:18px;height:10px;border-radius:2px;vertical-align:middle;margin-right:4px}
#details{margin-top:12px;border:1px solid var(--line);border-radius:8px;padding:8px 14px;background:var(--card)}
#details pre{margin:4px 0 8px;padding:8px;background:var(--bg);border:1px solid var(--line);border-radius:6px;max-height:360px;overflow:auto;white-space:pre-wrap;word-break:break-word}
details>summary{cursor:pointer;font-weight:600;margin:6px 0}
#run-spans{margin-top:12px;border:1px solid var(--line);border-radius:8px;padding:8px 14px;background:var(--card)}
#run-spans pre{margin:4px 0 8px;padding:8px;background:var(--bg);border:1px solid var(--line);border-radius:6px;max-height:360px;overflow:auto;white-space:pre-wrap;word-break:break-word}
details.span>summary{font-weight:500}details.span details.span{margin-left:16px}
`

/** The page up to the embedded data. */
export const head = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="Victor">
<title>{{model.title}}</title>
<link rel="icon" href="data:,">
<style>{{{styles}}}</style>
</head>
<body>
<main>
<header class="{{model.statusClass}}">
<h1>{{model.workflowName}} <span id="trace-status" class="badge {{model.statusClass}}">{{model.status}}</span></h1>
<div class="muted">Trace <code>{{model.traceId}}</code>{{#if model.parentTraceId}} · parent <code>{{model.parentTraceId}}</code>{{/if}} · started {{model.started}} · ended {{model.ended}}</div>
{{#if model.error}}<p class="err" id="trace-error">{{model.error}}</p>{{/if}}
</header>
<section id="summary" aria-label="Summary">
<h2>Summary</h2>
<div class="cards">
<div class="card"><div class="v">{{model.duration}}</div><div class="k">total duration</div></div>
<div class="card"><div class="v" id="stat-nodes">{{model.nodeCount}}</div><div class="k">nodes</div></div>
<div class="card ok"><div class="v">{{model.succeeded}}</div><div class="k">succeeded</div></div>
<div class="card{{#if model.failed}} fail{{/if}}"><div class="v" id="stat-failed">{{model.failed}}</div><div class="k">failed</div></div>
<div class="card"><div class="v">{{model.successRate}}</div><div class="k">success rate</div></div>
<div class="card"><div class="v">{{model.averageNode}}</div><div class="k">average node</div></div>
<div class="card"><div class="v">{{model.toolCallCount}}</div><div class="k">tool calls ({{model.failedToolCalls}} failed)</div></div>
<div class="card"><div class="v">{{model.criticalCount}}</div><div class="k">nodes on the critical path ({{model.criticalDuration}})</div></div>
</div>
</section>
<div class="grid2">
<section id="slowest" aria-label="Slowest nodes">
<h2>Slowest nodes</h2>
<table><thead><tr><th>node</th><th>type</th><th class="num">duration</th><th class="num">share of run</th></tr></thead><tbody>
{{#each model.slowest}}<tr class="{{#if success}}ok{{else}}fail{{/if}}"><td class="mono">{{nodeId}}</td><td>{{nodeType}}</td><td class="num">{{duration}}</td><td class="num">{{share}}</td></tr>
{{else}}<tr><td colspan="4" class="muted">no nodes</td></tr>{{/each}}
</tbody></table>
</section>
<section id="tools" aria-label="Tool usage">
<h2>Tool usage</h2>
<table><thead><tr><th>tool</th><th class="num">calls</th><th class="num">failed</th><th class="num">total</th><th class="num">average</th></tr></thead><tbody>
{{#each model.tools}}<tr class="{{#if failures}}fail{{else}}ok{{/if}}"><td class="mono">{{toolName}}</td><td class="num">{{calls}}</td><td class="num">{{failures}}</td><td class="num">{{total}}</td><td class="num">{{average}}</td></tr>
{{else}}<tr><td colspan="5" class="muted">no tool calls</td></tr>{{/each}}
</tbody></table>
</section>
</div>
<h2>Nodes</h2>
<div class="filters" id="filters" role="search">
<label><input type="checkbox" id="filter-failed"> failed only</label>
<label>type <select id="filter-type"><option value="">all types</option>{{#each model.nodeTypes}}<option value="{{name}}">{{name}} ({{count}})</option>{{/each}}</select></label>
<label>sort <select id="sort"><option value="start">start time</option><option value="slowest">slowest first</option></select></label>
<input type="search" id="filter-text" placeholder="search id, type, error, tool" aria-label="search">
<span id="match-count" class="muted" aria-live="polite"></span>
</div>
<section id="timeline" aria-label="Timeline">
<h2>Timeline</h2>
<canvas id="overview" height="48" aria-label="all matching nodes over the whole run"></canvas>
<div class="legend"><span><i style="background:var(--bar)"></i>node</span><span><i style="background:var(--tool)"></i>tool call</span><span><i style="background:var(--fail)"></i>failed</span><span><i style="outline:2px solid var(--crit)"></i>critical path</span><span>bars of the page below, on the page's time span; overlapping bars ran in parallel</span></div>
<div class="timeline"><div class="axis"><span id="axis-from"></span><span id="axis-to"></span></div><div id="lanes"></div></div>
</section>
<div class="pager"><button type="button" id="prev">‹ previous</button><span id="page-info"></span><button type="button" id="next">next ›</button></div>
<table id="nodes"><thead><tr><th>status</th><th>node</th><th>type</th><th class="num">start</th><th class="num">duration</th><th class="num">tool calls</th><th>error</th></tr></thead><tbody id="node-rows"></tbody></table>
<section id="details" hidden aria-label="Node details"></section>
<section id="run-spans" hidden aria-label="Effect spans outside any node"></section>
<noscript><p>The node table and timeline need JavaScript; the summary above does not.</p></noscript>
</main>
<script type="application/json" id="victor-meta">{{{metaJson}}}</script>
<script type="application/json" id="victor-nodes">`

/** The page between the node rows and the detail blocks: the script runs as soon as the rows are in. */
export const middle = `</script>
<script>{{{script}}}</script>
`

/** The end of the page, after the detail blocks. */
export const end = `</body>
</html>
`
