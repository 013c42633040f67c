/**
 * The explorer's one style sheet, served as `/assets/ui.css` (the pages' policy allows no inline style). Light and
 * dark follow `prefers-color-scheme`, in the colours of the HTML report, so that a report framed in the trace page
 * sits in a page of the same look.
 */

/** The style sheet. */
export const styles = `
:root {
  color-scheme: light dark;
  --bg: #f7f8fa; --panel: #ffffff; --text: #1d2330; --muted: #5d6675; --line: #dfe3ea; --hover: #eef2f8;
  --accent: #2f6fde; --accent-text: #ffffff; --ok: #1f8a4c; --ok-bg: #e3f4ea; --fail: #c8362f; --fail-bg: #fbe6e4;
  --run: #2f6fde; --run-bg: #e4edfc; --warn: #a86400; --warn-bg: #fcf0dc; --none: #6b7280; --none-bg: #eceef2;
  --regressed: #fbe6e4; --added: #e4edfc; --removed: #eceef2;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #12151b; --panel: #1a1e26; --text: #e3e7ee; --muted: #9aa3b2; --line: #2c323d; --hover: #222833;
    --accent: #6b9cf5; --accent-text: #0d1117; --ok: #4cc38a; --ok-bg: #15301f; --fail: #f0736b; --fail-bg: #3a1c1b;
    --run: #6b9cf5; --run-bg: #1a2a45; --warn: #e0a64a; --warn-bg: #3a2c14; --none: #9aa3b2; --none-bg: #262b35;
    --regressed: #3a1c1b; --added: #1a2a45; --removed: #262b35;
  }
}
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; }
body { background: var(--bg); color: var(--text); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
h1 { font-size: 18px; margin: 0; }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 0 0 8px; }
.bar { display: flex; align-items: center; gap: 20px; padding: 10px 20px; background: var(--panel);
  border-bottom: 1px solid var(--line); position: sticky; top: 0; z-index: 2; }
.brand { font-weight: 700; font-size: 16px; color: var(--text); }
.bar nav { display: flex; gap: 4px; }
.bar nav a { padding: 4px 10px; border-radius: 6px; color: var(--muted); }
.bar nav a.current { background: var(--hover); color: var(--text); }
.bar .store { margin-left: auto; color: var(--muted); font-size: 12px; overflow: hidden; text-overflow: ellipsis;
  white-space: nowrap; max-width: 50%; }
main { padding: 16px 20px 40px; max-width: 1600px; margin: 0 auto; }
main.full { max-width: none; padding: 0; }
section { margin-bottom: 18px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 10px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px;
  cursor: pointer; text-align: left; color: var(--text); font: inherit; }
.card:hover, .card.selected { border-color: var(--accent); }
.card .name { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; display: block; }
.card .stats { color: var(--muted); font-size: 12px; display: block; }
.card svg { display: block; margin-top: 6px; width: 100%; height: 34px; }
.spark-line { fill: none; stroke: var(--accent); stroke-width: 1.5; }
.spark-area { fill: var(--accent); opacity: .12; }
.spark-fail { fill: var(--fail); }
.spark-last { fill: var(--accent); }
.filters { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 10px; }
.filters label { display: flex; flex-direction: column; gap: 3px; font-size: 12px; color: var(--muted); }
input, select, button { font: inherit; color: var(--text); background: var(--panel); border: 1px solid var(--line);
  border-radius: 6px; padding: 5px 8px; }
input[type=search] { min-width: 220px; }
#pick input[list] { width: 330px; }
button { cursor: pointer; }
button.primary { background: var(--accent); color: var(--accent-text); border-color: var(--accent); }
button:disabled { opacity: .5; cursor: default; }
.toolbar { display: flex; align-items: center; gap: 12px; margin: 12px 0 8px; color: var(--muted); }
.toolbar .grow { flex: 1; }
table { border-collapse: collapse; width: 100%; background: var(--panel); border: 1px solid var(--line);
  border-radius: 8px; overflow: hidden; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
th { font-size: 12px; color: var(--muted); font-weight: 600; background: var(--panel); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.wrap { white-space: normal; word-break: break-word; }
tbody tr:hover { background: var(--hover); }
tbody tr:last-child td { border-bottom: none; }
.empty { color: var(--muted); padding: 18px; text-align: center; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; }
.s-succeeded { color: var(--ok); background: var(--ok-bg); }
.s-failed { color: var(--fail); background: var(--fail-bg); }
.s-running { color: var(--run); background: var(--run-bg); }
.s-cancelled, .s-incomplete { color: var(--warn); background: var(--warn-bg); }
.s-unknown { color: var(--none); background: var(--none-bg); }
.pager { display: flex; align-items: center; justify-content: center; gap: 12px; margin-top: 10px; color: var(--muted); }
.live ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 8px; }
.live li { background: var(--panel); border: 1px solid var(--run); border-radius: 8px; padding: 6px 10px; }
.pulse { display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: var(--run); margin-right: 6px;
  animation: pulse 1.2s ease-in-out infinite; }
@keyframes pulse { 50% { opacity: .25; } }
.tracehead { display: flex; align-items: center; flex-wrap: wrap; gap: 12px; padding: 10px 20px; background: var(--panel);
  border-bottom: 1px solid var(--line); }
.tracehead .meta { color: var(--muted); }
.tracehead .links { margin-left: auto; display: flex; gap: 14px; }
.livebox { padding: 16px 20px; }
.problem { color: var(--fail); background: var(--fail-bg); border-radius: 8px; padding: 10px 14px; }
iframe.report { display: block; width: 100%; height: calc(100vh - 96px); border: 0; background: var(--bg); }
iframe.report.compare { height: max(640px, 85vh); border: 1px solid var(--line); border-radius: 8px; }
.sides ul { margin: 4px 0 0; padding-left: 18px; }
.sides td:first-child { color: var(--muted); width: 140px; }
tr.regressed { background: var(--regressed); }
tr.added { background: var(--added); }
tr.removed { background: var(--removed); color: var(--muted); }
tr.broken td:last-child { color: var(--fail); font-weight: 600; }
.regressions li { color: var(--fail); }
.muted { color: var(--muted); }
[hidden] { display: none !important; }
`
