/**
 * The trace page's script, served as `/assets/trace.js`. It listens to the trace's snapshots (server-sent events):
 * while the run goes on it shows its nodes as the journal grows (running, succeeded, failed, with durations and tool
 * calls) and the time since it started; once the run has ended (or for a trace that had already), it shows the HTML
 * report in the page's sandboxed frame.
 */

/** The script. */
export const script = `"use strict";
(function () {
  var V = window.Victor;
  var traceId = document.body.getAttribute("data-trace-id");
  var startTime;
  var ticking;

  function problem(message) {
    var p = document.getElementById("problem");
    p.hidden = message === "";
    p.textContent = message;
  }

  function header(summary, events) {
    document.getElementById("title").textContent = summary.workflow_name;
    document.title = "Victor · " + summary.workflow_name + " · " + summary.trace_id;
    var status = document.getElementById("status");
    status.className = V.badge(summary.status).className;
    status.textContent = summary.status;
    document.getElementById("meta").textContent = summary.trace_id + " · started " + V.time(summary.start_time) +
      " · " + (summary.status === "running" ? "running" : V.duration(summary.duration_seconds)) + " · " +
      summary.node_count + (summary.node_count === 1 ? " node" : " nodes") +
      (summary.failed_node_count > 0 ? " (" + summary.failed_node_count + " failed)" : "") +
      (events ? " · " + events + " events" : "");
  }

  /** How long a running node has run: by this browser's clock, never less than the journal says. */
  function runningFor(since, atLeast) {
    return Math.max(atLeast, Date.now() / 1000 - since);
  }

  function note(snapshot) {
    Array.prototype.forEach.call(document.querySelectorAll("#live-nodes td[data-since]"), function (cell) {
      var since = Number(cell.getAttribute("data-since"));
      cell.textContent = V.duration(runningFor(since, Number(cell.getAttribute("data-at-least"))));
    });
    var elapsed = Date.now() / 1000 - startTime;
    document.getElementById("live-note").textContent = "Elapsed " + V.duration(Math.max(0, elapsed)) + " · " +
      snapshot.nodes.length + (snapshot.nodes.length === 1 ? " node" : " nodes") + " so far" +
      (snapshot.omitted_nodes > 0 ? " (the latest shown; " + snapshot.omitted_nodes + " earlier ones left out)" : "");
  }

  function liveRow(n) {
    return V.el("tr", { "data-node-id": n.node_id, "data-status": n.status }, [
      V.el("td", { "class": "mono", text: n.node_id }),
      V.el("td", { text: n.node_type }),
      V.el("td", {}, [V.badge(n.status)]),
      V.el("td", { text: V.time(n.timestamp) }),
      n.status === "running"
        ? V.el("td", {
          "class": "num", "data-since": n.timestamp, "data-at-least": n.duration_seconds,
          text: V.duration(runningFor(n.timestamp, n.duration_seconds))
        })
        : V.el("td", { "class": "num", text: V.duration(n.duration_seconds) }),
      V.el("td", { "class": "num", text: String(n.tool_calls) }),
      V.el("td", { "class": "wrap", text: n.error === null ? "" : n.error })
    ]);
  }

  var last;
  function showLive(snapshot) {
    last = snapshot;
    startTime = snapshot.summary.start_time;
    document.getElementById("live").hidden = false;
    V.fill(document.querySelector("#live-nodes tbody"), snapshot.nodes.length === 0
      ? [V.el("tr", {}, [V.el("td", { colSpan: 7, "class": "empty", text: "No node has started yet." })])]
      : snapshot.nodes.map(liveRow));
    note(snapshot);
    if (ticking === undefined) ticking = setInterval(function () { if (last) note(last); }, 1000);
  }

  function showReport() {
    if (ticking !== undefined) clearInterval(ticking);
    document.getElementById("live").hidden = true;
    var frame = document.getElementById("report");
    frame.addEventListener("load", V.ready, { once: true });
    frame.src = V.url("/report/" + encodeURIComponent(traceId));
    frame.hidden = false;
  }

  V.events("/api/traces/" + encodeURIComponent(traceId) + "/live", {}, {
    snapshot: function (snapshot, source) {
      problem("");
      header(snapshot.summary, snapshot.events);
      if (snapshot.final) {
        source.close();
        showReport();
      } else {
        showLive(snapshot);
        V.ready();
      }
    },
    missing: function (data, source) {
      source.close();
      problem(data.message);
      document.getElementById("status").textContent = "not found";
      V.ready();
    },
    problem: function (data) { problem("The store could not be read: " + data.message + " (trying again)"); }
  });
})();
`
