"""The report's sections about single cases: the worst and the slowest, each as a card
with what was expected, what came back and the passages retrieved, and missed phrases."""

from __future__ import annotations

from collections.abc import Sequence

from evals.report.formatting import clip, yes_no
from evals.report.markup import BREAK, Html, element, empty, section, table
from evals.report.rankings import failed_checks, missed_phrases, slowest_cases, worst_cases
from evals.runner import CaseOutcome


def worst_section(outcomes: Sequence[CaseOutcome]) -> Html:
    worst = worst_cases(outcomes)
    if not worst:
        return section("worst", "Worst cases", empty("Every case passed."))
    failed = sum(not o.passed for o in outcomes)
    return section(
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
                BREAK,
                "top 5: ",
                ", ".join(top_ranked[:5]) or "—",
                class_="bad" if "sources" in failed else None,
            ),
        ),
        element(
            "tr",
            element("th", "escalation"),
            element(
                "td",
                "—" if outcome.expect_escalation is None else yes_no(outcome.expect_escalation),
            ),
            element(
                "td",
                yes_no(outcome.escalated),
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
        table(
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
        element("span", clip(outcome.question, 90), class_="q"),
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


def slowest_section(outcomes: Sequence[CaseOutcome]) -> Html:
    slow = slowest_cases(outcomes)
    if not slow:
        return section("slowest", "Slowest cases", empty("No turns were timed."))
    rows = [
        element(
            "tr",
            element("td", o.id, class_="ids"),
            element("td", clip(o.question, 80)),
            element("td", f"{max(o.turn_latency_ms):.1f}", class_="num"),
            element("td", len(o.turn_latency_ms), class_="num"),
            element("td", o.predicted_intent or "—"),
            element("td", o.action),
            data_case=o.id,
        )
        for o in slow
    ]
    return section(
        "slowest",
        "Slowest cases",
        table(
            ["case", "question", "slowest turn (ms)", "turns", "intent", "action"],
            rows,
            numeric={"slowest turn (ms)", "turns"},
        ),
    )


def phrases_section(outcomes: Sequence[CaseOutcome]) -> Html:
    missed = missed_phrases(outcomes)
    if not missed:
        return section("phrases", "Missing phrases", empty("No must_include phrase was missed."))
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
    return section(
        "phrases",
        "Missing phrases",
        element(
            "p",
            "must_include phrases the answers left out: add them to the FAQ answers, or "
            "fix the case if the phrase is not what an investor needs.",
            class_="muted",
        ),
        table(["phrase", "times missed", "cases"], rows, numeric={"times missed"}),
    )
