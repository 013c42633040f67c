/**
 * The report page's script (plain browser JavaScript, kept as text and inlined). It reads the embedded JSON, then
 * renders only one page of nodes at a time into the table and the timeline, so a 100,000-node report stays quick.
 * Values reach the page only through `textContent` and attributes, never as markup.
 */
export const script = String.raw`(function () {
"use strict";
var $ = function (id) { return document.getElementById(id); };
var meta = JSON.parse($("victor-meta").textContent);
var rows = JSON.parse($("victor-nodes").textContent);
var N = rows.length, ID = 0, TYPE = 1, START = 2, DUR = 3, OK = 4, ERR = 5, TOOLS = 6, CRIT = 7;
// Inputs and outputs live in blocks of meta.detailBlock nodes after this script; a block is parsed when one of its
// nodes is opened, so opening the report parses only the small rows above.
var detailCache = {};
function detailOf(i) {
  var b = Math.floor(i / meta.detailBlock);
  if (!(b in detailCache)) { var block = $("victor-details-" + b); if (!block) return null; detailCache[b] = JSON.parse(block.textContent); }
  return detailCache[b][i - b * meta.detailBlock];
}
var pageSize = meta.pageSize > 0 ? meta.pageSize : 100;
var byStart = new Int32Array(N);
for (var i = 0; i < N; i++) byStart[i] = i;
var inOrder = true;
for (var i2 = 1; i2 < N && inOrder; i2++) inOrder = rows[i2 - 1][START] <= rows[i2][START];
if (!inOrder) byStart.sort(function (a, b) { return rows[a][START] - rows[b][START] || a - b; });
var bySlowest = null;
var haystack = null;
var state = { failed: false, type: "", text: "", sort: "start", page: 0, selected: -1 };
var matches = byStart;
// Display.duration of @victor/core, in browser JavaScript (a test holds the two together).
function fmt(s) {
  if (!isFinite(s)) return "n/a";
  if (s < 0) return "-" + fmt(-s);
  if (s === 0) return "0ms";
  var ms = s * 1000;
  if (ms < 0.05) return "<0.1ms";
  if (ms < 9.95) return ms.toFixed(1) + "ms";
  if (ms < 999.5) return Math.round(ms) + "ms";
  if (s < 59.995) return s.toFixed(2) + "s";
  var w = Math.round(s), sec = String(w % 60).padStart(2, "0");
  if (w < 3600) return Math.floor(w / 60) + "m " + sec + "s";
  return Math.floor(w / 3600) + "h " + String(Math.floor(w / 60) % 60).padStart(2, "0") + "m " + sec + "s";
}
function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
function searchText(i) {
  var r = rows[i], t = r[ID] + "\n" + r[TYPE] + "\n" + (r[ERR] || "");
  for (var k = 0; k < r[TOOLS].length; k++) t += "\n" + r[TOOLS][k][0] + "\n" + (r[TOOLS][k][4] || "");
  return t.toLowerCase();
}
function filter() {
  var source = state.sort === "slowest" ? slowest() : byStart;
  if (!state.failed && !state.type && !state.text) { matches = source; return; }
  var out = new Int32Array(source.length), n = 0, q = state.text.toLowerCase();
  if (q && !haystack) { haystack = new Array(N); for (var j = 0; j < N; j++) haystack[j] = searchText(j); }
  for (var k = 0; k < source.length; k++) {
    var i = source[k], r = rows[i];
    if (state.failed && r[OK] === 1) continue;
    if (state.type && r[TYPE] !== state.type) continue;
    if (q && haystack[i].indexOf(q) < 0) continue;
    out[n++] = i;
  }
  matches = out.subarray(0, n);
}
function slowest() {
  if (!bySlowest) {
    bySlowest = Int32Array.from(byStart);
    bySlowest.sort(function (a, b) { return rows[b][DUR] - rows[a][DUR] || a - b; });
  }
  return bySlowest;
}
function pages() { return Math.max(1, Math.ceil(matches.length / pageSize)); }
function renderTable(slice) {
  var body = $("node-rows"), fragment = document.createDocumentFragment();
  for (var k = 0; k < slice.length; k++) {
    var i = slice[k], r = rows[i], tr = el("tr", r[OK] ? "ok" : "fail");
    tr.dataset.index = String(i);
    tr.tabIndex = 0;
    if (i === state.selected) tr.classList.add("selected");
    var status = el("td"); status.appendChild(el("span", "status " + (r[OK] ? "ok" : "fail"), r[OK] ? "✓ ok" : "✗ failed"));
    if (r[CRIT]) { var c = el("span", "crit-mark", " ◆"); c.title = "on the critical path"; status.appendChild(c); }
    tr.appendChild(status);
    tr.appendChild(el("td", "mono", r[ID]));
    tr.appendChild(el("td", "", r[TYPE]));
    tr.appendChild(el("td", "num", "+" + fmt(r[START])));
    tr.appendChild(el("td", "num", fmt(r[DUR])));
    tr.appendChild(el("td", "num", r[TOOLS].length));
    tr.appendChild(el("td", "err", r[ERR] || ""));
    fragment.appendChild(tr);
  }
  if (slice.length === 0) { var empty = el("tr"); var td = el("td", "muted", "no node matches the filters"); td.colSpan = 7; empty.appendChild(td); fragment.appendChild(empty); }
  body.replaceChildren(fragment);
}
function renderTimeline(slice) {
  var lanes = $("lanes"), fragment = document.createDocumentFragment(), from = Infinity, to = -Infinity;
  for (var k = 0; k < slice.length; k++) { var r = rows[slice[k]]; from = Math.min(from, r[START]); to = Math.max(to, r[START] + Math.max(0, r[DUR])); }
  if (!(to > from)) { to = from + 1e-3; }
  if (!isFinite(from)) { from = 0; to = 1; }
  var width = to - from;
  $("axis-from").textContent = "+" + fmt(from);
  $("axis-to").textContent = "+" + fmt(to);
  for (var k2 = 0; k2 < slice.length; k2++) {
    var i = slice[k2], row = rows[i], lane = el("div", "lane");
    lane.dataset.index = String(i);
    var label = el("div", "label mono", row[ID]); label.title = row[ID] + " (" + row[TYPE] + ")";
    lane.appendChild(label);
    var track = el("div", "track");
    var bar = el("div", "bar" + (row[OK] ? "" : " fail") + (row[CRIT] ? " crit" : ""));
    bar.style.left = ((row[START] - from) / width * 100) + "%";
    bar.style.width = (Math.max(0, row[DUR]) / width * 100) + "%";
    bar.title = row[ID] + ": " + fmt(row[DUR]) + (row[CRIT] ? " (critical path)" : "");
    track.appendChild(bar);
    for (var t = 0; t < row[TOOLS].length; t++) {
      var call = row[TOOLS][t], tool = el("div", "tool" + (call[3] ? "" : " fail"));
      tool.style.left = ((call[1] - from) / width * 100) + "%";
      tool.style.width = (Math.max(0, call[2]) / width * 100) + "%";
      tool.title = call[0] + ": " + fmt(call[2]);
      track.appendChild(tool);
    }
    lane.appendChild(track);
    fragment.appendChild(lane);
  }
  lanes.replaceChildren(fragment);
}
function renderOverview() {
  var canvas = $("overview"), ratio = window.devicePixelRatio || 1, w = Math.max(1, canvas.clientWidth), h = 48;
  canvas.width = Math.floor(w * ratio); canvas.height = Math.floor(h * ratio);
  var ctx = canvas.getContext("2d"); if (!ctx) return;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  var span = meta.span > 0 ? meta.span : 1, counts = new Float32Array(w), fails = new Float32Array(w), crit = new Uint8Array(w), max = 1;
  for (var k = 0; k < matches.length; k++) {
    var r = rows[matches[k]], a = Math.max(0, Math.floor(r[START] / span * (w - 1))), b = Math.min(w - 1, Math.floor((r[START] + Math.max(0, r[DUR])) / span * (w - 1)));
    for (var x = a; x <= b; x++) { counts[x]++; if (!r[OK]) fails[x]++; if (r[CRIT]) crit[x] = 1; }
  }
  for (var x2 = 0; x2 < w; x2++) if (counts[x2] > max) max = counts[x2];
  var css = getComputedStyle(document.documentElement);
  ctx.clearRect(0, 0, w, h);
  for (var x3 = 0; x3 < w; x3++) {
    if (counts[x3] === 0) continue;
    var hh = Math.max(1, counts[x3] / max * (h - 8));
    ctx.fillStyle = css.getPropertyValue("--bar"); ctx.fillRect(x3, h - hh, 1, hh);
    if (fails[x3] > 0) { ctx.fillStyle = css.getPropertyValue("--fail"); ctx.fillRect(x3, h - Math.max(1, fails[x3] / max * (h - 8)), 1, Math.max(1, fails[x3] / max * (h - 8))); }
    if (crit[x3]) { ctx.fillStyle = css.getPropertyValue("--crit"); ctx.fillRect(x3, 0, 1, 4); }
  }
}
function json(value) { try { return JSON.stringify(value, null, 2); } catch (e) { return String(value); } }
// Effect spans (rows of report.ts's spanRows, parents first): each span's block holds those it enclosed, so a span
// with children starts open and shows them; its attributes and events are a click away.
var SNAME = 0, SSTART = 1, SDUR = 2, SOK = 3, SERR = 4, SDEPTH = 5, SKIND = 6, SATTRS = 7, SEVENTS = 8;
function spanList(spans, title) {
  var box = el("details", "spans"); box.open = true;
  box.appendChild(el("summary", "", title + " (" + spans.length + ")"));
  // open[i]: where a span i levels deep goes (the block of the latest span one level up; the list itself for 0).
  var open = [box];
  for (var k = 0; k < spans.length; k++) {
    var s = spans[k], d = el("details", "span"), next = spans[k + 1], at = Math.min(s[SDEPTH], open.length - 1);
    d.appendChild(el("summary", s[SOK] ? "" : "err", s[SNAME] + " · " + (s[SKIND] === "internal" ? "" : s[SKIND] + " · ") + (s[SOK] ? "ok" : "failed") + " · +" + fmt(s[SSTART]) + " · " + fmt(s[SDUR])));
    if (s[SERR]) d.appendChild(el("p", "err", s[SERR]));
    var parentOfNext = next !== undefined && next[SDEPTH] > s[SDEPTH];
    d.open = parentOfNext;
    for (var key in s[SATTRS]) { d.appendChild(section("Attributes", s[SATTRS], !parentOfNext)); break; }
    if (s[SEVENTS]) d.appendChild(section("Events (" + s[SEVENTS].length + ")", s[SEVENTS].map(function (e) { return { name: e[0], at: "+" + fmt(e[1]), attributes: e[2] }; }), false));
    open[at].appendChild(d);
    open.length = at + 1;
    open.push(d);
  }
  return box;
}
function section(title, value, open) {
  var d = el("details"); if (open) d.open = true;
  d.appendChild(el("summary", "", title));
  d.appendChild(el("pre", "", json(value)));
  return d;
}
function renderDetails() {
  var box = $("details");
  if (state.selected < 0) { box.hidden = true; box.replaceChildren(); return; }
  var r = rows[state.selected], parts = [], more = detailOf(state.selected);
  var h = el("h2", "", "Node "); h.appendChild(el("code", "", r[ID])); parts.push(h);
  parts.push(el("p", "muted", r[TYPE] + " · " + (r[OK] ? "succeeded" : "failed") + " · started +" + fmt(r[START]) + " · took " + fmt(r[DUR]) + (r[CRIT] ? " · on the critical path" : "")));
  if (r[ERR]) parts.push(el("p", "err", r[ERR]));
  if (!more) {
    parts.push(el("p", "muted", "the details are still loading…"));
    box.replaceChildren.apply(box, parts); box.hidden = false;
    document.addEventListener("DOMContentLoaded", renderDetails, { once: true });
    return;
  }
  parts.push(section("Inputs", more[0], true));
  parts.push(section("Outputs", more[1], true));
  var tools = el("details"); tools.open = r[TOOLS].length > 0;
  tools.appendChild(el("summary", "", "Tool calls (" + r[TOOLS].length + ")"));
  for (var t = 0; t < r[TOOLS].length; t++) {
    var c = r[TOOLS][t], d = el("details", "tool-call");
    d.appendChild(el("summary", c[3] ? "" : "err", c[0] + " · " + (c[3] ? "ok" : "failed") + " · " + fmt(c[2])));
    if (c[4]) d.appendChild(el("p", "err", c[4]));
    d.appendChild(section("Inputs", more[2][t][0], true)); d.appendChild(section("Outputs", more[2][t][1], true));
    var callSpans = more[2][t][2];
    if (callSpans && callSpans.length > 0) d.appendChild(spanList(callSpans, "Effect spans"));
    tools.appendChild(d);
  }
  parts.push(tools);
  if (more[3] && more[3].length > 0) parts.push(spanList(more[3], "Effect spans"));
  box.replaceChildren.apply(box, parts);
  box.hidden = false;
}
function renderRunSpans() {
  var box = $("run-spans"), spans = meta.runSpans || [];
  if (!box || spans.length === 0) return;
  box.replaceChildren(spanList(spans, "Effect spans outside any node"));
  box.hidden = false;
}
function render() {
  var total = pages();
  if (state.page >= total) state.page = total - 1;
  var slice = matches.subarray(state.page * pageSize, (state.page + 1) * pageSize);
  renderTable(slice);
  renderTimeline(slice);
  $("page-info").textContent = "page " + (state.page + 1) + " of " + total;
  $("prev").disabled = state.page === 0;
  $("next").disabled = state.page >= total - 1;
  $("match-count").textContent = matches.length === N ? N + " nodes" : matches.length + " of " + N + " nodes match";
}
function update() { state.text = $("filter-text").value.trim(); filter(); state.page = 0; render(); renderOverview(); }
function select(target) {
  var holder = target && target.closest ? target.closest("[data-index]") : null;
  if (!holder) return;
  state.selected = Number(holder.dataset.index);
  var previous = document.querySelector("#node-rows tr.selected"); if (previous) previous.classList.remove("selected");
  if (holder.tagName === "TR") holder.classList.add("selected");
  renderDetails();
}
$("filter-failed").addEventListener("change", function (e) { state.failed = e.target.checked; update(); });
$("filter-type").addEventListener("change", function (e) { state.type = e.target.value; update(); });
$("sort").addEventListener("change", function (e) { state.sort = e.target.value; update(); });
var timer = 0;
$("filter-text").addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(update, 120); });
$("prev").addEventListener("click", function () { if (state.page > 0) { state.page--; render(); } });
$("next").addEventListener("click", function () { if (state.page < pages() - 1) { state.page++; render(); } });
$("node-rows").addEventListener("click", function (e) { select(e.target); });
$("node-rows").addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); select(e.target); } });
$("lanes").addEventListener("click", function (e) { select(e.target); });
window.addEventListener("resize", function () { renderOverview(); });
update();
renderRunSpans();
document.body.dataset.ready = "true";
if (window.performance && performance.mark) performance.mark("victor-report-ready");
})();
`
