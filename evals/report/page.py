"""The whole report page: header, navigation and sections, and the file it is written to."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from evals.compare import (
    DEFAULT_THRESHOLDS,
    ComparisonReport,
    MetricThreshold,
    compare,
    load_thresholds,
)
from evals.judge import JudgeSummary
from evals.report.case_sections import phrases_section, slowest_section, worst_section
from evals.report.markup import Html, element
from evals.report.sections import (
    confusion_section,
    distribution_section,
    intent_section,
    judge_section,
    latency_section,
    summary_section,
    tags_section,
)
from evals.report.style import CSS
from evals.runner import CaseOutcome

REPORT_FILE = "report.html"
"""The name of the page :func:`write_report` writes into its directory."""


def render_report(
    outcomes: Sequence[CaseOutcome],
    summary: Mapping[str, float | None],
    thresholds: Mapping[str, MetricThreshold],
    *,
    title: str = "Evaluation report",
    subtitle: str = "",
    comparison: ComparisonReport | None = None,
    regressed: Sequence[str] = (),
    generated_at: datetime | None = None,
    judge: JudgeSummary | None = None,
) -> str:
    """The whole report as one HTML document.

    ``summary`` is :func:`evals.runner.summarise` of ``outcomes``; ``thresholds``
    are checked on their absolute bounds here, and ``comparison`` (from
    :func:`evals.compare.compare` against a baseline) adds the baseline, the
    deltas and the drop rules; ``regressed`` names cases that got worse.
    ``judge`` (a run with an LLM judge) adds a section of its own, labelled
    with the judge's model; without it the page has no trace of a judge.
    """
    gate = comparison or compare(summary, {}, thresholds, allow_missing=True)
    when = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    passed = sum(o.passed for o in outcomes)
    sections = [
        summary_section(summary, thresholds, gate, comparison is not None, regressed),
        judge_section(judge, outcomes) if judge is not None else None,
        intent_section(outcomes),
        confusion_section(outcomes),
        distribution_section(outcomes),
        latency_section(outcomes),
        worst_section(outcomes),
        slowest_section(outcomes),
        phrases_section(outcomes),
        tags_section(outcomes),
    ]
    header = element(
        "header",
        element("h1", title),
        element("p", subtitle, class_="subtitle") if subtitle else None,
        element(
            "p",
            element("span", f"{len(outcomes)} cases", class_="pill"),
            element("span", f"{passed} passed", class_="pill good"),
            element("span", f"{len(outcomes) - passed} failed", class_="pill bad"),
            element(
                "span",
                "all thresholds met"
                if gate.passed
                else f"{len(gate.failures)} threshold(s) broken",
                class_="pill " + ("good" if gate.passed else "bad"),
                data_gate="passed" if gate.passed else "failed",
            )
            if thresholds or comparison is not None
            else element("span", "no thresholds", class_="pill"),
            element("span", f"generated {when}", class_="muted"),
            class_="badges",
        ),
        element(
            "nav",
            [
                element("a", label, href=f"#{anchor}")
                for anchor, label in (
                    ("summary", "Metrics"),
                    *([("judge", "LLM-judged")] if judge is not None else []),
                    ("intents", "Intents"),
                    ("confusions", "Confusions"),
                    ("scores", "Scores"),
                    ("latency", "Latency"),
                    ("worst", "Worst cases"),
                    ("slowest", "Slowest"),
                    ("phrases", "Missing phrases"),
                    ("tags", "Tags"),
                )
            ],
        ),
    )
    head = element(
        "head",
        Html('<meta charset="utf-8">'),
        Html(
            '<meta http-equiv="Content-Security-Policy" '
            "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
        ),
        Html('<meta name="viewport" content="width=device-width, initial-scale=1">'),
        element("title", title),
        element("style", Html(CSS)),
    )
    body = element("body", header, element("main", sections))
    return "<!DOCTYPE html>\n" + element("html", head, body, lang="en") + "\n"


def write_report(directory: str | Path, html_text: str) -> Path:
    """Write the page as ``DIR/report.html`` (creating DIR) and return its path."""
    target = Path(directory) / REPORT_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html_text, encoding="utf-8")
    return target


def main(argv: Sequence[str] | None = None) -> int:
    """Render a run saved by ``assistant eval --save`` into ``--out DIR/report.html``."""
    parser = argparse.ArgumentParser(prog="python -m evals.report", description=main.__doc__)
    parser.add_argument("results", type=Path, help="JSON written by assistant eval --save")
    parser.add_argument("--out", type=Path, required=True, help="directory for report.html")
    parser.add_argument("--thresholds", type=Path, default=DEFAULT_THRESHOLDS)
    parser.add_argument("--title", default="Evaluation report")
    args = parser.parse_args(argv)
    saved = json.loads(args.results.read_text(encoding="utf-8"))
    outcomes = [CaseOutcome.model_validate(case) for case in saved["cases"]]
    judge = saved.get("llm_judge")
    page = render_report(
        outcomes,
        saved["metrics"],
        load_thresholds(args.thresholds),
        title=args.title,
        subtitle=str(args.results),
        judge=JudgeSummary.model_validate(judge) if judge is not None else None,
    )
    print(write_report(args.out, page))
    return 0
