/**
 * The page script's helpers (plain browser JavaScript, kept as text): element lookup and creation (values only ever
 * become `textContent`), number formats that match Victor's (`fmt` is `Display.duration`, held to it by a test),
 * and a once-per-frame render scheduler. Defines `$`, `el`, `fmt`, `integer`, `money`, `json`, `clamp`, `later`.
 */
import * as Display from "@victor/core/Display"

export const base = String.raw`
var $ = function (id) { return document.getElementById(id); };
${Display.durationScript}
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
