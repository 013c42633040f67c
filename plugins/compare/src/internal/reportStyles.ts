/**
 * The comparison report's styles, inlined into the page (whose policy allows them by their hash). No element carries
 * a `style` attribute (the policy would refuse it); the script places bars through the CSS object model.
 *
 * Colours: every text colour meets WCAG AA (4.5:1) on every background it is drawn on, in light and dark (the
 * Chromium tests measure it), and bars meet 3:1 against the page. Changes never speak by colour alone: a regression
 * is ▲, an improvement ▼, an added node +, a removed one −, a node that now fails ✗.
 */

/** Light by default, dark through `prefers-color-scheme`. */
export const styles = String.raw`
:root{--bg:#fff;--fg:#1f2328;--muted:#57606a;--line:#d0d7de;--grid:#eaeef2;--card:#f6f8fa;--hover:#eef1f4;--sel:#e7f3ff;
--accent:#0860c4;--reg:#b42318;--reg-bg:#ffebe9;--imp:#116329;--imp-bg:#dafbe1;--add:#0550ae;--add-bg:#ddf4ff;
--rem:#57606a;--rem-bg:#eaeef2;--other:#7d4e00;--other-bg:#fff8c5;--crit:#9a3d00;
--b-base:#6e7781;--b-head:#0969da;--b-reg:#cf222e;--b-imp:#1a7f37;--b-add:#8250df;
--bar-ink:#fff;--row-h:38px;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9ea7b3;--line:#3d444d;--grid:#21262d;
--card:#151b23;--hover:#1c232c;--sel:#172a45;--accent:#58a6ff;--reg:#ff7b72;--reg-bg:#2d1416;--imp:#3fb950;
--imp-bg:#12261e;--add:#79c0ff;--add-bg:#0c2540;--rem:#9ea7b3;--rem-bg:#21262d;--other:#d29922;--other-bg:#2b2111;
--crit:#f0883e;--b-base:#768390;--b-head:#4493f8;--b-reg:#f85149;--b-imp:#2ea043;--b-add:#a371f7;--bar-ink:#0d1117}}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;background:var(--bg);color:var(--fg)}
main{padding:12px 20px 40px}h1{font-size:20px;margin:0 0 2px}h2{font-size:16px;margin:24px 0 8px}
.muted{color:var(--muted)}code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
:focus-visible{outline:2px solid var(--accent);outline-offset:1px}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
.top{display:flex;flex-wrap:wrap;gap:6px 24px;align-items:flex-start;justify-content:space-between}
.top h1 code{font-size:18px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:12px;vertical-align:middle}
.badge.ok{background:var(--imp-bg);color:var(--imp)}.badge.fail{background:var(--reg-bg);color:var(--reg)}
.badge.other{background:var(--other-bg);color:var(--other)}
.threshold{margin:0;padding:5px 10px;border:1px solid var(--line);border-radius:8px;background:var(--card);font-size:13px}
.threshold strong{font-size:14px}
.verdict{font-weight:650}.verdict.reg{color:var(--reg)}.verdict.ok{color:var(--imp)}
.cards{display:flex;flex-wrap:wrap;gap:8px;margin-top:10px}
.card{flex:1 1 100px;min-width:0;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:5px 10px}
.card .v{font-size:17px;font-weight:650;white-space:nowrap;font-variant-numeric:tabular-nums}.card .k{color:var(--muted);font-size:12px}
.card .s{font-size:12px;color:var(--muted);overflow:hidden;text-overflow:ellipsis;white-space:nowrap;max-width:260px}
#total-delta{flex:1.2 1 130px}#critical-path{flex:1.5 1 165px}#critical-path .v{white-space:normal}.card.run{flex:1.5 1 200px;border-left:4px solid var(--b-base)}.card.run.head{border-left-color:var(--b-head)}
.card.reg .v,.v.reg,.reg-text{color:var(--reg)}.card.imp .v,.v.imp,.imp-text{color:var(--imp)}
.card.add .v{color:var(--add)}.card.rem .v{color:var(--rem)}
#explorer{margin-top:14px;border:1px solid var(--line);border-radius:8px;overflow:hidden}
.toolbar{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:center;padding:8px 10px;background:var(--card);border-bottom:1px solid var(--line)}
.toolbar input[type=search]{width:190px;padding:4px 8px;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg);font:inherit;font-size:13px}
.seg{display:inline-flex;border:1px solid var(--line);border-radius:6px;overflow:hidden;margin:0;padding:0}
.seg input{position:absolute;opacity:0;width:1px;height:1px}
.seg label{padding:3px 9px;font-size:13px;cursor:pointer;background:var(--bg);color:var(--fg);border-left:1px solid var(--line);white-space:nowrap}
.seg label:first-of-type{border-left:0}.seg input:checked+label{background:var(--sel);font-weight:600}
.seg input:focus-visible+label{outline:2px solid var(--accent);outline-offset:-2px}
.toolbar button{padding:3px 8px;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg);font:inherit;font-size:13px;cursor:pointer}
.toolbar button:hover{background:var(--hover)}.toolbar button:disabled{cursor:default;color:var(--muted);background:var(--card)}
#view-range{font-size:12.5px;color:var(--muted);font-variant-numeric:tabular-nums}
.fill{flex:1}#match-count{font-size:12.5px;color:var(--muted);font-variant-numeric:tabular-nums}
.grid{max-height:clamp(360px,calc(100vh - 250px),1400px);overflow:auto;position:relative;outline:none;background:var(--bg)}
.grid:focus-visible{box-shadow:inset 0 0 0 2px var(--accent)}
.cols{display:grid;grid-template-columns:30px minmax(180px,1.25fr) 78px 78px 86px 78px minmax(320px,3fr)}
.grid-head{position:sticky;top:0;z-index:2;background:var(--card);border-bottom:1px solid var(--line);min-width:900px}
.colhead>div{padding:0 6px;display:flex;align-items:flex-end;min-width:0}
.total{position:relative;height:var(--row-h);border-top:1px solid var(--line);font-weight:600}
.total>span{padding:0 6px;display:flex;align-items:center;min-width:0;white-space:nowrap}
.grid-head button{border:0;background:none;color:var(--fg);font:inherit;font-size:12px;font-weight:600;padding:6px 2px;cursor:pointer;white-space:nowrap}
.grid-head button:hover{text-decoration:underline}.grid-head .num{justify-content:flex-end}
.grid-head .arrow{color:var(--muted);font-size:11px;margin-left:2px}
.colhead>div.tl{flex-direction:column;align-items:stretch;padding:0}.tl button{align-self:flex-start;margin-left:8px;padding-bottom:0}
.axis{position:relative;height:18px;margin:0 14px 0 8px}
.axis .t{position:absolute;bottom:0;height:18px;padding:2px 0 0 4px;font-size:11px;color:var(--muted);border-left:1px solid var(--line);white-space:nowrap;font-variant-numeric:tabular-nums}
.axis .t.end{border-left:0;border-right:1px solid var(--line);padding:2px 4px 0 0;transform:translateX(-100%)}
.body{position:relative;min-width:900px}
.row{position:absolute;left:0;right:0;height:var(--row-h);border-bottom:1px solid var(--grid);cursor:pointer;font-size:13px}
.row>span{padding:0 6px;display:flex;align-items:center;min-width:0;white-space:nowrap}
.row:hover{background:var(--hover)}.row.sel{background:var(--sel)}
.grid:focus-visible .row.act{box-shadow:inset 0 0 0 2px var(--accent)}
.row.reg>span:first-child{box-shadow:inset 4px 0 var(--b-reg)}.row.imp>span:first-child{box-shadow:inset 4px 0 var(--b-imp)}
.row.add>span:first-child{box-shadow:inset 4px 0 var(--b-add)}.row.rem>span:first-child{box-shadow:inset 4px 0 var(--b-base)}
.sym{font-weight:700;width:100%;text-align:center}.sym.reg{color:var(--reg)}.sym.imp{color:var(--imp)}.sym.add{color:var(--add)}.sym.rem{color:var(--rem)}
.nm{overflow:hidden;text-overflow:ellipsis;font-weight:550}.ty{margin-left:6px;color:var(--muted);font-size:11.5px;overflow:hidden;text-overflow:ellipsis}
.crit{color:var(--crit);font-weight:700;margin-left:5px}.fails{color:var(--reg);font-weight:700;margin-left:5px}.fixed{color:var(--imp);font-weight:700;margin-left:5px}
.num{justify-content:flex-end;font-variant-numeric:tabular-nums}
.tag{font-size:11px;font-weight:600;border:1px solid currentColor;border-radius:4px;padding:0 4px;line-height:15px}
.tag.add{color:var(--add)}.tag.rem{color:var(--rem)}
.lanes{position:relative;display:block!important;padding:0 14px 0 8px!important;background-origin:content-box;background-clip:content-box;background-image:linear-gradient(to right,var(--grid) 1px,transparent 1px);background-size:var(--tick,10%) 100%;background-position:var(--tick-x,0) 0}
.lane{position:absolute;left:8px;right:14px;height:50%;overflow:hidden}.lane.b{top:2px}.lane.h{top:calc(50% - 1px)}
.bar{position:absolute;top:3px;height:11px;min-width:2px;border-radius:2px;background:var(--b-head)}
.lane.b .bar{background:var(--b-base)}.reg .lane.h .bar{background:var(--b-reg)}.imp .lane.h .bar{background:var(--b-imp)}
.add .lane.h .bar{background:var(--b-add)}
.dur{position:absolute;top:0;font-size:11px;line-height:17px;color:var(--muted);white-space:nowrap;font-variant-numeric:tabular-nums}
.lane.h .dur{color:var(--fg)}.reg .lane.h .dur{color:var(--reg);font-weight:600}.imp .lane.h .dur{color:var(--imp);font-weight:600}
.lanes .lane .dur.in{color:var(--bar-ink);font-weight:600}
.none{position:absolute;top:0;font-size:11px;line-height:17px;color:var(--muted);font-style:italic}
.empty{padding:14px;color:var(--muted)}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;align-items:center;padding:7px 10px;font-size:12px;color:var(--muted);border-top:1px solid var(--line);background:var(--card)}
.legend .sw{display:inline-block;width:18px;height:10px;border-radius:2px;vertical-align:-1px;margin-right:5px}
.sw.base{background:var(--b-base)}.sw.head{background:var(--b-head)}.sw.reg{background:var(--b-reg)}.sw.imp{background:var(--b-imp)}.sw.add{background:var(--b-add)}
.legend b{margin-right:3px}.legend b.reg{color:var(--reg)}.legend b.imp{color:var(--imp)}.legend b.add{color:var(--add)}.legend b.rem{color:var(--rem)}.legend b.crit{color:var(--crit)}.legend b.fails{color:var(--reg)}
.legend kbd{font:11px ui-monospace,monospace;border:1px solid var(--line);border-radius:3px;padding:0 3px;background:var(--bg);color:var(--fg)}
.details{padding:8px 14px 12px;border-top:1px solid var(--line);min-height:84px}
.details h2{margin:2px 0 6px;font-size:15px;word-break:break-word}
.details .cols3{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:4px 24px}
.details dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0;font-size:13px}
.details dt{color:var(--muted)}.details dd{margin:0;word-break:break-word;font-variant-numeric:tabular-nums}
.details pre{margin:6px 0 0;padding:8px;background:var(--card);border:1px solid var(--line);border-radius:6px;max-height:200px;overflow:auto;white-space:pre-wrap;word-break:break-word;color:var(--reg)}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line)}
th{font-size:12px;color:var(--muted);font-weight:600}
#regressions li,#improvements li{margin:2px 0}
`
