/**
 * The compare page's script, served as `/assets/compare.js`: the two traces (and a threshold) from the page's address
 * or its form, suggestions from the latest stored traces, then the comparison plugin's verdict (both sides, the
 * difference, the critical path, the regressions) and its HTML report in the page's sandboxed frame.
 */

/** The script. */
export const script = `"use strict";
(function () {
  var V = window.Victor;
  var form = document.getElementById("pick");

  function problem(message) {
    var p = document.getElementById("problem");
    p.hidden = message === "";
    p.textContent = message;
  }

  function side(s) {
    return [
      V.el("a", { href: V.url("/trace/" + encodeURIComponent(s.trace_id)), text: s.trace_id, "class": "mono" }),
      " · " + s.workflow_name + " · " + V.duration(s.duration_seconds)
    ];
  }

  function render(view, query) {
    V.fill(document.getElementById("r-base"), side(view.base));
    V.fill(document.getElementById("r-head"), side(view.head));
    document.getElementById("r-total").textContent = view.total;
    V.fill(document.getElementById("r-critical"), view.critical_path.map(function (line) {
      return V.el("div", { text: line.replace(/^Critical path: /, "").trim() });
    }));
    document.getElementById("r-verdict").textContent = (view.regressions.length === 0
      ? "No regressions"
      : view.regressions.length + (view.regressions.length === 1 ? " regression" : " regressions")) +
      " (threshold " + view.thresholds + ")";
    V.fill(document.getElementById("regressions"), view.regressions.map(function (line) {
      return V.el("li", { text: line });
    }));
    var report = V.url("/compare/report", query);
    document.getElementById("plugin-report").href = report;
    document.getElementById("result").hidden = false;
    var frame = document.getElementById("report");
    frame.addEventListener("load", V.ready, { once: true });
    frame.src = report;
    document.title = "Victor · Compare " + view.base.trace_id.slice(0, 8) + " → " + view.head.trace_id.slice(0, 8);
  }

  function run() {
    var query = { base: form.elements.base.value.trim(), head: form.elements.head.value.trim(),
      threshold: form.elements.threshold.value.trim() };
    history.replaceState(null, "", V.url("/compare", query));
    if (query.base === "" || query.head === "") { V.ready(); return; }
    problem("");
    return V.api("/api/compare", query).then(function (view) { render(view, query); })
      .catch(function (error) {
        document.getElementById("result").hidden = true;
        problem("Cannot compare: " + error.message);
        V.ready();
      });
  }

  function suggestions() {
    return V.api("/api/traces", { size: 100 }).then(function (result) {
      V.fill(document.getElementById("recent"), result.items.map(function (s) {
        return V.el("option", { value: s.trace_id,
          label: [s.workflow_name, s.status, V.time(s.start_time), V.duration(s.duration_seconds)].join(" · ") });
      }));
    }).catch(function () {});
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
  var params = new URLSearchParams(location.search);
  form.elements.base.value = params.get("base") || "";
  form.elements.head.value = params.get("head") || "";
  form.elements.threshold.value = params.get("threshold") || "";
  suggestions();
  run();
})();
`
