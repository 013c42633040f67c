/**
 * The comparison report's script: plain browser JavaScript kept as text and inlined into the page (whose policy
 * allows it by its hash). It reads the data block (`reportData.ts`), then draws the node table with the two runs'
 * waterfall lanes on one time axis, keeps only the rows in view in the page (so 10,000 or 200,000 rows cost what 30
 * do), and wires sorting (column headers), filtering (text, "regressions only" and the other changes), the keyboard
 * (an ARIA grid: Up, Down, Page Up, Page Down, Home, End; `/` to search), zoom and pan of the time axis (`+`, `-`,
 * `0`, Left and Right, or to the selected node) and the details of the selected row.
 *
 * Values reach the page only through `textContent` and attributes, never as markup; positions go through the CSS
 * object model, which the policy allows (it refuses `style` attributes).
 */
import * as Display from "@victor/core/Display"
import { Flag, STRIDE } from "./reportData.ts"

/** The script, as it goes into the page. */
export const script = String.raw`(function () {
"use strict";
var $ = function (id) { return document.getElementById(id); };
${Display.durationScript}
function signed(s) { return !isFinite(s) ? "n/a" : s > 0 ? "+" + fmt(s) : fmt(s); }
// Display.signedPercent.
function pct(r) {
  if (!isFinite(r)) return "n/a";
  if (r === 0) return "0.0%";
  var size = Math.abs(r) * 100, sign = r > 0 ? "+" : "-";
  return size < 0.05 ? sign + "<0.1%" : sign + size.toFixed(1) + "%";
}
function clamp(v, lo, hi) { return v < lo ? lo : v > hi ? hi : v; }
function integer(n) { return Math.round(n).toLocaleString("en-US"); }
function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
var laterJobs = [], laterFrame = 0;
function later(job) {
  if (laterJobs.indexOf(job) < 0) laterJobs.push(job);
  if (!laterFrame) laterFrame = requestAnimationFrame(function () {
    var jobs = laterJobs; laterJobs = []; laterFrame = 0;
    for (var i = 0; i < jobs.length; i++) jobs[i]();
  });
}

// The data, as columns.
var data = JSON.parse($("victor-compare-data").textContent), meta = data.meta, types = data.types, raw = data.rows;
var S = ${STRIDE}, N = Math.floor(raw.length / S);
var F_REG = ${Flag.regressed}, F_IMP = ${Flag.improved}, F_BOK = ${Flag.baseSucceeded}, F_HOK = ${Flag.headSucceeded};
var F_BCRIT = ${Flag.baseCritical}, F_HCRIT = ${Flag.headCritical}, F_FAILS = ${Flag.nowFails}, F_FIXED = ${Flag.nowSucceeds};
var LABEL = new Array(N), LOWER = new Array(N), ERR = new Array(N), TYPE = new Int32Array(N), CH = new Uint8Array(N);
var FL = new Uint16Array(N), BS = new Float64Array(N), BD = new Float64Array(N), HS = new Float64Array(N), HD = new Float64Array(N);
var BT = new Float64Array(N), HT = new Float64Array(N), DELTA = new Float64Array(N), RATIO = new Float64Array(N);
var IMPACT = new Float64Array(N), START = new Float64Array(N);
function num(v) { return v === null || v === undefined ? NaN : v; }
for (var i = 0, o = 0; i < N; i++, o += S) {
  LABEL[i] = String(raw[o]); TYPE[i] = raw[o + 1]; CH[i] = raw[o + 2];
  BS[i] = num(raw[o + 3]); BD[i] = num(raw[o + 4]); HS[i] = num(raw[o + 5]); HD[i] = num(raw[o + 6]);
  FL[i] = raw[o + 7]; BT[i] = num(raw[o + 8]); HT[i] = num(raw[o + 9]); ERR[i] = raw[o + 10];
  LOWER[i] = (LABEL[i] + " " + types[TYPE[i]]).toLowerCase();
  DELTA[i] = CH[i] === 0 ? HD[i] - BD[i] : NaN;
  RATIO[i] = CH[i] === 0 && BD[i] > 0 ? DELTA[i] / BD[i] : NaN;
  // What the row did to the run, for sorting by delta: an added node adds its time, a removed one takes its time away.
  IMPACT[i] = CH[i] === 0 ? DELTA[i] : CH[i] === 1 ? HD[i] : -BD[i];
  START[i] = isNaN(HS[i]) ? BS[i] : isNaN(BS[i]) ? HS[i] : Math.min(BS[i], HS[i]);
}
raw = null;

// One time axis for both runs, rounded up to a whole number of ticks; the window of it in view (zoom and pan).
// Ticks fall on round times: 1, 2 or 5 times a power of ten below a minute, then whole minutes and hours.
var MINUTE_STEPS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
function niceStep(x) {
  if (!(x > 0)) return 1;
  if (x > 30) {
    for (var k = 0; k < MINUTE_STEPS.length; k++) if (MINUTE_STEPS[k] >= x) return MINUTE_STEPS[k];
    return Math.ceil(x / 86400) * 86400;
  }
  var p = Math.pow(10, Math.floor(Math.log10(x))), m = x / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}
var span = meta.axis > 0 ? meta.axis : 1, STEP = niceStep(span / 8);
var AXIS = Math.max(1, Math.ceil(span / STEP - 1e-9)) * STEP, FROM = 0, TO = AXIS;
var grid = $("grid"), body = $("grid-body"), axisEl = $("axis");
// Percent of the lane at time t.
function x(t) { return (t - FROM) / (TO - FROM) * 100; }
function drawAxis() {
  var w = TO - FROM, step = niceStep(w / 8), first = Math.ceil(FROM / step - 1e-9);
  axisEl.textContent = "";
  for (var k = first; k * step <= TO + step * 1e-9; k++) {
    var at = x(k * step), t = el("span", "t" + (at > 92 ? " end" : ""), fmt(k * step));
    t.style.left = at + "%";
    axisEl.appendChild(t);
  }
  // Grid lines under the lanes, in pixels (a percentage cannot offset a repeating background).
  var width = axisEl.clientWidth || 1;
  grid.style.setProperty("--tick", (step / w * width) + "px");
  grid.style.setProperty("--tick-x", ((first * step - FROM) / w * width) + "px");
  var whole = FROM <= 0 && TO >= AXIS;
  $("view-range").textContent = whole ? "whole run" : fmt(FROM) + " – " + fmt(TO);
  $("zoom-fit").disabled = whole;
}

// The whole runs, under the axis.
function drawTotal() {
  var cells = $("grid-total").children, lanes = cells[cells.length - 1];
  lanes.textContent = "";
  lanes.appendChild(lane("b", 0, meta.base.seconds, meta.base.ok, "", NaN));
  lanes.appendChild(lane("h", 0, meta.head.seconds, meta.head.ok, "", NaN));
}

// Filters and sorting.
var F = { text: "", show: "" }, SORT = { key: "start", dir: 1 };
var VIS = new Int32Array(0), VN = 0, POS = new Int32Array(N).fill(-1);
function keep(i) {
  switch (F.show) {
    case "regressed": if (!(FL[i] & F_REG)) return false; break;
    case "improved": if (!(FL[i] & F_IMP)) return false; break;
    case "added": if (CH[i] !== 1) return false; break;
    case "removed": if (CH[i] !== 2) return false; break;
    case "fails": if (!(FL[i] & F_FAILS)) return false; break;
  }
  return F.text === "" || LOWER[i].indexOf(F.text) >= 0;
}
// How much a row asks for attention, for the marker column.
function severity(i) {
  var f = FL[i];
  return f & F_REG ? 6 : f & F_FAILS ? 5 : CH[i] === 1 ? 4 : CH[i] === 2 ? 3 : f & F_IMP ? 2 : f & F_FIXED ? 1 : 0;
}
var KEYS = {
  change: severity,
  name: null,
  base: function (i) { return BD[i]; },
  head: function (i) { return HD[i]; },
  delta: function (i) { return IMPACT[i]; },
  ratio: function (i) { return RATIO[i]; },
  start: function (i) { return START[i]; }
};
var DEFAULT_DIR = { change: -1, name: 1, base: -1, head: -1, delta: -1, ratio: -1, start: 1 };
function apply() {
  var list = [];
  for (var i = 0; i < N; i++) if (keep(i)) list.push(i);
  var dir = SORT.dir, f = KEYS[SORT.key];
  if (f === null) {
    list.sort(function (a, b) { return LABEL[a] < LABEL[b] ? -dir : LABEL[a] > LABEL[b] ? dir : a - b; });
  } else {
    var key = new Float64Array(N);
    for (var j = 0; j < list.length; j++) key[list[j]] = f(list[j]);
    list.sort(function (a, b) {
      var x = key[a], y = key[b];
      if (isNaN(x)) return isNaN(y) ? a - b : 1;
      if (isNaN(y)) return -1;
      return x < y ? -dir : x > y ? dir : a - b;
    });
  }
  VIS = Int32Array.from(list); VN = VIS.length;
  POS.fill(-1);
  for (var p = 0; p < VN; p++) POS[VIS[p]] = p;
  body.style.height = Math.max(VN * ROW_H, 1) + "px";
  grid.setAttribute("aria-rowcount", String(VN + 2));
  empty.hidden = VN > 0;
  var counts = $("match-count");
  counts.textContent = VN === N ? integer(N) + " nodes" : integer(VN) + " of " + integer(N) + " nodes match";
  var heads = document.querySelectorAll("[data-sort]");
  for (var h = 0; h < heads.length; h++) {
    var on = heads[h].dataset.sort === SORT.key, cell = heads[h].closest("[role=columnheader]");
    if (cell) cell.setAttribute("aria-sort", on ? (SORT.dir > 0 ? "ascending" : "descending") : "none");
    heads[h].querySelector(".arrow").textContent = on ? (SORT.dir > 0 ? "▲" : "▼") : "";
  }
}

// The rows in view.
var ROW_H = 38, sel = -1, act = -1, shown = new Map(), empty = $("grid-empty");
var headH = function () { return $("grid-head").offsetHeight; };
function symbolOf(i) {
  var f = FL[i];
  if (f & F_REG) return ["▲", "reg", "regression"];
  if (f & F_IMP) return ["▼", "imp", "improvement"];
  if (CH[i] === 1) return ["+", "add", "added: only in the candidate"];
  if (CH[i] === 2) return ["−", "rem", "removed: only in the baseline"];
  return null;
}
function rowClass(i) {
  var f = FL[i], c = "row cols";
  if (f & F_REG) c += " reg"; else if (f & F_IMP) c += " imp";
  if (CH[i] === 1) c += " add"; else if (CH[i] === 2) c += " rem";
  if (i === sel) c += " sel";
  if (i === act) c += " act";
  return c;
}
// One run's bar in a row; a run without the node says so under the other run's bar.
function lane(which, start, dur, ok, missing, otherStart) {
  var l = el("div", "lane " + which);
  if (isNaN(start) || isNaN(dur)) {
    var note = el("span", "none", missing), at = isNaN(otherStart) ? 0 : Math.max(0, x(otherStart));
    if (at < 70) note.style.left = at + "%"; else note.style.right = "0";
    l.appendChild(note);
    return l;
  }
  var a = x(start), b = x(start + dur), text = (ok ? "" : "✗ ") + fmt(dur);
  var bar = el("i", "bar");
  bar.style.left = clamp(a, -1, 101) + "%"; bar.style.width = Math.max(0, clamp(b, -1, 101) - clamp(a, -1, 101)) + "%";
  l.appendChild(bar);
  // The duration after the bar, else before it, else (a bar across the view) inside it; at the edge when out of view.
  var label = el("span", "dur");
  if (b < 0) { label.style.left = "0"; text = "◂ " + text; }
  else if (a > 100) { label.style.right = "0"; text += " ▸"; }
  else if (b < 80) label.style.left = "calc(" + b + "% + 5px)";
  else if (a >= 22) label.style.right = "calc(" + (100 - a) + "% + 5px)";
  else { label.style.left = "calc(" + Math.max(a, 0) + "% + 4px)"; label.className = "dur in"; }
  label.textContent = text;
  l.appendChild(label);
  return l;
}
function makeRow(i) {
  var row = el("div");
  row.id = "r-" + i;
  row.dataset.row = String(i);
  row.setAttribute("role", "row");
  var cells = [], sym = symbolOf(i);
  var mark = el("span");
  if (sym) {
    mark.appendChild(el("b", "sym " + sym[1], sym[0])).setAttribute("aria-hidden", "true");
    mark.appendChild(el("span", "sr-only", sym[2]));
    mark.title = sym[2];
  }
  cells.push(mark);
  var name = el("span");
  name.appendChild(el("span", "nm mono", LABEL[i]));
  name.appendChild(el("span", "ty", types[TYPE[i]]));
  var f = FL[i];
  if (f & (F_BCRIT | F_HCRIT)) {
    var where = (f & F_BCRIT) && (f & F_HCRIT) ? "both runs" : f & F_HCRIT ? "the candidate only" : "the baseline only";
    var crit = el("b", "crit", "◆"); crit.title = "on the critical path of " + where; name.appendChild(crit);
    name.appendChild(el("span", "sr-only", "on the critical path of " + where));
  }
  if (f & F_FAILS) name.appendChild(el("b", "fails", "✗ now fails"));
  else if (f & F_FIXED) name.appendChild(el("b", "fixed", "✓ now succeeds"));
  else if (CH[i] === 1 && !(f & F_HOK)) name.appendChild(el("b", "fails", "✗ failed"));
  name.title = LABEL[i];
  cells.push(name);
  cells.push(el("span", "num", isNaN(BD[i]) ? "-" : fmt(BD[i])));
  cells.push(el("span", "num", isNaN(HD[i]) ? "-" : fmt(HD[i])));
  var d = el("span", "num");
  if (CH[i] === 1) d.appendChild(el("span", "tag add", "added"));
  else if (CH[i] === 2) d.appendChild(el("span", "tag rem", "removed"));
  else { d.textContent = signed(DELTA[i]); if (f & F_REG) d.className = "num reg-text"; else if (f & F_IMP) d.className = "num imp-text"; }
  cells.push(d);
  cells.push(el("span", "num", CH[i] === 0 ? pct(RATIO[i]) : "-"));
  var lanes = el("span", "lanes");
  lanes.appendChild(lane("b", BS[i], BD[i], !!(f & F_BOK), "not in the baseline", HS[i]));
  lanes.appendChild(lane("h", HS[i], HD[i], !!(f & F_HOK), "not in the candidate", BS[i]));
  cells.push(lanes);
  for (var c = 0; c < cells.length; c++) { cells[c].setAttribute("role", "gridcell"); row.appendChild(cells[c]); }
  return row;
}
function render() {
  var top = grid.scrollTop, height = grid.clientHeight;
  var first = Math.max(0, Math.floor(top / ROW_H) - 3), last = Math.min(VN, Math.ceil((top + height) / ROW_H) + 3);
  var next = new Map(), rows = [];
  for (var p = first; p < last; p++) {
    var i = VIS[p], row = shown.get(i) || makeRow(i);
    row.className = rowClass(i);
    row.style.top = (p * ROW_H) + "px";
    row.setAttribute("aria-rowindex", String(p + 3));
    row.setAttribute("aria-selected", i === sel ? "true" : "false");
    next.set(i, row); rows.push(row);
  }
  var at = body.firstChild;
  for (var k = 0; k < rows.length; k++) {
    if (rows[k] === at) at = at.nextSibling; else body.insertBefore(rows[k], at);
  }
  while (at) { var after = at.nextSibling; body.removeChild(at); at = after; }
  shown = next;
  if (act >= 0 && shown.has(act)) grid.setAttribute("aria-activedescendant", "r-" + act);
  else grid.removeAttribute("aria-activedescendant");
}
function scrollToRow(i) {
  var p = POS[i];
  if (p < 0) return;
  var y = p * ROW_H, h = headH(), top = grid.scrollTop, view = grid.clientHeight - h;
  if (y < top) grid.scrollTop = y;
  else if (y + ROW_H > top + view) grid.scrollTop = y + ROW_H - view;
}

// The details of the selected row.
var details = $("details");
function dl(pairs) {
  var list = el("dl");
  for (var k = 0; k < pairs.length; k++) {
    if (pairs[k][1] === null) continue;
    list.appendChild(el("dt", "", pairs[k][0]));
    var dd = el("dd", pairs[k][2] || "", pairs[k][1]);
    list.appendChild(dd);
  }
  return list;
}
function side(start, dur, ok, tools, critical, label) {
  if (isNaN(dur)) return [[label, "not in this run"]];
  return [
    [label, fmt(dur)],
    ["starts at", fmt(start)],
    ["status", ok ? "✓ succeeded" : "✗ failed", ok ? "imp-text" : "reg-text"],
    ["tool calls", isNaN(tools) ? null : integer(tools)],
    ["critical path", critical ? "◆ on it" : "not on it"]
  ];
}
function renderDetails() {
  details.textContent = "";
  if (sel < 0) {
    details.appendChild(el("p", "muted", "Select a row (click, or focus the table and use ↑ ↓) to see both runs of that node here."));
    return;
  }
  var i = sel, f = FL[i], sym = symbolOf(i);
  var title = el("h2");
  title.appendChild(el("code", "", LABEL[i]));
  title.appendChild(document.createTextNode(" "));
  title.appendChild(el("span", "muted", types[TYPE[i]]));
  details.appendChild(title);
  var verdict = f & F_REG ? "▲ regression: slowed down past the threshold"
    : f & F_IMP ? "▼ improvement: sped up past the threshold"
    : CH[i] === 1 ? "+ added: only in the candidate"
    : CH[i] === 2 ? "− removed: only in the baseline"
    : "within the threshold";
  var cols = el("div", "cols3");
  cols.appendChild(dl(side(BS[i], BD[i], !!(f & F_BOK), BT[i], !!(f & F_BCRIT), "baseline")));
  cols.appendChild(dl(side(HS[i], HD[i], !!(f & F_HOK), HT[i], !!(f & F_HCRIT), "candidate")));
  cols.appendChild(dl([
    ["change", verdict, f & F_REG ? "reg-text" : f & F_IMP ? "imp-text" : ""],
    ["delta", CH[i] === 0 ? signed(DELTA[i]) + " (" + pct(RATIO[i]) + ")" : null],
    ["status", f & F_FAILS ? "✗ now fails" : f & F_FIXED ? "✓ now succeeds" : null, f & F_FAILS ? "reg-text" : "imp-text"],
    ["tool calls", CH[i] === 0 && BT[i] !== HT[i] ? integer(BT[i]) + " → " + integer(HT[i]) : null]
  ]));
  details.appendChild(cols);
  if (ERR[i] !== null && ERR[i] !== undefined && ERR[i] !== "") details.appendChild(el("pre", "", ERR[i]));
  if (sym) details.setAttribute("aria-label", "Details: " + LABEL[i] + ", " + sym[2]);
  else details.setAttribute("aria-label", "Details: " + LABEL[i]);
}
function select(i) {
  if (i < 0 || i >= N || POS[i] < 0) return;
  sel = i; act = i;
  scrollToRow(i);
  render();
  renderDetails();
  $("zoom-row").disabled = false;
}

// Zoom and pan: a window of the axis; the rows in view are drawn anew for it.
function setWindow(from, to) {
  var w = Math.max(to - from, AXIS * 1e-6);
  if (w >= AXIS) { from = 0; to = AXIS; } else { from = clamp(from, 0, AXIS - w); to = from + w; }
  FROM = from; TO = to;
  drawAxis();
  drawTotal();
  shown = new Map();
  render();
}
function zoom(factor) {
  var c = (FROM + TO) / 2, h = (TO - FROM) * factor / 2;
  setWindow(c - h, c + h);
}
function pan(fraction) { var w = TO - FROM; setWindow(FROM + w * fraction, TO + w * fraction); }
function zoomToRow(i) {
  var a = Math.min(isNaN(BS[i]) ? Infinity : BS[i], isNaN(HS[i]) ? Infinity : HS[i]);
  var b = Math.max(isNaN(BS[i]) ? -Infinity : BS[i] + BD[i], isNaN(HS[i]) ? -Infinity : HS[i] + HD[i]);
  if (!isFinite(a) || !isFinite(b)) return;
  var pad = Math.max((b - a) * 0.15, AXIS * 1e-4);
  setWindow(a - pad, b + pad);
}
$("zoom-in").addEventListener("click", function () { zoom(0.5); });
$("zoom-out").addEventListener("click", function () { zoom(2); });
$("zoom-fit").addEventListener("click", function () { setWindow(0, AXIS); });
$("zoom-row").addEventListener("click", function () { if (sel >= 0) zoomToRow(sel); });

// Input.
function update() {
  F.text = $("filter-text").value.trim().toLowerCase();
  var shows = document.querySelectorAll("#filter-show input");
  for (var k = 0; k < shows.length; k++) if (shows[k].checked) F.show = shows[k].value;
  apply();
  if (act >= 0 && POS[act] < 0) act = -1;
  render();
}
var typing = 0;
$("filter-text").addEventListener("input", function () { clearTimeout(typing); typing = setTimeout(update, 120); });
$("filter-text").addEventListener("keydown", function (e) { if (e.key === "Enter") { clearTimeout(typing); update(); } });
var showInputs = document.querySelectorAll("#filter-show input");
for (var s = 0; s < showInputs.length; s++) showInputs[s].addEventListener("change", update);
$("grid-head").addEventListener("click", function (e) {
  var b = e.target.closest ? e.target.closest("[data-sort]") : null;
  if (!b) return;
  var key = b.dataset.sort;
  if (SORT.key === key) SORT.dir = -SORT.dir; else { SORT.key = key; SORT.dir = DEFAULT_DIR[key]; }
  apply();
  grid.scrollTop = 0;
  render();
});
body.addEventListener("click", function (e) {
  var holder = e.target.closest ? e.target.closest("[data-row]") : null;
  if (!holder) return;
  select(Number(holder.dataset.row));
  grid.focus({ preventScroll: true });
});
grid.addEventListener("keydown", function (e) {
  if (e.target !== grid || VN === 0) return;
  var p = act >= 0 ? POS[act] : -1, page = Math.max(1, Math.floor((grid.clientHeight - headH()) / ROW_H) - 1), to = -2;
  switch (e.key) {
    case "ArrowDown": to = Math.min(VN - 1, p + 1); break;
    case "ArrowUp": to = Math.max(0, p - 1); break;
    case "PageDown": to = Math.min(VN - 1, p + page); break;
    case "PageUp": to = Math.max(0, p - page); break;
    case "Home": to = 0; break;
    case "End": to = VN - 1; break;
    case "Enter": case " ": to = Math.max(0, p); break;
    case "ArrowLeft": e.preventDefault(); pan(-0.2); return;
    case "ArrowRight": e.preventDefault(); pan(0.2); return;
    default: return;
  }
  e.preventDefault();
  select(VIS[to]);
});
// Focus never scrolls: the active row is one in view.
grid.addEventListener("focus", function () {
  if (act < 0 || !shown.has(act)) {
    var p = Math.min(VN - 1, Math.ceil(grid.scrollTop / ROW_H));
    act = p >= 0 ? VIS[p] : -1;
  }
  render();
});
grid.addEventListener("scroll", function () { later(render); }, { passive: true });
// "/" goes to the filter, unless it is being typed into a field.
document.addEventListener("keydown", function (e) {
  var t = e.target, tag = t && t.tagName;
  var field = tag === "TEXTAREA" || tag === "SELECT" || (tag === "INPUT" && !/^(radio|checkbox|button)$/.test(t.type));
  if (field || e.ctrlKey || e.metaKey || e.altKey) return;
  var handled = true;
  if (e.key === "/") $("filter-text").focus();
  else if (e.key === "+" || e.key === "=") zoom(0.5);
  else if (e.key === "-" || e.key === "_") zoom(2);
  else if (e.key === "0") setWindow(0, AXIS);
  else handled = false;
  if (handled) e.preventDefault();
});
new ResizeObserver(function () { later(drawAxis); later(render); }).observe(grid);

apply();
drawAxis();
drawTotal();
render();
renderDetails();
document.body.dataset.ready = "true";
if (window.performance && performance.mark) performance.mark("victor-compare-ready");
})();
`
