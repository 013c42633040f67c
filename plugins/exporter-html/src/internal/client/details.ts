/**
 * The page script's details panel (plain browser JavaScript, kept as text): what the selected row holds, as the
 * trace holds it (after capture and redaction): a node's inputs, outputs, error, model calls, tool calls, Effect
 * spans and metadata, a sub-workflow node's child trace; a tool call's inputs, outputs and spans; a model call's
 * model, tokens, latency and cost; the workflow's inputs, outputs and the Effect spans outside any node. Inputs and
 * outputs live in blocks of `meta.detailBlock` nodes after the script, each parsed the first time one of its nodes is
 * opened. Defines `renderDetails`.
 */
export const details = String.raw`
var detailsEl = $("details"), detailCache = {};
function detailOf(i) {
  var b = Math.floor(i / meta.detailBlock);
  if (!(b in detailCache)) { var block = $("victor-details-" + b); if (!block) return null; detailCache[b] = JSON.parse(block.textContent); }
  return detailCache[b][i - b * meta.detailBlock];
}
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
function facts(pairs) {
  var dl = el("dl");
  for (var k = 0; k < pairs.length; k += 2) {
    if (pairs[k + 1] === null || pairs[k + 1] === undefined || pairs[k + 1] === "") continue;
    dl.appendChild(el("dt", "", pairs[k]));
    var dd = el("dd");
    if (pairs[k + 1] instanceof Node) dd.appendChild(pairs[k + 1]); else dd.textContent = String(pairs[k + 1]);
    dl.appendChild(dd);
  }
  return dl;
}
// A button that selects another row (its node, one of its calls).
function rowButton(r, text) {
  var b = el("button", "link", text); b.type = "button"; b.dataset.select = String(r);
  return b;
}
function heading(what, name) { var h = el("h2", "", what + " "); h.appendChild(el("code", "", name)); return h; }
function status(r) { return FLAGS[r] & 1 ? "succeeded" : "failed"; }
function childLink(link) {
  var box = el("span");
  box.appendChild(el("code", "", link[0]));
  var href = link[2];
  if (href) {
    // Only what the exporter let through (relative, http(s):, file:), and checked again here.
    var url = null; try { url = new URL(href, location.href); } catch (e) { url = null; }
    if (url && (url.protocol === "http:" || url.protocol === "https:" || url.protocol === "file:")) {
      var a = el("a", "", " open ↗"); a.href = url.href; a.rel = "noopener noreferrer"; box.appendChild(a);
    }
  }
  return box;
}
function waiting(parts) {
  parts.push(el("p", "hint", "the inputs and outputs are still loading…"));
  document.addEventListener("DOMContentLoaded", renderDetails, { once: true });
}
function nodeDetails(r, parts) {
  var i = r - 1, more = detailOf(i), link = linkOf(r);
  parts.push(heading(typeOf(r) === "parallel" ? "Parallel node" : link ? "Sub-workflow node" : "Node", nameOf(r)));
  parts.push(el("p", "muted", typeOf(r) + " · " + status(r) + " · started +" + fmt(START[r]) + " · took " + fmt(END[r] - START[r]) + (FLAGS[r] & 2 ? " · on the critical path" : "")));
  if (errorOf(r)) parts.push(el("p", "err", errorOf(r)));
  if (link) parts.push(facts(["child workflow", link[1], "child trace", childLink(link)]));
  if (PARENT[r] > 0) { var up = el("p", "muted", "ran in "); up.appendChild(rowButton(PARENT[r], nameOf(PARENT[r]))); parts.push(up); }
  if (!more) return waiting(parts);
  parts.push(section("Inputs", more[0], true));
  parts.push(section("Outputs", more[1], true));
  var models = [], tools = [];
  for (var k = OFF[r]; k < OFF[r + 1]; k++) { var c = CH[k]; if (kindOf(c) === K_MODEL) models.push(c); else if (kindOf(c) === K_TOOL) tools.push(c); }
  models.sort(function (a, b) { return a - b; }); tools.sort(function (a, b) { return a - b; });
  if (models.length > 0) {
    var list = el("details"); list.open = true;
    list.appendChild(el("summary", "", "Model calls (" + models.length + ")"));
    var ul = el("ul");
    for (var m = 0; m < models.length; m++) {
      var li = el("li"), mr = models[m];
      li.appendChild(rowButton(mr, nameOf(mr)));
      li.appendChild(document.createTextNode(" · " + integer(modelField(mr, 4)) + " in · " + integer(modelField(mr, 5)) + " out · " + fmt(END[mr] - START[mr]) + (modelField(mr, 6) === null ? "" : " · " + money(modelField(mr, 6)))));
      ul.appendChild(li);
    }
    list.appendChild(ul); parts.push(list);
  }
  var box = el("details"); box.open = tools.length > 0;
  box.appendChild(el("summary", "", "Tool calls (" + tools.length + ")"));
  for (var t = 0; t < tools.length; t++) {
    var tr = tools[t], j = tr - FIRST_TOOL - FIRST_TOOL_OF[i], d = el("details", "tool-call");
    d.appendChild(el("summary", FLAGS[tr] & 1 ? "" : "err", nameOf(tr) + " · " + status(tr) + " · " + fmt(END[tr] - START[tr])));
    if (errorOf(tr)) d.appendChild(el("p", "err", errorOf(tr)));
    var call = more[2][j] || [];
    d.appendChild(section("Inputs", call[0], true)); d.appendChild(section("Outputs", call[1], true));
    if (call[2] && call[2].length > 0) d.appendChild(spanList(call[2], "Effect spans"));
    box.appendChild(d);
  }
  parts.push(box);
  if (more[3] && more[3].length > 0) parts.push(spanList(more[3], "Effect spans"));
  if (more[4]) parts.push(section("Metadata", more[4], false));
}
function toolDetails(r, parts) {
  var node = PARENT[r], i = node - 1, more = detailOf(i), j = r - FIRST_TOOL - FIRST_TOOL_OF[i];
  parts.push(heading("Tool call", nameOf(r)));
  var of = el("p", "muted", status(r) + " · started +" + fmt(START[r]) + " · took " + fmt(END[r] - START[r]) + " · call " + (j + 1) + " of node ");
  of.appendChild(rowButton(node, nameOf(node))); parts.push(of);
  if (errorOf(r)) parts.push(el("p", "err", errorOf(r)));
  if (!more) return waiting(parts);
  var call = more[2][j] || [];
  parts.push(section("Inputs", call[0], true));
  parts.push(section("Outputs", call[1], true));
  if (call[2] && call[2].length > 0) parts.push(spanList(call[2], "Effect spans"));
}
function modelDetails(r, parts) {
  var node = PARENT[r], more = detailOf(node - 1), entry = modelField(r, 8);
  parts.push(heading("Model call", nameOf(r)));
  var inTok = modelField(r, 4), outTok = modelField(r, 5);
  parts.push(facts([
    "node", rowButton(node, nameOf(node)),
    "input tokens", integer(inTok), "output tokens", integer(outTok),
    "total tokens", inTok === null && outTok === null ? null : integer((inTok || 0) + (outTok || 0)),
    "latency", fmt(END[r] - START[r]), "started", "+" + fmt(START[r]),
    "cost", modelField(r, 6) === null ? null : money(modelField(r, 6)),
    "finish reason", modelField(r, 7)
  ]));
  if (!more) return waiting(parts);
  var records = more[4] && more[4].model_calls;
  if (entry >= 0 && Array.isArray(records) && records[entry] !== undefined) parts.push(section("Record", records[entry], true));
}
function workflowDetails(parts) {
  parts.push(heading("Workflow", meta.workflowName));
  parts.push(facts(["trace", meta.traceId, "status", meta.status, "duration", fmt(meta.duration), "nodes", String(N), "tool calls", String(T), "model calls", String(M)]));
  if (meta.error) parts.push(el("p", "err", meta.error));
  parts.push(section("Inputs", data.run[0], true));
  parts.push(section("Outputs", data.run[1], true));
  if (data.run[2] && data.run[2].length > 0) parts.push(spanList(data.run[2], "Effect spans outside any node"));
  parts.push(section("Metadata", data.run[3], false));
}
function renderDetails() {
  var parts = [];
  if (sel < 0) {
    parts.push(el("h2", "", "Details"));
    parts.push(el("p", "hint", "Select a row in the tree or on the timeline to see its inputs, outputs, errors, model calls and tool calls. A link to report.html#node=<id> opens that node."));
  } else {
    var k = kindOf(sel);
    if (k === K_WF) workflowDetails(parts);
    else if (k === K_NODE) nodeDetails(sel, parts);
    else if (k === K_TOOL) toolDetails(sel, parts);
    else modelDetails(sel, parts);
  }
  detailsEl.replaceChildren.apply(detailsEl, parts);
  detailsEl.scrollTop = 0;
}
detailsEl.addEventListener("click", function (e) {
  var b = e.target.closest ? e.target.closest("[data-select]") : null;
  if (b) select(Number(b.dataset.select), { focusTree: true });
});
`
