/**
 * The page script's helpers (plain browser JavaScript, kept as text): element lookup and creation (values only ever
 * become `textContent`), number formats that match Victor's (`fmt` is `Display.duration`, held to it by a test),
 * and a once-per-frame render scheduler. Defines `$`, `el`, `fmt`, `integer`, `money`, `json`, `clamp`, `later`.
 */
export const base = String.raw`
var $ = function (id) { return document.getElementById(id); };
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
function integer(n) { return n === null || n === undefined ? "–" : Math.round(n).toLocaleString("en-US"); }
// Report.formatCost of the exporter: four significant digits below one unit, cents above.
function money(cost) {
  if (cost === null || cost === undefined) return "–";
  return meta.currency + (cost === 0 ? "0" : cost < 1 ? cost.toPrecision(4).replace(/0+$/, "").replace(/\.$/, "") : cost.toFixed(2));
}
function json(value) { try { return JSON.stringify(value, null, 2); } catch (e) { return String(value); } }
function clamp(v, lo, hi) { return v < lo ? lo : v > hi ? hi : v; }
// Work for the next frame, once however often it is asked for (scrolling, wheel and drag fire faster than frames).
var laterJobs = [], laterFrame = 0;
function later(job) {
  if (laterJobs.indexOf(job) < 0) laterJobs.push(job);
  if (!laterFrame) laterFrame = requestAnimationFrame(function () {
    var jobs = laterJobs; laterJobs = []; laterFrame = 0;
    for (var i = 0; i < jobs.length; i++) jobs[i]();
  });
}
`
