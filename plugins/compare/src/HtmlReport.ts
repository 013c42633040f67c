/**
 * A comparison as one self-contained HTML page: inline CSS, no scripts, no network. Every value is escaped.
 */
import * as Display from "@victor/core/Display"
import * as Comparison from "./Comparison.ts"
import * as Threshold from "./Threshold.ts"

/** Escapes text for HTML element content and quoted attribute values. */
export const escape = (text: string): string =>
  text.replace(/[&<>"'`]/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : c === "'" ? "&#39;" : "&#96;"
  )

const style = `
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin-top:1rem}
th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}
th:first-child,td:first-child,td:last-child{text-align:left}
tr.regressed{background:#fde2e2}
tr.added{background:#e2f0fd}
tr.removed{background:#eee;color:#777}
tr.broken td:last-child{color:#b00}
.summary td{border:none;text-align:left}
`

/** The comparison as an HTML document (UTF-8 text). */
export const render = (comparison: Comparison.Comparison): string => {
  const { base, criticalPath: path, head, total } = comparison
  const thresholds = Threshold.describe({
    ...(comparison.thresholds.absoluteSeconds === null ? {} : { absoluteSeconds: comparison.thresholds.absoluteSeconds }),
    ...(comparison.thresholds.relative === null ? {} : { relative: comparison.thresholds.relative })
  })
  const rows = comparison.nodes.map((node) => {
    const classes = [
      node.regressed ? "regressed" : "",
      node.change === "matched" ? "" : node.change,
      node.successFlip === "broken" ? "broken" : ""
    ].filter((c) => c.length > 0).join(" ")
    const cells = Comparison.rowCells(node).map((cell) => `<td>${escape(cell)}</td>`).join("")
    return `<tr${classes.length > 0 ? ` class="${classes}"` : ""}>${cells}</tr>`
  })
  const regressions = Comparison.regressionLines(comparison)
  return [
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<title>Victor comparison: ${escape(base.label)} vs ${escape(head.label)}</title>`,
    `<style>${style}</style></head><body>`,
    `<h1>Comparison of ${escape(head.workflowName)} runs</h1>`,
    '<table class="summary">',
    `<tr><td>Base</td><td>${escape(base.label)} (${escape(base.workflowName)})</td><td>${Display.duration(base.durationSeconds)}</td></tr>`,
    `<tr><td>Head</td><td>${escape(head.label)} (${escape(head.workflowName)})</td><td>${Display.duration(head.durationSeconds)}</td></tr>`,
    `<tr><td>Difference</td><td colspan="2">${
      escape(`${Display.signedDuration(total.deltaSeconds)} (${Display.signedPercent(total.deltaRatio)})`)
    }</td></tr>`,
    `<tr><td>Critical path</td><td colspan="2">${
      escape(Comparison.change(path.baseSeconds, path.headSeconds, path.deltaRatio))
    }</td></tr>`,
    ...(path.joined.length > 0 ? [`<tr><td></td><td colspan="2">now on it: ${escape(path.joined.join(", "))}</td></tr>`] : []),
    ...(path.left.length > 0 ? [`<tr><td></td><td colspan="2">no longer on it: ${escape(path.left.join(", "))}</td></tr>`] : []),
    "</table>",
    `<h2>${regressions.length === 0 ? "No regressions" : `${regressions.length} regression(s)`} (threshold: ${escape(thresholds)})</h2>`,
    regressions.length === 0 ? "" : `<ul>${regressions.map((line) => `<li>${escape(line)}</li>`).join("")}</ul>`,
    "<table>",
    `<thead><tr>${Comparison.rowHeaders.map((h) => `<th>${escape(h)}</th>`).join("")}</tr></thead>`,
    `<tbody>${rows.join("\n")}</tbody>`,
    "</table></body></html>",
    ""
  ].join("\n")
}
