/**
 * The history page's script, served as `/assets/history.js`: the workflows with their sparklines, the filters (kept
 * in the page's address, so that a reload or a shared link shows the same), the table a page at a time, the choice
 * of two traces to compare, and the running traces, which arrive as server-sent events: when one starts, ends or
 * finishes a node, the table and the sparklines are fetched again.
 */

/** The script. */
export const script = `"use strict";
(function () {
  var V = window.Victor;
  var form = document.getElementById("filters");
  var fields = ["workflow", "status", "from", "to", "q"];
  var state = { page: 1 };
  var selected = [];
  var rowsById = {};

  function readAddress() {
    var params = new URLSearchParams(location.search);
    var workflow = params.get("workflow") || "";
    // The workflows are listed later: the one in the address is an option until then.
    if (workflow !== "") form.elements.workflow.appendChild(V.el("option", { value: workflow, text: workflow }));
    fields.forEach(function (name) { form.elements[name].value = params.get(name) || ""; });
    var page = Number(params.get("page"));
    state.page = page >= 1 ? Math.floor(page) : 1;
  }

  function filters() {
    var out = {};
    fields.forEach(function (name) { out[name] = form.elements[name].value.trim(); });
    return out;
  }

  function writeAddress() {
    var query = filters();
    if (state.page > 1) query.page = state.page;
    history.replaceState(null, "", V.url("/", query));
  }

  /** The API's query: the range's local date-times as unix seconds. */
  function apiQuery() {
    var f = filters();
    var q = { workflow: f.workflow, status: f.status, q: f.q, page: state.page };
    ["from", "to"].forEach(function (name) {
      if (f[name] !== "") {
        var t = new Date(f[name]).getTime();
        if (!isNaN(t)) q[name] = String(t / 1000 + (name === "to" ? 59.999 : 0));
      }
    });
    return q;
  }

  function problem(message) {
    var tbody = document.querySelector("#traces tbody");
    V.fill(tbody, [V.el("tr", {}, [V.el("td", { colSpan: 8, "class": "empty", text: message })])]);
  }

  function updateSelection() {
    var button = document.getElementById("compare");
    button.disabled = selected.length !== 2;
    document.getElementById("selection").textContent = selected.length === 2
      ? "Two traces ticked"
      : "Tick two traces to compare them" + (selected.length === 1 ? " (one ticked)" : "");
  }

  function row(s) {
    rowsById[s.trace_id] = s;
    var box = V.el("input", { type: "checkbox", value: s.trace_id, checked: selected.indexOf(s.trace_id) >= 0 });
    box.setAttribute("aria-label", "select " + s.trace_id);
    box.addEventListener("change", function () {
      var i = selected.indexOf(s.trace_id);
      if (box.checked && i < 0) {
        selected.push(s.trace_id);
        if (selected.length > 2) {
          var dropped = selected.shift();
          var other = document.querySelector("#traces input[type=checkbox][value='" + CSS.escape(dropped) + "']");
          if (other) other.checked = false;
        }
      } else if (!box.checked && i >= 0) selected.splice(i, 1);
      updateSelection();
    });
    var link = V.el("a", { href: V.url("/trace/" + encodeURIComponent(s.trace_id)), text: s.trace_id, "class": "mono" });
    return V.el("tr", { "data-trace-id": s.trace_id }, [
      V.el("td", {}, [box]),
      V.el("td", {}, [V.badge(s.status)]),
      V.el("td", { "class": "wrap", text: s.workflow_name }),
      V.el("td", {}, [link]),
      V.el("td", { text: V.time(s.start_time) }),
      V.el("td", { "class": "num", text: V.duration(s.duration_seconds) }),
      V.el("td", { "class": "num", text: String(s.node_count) }),
      V.el("td", { "class": "num", text: String(s.failed_node_count) })
    ]);
  }

  function loadTraces() {
    return V.api("/api/traces", apiQuery()).then(function (result) {
      var tbody = document.querySelector("#traces tbody");
      if (result.items.length === 0) {
        problem(result.total === 0 && Object.values(filters()).every(function (v) { return v === ""; })
          ? "No stored traces yet. Run one with: victor workflow trace FILE.yaml"
          : "No traces match these filters.");
      } else V.fill(tbody, result.items.map(row));
      var from = result.total === 0 ? 0 : (result.page - 1) * result.size + 1;
      var to = Math.min(result.total, result.page * result.size);
      document.getElementById("count").textContent = result.total.toLocaleString("en") +
        (result.total === 1 ? " trace" : " traces");
      document.getElementById("pageinfo").textContent = result.total === 0 ? ""
        : from.toLocaleString("en") + "–" + to.toLocaleString("en") + " of " + result.total.toLocaleString("en") +
          " (page " + result.page + " of " + result.pages + ")";
      document.getElementById("prev").disabled = result.page <= 1;
      document.getElementById("next").disabled = result.page >= result.pages;
    }).catch(function (error) { problem("Could not list traces: " + error.message); });
  }

  function card(w, current) {
    var stats = w.runs.toLocaleString("en") + (w.runs === 1 ? " run" : " runs") +
      (w.failed > 0 ? " · " + w.failed.toLocaleString("en") + " failed" : "") + " · last " + V.ago(w.last_start_time);
    var label = "durations of the last " + w.durations.length + " runs of " + w.workflow_name + ", up to " +
      V.duration(Math.max.apply(null, w.durations.concat([0])));
    var button = V.el("button", { type: "button", "class": "card" + (current ? " selected" : "") }, [
      V.el("span", { "class": "name", text: w.workflow_name, title: w.workflow_name }),
      V.el("span", { "class": "stats", text: stats }),
      V.sparkline(w.durations, w.statuses, label)
    ]);
    button.addEventListener("click", function () {
      form.elements.workflow.value = current ? "" : w.workflow_name;
      state.page = 1;
      refresh();
    });
    return button;
  }

  function loadWorkflows() {
    return V.api("/api/workflows").then(function (result) {
      var current = form.elements.workflow.value;
      var select = form.elements.workflow;
      var options = [V.el("option", { value: "", text: "all workflows" })].concat(result.workflows.map(function (w) {
        return V.el("option", { value: w.workflow_name, text: w.workflow_name });
      }));
      V.fill(select, options);
      select.value = current;
      var cards = document.getElementById("sparklines");
      if (result.workflows.length === 0) V.fill(cards, [V.el("p", { "class": "muted", text: "No workflows yet." })]);
      else V.fill(cards, result.workflows.map(function (w) { return card(w, w.workflow_name === current); }));
    }).catch(function (error) {
      V.fill(document.getElementById("sparklines"), [V.el("p", { "class": "problem", text: error.message })]);
    });
  }

  function refresh() {
    writeAddress();
    return Promise.all([loadTraces(), loadWorkflows()]);
  }

  var running = "";
  function live(data) {
    var list = document.getElementById("running");
    document.getElementById("live").hidden = data.traces.length === 0;
    V.fill(list, data.traces.map(function (s) {
      return V.el("li", {}, [
        V.el("a", { href: V.url("/trace/" + encodeURIComponent(s.trace_id)), text: s.workflow_name }),
        " ",
        V.el("span", { "class": "muted mono", text: s.trace_id.slice(0, 8) }),
        " · " + s.node_count + (s.node_count === 1 ? " node" : " nodes") + " · started " + V.time(s.start_time)
      ]);
    }));
    var now = data.traces.map(function (s) { return s.trace_id + ":" + s.node_count; }).join(",");
    // The first message is the state the page was loaded in; later ones mean the history moved.
    if (running !== "" || now !== "") {
      if (running !== now && document.body.getAttribute("data-ready") === "true") refresh();
    }
    running = now;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    state.page = 1;
    refresh();
  });
  document.getElementById("f-clear").addEventListener("click", function () {
    fields.forEach(function (name) { form.elements[name].value = ""; });
    state.page = 1;
    refresh();
  });
  document.getElementById("prev").addEventListener("click", function () { state.page = Math.max(1, state.page - 1); refresh(); });
  document.getElementById("next").addEventListener("click", function () { state.page += 1; refresh(); });
  document.getElementById("compare").addEventListener("click", function () {
    if (selected.length !== 2) return;
    var pair = selected.map(function (id) { return rowsById[id]; }).sort(function (a, b) { return a.start_time - b.start_time; });
    location.href = V.url("/compare", { base: pair[0].trace_id, head: pair[1].trace_id });
  });

  readAddress();
  // The running traces once the page is drawn: their stream's first listing need not slow the first render.
  refresh().then(function () {
    V.ready();
    V.events("/api/live", {}, { running: live });
  });
})();
`
