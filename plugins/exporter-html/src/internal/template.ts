/**
 * The report page: a Handlebars template for everything around the embedded data, with its styles. Every value goes
 * through `{{ }}`, which escapes it; only the constant styles, script and policy use `{{{ }}}`. The Content-Security-
 * Policy forbids every network request and every script and style but the page's own, so even markup that slipped
 * through could neither run nor fetch anything. No element carries a `style` attribute (the policy would refuse it).
 *
 * Colours: every text colour meets WCAG AA (4.5:1) on every background it is drawn on, in light and dark (the tests
 * measure it in Chromium); bars and marks meet 3:1 against the page.
 */

/** Styles: light by default, dark through `prefers-color-scheme`. */
export const styles = String.raw`
:root{--bg:#fff;--fg:#1f2328;--muted:#57606a;--line:#d0d7de;--grid:#eaeef2;--card:#f6f8fa;--hover:#eef1f4;--sel:#e7f3ff;
--accent:#0860c4;--ok:#116329;--ok-bg:#dafbe1;--fail:#b42318;--fail-bg:#ffebe9;--other:#7d4e00;--other-bg:#fff8c5;
--t-model:#0f6a70;--t-tool:#6e40c9;--t-crit:#9a3d00;
--b-wf:#57606a;--b-node:#0969da;--b-model:#1b7c83;--b-tool:#8250df;--b-fail:#cf222e;--crit:#bc4c00;
--bar-ink:#fff;--tree-w:380px;--sbw:0px;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9ea7b3;--line:#3d444d;--grid:#21262d;
--card:#151b23;--hover:#1c232c;--sel:#172a45;--accent:#58a6ff;--ok:#3fb950;--ok-bg:#12261e;--fail:#ff7b72;
--fail-bg:#2d1416;--other:#d29922;--other-bg:#2b2111;--t-model:#39c5cf;--t-tool:#d2a8ff;--t-crit:#f0883e;
--b-wf:#9198a1;--b-node:#4493f8;--b-model:#39c5cf;--b-tool:#d2a8ff;--b-fail:#ff7b72;--crit:#f0883e;--bar-ink:#0d1117}}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;background:var(--bg);color:var(--fg)}
main{padding:12px 20px 40px}h1{font-size:20px;margin:0 0 2px}h2{font-size:16px;margin:24px 0 8px}
.muted{color:var(--muted)}code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
a{color:var(--accent)}
:focus-visible{outline:2px solid var(--accent);outline-offset:1px}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:12px;vertical-align:middle}
.badge.ok{background:var(--ok-bg);color:var(--ok)}.badge.fail{background:var(--fail-bg);color:var(--fail)}
.badge.other{background:var(--other-bg);color:var(--other)}
.cards{display:flex;flex-wrap:wrap;gap:8px;margin-top:10px}
.card{flex:1 1 auto;min-width:0;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:5px 10px}
.card .v{font-size:17px;font-weight:650;white-space:nowrap}.card .k{color:var(--muted);font-size:12px}
.card.fail .v{color:var(--fail)}.card.ok .v{color:var(--ok)}
.grid3{display:grid;grid-template-columns:repeat(auto-fit,minmax(380px,1fr));gap:24px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;color:var(--muted);font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.fail td:first-child{box-shadow:inset 3px 0 var(--fail)}tr.ok td:first-child{box-shadow:inset 3px 0 var(--ok)}
.err{color:var(--fail);white-space:pre-wrap;word-break:break-word}
#explorer{margin-top:14px;border:1px solid var(--line);border-radius:8px;overflow:hidden}
.toolbar{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:center;padding:8px 10px;background:var(--card);border-bottom:1px solid var(--line)}
.toolbar input[type=search]{width:230px;padding:4px 8px;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}
.toolbar select,.toolbar button,.tree-head button{padding:3px 8px;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg);font:inherit;font-size:13px}
.toolbar button:hover,.tree-head button:hover{background:var(--hover)}
.seg{display:inline-flex;border:1px solid var(--line);border-radius:6px;overflow:hidden;margin:0;padding:0}
.seg input{position:absolute;opacity:0;width:1px;height:1px}
.seg label{padding:3px 9px;font-size:13px;cursor:pointer;background:var(--bg);color:var(--fg);border-left:1px solid var(--line)}
.seg label:first-of-type{border-left:0}.seg input:checked+label{background:var(--sel);font-weight:600}
.seg input:focus-visible+label{outline:2px solid var(--accent);outline-offset:-2px}
.toolbar .fill{flex:1}#match-count,#view-range{font-size:12.5px;color:var(--muted);font-variant-numeric:tabular-nums}
.workspace{display:grid;grid-template-columns:minmax(0,1fr) 400px;height:clamp(400px,calc(100vh - 280px),1400px)}
@media (max-width:1100px){.workspace{grid-template-columns:1fr;grid-template-rows:minmax(360px,70vh) auto;height:auto}}
.waterfall{display:flex;flex-direction:column;min-width:0;min-height:0;border-right:1px solid var(--line)}
.wf-head{display:grid;grid-template-columns:var(--tree-w) 6px minmax(0,1fr);padding-right:var(--sbw);border-bottom:1px solid var(--line);background:var(--bg)}
.tree-head{display:flex;flex-direction:column;justify-content:space-between;gap:4px;padding:6px 8px;min-width:0}
.tree-title{display:flex;align-items:center;gap:6px;font-weight:600;font-size:13px}.tree-title span{flex:1}
.time-head{min-width:0}
.minimap{position:relative;height:38px;margin:6px 10px 0;border:1px solid var(--line);border-radius:4px;background:var(--card);cursor:crosshair;touch-action:none}
.minimap canvas{display:block;width:100%;height:100%}
.minimap-window{position:absolute;top:-1px;bottom:-1px;min-width:3px;border:2px solid var(--accent);border-radius:3px;cursor:grab}
.axis{position:relative;height:24px;overflow:hidden;cursor:ew-resize;touch-action:none}
.axis .t{position:absolute;bottom:0;height:24px;padding:6px 0 0 4px;font-size:11px;color:var(--muted);border-left:1px solid var(--line);white-space:nowrap;font-variant-numeric:tabular-nums}
.scroller{flex:1;min-height:0;overflow-y:auto;overflow-x:hidden;position:relative}
.viewport{position:sticky;top:0;display:grid;grid-template-columns:var(--tree-w) 6px minmax(0,1fr);overflow:hidden}
.tree,.bars{position:relative;overflow:hidden;outline:none}
.splitter{cursor:col-resize;background:var(--line);background-clip:content-box;padding:0 2px;touch-action:none}
.splitter:hover,.splitter:focus-visible{background:var(--accent);background-clip:content-box;padding:0 1px;outline:none}
.bars{cursor:grab;touch-action:none}.bars.dragging{cursor:grabbing}
.bars:focus-visible{box-shadow:inset 0 0 0 2px var(--accent)}
.layer{position:absolute;inset:0}
.grid{position:absolute;inset:0}.grid i{position:absolute;top:0;bottom:0;width:1px;background:var(--grid)}
.row{position:absolute;left:0;right:0;height:24px;display:flex;align-items:center;white-space:nowrap;font-size:13px;cursor:pointer}
.row:hover{background:var(--hover)}.row.selected{background:var(--sel)}
.tree .row{padding-right:8px}
.tree:focus-visible .row.active{box-shadow:inset 0 0 0 2px var(--accent)}
.twisty{flex:none;width:18px;text-align:center;color:var(--muted);font-size:11px}
.st{flex:none;width:16px;text-align:center;font-weight:700}.st.ok{color:var(--ok)}.st.fail{color:var(--fail)}
.pill{flex:none;margin-right:5px;padding:0 5px;border-radius:4px;font-size:10.5px;font-weight:600;line-height:16px;border:1px solid currentColor}
.pill.model{color:var(--t-model)}.pill.tool{color:var(--t-tool)}.pill.wf,.pill.sub{color:var(--muted)}.pill.par{color:var(--accent)}
.name{min-width:0;overflow:hidden;text-overflow:ellipsis;flex:0 1 auto}
.k0 .name,.k1 .name{font-weight:550}
.sub-text{min-width:0;overflow:hidden;text-overflow:ellipsis;flex:1 1 0;margin-left:8px;color:var(--muted);font-size:12px}
.row.ctx .name{color:var(--muted);font-weight:400}
.crit-mark{flex:none;color:var(--t-crit);font-weight:700;margin-left:6px}
.bar{position:absolute;top:5px;height:14px;min-width:1px;border-radius:2px;background:var(--b-node)}
.k0 .bar{background:var(--b-wf)}.k2 .bar{background:var(--b-model);top:7px;height:10px}.k3 .bar{background:var(--b-tool);top:7px;height:10px}
.bar.sub{background:var(--b-wf)}.row.fail .bar{background:var(--b-fail)}
.bar.crit{box-shadow:0 0 0 2px var(--crit)}
.mark{position:absolute;top:5px;width:2px;height:14px;background:var(--bar-ink);opacity:.8}
.dur{position:absolute;top:4px;font-size:11px;line-height:16px;color:var(--muted);white-space:nowrap;font-variant-numeric:tabular-nums}
.dur.in{color:var(--bar-ink);font-weight:600}
.edge{position:absolute;top:4px;font-size:11px;color:var(--muted)}
.empty{padding:10px;color:var(--muted)}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;align-items:center;padding:7px 10px;font-size:12px;color:var(--muted);border-top:1px solid var(--line);background:var(--card)}
.legend .sw{display:inline-block;width:18px;height:10px;border-radius:2px;vertical-align:-1px;margin-right:5px}
.sw.wf{background:var(--b-wf)}.sw.node{background:var(--b-node)}.sw.model{background:var(--b-model)}
.sw.tool{background:var(--b-tool)}.sw.fail{background:var(--b-fail)}.sw.crit{background:var(--b-node);box-shadow:0 0 0 2px var(--crit)}
.sw.sel{background:var(--sel);border:1px solid var(--line)}
.legend kbd{font:11px ui-monospace,monospace;border:1px solid var(--line);border-radius:3px;padding:0 3px;background:var(--bg);color:var(--fg)}
.details{overflow:auto;padding:8px 14px 16px;min-width:0;background:var(--bg)}
.details h2{margin:6px 0 4px;font-size:15px;word-break:break-word}
.details pre{margin:4px 0 8px;padding:8px;background:var(--card);border:1px solid var(--line);border-radius:6px;max-height:360px;overflow:auto;white-space:pre-wrap;word-break:break-word}
.details dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:6px 0;font-size:13px}
.details dt{color:var(--muted)}.details dd{margin:0;word-break:break-word;font-variant-numeric:tabular-nums}
.details .hint{color:var(--muted);font-size:13px}
details>summary{cursor:pointer;font-weight:600;margin:6px 0}
details.span>summary{font-weight:500}details.span details.span{margin-left:16px}
.details button.link{border:0;background:none;padding:0;color:var(--accent);text-decoration:underline;cursor:pointer;font:inherit}
`

/** The page up to the embedded data. */
export const head = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{{{csp}}}">
<meta name="generator" content="Victor">
<title>{{model.title}}</title>
<link rel="icon" href="data:,">
<style>{{{styles}}}</style>
</head>
<body>
<main>
<header>
<h1>{{model.workflowName}} <span id="trace-status" class="badge {{model.statusClass}}">{{model.status}}</span></h1>
<div class="muted">Trace <code>{{model.traceId}}</code>{{#if model.parentTraceId}} · parent <code>{{model.parentTraceId}}</code>{{/if}} · started {{model.started}} · ended {{model.ended}}</div>
{{#if model.error}}<p class="err" id="trace-error">{{model.error}}</p>{{/if}}
</header>
<section id="summary" aria-label="Summary">
<div class="cards">
<div class="card"><div class="v">{{model.duration}}</div><div class="k">total duration</div></div>
<div class="card"><div class="v" id="stat-nodes">{{model.nodeCount}}</div><div class="k">nodes</div></div>
<div class="card ok"><div class="v">{{model.succeeded}}</div><div class="k">succeeded</div></div>
<div class="card{{#if model.anyFailed}} fail{{/if}}"><div class="v" id="stat-failed">{{model.failed}}</div><div class="k">failed</div></div>
<div class="card"><div class="v">{{model.successRate}}</div><div class="k">success rate</div></div>
<div class="card"><div class="v">{{model.averageNode}}</div><div class="k">average node</div></div>
<div class="card"><div class="v">{{model.toolCallCount}}</div><div class="k">tool calls{{#if model.anyFailedToolCalls}} · {{model.failedToolCalls}} failed{{/if}}</div></div>
<div class="card"><div class="v">{{model.modelCallCount}}</div><div class="k">model calls</div></div>
{{#if model.tokens}}<div class="card" title="{{model.tokenSplit}}"><div class="v" id="stat-tokens">{{model.tokens}}</div><div class="k">tokens · {{model.tokenSplit}}</div></div>{{/if}}
{{#if model.cost}}<div class="card"><div class="v" id="stat-cost">{{model.cost}}</div><div class="k">model cost</div></div>{{/if}}
<div class="card"><div class="v">{{model.criticalDuration}}</div><div class="k">critical path · {{model.criticalCount}} nodes</div></div>
</div>
</section>
<section id="explorer" aria-label="Trace explorer">
<div class="toolbar" id="filters" role="search" aria-label="Find rows">
<input type="search" id="filter-text" placeholder="Search names, types, models, tools, errors" aria-label="Search rows">
<fieldset class="seg" id="filter-status"><legend class="sr-only">Status</legend>
<input type="radio" name="status" id="filter-all" value="" checked><label for="filter-all">All</label>
<input type="radio" name="status" id="filter-failed" value="failed"><label for="filter-failed">Failed</label>
<input type="radio" name="status" id="filter-ok" value="ok"><label for="filter-ok">Succeeded</label>
<input type="radio" name="status" id="filter-critical" value="critical"><label for="filter-critical">Critical path</label>
</fieldset>
<label>Kind <select id="filter-kind"><option value="">all rows</option><option value="node">nodes</option><option value="model">model calls</option><option value="tool">tool calls</option><optgroup label="node type">{{#each model.nodeTypes}}<option value="type:{{name}}">{{name}} ({{count}})</option>{{/each}}</optgroup></select></label>
<span id="match-count" aria-live="polite"></span>
<span class="fill"></span>
<span role="group" aria-label="Zoom the timeline"><button type="button" id="zoom-out" aria-label="Zoom out" title="Zoom out (-)">−</button> <button type="button" id="zoom-in" aria-label="Zoom in" title="Zoom in (+)">+</button> <button type="button" id="zoom-fit" title="Show the whole run (0)">Fit</button> <button type="button" id="zoom-selection" title="Zoom to the selected row">Selection</button></span>
</div>
<div class="workspace">
<div class="waterfall" id="waterfall">
<div class="wf-head" id="wf-head">
<div class="tree-head"><div class="tree-title"><span>Trace tree</span><button type="button" id="expand-all">Expand all</button><button type="button" id="collapse-all">Collapse all</button></div><div id="view-range" aria-live="polite"></div></div>
<div></div>
<div class="time-head"><div class="minimap" id="minimap" title="The whole run: drag to choose a range, drag the frame to move it, wheel to zoom"><canvas id="minimap-canvas" aria-hidden="true"></canvas><div class="minimap-window" id="minimap-window"></div></div><div class="axis" id="axis" aria-hidden="true"></div></div>
</div>
<div class="scroller" id="scroller">
<div class="viewport" id="viewport">
<div class="tree" id="tree" role="tree" tabindex="0" aria-label="Trace tree: Up and Down move, Right expands, Left collapses, Enter opens the details"><div class="layer" id="tree-rows"></div></div>
<div class="splitter" id="splitter" role="separator" aria-orientation="vertical" aria-label="Width of the tree" tabindex="0"></div>
<div class="bars" id="bars" role="group" tabindex="0" aria-label="Waterfall timeline: plus and minus zoom, Left and Right pan, 0 shows the whole run; Up and Down select rows"><div class="grid" id="grid" aria-hidden="true"></div><div class="layer" id="bar-rows"></div></div>
</div>
<div id="spacer"></div>
</div>
</div>
<aside class="details" id="details" aria-label="Details" tabindex="-1"></aside>
</div>
<div class="legend" id="legend" aria-label="Legend">
<span><i class="sw wf"></i>workflow, sub-workflow node (↗ its child trace)</span><span><i class="sw node"></i>node</span>
<span><i class="sw model"></i>model call</span><span><i class="sw tool"></i>tool call</span><span><i class="sw fail"></i>failed</span>
<span><i class="sw crit"></i><b class="crit-mark">◆</b> critical path: what the run waited for</span><span><i class="sw sel"></i>selected</span>
<span>bars start and end with the work; overlapping bars ran in parallel; ticks on a collapsed node mark its calls</span>
<span><kbd>Ctrl</kbd>/<kbd>⌘</kbd>+wheel, <kbd>+</kbd> <kbd>-</kbd> zoom · drag, <kbd>Shift</kbd>+wheel, <kbd>←</kbd> <kbd>→</kbd> pan · <kbd>0</kbd> whole run</span>
</div>
</section>
<div class="grid3">
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
{{#if model.models.length}}<section id="models" aria-label="Model usage">
<h2>Model usage</h2>
<table><thead><tr><th>model</th><th class="num">calls</th><th class="num">input tokens</th><th class="num">output tokens</th><th class="num">average</th><th class="num">cost</th></tr></thead><tbody>
{{#each model.models}}<tr><td class="mono">{{model}}</td><td class="num">{{calls}}</td><td class="num">{{inputTokens}}</td><td class="num">{{outputTokens}}</td><td class="num">{{average}}</td><td class="num">{{cost}}</td></tr>{{/each}}
</tbody></table>
</section>{{/if}}
</div>
<noscript><p>The trace explorer needs JavaScript; the summary and tables do not.</p></noscript>
</main>
<script type="application/json" id="victor-data">`

/** The page between the data and the detail blocks: the script runs as soon as the data is in. */
export const middle = `</script>
<script>{{{script}}}</script>
`

/** The end of the page, after the detail blocks. */
export const end = `</body>
</html>
`
