"""The report's sections about metrics: the summary against thresholds, the LLM judge,
intents and confusions, score and latency distributions, and tags."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence

from evals import metrics
from evals.compare import (
    ComparisonReport,
    MetricThreshold,
)
from evals.judge import JudgeSummary
from evals.report.charts import heatmap, histogram_chart, svg
from evals.report.formatting import clip, describe_threshold, format_value, signed
from evals.report.markup import Html, element, empty, section, table
from evals.report.rankings import intent_rows, pass_rate
from evals.report.style import AMBER, BLUE, GREEN, RED
from evals.runner import OUT_OF_SCOPE, CaseOutcome

LEAST_FAITHFUL = 10


CONFUSION_PAIRS = 15


def summary_section(
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
            element("div", format_value(name, summary.get(name)), class_="big"),
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
                element("td", format_value(name, value), class_="num value"),
                element("td", describe_threshold(thresholds.get(name))),
                element("td", format_value(name, delta.baseline if delta else None), class_="num")
                if compared
                else None,
                element("td", signed(delta.delta if delta else None), class_="num")
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
    return section(
        "summary",
        "Metrics",
        element("div", cards, class_="cards"),
        regressions,
        table(head, rows, numeric={"value", "baseline", "change"}, class_="metrics"),
        element(
            "p",
            "Rates are fractions of the cases that judge them (a case without "
            "expected sources does not count towards retrieval). Thresholds come from "
            "the gate's TOML file; max_drop applies only against a baseline (--compare).",
            class_="muted",
        ),
    )


def judge_section(judge: JudgeSummary, outcomes: Sequence[CaseOutcome]) -> Html:
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
                element("div", format_value("", value), class_="big"),
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
        table(
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
            element("td", format_value("", j.faithfulness), class_="num"),
            element("td", format_value("", j.answer_relevance), class_="num"),
            element("td", o.question),
            element("td", element("ul", [element("li", s) for s in j.unsupported], class_="flat")),
            data_judged_case=o.id,
        )
        for o, j in doubtful
    ]
    return section(
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
        table(
            ["case", "faithfulness", "relevance", "question", "unsupported statements"],
            rows,
            numeric={"faithfulness", "relevance"},
        )
        if rows
        else None,
    )


def intent_section(outcomes: Sequence[CaseOutcome]) -> Html:
    rows = intent_rows(outcomes)
    if not rows:
        return section("intents", "Intent accuracy", empty("No case names an expected intent."))
    label_width, bar_width, row_height = 250, 300, 22
    width = label_width + bar_width + 420
    bars = []
    for index, row in enumerate(rows):
        y = index * row_height + 4
        colour = GREEN if row.accuracy >= 0.85 else AMBER if row.accuracy >= 0.6 else RED
        note = f"{row.correct}/{row.cases} · {row.accuracy:.0%}"
        if row.most_confused_with:
            note += f" · often → {clip(row.most_confused_with, 40)}"
        bars.append(
            element(
                "g",
                element("title", f"{row.intent}: {note}"),
                element(
                    "text",
                    clip(row.intent, 34),
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
    chart = svg(width, height, bars, label="accuracy per expected intent, worst first")
    return section(
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


def confusion_section(outcomes: Sequence[CaseOutcome]) -> Html:
    judged = [o for o in outcomes if o.expected_intent is not None]
    gold = [o.expected_intent or "" for o in judged]
    predicted = [o.predicted_intent or OUT_OF_SCOPE for o in judged]
    pairs = metrics.confusion_pairs(gold, predicted, top=CONFUSION_PAIRS)
    if not pairs:
        return section("confusions", "Confusions", empty("No intent was confused."))
    examples: dict[tuple[str, str], list[str]] = defaultdict(list)
    for outcome, g, p in zip(judged, gold, predicted, strict=True):
        if g != p:
            examples[(g, p)].append(outcome.id)
    mistakes = table(
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
    return section(
        "confusions",
        "Confusions",
        element("div", element("h3", "Most frequent mistakes"), mistakes, class_="narrow"),
        element(
            "div",
            element("h3", "Heatmap of the intents in these mistakes"),
            heatmap(gold, predicted, pairs),
            class_="scroll",
        ),
    )


def distribution_section(outcomes: Sequence[CaseOutcome]) -> Html:
    charts = []
    similarity = [o.similarity for o in outcomes if o.similarity is not None]
    if similarity:
        low = min(0.5, math.floor(min(similarity) * 10) / 10)
        charts.append(
            histogram_chart(
                "Answer similarity to the reference (E5 cosine)",
                low,
                1.0,
                [("cases", BLUE, similarity)],
            )
        )
    judged = [o for o in outcomes if o.expected_intent is not None and o.confidence is not None]
    if judged:
        right = [o.confidence or 0.0 for o in judged if o.predicted_intent == o.expected_intent]
        wrong = [o.confidence or 0.0 for o in judged if o.predicted_intent != o.expected_intent]
        charts.append(
            histogram_chart(
                "Intent confidence, right vs wrong",
                0.0,
                1.0,
                [("right", GREEN, right), ("wrong", RED, wrong)],
            )
        )
    grounded = [o.groundedness for o in outcomes if o.groundedness is not None]
    if grounded:
        charts.append(
            histogram_chart(
                "Groundedness (share of answer sentences supported)",
                0.0,
                1.0,
                [("answers", BLUE, grounded)],
                bins=10,
            )
        )
    recall = [o.key_fact_recall for o in outcomes if o.key_fact_recall is not None]
    if recall:
        charts.append(
            histogram_chart(
                "Key-fact recall against the reference",
                0.0,
                1.0,
                [("answers", BLUE, recall)],
                bins=10,
            )
        )
    if not charts:
        return section("scores", "Score distributions", empty("No scores to plot."))
    return section("scores", "Score distributions", element("div", charts, class_="grid"))


def latency_section(outcomes: Sequence[CaseOutcome]) -> Html:
    values = [ms for o in outcomes for ms in o.turn_latency_ms]
    summary = metrics.latency_summary(values)
    if summary is None:
        return section("latency", "Latency per turn", empty("No turns were timed."))
    # A cold start or two can be 50 times the median: cut the axis so the bulk stays readable.
    high = max(min(summary.max, 3 * summary.p95), 1.0)
    beyond = sum(ms > high for ms in values)
    title = f"{summary.count} turns: milliseconds"
    if beyond:
        title += f" ({beyond} slower than {high:.0f} ms counted in the last bar)"
    chart = histogram_chart(
        title,
        0.0,
        high,
        [("turns", BLUE, values)],
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
    return section("latency", "Latency per turn", element("div", stats, chart, class_="split"))


def tags_section(outcomes: Sequence[CaseOutcome]) -> Html:
    by_tag: dict[str, list[CaseOutcome]] = defaultdict(list)
    for outcome in outcomes:
        for tag in outcome.tags:
            by_tag[tag].append(outcome)
    if not by_tag:
        return section("tags", "By tag", empty("No case has tags."))
    rows = [
        element(
            "tr",
            element("td", tag),
            element("td", len(cases), class_="num"),
            element("td", f"{sum(c.passed for c in cases) / len(cases):.3f}", class_="num"),
            data_tag=tag,
        )
        for tag, cases in sorted(by_tag.items(), key=lambda i: (pass_rate(i[1]), i[0]))
    ]
    return section(
        "tags",
        "By tag",
        table(["tag", "cases", "pass rate"], rows, numeric={"cases", "pass rate"}),
    )
