/**
 * The page script's wiring (plain browser JavaScript, kept as text): selection (one row, the same in the tree, on
 * the timeline and in the details, and in the address as `#node=<id>`, so a link opens the report on that node),
 * the filters, the zoom buttons and keys, resizing, and the first render, after which the page marks itself ready
 * (`body[data-ready]`, the `victor-report-ready` performance mark). Defines `select`.
 */
export const main = String.raw`
function select(r, options) {
  if (r < 0 || r >= R) return;
  if (KEEP && !KEEP[r]) clearFilters();
  if (reveal(r) || POS[r] < 0) computeVisible();
  spacer.style.height = Math.max(0, scrollPx() - vpH) + "px";
  sel = r; act = r;
  scrollToRow(r, !!(options && options.center));
  showRow(r);
  renderRows();
  renderDetails();
  if (!(options && options.fromHash)) {
    try { history.replaceState(null, "", hashOf(r) || location.pathname + location.search); } catch (e) { /* a page without history */ }
  }
  if (options && options.focusTree) treeEl.focus({ preventScroll: true });
}
var statusInputs = document.querySelectorAll("#filter-status input"), countEl = $("match-count");
function showCount() {
  if (!filtering()) { countEl.textContent = integer(N) + " nodes · " + integer(M) + " model calls · " + integer(T) + " tool calls"; return; }
  var parts = [];
  if (F.kind === "model") parts.push(integer(matched[K_MODEL]) + " of " + integer(M) + " model calls match");
  else if (F.kind === "tool") parts.push(integer(matched[K_TOOL]) + " of " + integer(T) + " tool calls match");
  else {
    parts.push(integer(matched[K_NODE]) + " of " + integer(N) + " nodes match");
    if (!F.kind && (matched[K_MODEL] || matched[K_TOOL])) parts.push(integer(matched[K_MODEL]) + " model calls, " + integer(matched[K_TOOL]) + " tool calls");
  }
  countEl.textContent = parts.join(" · ");
}
function update() {
  F.text = $("filter-text").value.trim().toLowerCase();
  F.kind = $("filter-kind").value;
  for (var k = 0; k < statusInputs.length; k++) if (statusInputs[k].checked) F.status = statusInputs[k].value;
  applyFilter();
  computeVisible();
  if (POS[act] < 0) act = VIS[0];
  spacer.style.height = Math.max(0, scrollPx() - vpH) + "px";
  showCount();
  drawMinimap();
  renderRows();
}
function clearFilters() {
  $("filter-text").value = ""; $("filter-kind").value = ""; $("filter-all").checked = true;
  F.text = ""; F.kind = ""; F.status = "";
  applyFilter(); showCount(); drawMinimap();
}
var typing = 0;
$("filter-text").addEventListener("input", function () { clearTimeout(typing); typing = setTimeout(update, 120); });
$("filter-text").addEventListener("keydown", function (e) { if (e.key === "Enter") { clearTimeout(typing); update(); } });
$("filter-kind").addEventListener("change", update);
for (var s = 0; s < statusInputs.length; s++) statusInputs[s].addEventListener("change", update);
$("expand-all").addEventListener("click", function () { OPEN.fill(1); refresh(); });
$("collapse-all").addEventListener("click", function () { OPEN.fill(0); OPEN[0] = 1; refresh(); });
$("zoom-in").addEventListener("click", function () { zoom(1 / 1.5); });
$("zoom-out").addEventListener("click", function () { zoom(1.5); });
$("zoom-fit").addEventListener("click", fit);
$("zoom-selection").addEventListener("click", function () { if (sel >= 0) zoomTo(sel); });
document.addEventListener("keydown", function (e) {
  var t = e.target, tag = t && t.tagName;
  if (e.ctrlKey || e.metaKey || e.altKey || tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") return;
  if (e.key === "+" || e.key === "=") { zoom(1 / 1.5); e.preventDefault(); }
  else if (e.key === "-" || e.key === "_") { zoom(1.5); e.preventDefault(); }
  else if (e.key === "0") { fit(); e.preventDefault(); }
});
window.addEventListener("hashchange", function () { var r = rowOfHash(location.hash); if (r >= 0) select(r, { center: true, fromHash: true }); });
var resizing = new ResizeObserver(function () { layout(); renderAll(); });
resizing.observe(scroller);
resizing.observe(mini);
splitter.setAttribute("aria-valuemin", "200");
splitter.setAttribute("aria-valuenow", String(treeWidth));
computeVisible();
showCount();
layout();
var linked = rowOfHash(location.hash);
if (linked >= 0) select(linked, { center: true, fromHash: true });
else renderDetails();
renderAll();
document.body.dataset.ready = "true";
if (window.performance && performance.mark) performance.mark("victor-report-ready");
`
