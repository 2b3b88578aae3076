"""The evaluation report: one self-contained HTML file a curator can open and act on.

:func:`render_report` turns a run's case outcomes and metrics into a single
page: the metrics beside their thresholds (and the baseline, when compared),
per-intent accuracy bars, the most frequent confusions as a table and a
heatmap, score and latency distributions, and the worst and slowest cases with
what was expected, what came back, the answer, and the passages retrieved.

The page is complete in itself: inline CSS, charts drawn here as inline SVG,
no script, no font, no image fetched (a Content-Security-Policy forbids it).
Everything that comes from a case (questions are investor text, answers and
passages are knowledge-base text) goes through :func:`escape`; markup is only
ever built by :func:`element`, which escapes every text child and attribute.

``python -m evals.report RESULTS.json --out DIR`` renders a run saved with
``assistant eval --save`` without running it again.
"""

from __future__ import annotations

import argparse
import html
import json
import math
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from evals import metrics
from evals.compare import (
    DEFAULT_THRESHOLDS,
    ComparisonReport,
    MetricThreshold,
    compare,
    load_thresholds,
)
from evals.errors import EvalError
from evals.judge import JudgeSummary
from evals.runner import OUT_OF_SCOPE, CaseOutcome

REPORT_FILE = "report.html"
"""The name of the page :func:`write_report` writes into its directory."""

WORST_CASES = 25
LEAST_FAITHFUL = 10
SLOWEST_CASES = 10
CONFUSION_PAIRS = 15
HEATMAP_LABELS = 12

_GREEN, _AMBER, _RED, _BLUE = "#2f855a", "#c27c0e", "#c53030", "#2b6cb0"


class Html(str):
    """Text that is already markup: :func:`escape` and :func:`element` pass it through."""

    __slots__ = ()


_BREAK = Html("<br>")


Child = Html | str | int | float | None | Sequence["Child"]


def escape(value: object) -> Html:
    """``value`` as HTML text: ``& < > " '`` escaped, unless it is already :class:`Html`."""
    if isinstance(value, Html):
        return value
    return Html(html.escape(str(value), quote=True))


def element(name: str, *children: Child, **attributes: object) -> Html:
    """``<name attributes>children</name>`` with every text child and attribute value escaped.

    Attribute names lose a trailing underscore (``class_``) and turn other
    underscores into hyphens (``text_anchor``, ``data_intent``); ``None`` and
    ``False`` values are left out, ``True`` writes a bare attribute.
    """
    parts = [name]
    for key, value in attributes.items():
        if value is None or value is False:
            continue
        attribute = key.rstrip("_").replace("_", "-")
        parts.append(attribute if value is True else f'{attribute}="{escape(value)}"')
    return Html(f"<{' '.join(parts)}>{_children(children)}</{name}>")


def _children(children: Iterable[Child]) -> str:
    out: list[str] = []
    for child in children:
        if child is None:
            continue
        if isinstance(child, str | int | float):
            out.append(escape(child))
        else:
            out.append(_children(child))
    return "".join(out)


class IntentRow(NamedTuple):
    """How the cases of one expected intent fared."""

    intent: str
    cases: int
    correct: int
    most_confused_with: str | None

    @property
    def accuracy(self) -> float:
        """Share of this intent's cases classified right."""
        return self.correct / self.cases


def intent_rows(outcomes: Sequence[CaseOutcome]) -> list[IntentRow]:
    """Per expected intent: cases, correct predictions, and the commonest wrong prediction.

    Worst accuracy first, then by intent name. A case predicted as nothing counts
    as out of scope, as the runner scores it.
    """
    predicted_by_intent: dict[str, list[str]] = defaultdict(list)
    for outcome in outcomes:
        if outcome.expected_intent is not None:
            predicted_by_intent[outcome.expected_intent].append(
                outcome.predicted_intent or OUT_OF_SCOPE
            )
    rows = []
    for intent, predicted in predicted_by_intent.items():
        wrong = Counter(p for p in predicted if p != intent)
        confused = min(wrong, key=lambda p: (-wrong[p], p)) if wrong else None
        rows.append(IntentRow(intent, len(predicted), predicted.count(intent), confused))
    return sorted(rows, key=lambda r: (r.accuracy, r.intent))


def histogram(values: Sequence[float], low: float, high: float, bins: int) -> list[int]:
    """Counts of ``values`` in ``bins`` equal bins over ``[low, high]``.

    Values outside the range are counted in the first or last bin; the last
    bin includes ``high``.
    """
    if bins < 1 or not high > low:
        raise EvalError(f"a histogram needs bins >= 1 and high > low, got {bins}, {low}..{high}")
    counts = [0] * bins
    width = (high - low) / bins
    for value in values:
        index = math.floor((value - low) / width)
        counts[min(max(index, 0), bins - 1)] += 1
    return counts


def failed_checks(outcome: CaseOutcome) -> list[str]:
    """Names of the checks a case failed, in the runner's order."""
    checks = [
        (
            "intent",
            outcome.expected_intent is not None
            and outcome.predicted_intent != outcome.expected_intent,
        ),
        (
            "escalation",
            outcome.expect_escalation is not None
            and outcome.escalated != outcome.expect_escalation,
        ),
        ("must include", outcome.must_include_ok is False),
        ("must not include", outcome.must_not_include_ok is False),
        ("compliance", bool(outcome.violations)),
        (
            "sources",
            bool(outcome.expected_sources)
            and not set(outcome.ranked_sources[:5]) & set(outcome.expected_sources),
        ),
    ]
    return [name for name, failed in checks if failed]


def worst_cases(outcomes: Sequence[CaseOutcome], limit: int = WORST_CASES) -> list[CaseOutcome]:
    """Failed cases, lowest score first (then most checks failed, then id)."""
    failed = [o for o in outcomes if not o.passed]
    return sorted(failed, key=lambda o: (o.score or 0.0, -len(failed_checks(o)), o.id))[:limit]


def slowest_cases(outcomes: Sequence[CaseOutcome], limit: int = SLOWEST_CASES) -> list[CaseOutcome]:
    """Cases with the slowest single turn, slowest first."""
    timed = [o for o in outcomes if o.turn_latency_ms]
    return sorted(timed, key=lambda o: (-max(o.turn_latency_ms), o.id))[:limit]


def missed_phrases(outcomes: Sequence[CaseOutcome]) -> list[tuple[str, list[str]]]:
    """``must_include`` phrases the answers left out, with the cases, most often missed first."""
    cases_by_phrase: dict[str, list[str]] = defaultdict(list)
    for outcome in outcomes:
        for phrase in outcome.must_include_missing:
            cases_by_phrase[phrase].append(outcome.id)
    return sorted(cases_by_phrase.items(), key=lambda item: (-len(item[1]), item[0]))


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
        _summary_section(summary, thresholds, gate, comparison is not None, regressed),
        _judge_section(judge, outcomes) if judge is not None else None,
        _intent_section(outcomes),
        _confusion_section(outcomes),
        _distribution_section(outcomes),
        _latency_section(outcomes),
        _worst_section(outcomes),
        _slowest_section(outcomes),
        _phrases_section(outcomes),
        _tags_section(outcomes),
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
        element("style", Html(_CSS)),
    )
    body = element("body", header, element("main", sections))
    return "<!DOCTYPE html>\n" + element("html", head, body, lang="en") + "\n"


def write_report(directory: str | Path, html_text: str) -> Path:
    """Write the page as ``DIR/report.html`` (creating DIR) and return its path."""
    target = Path(directory) / REPORT_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html_text, encoding="utf-8")
    return target


def _summary_section(
    summary: Mapping[str, float | None],
    thresholds: Mapping[str, MetricThreshold],
    gate: ComparisonReport,
    compared: bool,
    regressed: Sequence[str],
) -> Html:
    headline = [
        ("pass_rate", "pass rate"),
        ("intent.accuracy", "intent accuracy"),
        ("retrieval.hit_at_5", "retrieval hit@5"),
        ("answer.must_include_rate", "must-include rate"),
        ("escalation.recall", "escalation recall"),
        ("compliance.violations", "compliance violations"),
        ("latency.p95_ms", "latency p95"),
    ]
    broken = {f.metric for f in gate.failures}
    cards = [
        element(
            "div",
            element("div", _format(name, summary.get(name)), class_="big"),
            element("div", label, class_="label"),
            class_="card" + (" bad" if name in broken else ""),
        )
        for name, label in headline
        if summary.get(name) is not None
    ]
    deltas = {d.name: d for d in gate.deltas}
    messages: dict[str, list[str]] = defaultdict(list)
    for failure in gate.failures:
        messages[failure.metric].append(failure.message)
    order = {name: index for index, name in enumerate(summary)}
    rows = []
    # As the run reported them; names only the thresholds know go last.
    for name in sorted(set(summary) | set(thresholds), key=lambda n: (order.get(n, len(order)), n)):
        value = summary.get(name)
        delta = deltas.get(name)
        status = (
            element("span", "; ".join(messages[name]), class_="bad")
            if name in broken
            else element("span", "ok", class_="good")
            if name in thresholds and value is not None
            else element("span", "not measured" if value is None else "reported", class_="muted")
        )
        rows.append(
            element(
                "tr",
                element("td", name, class_="name"),
                element("td", _format(name, value), class_="num value"),
                element("td", _describe_threshold(thresholds.get(name))),
                element("td", _format(name, delta.baseline if delta else None), class_="num")
                if compared
                else None,
                element("td", _signed(delta.delta if delta else None), class_="num")
                if compared
                else None,
                element("td", status),
                data_metric=name,
            )
        )
    head = ["metric", "value", "threshold", *(["baseline", "change"] if compared else []), "status"]
    regressions = (
        element(
            "p",
            element("strong", f"{len(regressed)} case(s) regressed since the baseline: "),
            ", ".join(regressed[:60]) + (" …" if len(regressed) > 60 else ""),
        )
        if regressed
        else None
    )
    return _section(
        "summary",
        "Metrics",
        element("div", cards, class_="cards"),
        regressions,
        _table(head, rows, numeric={"value", "baseline", "change"}, class_="metrics"),
        element(
            "p",
            "Rates are fractions of the cases that judge them (a case without "
            "expected sources does not count towards retrieval). Thresholds come from "
            "the gate's TOML file; max_drop applies only against a baseline (--compare).",
            class_="muted",
        ),
    )


def _judge_section(judge: JudgeSummary, outcomes: Sequence[CaseOutcome]) -> Html:
    numbers = [
        (judge.faithfulness_mean, "faithfulness", "judge_faithfulness"),
        (judge.answer_relevance_mean, "answer relevance", "judge_answer_relevance"),
    ]
    counts = [
        (judge.judged, "answers judged"),
        (judge.not_judged, "not judged"),
        (judge.skipped, "cases with nothing to judge"),
    ]
    cards = [
        *(
            element(
                "div",
                element("div", _format("", value), class_="big"),
                element("div", label, class_="label"),
                class_="card",
                data_metric=name,
            )
            for value, label, name in numbers
        ),
        *(
            element(
                "div",
                element("div", count, class_="big"),
                element("div", label, class_="label"),
                class_="card",
            )
            for count, label in counts
        ),
    ]
    reasons = (
        _table(
            ["not judged because", "answers"],
            [
                element(
                    "tr",
                    element("td", reason, class_="name"),
                    element("td", count, class_="num"),
                    data_reason=reason,
                )
                for reason, count in judge.not_judged_reasons.items()
            ],
            numeric={"answers"},
            class_="narrow",
        )
        if judge.not_judged_reasons
        else None
    )
    judged = [(o, o.judgment) for o in outcomes if o.judgment is not None and o.judgment.judged]
    doubtful = sorted(
        ((o, j) for o, j in judged if (j.faithfulness, j.answer_relevance) != (1.0, 1.0)),
        key=lambda pair: (pair[1].faithfulness or 0.0, pair[1].answer_relevance or 0.0, pair[0].id),
    )[:LEAST_FAITHFUL]
    rows = [
        element(
            "tr",
            element("td", o.id, class_="ids"),
            element("td", _format("", j.faithfulness), class_="num"),
            element("td", _format("", j.answer_relevance), class_="num"),
            element("td", o.question),
            element("td", element("ul", [element("li", s) for s in j.unsupported], class_="flat")),
            data_judged_case=o.id,
        )
        for o, j in doubtful
    ]
    return _section(
        "judge",
        f"LLM-judged (model {judge.model})",
        element(
            "p",
            "A language model's judgments, not measurements, and never gated. Faithfulness: "
            "the share of an answer's statements that the retrieved passages support (RAGAS). "
            "Answer relevance: the judge's 1–5 rating of how directly and completely the "
            "answer addresses the question, as (rating − 1) / 4. Means over the judged answers "
            "only; answers that cite no source are not sent to the judge.",
            class_="muted",
        ),
        element("div", cards, class_="cards"),
        reasons,
        element("h3", "Answers the judge found wanting, least faithful first") if rows else None,
        _table(
            ["case", "faithfulness", "relevance", "question", "unsupported statements"],
            rows,
            numeric={"faithfulness", "relevance"},
        )
        if rows
        else None,
    )


def _intent_section(outcomes: Sequence[CaseOutcome]) -> Html:
    rows = intent_rows(outcomes)
    if not rows:
        return _section("intents", "Intent accuracy", _empty("No case names an expected intent."))
    label_width, bar_width, row_height = 250, 300, 22
    width = label_width + bar_width + 420
    bars = []
    for index, row in enumerate(rows):
        y = index * row_height + 4
        colour = _GREEN if row.accuracy >= 0.85 else _AMBER if row.accuracy >= 0.6 else _RED
        note = f"{row.correct}/{row.cases} · {row.accuracy:.0%}"
        if row.most_confused_with:
            note += f" · often → {_clip(row.most_confused_with, 40)}"
        bars.append(
            element(
                "g",
                element("title", f"{row.intent}: {note}"),
                element(
                    "text",
                    _clip(row.intent, 34),
                    x=label_width - 8,
                    y=y + 13,
                    text_anchor="end",
                    class_="label",
                ),
                element(
                    "rect",
                    x=label_width,
                    y=y,
                    width=bar_width,
                    height=row_height - 6,
                    fill="#edf2f7",
                ),
                element(
                    "rect",
                    x=label_width,
                    y=y,
                    width=round(bar_width * row.accuracy, 1),
                    height=row_height - 6,
                    fill=colour,
                ),
                element("text", note, x=label_width + bar_width + 8, y=y + 13, class_="note"),
                data_intent=row.intent,
                data_cases=row.cases,
                data_correct=row.correct,
            )
        )
    height = len(rows) * row_height + 8
    chart = _svg(width, height, bars, label="accuracy per expected intent, worst first")
    return _section(
        "intents",
        "Intent accuracy",
        element(
            "p",
            f"{len(rows)} intents, worst first: correct / cases, and the intent most often "
            "predicted instead.",
            class_="muted",
        ),
        chart,
    )


def _confusion_section(outcomes: Sequence[CaseOutcome]) -> Html:
    judged = [o for o in outcomes if o.expected_intent is not None]
    gold = [o.expected_intent or "" for o in judged]
    predicted = [o.predicted_intent or OUT_OF_SCOPE for o in judged]
    pairs = metrics.confusion_pairs(gold, predicted, top=CONFUSION_PAIRS)
    if not pairs:
        return _section("confusions", "Confusions", _empty("No intent was confused."))
    examples: dict[tuple[str, str], list[str]] = defaultdict(list)
    for outcome, g, p in zip(judged, gold, predicted, strict=True):
        if g != p:
            examples[(g, p)].append(outcome.id)
    table = _table(
        ["expected", "predicted", "cases", "examples"],
        [
            element(
                "tr",
                element("td", pair.gold),
                element("td", pair.predicted),
                element("td", pair.occurrences, class_="num"),
                element("td", ", ".join(examples[(pair.gold, pair.predicted)][:5]), class_="ids"),
                data_pair=f"{pair.gold}→{pair.predicted}",
                data_count=pair.occurrences,
            )
            for pair in pairs
        ],
        numeric={"cases"},
    )
    return _section(
        "confusions",
        "Confusions",
        element("div", element("h3", "Most frequent mistakes"), table, class_="narrow"),
        element(
            "div",
            element("h3", "Heatmap of the intents in these mistakes"),
            _heatmap(gold, predicted, pairs),
            class_="scroll",
        ),
    )


def _heatmap(
    gold: Sequence[str], predicted: Sequence[str], pairs: Sequence[metrics.Confusion]
) -> Html:
    weight: Counter[str] = Counter()
    for pair in pairs:
        weight[pair.gold] += pair.occurrences
        weight[pair.predicted] += pair.occurrences
    labels = sorted(weight, key=lambda label: (-weight[label], label))[:HEATMAP_LABELS]
    counts = Counter(zip(gold, predicted, strict=True))
    peak = max((counts[(g, p)] for g in labels for p in labels if g != p), default=1)
    header = element(
        "tr",
        element("th", "expected ↓ / predicted →", class_="corner"),
        [element("th", element("span", _clip(p, 22)), class_="rot", title=p) for p in labels],
    )
    rows = []
    for g in labels:
        cells = []
        for p in labels:
            n = counts[(g, p)]
            if g == p:
                cells.append(element("td", n or "", class_="diag", title=f"{g}: {n} right"))
            else:
                alpha = 0.12 + 0.88 * n / peak if n else 0
                cells.append(
                    element(
                        "td",
                        n or "",
                        style=f"background: rgba(197, 48, 48, {alpha:.2f})" if n else None,
                        class_="hot" if n and alpha > 0.55 else None,
                        title=f"{g} → {p}: {n}",
                    )
                )
        rows.append(element("tr", element("th", _clip(g, 28), title=g), cells))
    return element("table", header, rows, class_="heatmap")


def _distribution_section(outcomes: Sequence[CaseOutcome]) -> Html:
    charts = []
    similarity = [o.similarity for o in outcomes if o.similarity is not None]
    if similarity:
        low = min(0.5, math.floor(min(similarity) * 10) / 10)
        charts.append(
            _histogram_chart(
                "Answer similarity to the reference (E5 cosine)",
                low,
                1.0,
                [("cases", _BLUE, similarity)],
            )
        )
    judged = [o for o in outcomes if o.expected_intent is not None and o.confidence is not None]
    if judged:
        right = [o.confidence or 0.0 for o in judged if o.predicted_intent == o.expected_intent]
        wrong = [o.confidence or 0.0 for o in judged if o.predicted_intent != o.expected_intent]
        charts.append(
            _histogram_chart(
                "Intent confidence, right vs wrong",
                0.0,
                1.0,
                [("right", _GREEN, right), ("wrong", _RED, wrong)],
            )
        )
    grounded = [o.groundedness for o in outcomes if o.groundedness is not None]
    if grounded:
        charts.append(
            _histogram_chart(
                "Groundedness (share of answer sentences supported)",
                0.0,
                1.0,
                [("answers", _BLUE, grounded)],
                bins=10,
            )
        )
    recall = [o.key_fact_recall for o in outcomes if o.key_fact_recall is not None]
    if recall:
        charts.append(
            _histogram_chart(
                "Key-fact recall against the reference",
                0.0,
                1.0,
                [("answers", _BLUE, recall)],
                bins=10,
            )
        )
    if not charts:
        return _section("scores", "Score distributions", _empty("No scores to plot."))
    return _section("scores", "Score distributions", element("div", charts, class_="grid"))


def _latency_section(outcomes: Sequence[CaseOutcome]) -> Html:
    values = [ms for o in outcomes for ms in o.turn_latency_ms]
    summary = metrics.latency_summary(values)
    if summary is None:
        return _section("latency", "Latency per turn", _empty("No turns were timed."))
    # A cold start or two can be 50 times the median: cut the axis so the bulk stays readable.
    high = max(min(summary.max, 3 * summary.p95), 1.0)
    beyond = sum(ms > high for ms in values)
    title = f"{summary.count} turns: milliseconds"
    if beyond:
        title += f" ({beyond} slower than {high:.0f} ms counted in the last bar)"
    chart = _histogram_chart(
        title,
        0.0,
        high,
        [("turns", _BLUE, values)],
        bins=30,
        markers=[("p50", summary.p50), ("p95", summary.p95)],
    )
    stats = element(
        "dl",
        [
            [element("dt", label), element("dd", f"{value:.1f} ms", data_latency=label)]
            for label, value in (
                ("p50", summary.p50),
                ("p95", summary.p95),
                ("mean", summary.mean),
                ("max", summary.max),
            )
        ],
        class_="stats",
    )
    return _section("latency", "Latency per turn", element("div", stats, chart, class_="split"))


def _worst_section(outcomes: Sequence[CaseOutcome]) -> Html:
    worst = worst_cases(outcomes)
    if not worst:
        return _section("worst", "Worst cases", _empty("Every case passed."))
    failed = sum(not o.passed for o in outcomes)
    return _section(
        "worst",
        "Worst cases",
        element(
            "p",
            f"The {len(worst)} lowest-scoring of {failed} failed cases (score = share of "
            "checks passed). Each shows what was expected, what came back, and the "
            "passages retrieved for the last message.",
            class_="muted",
        ),
        [_case_card(o, open_=index < 3) for index, o in enumerate(worst)],
    )


def _case_card(outcome: CaseOutcome, *, open_: bool) -> Html:
    failed = failed_checks(outcome)
    expected_sources = set(outcome.expected_sources)
    cited = set(outcome.cited_sources)
    top_ranked = [p.id for p in outcome.passages] or outcome.ranked_sources
    facts = element(
        "table",
        element("tr", element("th", ""), element("th", "expected"), element("th", "got")),
        element(
            "tr",
            element("th", "intent"),
            element("td", outcome.expected_intent or "—"),
            element(
                "td",
                outcome.predicted_intent or "—",
                f" ({outcome.confidence:.2f})" if outcome.confidence is not None else "",
                class_="bad" if "intent" in failed else None,
            ),
        ),
        element(
            "tr",
            element("th", "sources"),
            element("td", ", ".join(outcome.expected_sources) or "—"),
            element(
                "td",
                "cited: ",
                ", ".join(outcome.cited_sources) or "none",
                _BREAK,
                "top 5: ",
                ", ".join(top_ranked[:5]) or "—",
                class_="bad" if "sources" in failed else None,
            ),
        ),
        element(
            "tr",
            element("th", "escalation"),
            element(
                "td", "—" if outcome.expect_escalation is None else _yes(outcome.expect_escalation)
            ),
            element(
                "td",
                _yes(outcome.escalated),
                f" ({outcome.escalation_reason})" if outcome.escalation_reason else "",
                class_="bad" if "escalation" in failed else None,
            ),
        ),
        element(
            "tr",
            element("th", "action"),
            element("td", "—"),
            element("td", outcome.action),
        ),
        class_="facts",
    )
    problems = [
        ("missing phrases", outcome.must_include_missing),
        ("forbidden phrases found", outcome.must_not_include_found),
        ("missing key facts", outcome.missing_key_facts),
        ("compliance violations", outcome.violations),
    ]
    problem_list = element(
        "ul",
        [
            element("li", element("strong", f"{label}: "), ", ".join(f"“{v}”" for v in values))
            for label, values in problems
            if values
        ],
        class_="problems",
    )
    passages = (
        _table(
            ["#", "id", "title", "score", "conf.", ""],
            [
                element(
                    "tr",
                    element("td", rank, class_="num"),
                    element("td", p.id, class_="ids"),
                    element(
                        "td",
                        element("div", p.title, class_="ptitle"),
                        element("div", p.excerpt, class_="excerpt"),
                    ),
                    element("td", f"{p.score:.3f}", class_="num"),
                    element("td", f"{p.confidence:.2f}", class_="num"),
                    element(
                        "td",
                        element("span", "expected", class_="tag good")
                        if p.id in expected_sources
                        else None,
                        element("span", "cited", class_="tag") if p.id in cited else None,
                    ),
                )
                for rank, p in enumerate(outcome.passages, start=1)
            ],
            numeric={"#", "score", "conf."},
            class_="passages",
        )
        if outcome.passages
        else element("p", "No passages retrieved for this case.", class_="muted")
    )
    summary = element(
        "summary",
        element("span", outcome.id, class_="ids"),
        element("span", _clip(outcome.question, 90), class_="q"),
        [element("span", name, class_="tag bad") for name in failed],
        element("span", f"score {outcome.score or 0:.2f}", class_="muted"),
    )
    return element(
        "details",
        summary,
        element("div", element("h4", "Question"), element("p", outcome.question, class_="text")),
        facts,
        problem_list,
        element("h4", "Answer"),
        element("p", outcome.answer, class_="text answer"),
        element("h4", "Retrieved passages"),
        passages,
        class_="case",
        open=open_,
        data_case=outcome.id,
    )


def _slowest_section(outcomes: Sequence[CaseOutcome]) -> Html:
    slow = slowest_cases(outcomes)
    if not slow:
        return _section("slowest", "Slowest cases", _empty("No turns were timed."))
    rows = [
        element(
            "tr",
            element("td", o.id, class_="ids"),
            element("td", _clip(o.question, 80)),
            element("td", f"{max(o.turn_latency_ms):.1f}", class_="num"),
            element("td", len(o.turn_latency_ms), class_="num"),
            element("td", o.predicted_intent or "—"),
            element("td", o.action),
            data_case=o.id,
        )
        for o in slow
    ]
    return _section(
        "slowest",
        "Slowest cases",
        _table(
            ["case", "question", "slowest turn (ms)", "turns", "intent", "action"],
            rows,
            numeric={"slowest turn (ms)", "turns"},
        ),
    )


def _phrases_section(outcomes: Sequence[CaseOutcome]) -> Html:
    missed = missed_phrases(outcomes)
    if not missed:
        return _section("phrases", "Missing phrases", _empty("No must_include phrase was missed."))
    rows = [
        element(
            "tr",
            element("td", f"“{phrase}”"),
            element("td", len(cases), class_="num"),
            element("td", ", ".join(cases[:8]) + (" …" if len(cases) > 8 else ""), class_="ids"),
            data_phrase=phrase,
        )
        for phrase, cases in missed
    ]
    return _section(
        "phrases",
        "Missing phrases",
        element(
            "p",
            "must_include phrases the answers left out: add them to the FAQ answers, or "
            "fix the case if the phrase is not what an investor needs.",
            class_="muted",
        ),
        _table(["phrase", "times missed", "cases"], rows, numeric={"times missed"}),
    )


def _tags_section(outcomes: Sequence[CaseOutcome]) -> Html:
    by_tag: dict[str, list[CaseOutcome]] = defaultdict(list)
    for outcome in outcomes:
        for tag in outcome.tags:
            by_tag[tag].append(outcome)
    if not by_tag:
        return _section("tags", "By tag", _empty("No case has tags."))
    rows = [
        element(
            "tr",
            element("td", tag),
            element("td", len(cases), class_="num"),
            element("td", f"{sum(c.passed for c in cases) / len(cases):.3f}", class_="num"),
            data_tag=tag,
        )
        for tag, cases in sorted(by_tag.items(), key=lambda i: (_pass_rate(i[1]), i[0]))
    ]
    return _section(
        "tags",
        "By tag",
        _table(["tag", "cases", "pass rate"], rows, numeric={"cases", "pass rate"}),
    )


def _pass_rate(cases: Sequence[CaseOutcome]) -> float:
    return sum(c.passed for c in cases) / len(cases)


def _histogram_chart(
    title: str,
    low: float,
    high: float,
    series: Sequence[tuple[str, str, Sequence[float]]],
    *,
    bins: int = 20,
    markers: Sequence[tuple[str, float]] = (),
) -> Html:
    """A stacked histogram of one or more series, with optional labelled vertical markers."""
    width, height = 420, 190 + 12 * len(markers)
    left, right, top, bottom = 40, 12, 14 + 12 * len(markers), 30  # marker labels sit on top
    plot_w, plot_h = width - left - right, height - top - bottom
    stacks = [histogram(values, low, high, bins) for _, _, values in series]
    totals = [sum(column) for column in zip(*stacks, strict=True)]
    peak = max(max(totals, default=0), 1)
    bar_w = plot_w / bins
    parts: list[Html] = [
        element("line", x1=left, y1=top + plot_h, x2=left + plot_w, y2=top + plot_h, class_="axis"),
        element("line", x1=left, y1=top, x2=left, y2=top + plot_h, class_="axis"),
        element("text", peak, x=left - 6, y=top + 4, text_anchor="end", class_="tick"),
        element("text", 0, x=left - 6, y=top + plot_h, text_anchor="end", class_="tick"),
    ]
    for fraction in (0.0, 0.5, 1.0):
        value = low + (high - low) * fraction
        parts.append(
            element(
                "text",
                _tick(value, high - low),
                x=round(left + plot_w * fraction, 1),
                y=top + plot_h + 16,
                text_anchor="middle",
                class_="tick",
            )
        )
    for column in range(bins):
        base = 0
        for (name, colour, _), counts in zip(series, stacks, strict=True):
            n = counts[column]
            if not n:
                continue
            bar_h = plot_h * n / peak
            y = top + plot_h - plot_h * (base + n) / peak
            start = low + (high - low) * column / bins
            end = low + (high - low) * (column + 1) / bins
            parts.append(
                element(
                    "rect",
                    element(
                        "title",
                        f"{name}: {n} in {_tick(start, high - low)}–{_tick(end, high - low)}",
                    ),
                    x=round(left + column * bar_w + 0.5, 2),
                    y=round(y, 2),
                    width=round(max(bar_w - 1, 0.5), 2),
                    height=round(bar_h, 2),
                    fill=colour,
                )
            )
            base += n
    for row, (name, value) in enumerate(markers):
        x = round(left + plot_w * min(max((value - low) / (high - low), 0.0), 1.0), 1)
        label_y = 12 + 12 * row
        right_half = x > left + plot_w / 2
        parts.append(element("line", x1=x, y1=label_y + 2, x2=x, y2=top + plot_h, class_="mark"))
        parts.append(
            element(
                "text",
                f"{name} {_tick(value, high - low)}",
                x=x - 3 if right_half else x + 3,
                y=label_y,
                text_anchor="end" if right_half else None,
                class_="tick",
            )
        )
    caption = element(
        "figcaption",
        element("strong", title),
        [
            element(
                "span",
                element("i", style=f"background: {colour}"),
                f"{name} ({len(values)})",
                class_="legend",
            )
            for name, colour, values in series
        ],
    )
    return element("figure", caption, _svg(width, height, parts, label=title), class_="chart")


def _svg(width: float, height: float, children: Sequence[Html], *, label: str) -> Html:
    return element(
        "svg",
        children,
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {width} {height}",
        width=width,
        height=height,
        role="img",
        aria_label=label,
    )


def _section(anchor: str, title: str, *content: Child) -> Html:
    return element("section", element("h2", title), content, id=anchor)


def _table(
    head: Sequence[str],
    rows: Sequence[Html],
    *,
    numeric: Collection[str] = (),
    class_: str | None = None,
) -> Html:
    """A table; the ``numeric`` columns' headers align right, over their numbers."""
    return element(
        "table",
        element(
            "thead",
            element("tr", [element("th", h, class_="num" if h in numeric else None) for h in head]),
        ),
        element("tbody", rows),
        class_=class_,
    )


def _empty(message: str) -> Html:
    return element("p", message, class_="muted")


def _format(name: str, value: float | None) -> str:
    if value is None:
        return "—"
    if name.endswith("_ms"):
        return f"{value:.1f} ms"
    if name in ("cases", "compliance.violations"):
        return f"{value:.0f}"
    return f"{value:.3f}"


def _signed(value: float | None) -> str:
    return "" if value is None else f"{value:+.3f}"


def _describe_threshold(threshold: MetricThreshold | None) -> str:
    if threshold is None:
        return "—"
    parts = []
    if threshold.min is not None:
        parts.append(f"≥ {threshold.min:g}")
    if threshold.max is not None:
        parts.append(f"≤ {threshold.max:g}")
    if threshold.max_drop is not None:
        parts.append(f"drop ≤ {threshold.max_drop:g}")
    if threshold.max_rise is not None:
        parts.append(f"rise ≤ {threshold.max_rise:g}")
    return ", ".join(parts) or f"reported ({threshold.direction} is better)"


def _tick(value: float, span: float) -> str:
    if span >= 20:
        return f"{value:.0f}"
    return f"{value:.2f}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


_CSS = """
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


if __name__ == "__main__":
    raise SystemExit(main())
