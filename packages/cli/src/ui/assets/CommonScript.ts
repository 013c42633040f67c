/**
 * What every page's script shares, served as `/assets/common.js` and loaded first: the token (kept from the page's
 * address for every call it makes: a header for the API, the query for addresses and event streams, which cannot
 * carry headers), `api` and `events` over it, `el` (which builds elements and sets every value as text, so nothing
 * from a trace is ever parsed as markup), and the formats of durations, times and statuses, as Victor prints them
 * (`@victor/core/Display`).
 */

import * as Display from "@victor/core/Display"

/** The script, as plain browser JavaScript (no build step, no framework). */
export const script = `"use strict";
(function () {
  var token = new URLSearchParams(location.search).get("token") || "";

  /** An address of the explorer with the token and the given parameters. */
  function url(path, query) {
    var q = new URLSearchParams();
    var given = query || {};
    Object.keys(given).forEach(function (k) {
      var v = given[k];
      if (Array.isArray(v)) v.forEach(function (x) { q.append(k, x); });
      else if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
    });
    q.set("token", token);
    return path + "?" + q.toString();
  }

  /** A JSON call to the API, the token in the Authorization header; a failure rejects with the server's message. */
  function api(path, query) {
    var q = new URLSearchParams();
    var given = query || {};
    Object.keys(given).forEach(function (k) {
      var v = given[k];
      if (Array.isArray(v)) v.forEach(function (x) { q.append(k, x); });
      else if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
    });
    var text = q.toString();
    return fetch(path + (text ? "?" + text : ""), {
      headers: { Authorization: "Bearer " + token, Accept: "application/json" },
      cache: "no-store"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) throw new Error(body && body.error ? body.error : response.status + " " + response.statusText);
        return body;
      });
    });
  }

  /** Server-sent events: one handler per event name, each given the event's JSON. */
  function events(path, query, handlers) {
    var source = new EventSource(url(path, query));
    Object.keys(handlers).forEach(function (name) {
      source.addEventListener(name, function (message) { handlers[name](JSON.parse(message.data), source); });
    });
    return source;
  }

  /** An element; "text" sets its text, "class" its class, "data-*" and "aria-*" attributes, others properties. */
  function el(tag, props, children) {
    var node = document.createElement(tag);
    var given = props || {};
    Object.keys(given).forEach(function (k) {
      var v = given[k];
      if (v === undefined || v === null) return;
      if (k === "text") node.textContent = String(v);
      else if (k === "class") node.className = v;
      else if (k.indexOf("data-") === 0 || k.indexOf("aria-") === 0) node.setAttribute(k, String(v));
      else node[k] = v;
    });
    (children || []).forEach(function (child) {
      if (child === undefined || child === null) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  /** Replaces an element's children. */
  function fill(node, children) {
    while (node.firstChild) node.removeChild(node.firstChild);
    children.forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
  }

  /** A duration as Victor prints it: 0.4ms, 12ms, 1.24s, 2m 03s, 1h 02m 03s (\`Display.durationScript\`). */
  ${Display.durationScript}
  var duration = fmt;

  function two(n) { return String(n).padStart(2, "0"); }

  /** A unix time in the browser's time zone: 2026-01-31 12:04:05. */
  function time(seconds) {
    var d = new Date(seconds * 1000);
    if (isNaN(d.getTime())) return "n/a";
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + " " +
      two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
  }

  /** How long ago a unix time was: 5s, 3 min, 2 h, 4 d. */
  function ago(seconds) {
    var s = Math.max(0, Date.now() / 1000 - seconds);
    if (s < 60) return Math.round(s) + "s ago";
    if (s < 3600) return Math.round(s / 60) + " min ago";
    if (s < 172800) return Math.round(s / 3600) + " h ago";
    return Math.round(s / 86400) + " d ago";
  }

  var known = ["running", "succeeded", "failed", "cancelled", "incomplete"];

  /** A status badge. */
  function badge(status) {
    var s = String(status);
    return el("span", { "class": "badge s-" + (known.indexOf(s) >= 0 ? s : "unknown"), text: s });
  }

  var SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    return node;
  }

  /** A sparkline of durations (oldest first), failed runs marked with a red dot. */
  function sparkline(durations, statuses, label) {
    var width = 200, height = 34, pad = 3;
    var root = svg("svg", { viewBox: "0 0 " + width + " " + height, preserveAspectRatio: "none", role: "img" });
    root.setAttribute("aria-label", label);
    var title = svg("title", {});
    title.textContent = label;
    root.appendChild(title);
    if (durations.length === 0) return root;
    var max = Math.max.apply(null, durations.concat([1e-9]));
    var step = durations.length > 1 ? (width - 2 * pad) / (durations.length - 1) : 0;
    var points = durations.map(function (d, i) {
      return [durations.length > 1 ? pad + i * step : width / 2, height - pad - (d / max) * (height - 2 * pad)];
    });
    var line = points.map(function (p, i) {
      return (i === 0 ? "M" : "L") + p[0].toFixed(1) + " " + p[1].toFixed(1);
    }).join(" ");
    var last = points[points.length - 1];
    if (points.length > 1) {
      var floor = " L" + last[0].toFixed(1) + " " + (height - pad) + " L" + pad + " " + (height - pad) + " Z";
      root.appendChild(svg("path", { d: line + floor, "class": "spark-area" }));
      root.appendChild(svg("path", { d: line, "class": "spark-line" }));
    }
    root.appendChild(svg("circle", { cx: last[0], cy: last[1], r: 2.5, "class": "spark-last" }));
    points.forEach(function (p, i) {
      if (statuses[i] === "failed") root.appendChild(svg("circle", { cx: p[0], cy: p[1], r: 2.5, "class": "spark-fail" }));
    });
    return root;
  }

  /** Marks the page rendered: for tests and the benchmark, which time it. */
  function ready() {
    if (document.body.getAttribute("data-ready") === "true") return;
    document.body.setAttribute("data-ready", "true");
    if (performance.mark) performance.mark("victor-ui-ready");
  }

  window.Victor = {
    token: token, url: url, api: api, events: events, el: el, fill: fill, duration: duration, time: time, ago: ago,
    badge: badge, sparkline: sparkline, ready: ready
  };
})();
`
