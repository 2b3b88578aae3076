"""The evaluation report: one self-contained HTML file a curator can open and act on.

:func:`render_report` turns a run's case outcomes and metrics into a single
page: the metrics beside their thresholds (and the baseline, when compared),
per-intent accuracy bars, the most frequent confusions as a table and a
heatmap, score and latency distributions, and the worst and slowest cases with
what was expected, what came back, the answer, and the passages retrieved.

The page is complete in itself: inline CSS (:mod:`.style`), charts drawn as inline
SVG (:mod:`.charts`), no script, no font, no image fetched (a Content-Security-Policy
forbids it). Everything that comes from a case (questions are investor text, answers
and passages are knowledge-base text) goes through :func:`.markup.escape`; markup is
only ever built by :func:`.markup.element`, which escapes every text child and
attribute. The sections live in :mod:`.sections` (metrics) and :mod:`.case_sections`
(single cases); which cases they show, in :mod:`.rankings`.

``python -m evals.report RESULTS.json --out DIR`` renders a run saved with
``assistant eval --save`` without running it again.
"""

from evals.report.page import REPORT_FILE, main, render_report, write_report

__all__ = ["REPORT_FILE", "main", "render_report", "write_report"]
