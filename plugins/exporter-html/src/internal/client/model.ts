/**
 * The page script's row model (plain browser JavaScript, kept as text): reads the embedded data (see `data.ts` for
 * its layout) into typed arrays, one row per workflow, node record, tool call and model call, arranges them as a
 * tree (a node under the record it ran in, its calls under it, siblings by start time), and keeps the rows to show:
 * expanded or collapsed, filtered by text, status and kind (a match keeps its ancestors, shown as context). Everything
 * is linear in the number of rows, so that 100,000 nodes take milliseconds. Defines `meta`, `R`, `kindOf`,
 * `START`, `END`, `PARENT`, `FLAGS`, `DEPTH`, `OPEN`, `VIS`, `VN`, `POS`, `MATCH`, `KEEP`, the filters `F`, and
 * `computeVisible`, `applyFilter`, `hasChildren`, `nameOf`, `typeOf`, `errorOf`, `linkOf`, `modelField`,
 * `nodeRowOf`, `rowOfHash`, `hashOf`, `reveal`.
 */
export const model = String.raw`
var data = JSON.parse($("victor-data").textContent);
var meta = data.meta, names = data.names, ND = data.nodes, TD = data.tools, MD = data.models;
var NS = 7, TS = 6, MS = 9, LS = 4;
var N = ND.length / NS, T = TD.length / TS, M = MD.length / MS;
var R = 1 + N + T + M, FIRST_TOOL = 1 + N, FIRST_MODEL = 1 + N + T;
var K_WF = 0, K_NODE = 1, K_TOOL = 3, K_MODEL = 2;
var SPAN = meta.span > 0 ? meta.span : Math.max(meta.duration, 1e-3);
function kindOf(r) { return r === 0 ? K_WF : r < FIRST_TOOL ? K_NODE : r < FIRST_MODEL ? K_TOOL : K_MODEL; }
var START = new Float64Array(R), END = new Float64Array(R), PARENT = new Int32Array(R), FLAGS = new Uint8Array(R);
// FLAGS: 1 succeeded, 2 on the critical path, 4 a sub-workflow node. LINKS: a sub-workflow node's [child trace id,
// child workflow, href], by node index. FIRST_TOOL_OF, FIRST_MODEL_OF: a node's first call of each kind (a node's
// calls are consecutive, in node order).
var LINKS = {}, FIRST_TOOL_OF = new Int32Array(N).fill(-1), FIRST_MODEL_OF = new Int32Array(N).fill(-1);
(function () {
  PARENT[0] = -1; END[0] = SPAN;
  FLAGS[0] = meta.status === "failed" || meta.status === "cancelled" ? 0 : 1;
  for (var i = 0, b = 0; i < N; i++, b += NS) {
    var r = 1 + i, p = ND[b + 6];
    START[r] = ND[b + 2]; END[r] = ND[b + 2] + Math.max(0, ND[b + 3]); FLAGS[r] = ND[b + 4];
    PARENT[r] = p >= 0 && p < N && p !== i ? p + 1 : 0;
  }
  for (var c = 0; c < T; c++) {
    var rt = FIRST_TOOL + c, bt = c * TS;
    PARENT[rt] = TD[bt] + 1; START[rt] = TD[bt + 2]; END[rt] = TD[bt + 2] + Math.max(0, TD[bt + 3]); FLAGS[rt] = TD[bt + 4] ? 1 : 0;
  }
  for (var m = 0; m < M; m++) {
    var rm = FIRST_MODEL + m, bm = m * MS;
    PARENT[rm] = MD[bm] + 1; START[rm] = MD[bm + 2]; END[rm] = MD[bm + 2] + Math.max(0, MD[bm + 3]); FLAGS[rm] = 1;
  }
  for (var l = 0; l < data.links.length; l += LS) {
    LINKS[data.links[l]] = [data.links[l + 1], data.links[l + 2], data.links[l + 3]];
    FLAGS[data.links[l] + 1] |= 4;
  }
  for (var c2 = T - 1; c2 >= 0; c2--) FIRST_TOOL_OF[TD[c2 * TS]] = c2;
  for (var m2 = M - 1; m2 >= 0; m2--) FIRST_MODEL_OF[MD[m2 * MS]] = m2;
})();

// Children of each row (CSR): CH[OFF[r] .. OFF[r + 1]], by start time (ties: row order, so nodes, tools, models).
var OFF = new Int32Array(R + 1), CH = new Int32Array(Math.max(0, R - 1));
(function () {
  for (var r1 = 1; r1 < R; r1++) OFF[PARENT[r1] + 1]++;
  for (var r2 = 0; r2 < R; r2++) OFF[r2 + 1] += OFF[r2];
  var at = OFF.slice(0, R);
  for (var r = 1; r < R; r++) CH[at[PARENT[r]]++] = r;
  var byStart = function (a, b) { return START[a] - START[b] || a - b; };
  for (var q = 0; q < R; q++) {
    var from = OFF[q], to = OFF[q + 1];
    if (to - from < 2) continue;
    var sorted = true;
    for (var k = from + 1; k < to && sorted; k++) sorted = byStart(CH[k - 1], CH[k]) <= 0;
    if (!sorted) CH.subarray(from, to).sort(byStart);
  }
})();
function hasChildren(r) { return OFF[r + 1] > OFF[r]; }

// Depth-first order (a row, then its subtree), subtree sizes and depths: the shown rows are one pass over ORDER.
var ORDER = new Int32Array(R), SIZE = new Int32Array(R), DEPTH = new Int32Array(R), ORDERED = 0;
(function () {
  var stack = new Int32Array(R), top = 0;
  stack[top++] = 0;
  while (top > 0) {
    var r = stack[--top];
    ORDER[ORDERED++] = r;
    if (r !== 0) DEPTH[r] = DEPTH[PARENT[r]] + 1;
    for (var k = OFF[r + 1] - 1; k >= OFF[r]; k--) stack[top++] = CH[k];
  }
  for (var j = ORDERED - 1; j >= 0; j--) { var x = ORDER[j]; SIZE[x] += 1; if (x !== 0) SIZE[PARENT[x]] += SIZE[x]; }
})();

// Expanded rows: everything in a small trace; in a big one the structure (the workflow, nodes holding nodes) but not
// every node's calls, so that the tree opens on the nodes.
var OPEN = new Uint8Array(R);
(function () {
  if (R <= 20000) { OPEN.fill(1); return; }
  OPEN[0] = 1;
  for (var r = 1; r < FIRST_TOOL; r++) if (PARENT[r] !== 0) OPEN[PARENT[r]] = 1;
})();

function nameOf(r) {
  var k = kindOf(r);
  if (k === K_WF) return meta.workflowName;
  if (k === K_NODE) return ND[(r - 1) * NS];
  if (k === K_TOOL) return names[TD[(r - FIRST_TOOL) * TS + 1]];
  return names[MD[(r - FIRST_MODEL) * MS + 1]];
}
function typeOf(r) { return kindOf(r) === K_NODE ? names[ND[(r - 1) * NS + 1]] : ""; }
function errorOf(r) {
  var k = kindOf(r);
  if (k === K_WF) return meta.error;
  if (k === K_NODE) return ND[(r - 1) * NS + 5];
  if (k === K_TOOL) return TD[(r - FIRST_TOOL) * TS + 5];
  return null;
}
function linkOf(r) { return kindOf(r) === K_NODE ? LINKS[r - 1] || null : null; }
function modelField(r, f) { return MD[(r - FIRST_MODEL) * MS + f]; }

// Filters. MATCH: the row matches; KEEP: it matches or holds a match (shown); both null while no filter is on.
var F = { text: "", status: "", kind: "" };
var MATCH = null, KEEP = null, matched = [0, 0, 0, 0], haystack = null;
function searchText(r) {
  var t = nameOf(r) + "\n" + typeOf(r) + "\n" + (errorOf(r) || "");
  var link = linkOf(r); if (link) t += "\n" + link[0] + "\n" + (link[1] || "");
  if (kindOf(r) === K_MODEL) t += "\n" + (modelField(r, 7) || "");
  return t.toLowerCase();
}
function matches(r) {
  var k = kindOf(r);
  if (k === K_WF) return false;
  if (F.kind) {
    if (F.kind === "node" || F.kind.slice(0, 5) === "type:") {
      if (k !== K_NODE || (F.kind !== "node" && typeOf(r) !== F.kind.slice(5))) return false;
    } else if (F.kind === "model" ? k !== K_MODEL : F.kind === "tool" ? k !== K_TOOL : false) return false;
  }
  if (F.status === "failed" && (FLAGS[r] & 1)) return false;
  if (F.status === "ok" && !(FLAGS[r] & 1)) return false;
  if (F.status === "critical" && !(FLAGS[r] & 2)) return false;
  if (F.text) {
    if (!haystack) { haystack = new Array(R); for (var j = 1; j < R; j++) haystack[j] = searchText(j); }
    if (haystack[r].indexOf(F.text) < 0) return false;
  }
  return true;
}
function filtering() { return !!(F.text || F.status || F.kind); }
function applyFilter() {
  matched = [0, 0, 0, 0];
  if (!filtering()) { MATCH = null; KEEP = null; return; }
  MATCH = new Uint8Array(R); KEEP = new Uint8Array(R);
  for (var r = 1; r < R; r++) if (matches(r)) { MATCH[r] = 1; matched[kindOf(r)]++; }
  // Children before parents: a kept row keeps its parent, which opens to show it.
  for (var j = ORDERED - 1; j > 0; j--) {
    var x = ORDER[j];
    if (MATCH[x] || KEEP[x]) { KEEP[x] = 1; var p = PARENT[x]; if (!KEEP[p]) { KEEP[p] = 1; OPEN[p] = 1; } }
  }
  KEEP[0] = 1;
}

// The rows shown, in order (VIS[0 .. VN]), and each row's place among them (POS, -1 when hidden).
var VIS = new Int32Array(R), VN = 0, POS = new Int32Array(R);
function computeVisible() {
  POS.fill(-1); VN = 0;
  for (var j = 0; j < ORDERED;) {
    var r = ORDER[j];
    if (KEEP && !KEEP[r]) { j += SIZE[r]; continue; }
    POS[r] = VN; VIS[VN++] = r;
    j += OPEN[r] ? 1 : SIZE[r];
  }
}
// Opens the ancestors of a row so that it shows (filters aside); whether anything changed.
function reveal(r) {
  var changed = false;
  for (var p = PARENT[r]; p >= 0; p = PARENT[p]) if (!OPEN[p]) { OPEN[p] = 1; changed = true; }
  return changed;
}

// Deep links: #node=<id> (the first record of that id), &n=<k> for its k-th record, &tool=<j> or &model=<j> for a
// call of it (from 1).
var recordsById = null;
function recordsOf(id) {
  if (!recordsById) {
    recordsById = new Map();
    for (var i = 0; i < N; i++) { var list = recordsById.get(ND[i * NS]); if (list) list.push(i); else recordsById.set(ND[i * NS], [i]); }
  }
  return recordsById.get(id) || [];
}
function nodeRowOf(id, nth) {
  var found = recordsOf(id);
  return found.length === 0 ? -1 : 1 + found[Math.min(found.length, Math.max(1, nth || 1)) - 1];
}
function rowOfHash(hash) {
  var q = new URLSearchParams(hash.replace(/^#/, ""));
  var id = q.get("node");
  if (id === null) return -1;
  var r = nodeRowOf(id, Number(q.get("n")) || 1);
  if (r < 0) return -1;
  var i = r - 1, tool = Number(q.get("tool")), model = Number(q.get("model"));
  if (tool >= 1 && FIRST_TOOL_OF[i] >= 0) { var c = FIRST_TOOL_OF[i] + tool - 1; if (c < T && TD[c * TS] === i) return FIRST_TOOL + c; }
  if (model >= 1 && FIRST_MODEL_OF[i] >= 0) { var m = FIRST_MODEL_OF[i] + model - 1; if (m < M && MD[m * MS] === i) return FIRST_MODEL + m; }
  return r;
}
function hashOf(r) {
  var k = kindOf(r);
  if (k === K_WF) return "";
  var node = k === K_NODE ? r : PARENT[r], id = ND[(node - 1) * NS], list = recordsOf(id);
  var q = new URLSearchParams(); q.set("node", id);
  var nth = list.indexOf(node - 1) + 1; if (nth > 1) q.set("n", String(nth));
  if (k === K_TOOL) q.set("tool", String(r - FIRST_TOOL - FIRST_TOOL_OF[node - 1] + 1));
  if (k === K_MODEL) q.set("model", String(r - FIRST_MODEL - FIRST_MODEL_OF[node - 1] + 1));
  return "#" + q.toString();
}
`
