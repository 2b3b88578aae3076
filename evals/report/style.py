"""The report's look: its inline style sheet and the colours its charts share."""

from __future__ import annotations

GREEN, AMBER, RED, BLUE = "#2f855a", "#c27c0e", "#c53030", "#2b6cb0"


CSS = """
:root { --fg: #1a202c; --muted: #718096; --line: #e2e8f0; --bg: #f7fafc;
  --good: #2f855a; --bad: #c53030; --accent: #2b6cb0; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: var(--bg); font: 14px/1.5 system-ui,
  -apple-system, "Segoe UI", "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; }
header { background: #1a365d; color: #fff; padding: 20px 32px 0; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header .subtitle { margin: 0 0 10px; color: #bee3f8; }
.badges { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 0 0 14px; }
.pill { background: rgba(255,255,255,.14); border-radius: 999px; padding: 2px 12px; }
.pill.good { background: #276749; color: #fff; } .pill.bad { background: #9b2c2c; color: #fff; }
header .muted { color: #cbd5e0; }
nav { display: flex; flex-wrap: wrap; gap: 2px; }
nav a { color: #e2e8f0; text-decoration: none; padding: 8px 12px; border-radius: 6px 6px 0 0; }
nav a:hover { background: var(--bg); color: var(--fg); }
main { max-width: 1180px; margin: 0 auto; padding: 8px 32px 48px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px;
  padding: 16px 22px 20px; margin-top: 20px; overflow-x: auto; }
h2 { margin: 0 0 12px; font-size: 18px; } h3 { margin: 4px 0 8px; font-size: 15px; }
h4 { margin: 12px 0 4px; font-size: 13px; color: var(--muted); text-transform: uppercase;
  letter-spacing: .04em; }
.muted { color: var(--muted); } .good { color: var(--good); } .bad { color: var(--bad); }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin-bottom: 16px; }
.card { flex: 1 1 130px; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px;
  background: #f8fbff; }
.card.bad { border-color: var(--bad); background: #fff5f5; }
.card .big { font-size: 22px; font-weight: 600; } .card .label { color: var(--muted); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
thead th { background: #f1f5f9; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.name, .ids { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
td.ids { white-space: nowrap; }
.split { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 24px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 16px; }
figure.chart { margin: 0; }
.narrow { max-width: 760px; } .scroll { overflow-x: auto; margin-top: 16px; }
svg { max-width: 100%; height: auto; font-family: inherit; }
svg .label { font-size: 12px; fill: var(--fg); } svg .note { font-size: 12px; fill: var(--muted); }
figcaption { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: center;
  margin-bottom: 4px; font-size: 13px; }
.legend { color: var(--muted); font-size: 12px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px;
  margin-right: 4px; vertical-align: -1px; }
svg .tick { font-size: 11px; fill: var(--muted); }
svg .axis { stroke: #a0aec0; } svg .mark { stroke: #1a202c; stroke-dasharray: 4 3; }
table.heatmap { width: auto; font-size: 12px; }
table.heatmap td { width: 30px; height: 26px; text-align: center; border: 1px solid #fff;
  background: #f7fafc; padding: 0; }
table.heatmap td.diag { background: #e6fffa; color: var(--good); }
table.heatmap td.hot { color: #fff; font-weight: 600; }
table.heatmap th { font-weight: 500; white-space: nowrap; border: 0; padding: 2px 6px; }
table.heatmap th.rot { height: 150px; vertical-align: bottom; padding: 0; width: 30px; }
table.heatmap th.rot span { display: inline-block; writing-mode: vertical-rl;
  transform: rotate(180deg); padding: 4px 0; }
table.heatmap th.corner { color: var(--muted); font-size: 11px; vertical-align: bottom; }
dl.stats { display: grid; grid-template-columns: auto 1fr; gap: 4px 16px; align-content: start;
  margin: 0; font-size: 16px; }
dl.stats dt { color: var(--muted); } dl.stats dd { margin: 0; font-weight: 600; }
details.case { border: 1px solid var(--line); border-radius: 8px; margin: 10px 0;
  padding: 0 14px; background: #fcfcfd; }
details.case[open] { padding-bottom: 12px; }
details.case summary { cursor: pointer; padding: 10px 0; display: flex; flex-wrap: wrap;
  gap: 8px; align-items: baseline; }
summary .q { font-weight: 600; flex: 1 1 300px; }
.tag { display: inline-block; font-size: 11.5px; border-radius: 4px; padding: 0 6px;
  background: #ebf4ff; color: var(--accent); margin-right: 4px; }
.tag.bad { background: #fff5f5; color: var(--bad); }
.tag.good { background: #f0fff4; color: var(--good); }
table.facts { width: auto; min-width: 60%; margin-top: 8px; }
table.facts th { color: var(--muted); font-weight: 500; }
td.bad { color: var(--bad); font-weight: 600; }
.text { white-space: pre-wrap; margin: 0; }
.answer { background: #f7fafc; border-left: 3px solid var(--accent); padding: 8px 12px; }
ul.problems { margin: 8px 0 0; padding-left: 20px; color: var(--bad); }
ul.problems:empty { display: none; }
ul.flat { margin: 0; padding-left: 18px; }
table.passages .ptitle { font-weight: 600; }
table.passages .excerpt { color: var(--muted); font-size: 12.5px; max-height: 4.6em;
  overflow: hidden; }
@media (max-width: 800px) { .split { grid-template-columns: 1fr; } main { padding: 8px 12px; } }
"""
