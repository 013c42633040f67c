/**
 * The page script's virtual rows (plain browser JavaScript, kept as text): the tree and the waterfall are two panes
 * of one vertical scroller, and only the rows in view exist in the page (a sticky viewport, redrawn on scroll), so
 * 100,000 rows cost what 40 do. Lists taller than browsers let an element be are scaled onto the scroll range. Also
 * the tree's keyboard (Up, Down, Home, End, Page Up, Page Down; Right opens or goes to the first child, Left closes or
 * goes to the parent; Enter or Space selects) with `aria-activedescendant`, and the splitter between the panes.
 * Defines `ROW_H`, `sel`, `act`, `layout`, `renderRows`, `refresh`, `scrollToRow`, `toggle`, `moveActive`.
 */
export const rows = String.raw`
var ROW_H = 24, MAX_PX = 8000000;
var scroller = $("scroller"), viewport = $("viewport"), spacer = $("spacer"), treeEl = $("tree"), treeRows = $("tree-rows");
var barsEl = $("bars"), barRows = $("bar-rows"), waterfall = $("waterfall");
var sel = -1, act = 0, vpH = 0;
function totalPx() { return VN * ROW_H; }
function scrollPx() { return Math.min(totalPx(), MAX_PX); }
function layout() {
  vpH = scroller.clientHeight;
  viewport.style.height = vpH + "px";
  spacer.style.height = Math.max(0, scrollPx() - vpH) + "px";
  waterfall.style.setProperty("--sbw", (scroller.offsetWidth - scroller.clientWidth) + "px");
  $("splitter").setAttribute("aria-valuemax", String(Math.max(220, waterfall.clientWidth - 240)));
  layoutTimeline();
}
function virtualTop() {
  var st = scroller.scrollTop, t = totalPx(), s = scrollPx();
  return t === s || s <= vpH ? st : st * (t - vpH) / (s - vpH);
}
function setVirtualTop(v) {
  var t = totalPx(), s = scrollPx();
  v = clamp(v, 0, Math.max(0, t - vpH));
  scroller.scrollTop = t === s || t <= vpH ? v : v * (s - vpH) / (t - vpH);
}
function scrollToRow(r, center) {
  var p = POS[r];
  if (p < 0) return;
  var top = virtualTop(), y = p * ROW_H;
  if (center) setVirtualTop(y - (vpH - ROW_H) / 2);
  else if (y < top) setVirtualTop(y);
  else if (y + ROW_H > top + vpH) setVirtualTop(y + ROW_H - vpH);
}
function label(r) {
  var k = kindOf(r), ok = FLAGS[r] & 1 ? "succeeded" : "failed";
  var what = k === K_WF ? "workflow" : k === K_NODE ? typeOf(r) + " node" : k === K_MODEL ? "model call" : "tool call";
  var usage = k === K_MODEL ? ", " + integer(modelField(r, 4)) + " input tokens, " + integer(modelField(r, 5)) + " output tokens" : "";
  return nameOf(r) + ", " + what + ", " + ok + ", " + fmt(END[r] - START[r]) + usage + (FLAGS[r] & 2 && r !== 0 ? ", on the critical path" : "");
}
function subText(r) {
  var k = kindOf(r);
  if (k === K_WF) return meta.status + " · " + fmt(END[r] - START[r]);
  if (k === K_NODE) {
    var link = linkOf(r), err = errorOf(r);
    return typeOf(r) + (link ? " · ↗ trace " + link[0] : "") + (err ? " · " + err : "");
  }
  if (k === K_MODEL) {
    var cost = modelField(r, 6);
    return integer(modelField(r, 4)) + " → " + integer(modelField(r, 5)) + " tokens" + (cost === null ? "" : " · " + money(cost));
  }
  return errorOf(r) || "";
}
function pill(r) {
  var k = kindOf(r);
  if (k === K_WF) return el("span", "pill wf", "workflow");
  if (k === K_MODEL) return el("span", "pill model", "model");
  if (k === K_TOOL) return el("span", "pill tool", "tool");
  if (FLAGS[r] & 4) return el("span", "pill sub", "sub-workflow");
  if (typeOf(r) === "parallel") return el("span", "pill par", "parallel");
  return null;
}
function rowClass(r) {
  var c = "row k" + kindOf(r);
  if (!(FLAGS[r] & 1)) c += " fail";
  if (r === sel) c += " selected";
  if (MATCH && !MATCH[r] && r !== 0) c += " ctx";
  return c;
}
// A tree row's content depends only on the row, so an element made once is kept while the row stays in view, and
// only its place and state are updated (a click that re-rendered its own row between press and release would
// otherwise be lost).
function treeRow(r) {
  var row = el("div");
  row.id = "row-" + r;
  row.dataset.row = String(r);
  row.setAttribute("role", "treeitem");
  row.setAttribute("aria-level", String(DEPTH[r] + 1));
  row.setAttribute("aria-label", label(r));
  row.style.paddingLeft = (4 + DEPTH[r] * 16) + "px";
  var twisty = el("span", "twisty");
  if (hasChildren(r)) twisty.dataset.toggle = "1";
  row.appendChild(twisty);
  row.appendChild(el("span", "st " + (FLAGS[r] & 1 ? "ok" : "fail"), FLAGS[r] & 1 ? "✓" : "✗"));
  var p = pill(r); if (p) row.appendChild(p);
  row.appendChild(el("span", "name" + (kindOf(r) === K_NODE ? " mono" : ""), nameOf(r)));
  var sub = subText(r); if (sub) row.appendChild(el("span", "sub-text", sub));
  if (FLAGS[r] & 2 && r !== 0) { var c = el("span", "crit-mark", "◆"); c.title = "on the critical path"; row.appendChild(c); }
  row.title = label(r);
  return row;
}
function updateTreeRow(row, r, y) {
  row.className = rowClass(r) + (r === act ? " active" : "");
  row.style.top = y + "px";
  row.setAttribute("aria-selected", r === sel ? "true" : "false");
  if (hasChildren(r)) {
    row.setAttribute("aria-expanded", OPEN[r] ? "true" : "false");
    row.firstChild.textContent = OPEN[r] ? "▼" : "▶";
  }
}
var treeShown = new Map(), laneShown = new Map();
// Puts the rows' elements into a layer in order, moving only those out of place.
function arrange(layer, elements) {
  var at = layer.firstChild;
  for (var k = 0; k < elements.length; k++) {
    if (elements[k] === at) at = at.nextSibling;
    else layer.insertBefore(elements[k], at);
  }
  while (at) { var next = at.nextSibling; layer.removeChild(at); at = next; }
}
function renderRows() {
  var top = virtualTop(), first = Math.max(0, Math.floor(top / ROW_H)), shift = top - first * ROW_H;
  var last = Math.min(VN, first + Math.ceil(vpH / ROW_H) + 1);
  var trees = [], lanes = [], nextTree = new Map(), nextLane = new Map();
  for (var p = first; p < last; p++) {
    var r = VIS[p], y = Math.round((p - first) * ROW_H - shift);
    var t = treeShown.get(r) || treeRow(r), l = laneShown.get(r) || el("div");
    updateTreeRow(t, r, y);
    fillLane(l, r, y);
    nextTree.set(r, t); nextLane.set(r, l); trees.push(t); lanes.push(l);
  }
  if (VN === 1 && KEEP) trees.push(emptyNote);
  treeShown = nextTree; laneShown = nextLane;
  arrange(treeRows, trees);
  arrange(barRows, lanes);
  if (POS[act] >= first && POS[act] < last) treeEl.setAttribute("aria-activedescendant", "row-" + act);
  else treeEl.removeAttribute("aria-activedescendant");
}
var emptyNote = el("div", "empty", "no row matches the filters");
// After the shown rows changed (a row opened or closed, a filter): recount, resize, redraw.
function refresh() {
  computeVisible();
  spacer.style.height = Math.max(0, scrollPx() - vpH) + "px";
  if (POS[act] < 0) act = POS[sel] >= 0 ? sel : VIS[0];
  renderRows();
  drawMinimap();
}
function toggle(r, open) {
  if (!hasChildren(r)) return;
  OPEN[r] = open === undefined ? (OPEN[r] ? 0 : 1) : open ? 1 : 0;
  refresh();
}
function moveActive(r, choose) {
  if (r < 0 || POS[r] < 0) return;
  act = r;
  scrollToRow(r, false);
  if (choose) select(r); else renderRows();
}
function rowAt(target) {
  var holder = target && target.closest ? target.closest("[data-row]") : null;
  return holder ? Number(holder.dataset.row) : -1;
}
treeRows.addEventListener("click", function (e) {
  var r = rowAt(e.target);
  if (r < 0) return;
  if (e.target.dataset && e.target.dataset.toggle) { act = r; toggle(r); return; }
  select(r);
});
treeRows.addEventListener("dblclick", function (e) { var r = rowAt(e.target); if (r >= 0 && !(e.target.dataset && e.target.dataset.toggle)) toggle(r); });
treeEl.addEventListener("keydown", function (e) {
  var p = POS[act], page = Math.max(1, Math.floor(vpH / ROW_H) - 1), handled = true;
  switch (e.key) {
    case "ArrowDown": moveActive(VIS[Math.min(VN - 1, p + 1)]); break;
    case "ArrowUp": moveActive(VIS[Math.max(0, p - 1)]); break;
    case "PageDown": moveActive(VIS[Math.min(VN - 1, p + page)]); break;
    case "PageUp": moveActive(VIS[Math.max(0, p - page)]); break;
    case "Home": moveActive(VIS[0]); break;
    case "End": moveActive(VIS[VN - 1]); break;
    case "ArrowRight":
      if (hasChildren(act) && !OPEN[act]) toggle(act, true);
      else if (hasChildren(act) && POS[act] + 1 < VN && PARENT[VIS[POS[act] + 1]] === act) moveActive(VIS[POS[act] + 1]);
      break;
    case "ArrowLeft":
      if (hasChildren(act) && OPEN[act]) toggle(act, false);
      else if (PARENT[act] >= 0) moveActive(PARENT[act]);
      break;
    case "Enter": case " ": select(act); break;
    default: handled = false;
  }
  if (handled) e.preventDefault();
});
// Focus never scrolls (a click that focuses the tree must land on the row under the pointer): a focused row out of
// view is replaced by the first row in view.
treeEl.addEventListener("focus", function () {
  var first = Math.min(VN - 1, Math.floor(virtualTop() / ROW_H)), last = first + Math.floor(vpH / ROW_H) - 1;
  if (POS[act] < first || POS[act] > last) act = VIS[Math.max(0, first)];
  renderRows();
});
scroller.addEventListener("scroll", function () { later(renderRows); }, { passive: true });

// The splitter: drag, or Left and Right, to give the tree more or less room.
var splitter = $("splitter"), treeWidth = 380;
function setTreeWidth(w) {
  treeWidth = clamp(Math.round(w), 200, Math.max(220, waterfall.clientWidth - 240));
  waterfall.style.setProperty("--tree-w", treeWidth + "px");
  splitter.setAttribute("aria-valuenow", String(treeWidth));
  layout(); renderAll();
}
splitter.addEventListener("pointerdown", function (e) {
  var x0 = e.clientX, w0 = treeWidth;
  splitter.setPointerCapture(e.pointerId);
  var move = function (m) { setTreeWidth(w0 + m.clientX - x0); };
  var up = function () { splitter.removeEventListener("pointermove", move); splitter.removeEventListener("pointerup", up); };
  splitter.addEventListener("pointermove", move);
  splitter.addEventListener("pointerup", up);
  e.preventDefault();
});
splitter.addEventListener("keydown", function (e) {
  if (e.key === "ArrowLeft") { setTreeWidth(treeWidth - 24); e.preventDefault(); }
  if (e.key === "ArrowRight") { setTreeWidth(treeWidth + 24); e.preventDefault(); }
});
`
