/**
 * The page script's waterfall (plain browser JavaScript, kept as text): the time window shown (`view`, seconds from
 * the run's start), each row's bar in it with its duration beside it (inside when there is no room), ticks for the
 * calls of a collapsed node, the time axis with "nice" steps (1, 2, 5 × 10^k) and the grid under the bars, and the
 * minimap of the whole run with the window on it. Zoom: Ctrl or ⌘ + wheel over the bars, the wheel over the axis or
 * the minimap, + and -, the buttons; pan: drag the bars or the axis, Shift + wheel, Left and Right; the minimap: drag
 * out a range, drag the window, click to centre. Defines `view`, `layoutTimeline`, `fillLane`, `renderTimeline`,
 * `drawMinimap`, `setView`, `zoom`, `pan`, `fit`, `zoomTo`, `showRow`.
 */
export const timeline = String.raw`
var PAD = 12;
var view = { from: 0, to: SPAN }, TW = 100;
var MIN_WIDTH = Math.max(SPAN * 1e-7, 1e-9);
var axisEl = $("axis"), gridEl = $("grid"), mini = $("minimap"), miniCanvas = $("minimap-canvas"), miniWin = $("minimap-window");
function layoutTimeline() { TW = Math.max(40, barsEl.clientWidth - 2 * PAD); }
function X(t) { return PAD + (t - view.from) / (view.to - view.from) * TW; }
function timeAt(x) { return view.from + (x - PAD) / TW * (view.to - view.from); }
function setView(from, to) {
  var w = clamp(to - from, MIN_WIDTH, SPAN);
  from = clamp(from, 0, SPAN - w);
  if (from === view.from && from + w === view.to) return;
  view.from = from; view.to = from + w;
  later(renderTimeline);
}
function zoom(factor, at) {
  if (at === undefined) at = sel >= 0 && END[sel] >= view.from && START[sel] <= view.to ? (START[sel] + END[sel]) / 2 : (view.from + view.to) / 2;
  var w = clamp((view.to - view.from) * factor, MIN_WIDTH, SPAN), left = at - (at - view.from) * (w / (view.to - view.from));
  setView(left, left + w);
}
function pan(fraction) { var w = view.to - view.from; setView(view.from + w * fraction, view.to + w * fraction); }
function fit() { setView(0, SPAN); }
function zoomTo(r) {
  var d = Math.max(END[r] - START[r], MIN_WIDTH * 10), margin = d * 0.1;
  setView(START[r] - margin, END[r] + margin);
}
// Brings a row's bar into the window, keeping the zoom, when none of it shows.
function showRow(r) {
  if (END[r] >= view.from && START[r] <= view.to) return;
  var w = view.to - view.from, mid = (START[r] + END[r]) / 2;
  setView(mid - w / 2, mid + w / 2);
}
function durText(r) { return fmt(END[r] - START[r]); }
// A lane's bar depends on the time window, so its content is redrawn each time; the lane itself is kept (see rows).
function fillLane(row, r, y) {
  row.className = rowClass(r);
  row.dataset.row = String(r);
  row.style.top = y + "px";
  row.replaceChildren();
  var x0 = X(START[r]), x1 = X(END[r]), right = PAD + TW;
  if (x1 < PAD - 1) { row.appendChild(edge("◀ " + durText(r), false)); return row; }
  if (x0 > right + 1) { row.appendChild(edge(durText(r) + " ▶", true)); return row; }
  var a = Math.max(x0, PAD - 4), z = Math.min(x1, right + 4);
  var bar = el("div", "bar" + (FLAGS[r] & 2 && r !== 0 ? " crit" : "") + (FLAGS[r] & 4 ? " sub" : ""));
  bar.style.left = a + "px";
  bar.style.width = Math.max(1, z - a) + "px";
  row.appendChild(bar);
  if (hasChildren(r) && !OPEN[r] && kindOf(r) === K_NODE) {
    // A collapsed node shows when its calls happened.
    var drawn = 0;
    for (var k = OFF[r]; k < OFF[r + 1] && drawn < 64; k++) {
      var c = CH[k]; if (kindOf(c) === K_NODE) continue;
      var xc = X(START[c]); if (xc < a || xc > z - 2) continue;
      var mark = el("div", "mark"); mark.style.left = xc + "px"; row.appendChild(mark); drawn++;
    }
  }
  var text = durText(r), width = text.length * 6.4 + 6, dur = el("span", "dur", text);
  if (z + 4 + width <= right + PAD) dur.style.left = (z + 4) + "px";
  else if (a - 4 - width >= 0) dur.style.left = (a - 4 - width) + "px";
  else { dur.className = "dur in"; dur.style.left = (a + 4) + "px"; }
  row.appendChild(dur);
  return row;
}
function edge(text, after) {
  var e = el("span", "edge", text);
  if (after) e.style.right = "4px"; else e.style.left = "4px";
  e.title = after ? "later than the window" : "earlier than the window";
  return e;
}
// Axis labels precise enough for their step: 250ms, 1.5s, 12.35ms, 800µs.
function tickLabel(t, step) {
  if (Math.abs(t) < step / 1e6) return "0";
  if (step >= 60) return fmt(t);
  if (step >= 1) return t.toFixed(0) + "s";
  if (step >= 0.001) return (t * 1000).toFixed(Math.max(0, -Math.floor(Math.log10(step * 1000) + 1e-9))) + "ms";
  return (t * 1e6).toFixed(Math.max(0, -Math.floor(Math.log10(step * 1e6) + 1e-9))) + "µs";
}
function niceStep(raw) {
  var p = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}
function renderAxis() {
  var w = view.to - view.from, step = niceStep(w / Math.max(2, TW / 90));
  if (step >= 60 && step < 3600) step = Math.max(60, Math.round(step / 60) * 60);
  var ticks = document.createDocumentFragment(), lines = document.createDocumentFragment();
  for (var t = Math.ceil(view.from / step) * step, n = 0; t <= view.to + step * 1e-9 && n < 200; t += step, n++) {
    var x = Math.round(X(t)), tick = el("span", "t", tickLabel(t, step));
    tick.style.left = x + "px"; ticks.appendChild(tick);
    var line = el("i"); line.style.left = x + "px"; lines.appendChild(line);
  }
  axisEl.replaceChildren(ticks);
  gridEl.replaceChildren(lines);
  var whole = view.from <= 0 && view.to >= SPAN;
  $("view-range").textContent = whole ? "whole run: " + fmt(SPAN) : "+" + fmt(view.from) + " – +" + fmt(view.to) + " (" + fmt(w) + " of " + fmt(SPAN) + ")";
  barsEl.dataset.from = String(view.from);
  barsEl.dataset.to = String(view.to);
}
function placeMinimapWindow() {
  var width = mini.clientWidth;
  var left = view.from / SPAN * width, right = view.to / SPAN * width;
  miniWin.style.left = Math.min(left, width - 3) + "px";
  miniWin.style.width = Math.max(3, right - left) + "px";
  miniWin.title = "shown: +" + fmt(view.from) + " – +" + fmt(view.to);
}
function renderTimeline() { renderAxis(); placeMinimapWindow(); renderRows(); }
function renderAll() { renderAxis(); placeMinimapWindow(); drawMinimap(); renderRows(); }
// The minimap: the rows shown, squeezed into its height, each a line over the whole run (failed and critical rows
// drawn last, so that they stay visible however many rows share a pixel), with the window on top.
function rgba(css, name) {
  var hex = css.getPropertyValue(name).trim().replace("#", "");
  if (hex.length === 3) hex = hex[0] + hex[0] + hex[1] + hex[1] + hex[2] + hex[2];
  var v = parseInt(hex, 16);
  return isNaN(v) ? 0xff888888 : (0xff000000 | ((v & 0xff) << 16) | (v & 0xff00) | ((v >> 16) & 0xff)) >>> 0;
}
function drawMinimap() {
  var ratio = window.devicePixelRatio || 1, w = Math.max(1, Math.floor(mini.clientWidth * ratio)), h = Math.max(1, Math.floor(mini.clientHeight * ratio));
  miniCanvas.width = w; miniCanvas.height = h;
  var ctx = miniCanvas.getContext("2d"); if (!ctx) return;
  var image = ctx.createImageData(w, h), px = new Uint32Array(image.data.buffer), css = getComputedStyle(document.documentElement);
  var colour = [rgba(css, "--b-wf"), rgba(css, "--b-node"), rgba(css, "--b-model"), rgba(css, "--b-tool")];
  var fail = rgba(css, "--b-fail"), crit = rgba(css, "--crit"), scale = (w - 1) / SPAN, rows = Math.max(1, VN);
  var line = function (r, p, c) {
    var y0 = Math.floor(p * h / rows), y1 = Math.max(y0 + 1, Math.floor((p + 1) * h / rows));
    var x0 = clamp(Math.floor(START[r] * scale), 0, w - 1), x1 = clamp(Math.floor(END[r] * scale), x0, w - 1);
    for (var y = y0; y < y1 && y < h; y++) for (var x = x0, o = y * w; x <= x1; x++) px[o + x] = c;
  };
  for (var p = 0; p < VN; p++) { var r = VIS[p]; line(r, p, FLAGS[r] & 4 ? colour[0] : colour[kindOf(r)]); }
  for (var q = 0; q < VN; q++) { var s = VIS[q]; if (!(FLAGS[s] & 1)) line(s, q, fail); else if (FLAGS[s] & 2 && s !== 0) line(s, q, crit); }
  ctx.putImageData(image, 0, 0);
  placeMinimapWindow();
}

// Pointer and wheel.
function wheelZoom(e, x) {
  var factor = Math.exp(clamp(e.deltaY, -300, 300) * (e.deltaMode === 1 ? 0.05 : 0.002));
  zoom(factor, timeAt(x));
  e.preventDefault();
}
barsEl.addEventListener("wheel", function (e) {
  var x = e.clientX - barsEl.getBoundingClientRect().left;
  if (e.ctrlKey || e.metaKey) return wheelZoom(e, x);
  var dx = e.shiftKey ? e.deltaY || e.deltaX : e.deltaX;
  if (dx && (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY))) { pan(dx / TW); e.preventDefault(); }
}, { passive: false });
axisEl.addEventListener("wheel", function (e) { wheelZoom(e, e.clientX - axisEl.getBoundingClientRect().left); }, { passive: false });
mini.addEventListener("wheel", function (e) {
  var box = mini.getBoundingClientRect();
  var factor = Math.exp(clamp(e.deltaY, -300, 300) * (e.deltaMode === 1 ? 0.05 : 0.002));
  zoom(factor, (e.clientX - box.left) / box.width * SPAN);
  e.preventDefault();
}, { passive: false });
// Dragging the bars pans (and scrolls); a press that does not move is a click on a row.
function dragPan(target, alsoScroll, onClick) {
  target.addEventListener("pointerdown", function (e) {
    if (e.button !== 0) return;
    var x0 = e.clientX, y0 = e.clientY, from = view.from, to = view.to, top = scroller.scrollTop, moved = false, pressed = rowAt(e.target);
    target.setPointerCapture(e.pointerId);
    var move = function (m) {
      if (!moved && Math.abs(m.clientX - x0) + Math.abs(m.clientY - y0) < 4) return;
      if (!moved) { moved = true; target.classList.add("dragging"); }
      var dt = -(m.clientX - x0) / TW * (to - from);
      setView(from + dt, to + dt);
      if (alsoScroll) scroller.scrollTop = top - (m.clientY - y0);
    };
    var up = function () {
      target.removeEventListener("pointermove", move); target.removeEventListener("pointerup", up); target.removeEventListener("pointercancel", up);
      target.classList.remove("dragging");
      if (!moved && onClick) onClick(pressed);
    };
    target.addEventListener("pointermove", move);
    target.addEventListener("pointerup", up);
    target.addEventListener("pointercancel", up);
  });
}
dragPan(barsEl, true, function (r) { if (r >= 0) select(r); barsEl.focus({ preventScroll: true }); });
dragPan(axisEl, false, null);
mini.addEventListener("pointerdown", function (e) {
  if (e.button !== 0) return;
  var box = mini.getBoundingClientRect(), at = function (x) { return clamp((x - box.left) / box.width, 0, 1) * SPAN; };
  // Pressing on the window moves it, unless it shows (nearly) everything: then a drag chooses a range anyway.
  var t0 = at(e.clientX), from = view.from, to = view.to, moved = false;
  var inside = e.target === miniWin && to - from < SPAN * 0.9;
  mini.setPointerCapture(e.pointerId);
  var move = function (m) {
    var t = at(m.clientX);
    if (!moved && Math.abs(m.clientX - e.clientX) < 3) return;
    moved = true;
    if (inside) setView(from + t - t0, to + t - t0);
    else setView(Math.min(t0, t), Math.max(t0, t));
  };
  var up = function () {
    mini.removeEventListener("pointermove", move); mini.removeEventListener("pointerup", up);
    if (!moved && !inside) { var w = view.to - view.from; setView(t0 - w / 2, t0 + w / 2); }
  };
  mini.addEventListener("pointermove", move);
  mini.addEventListener("pointerup", up);
  e.preventDefault();
});
barsEl.addEventListener("keydown", function (e) {
  var handled = true, step = e.shiftKey ? 0.5 : 0.1;
  switch (e.key) {
    case "ArrowLeft": pan(-step); break;
    case "ArrowRight": pan(step); break;
    case "ArrowDown": moveActive(VIS[Math.min(VN - 1, Math.max(0, POS[act]) + 1)], true); break;
    case "ArrowUp": moveActive(VIS[Math.max(0, POS[act] - 1)], true); break;
    case "Home": setView(0, view.to - view.from); break;
    case "End": setView(SPAN - (view.to - view.from), SPAN); break;
    default: handled = false;
  }
  if (handled) e.preventDefault();
});
`
