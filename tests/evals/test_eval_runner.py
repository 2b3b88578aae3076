"""The runner's summary: the intent metrics a benchmark with out-of-scope cases is judged by."""

from __future__ import annotations

import pytest

from evals.report.rankings import failed_checks
from evals.runner import CaseOutcome, case_checks, summarise
from tests.utils.eval_outcomes import case_outcome


def outcome(case_id: str, expected: str | None, predicted: str | None) -> CaseOutcome:
    return case_outcome(
        case_id,
        expected_intent=expected,
        predicted_intent=predicted,
        passed=expected is None or expected == (predicted or "out_of_scope"),
        score=None,
    )


def test_in_scope_accuracy_and_out_of_scope_recall_are_reported_side_by_side() -> None:
    # In scope: a right, b wrong intent, c refused as out of scope, d right  => 2/4.
    # Out of scope: e caught, f answered as alarm, g no intent (= out of scope) => 2/3.
    # Declined: c, e, g, of which e and g rightly => precision 2/3. h is not judged.
    outcomes = [
        outcome("a", "translate", "translate"),
        outcome("b", "translate", "balance"),
        outcome("c", "balance", "out_of_scope"),
        outcome("d", "balance", "balance"),
        outcome("e", "out_of_scope", "out_of_scope"),
        outcome("f", "out_of_scope", "alarm"),
        outcome("g", "out_of_scope", None),
        outcome("h", None, "out_of_scope"),
    ]

    summary = summarise(outcomes)

    assert summary["intent.in_scope_accuracy"] == pytest.approx(2 / 4)
    assert summary["intent.oos_recall"] == pytest.approx(2 / 3)
    assert summary["intent.oos_precision"] == pytest.approx(2 / 3)
    assert summary["intent.accuracy"] == pytest.approx(4 / 7)


def test_in_scope_accuracy_is_not_measured_without_in_scope_cases() -> None:
    summary = summarise([outcome("e", "out_of_scope", "out_of_scope")])

    assert summary["intent.in_scope_accuracy"] is None
    assert summary["intent.oos_recall"] == 1.0


def test_a_check_the_case_does_not_ask_for_counts_as_met() -> None:
    unasked = case_outcome("plain", expected_intent=None, predicted_intent="balance")

    assert all(case_checks(unasked).values())
    assert failed_checks(unasked) == []


def test_the_sources_check_looks_at_the_top_five_retrieved_only() -> None:
    sixth = case_outcome(
        "deep",
        ranked_sources=["a", "b", "c", "d", "e", "faq-fees"],
        expected_sources=["faq-fees"],
    )
    fifth = sixth.model_copy(update={"ranked_sources": ["a", "b", "c", "d", "faq-fees"]})

    assert case_checks(sixth)["sources"] is False
    assert case_checks(fifth)["sources"] is True


def test_the_report_names_the_checks_the_runner_failed_in_the_runner_order() -> None:
    broken = case_outcome(
        "broken",
        predicted_intent="balance",
        expect_escalation=True,
        must_not_include_ok=False,
        violations=["return_promise"],
    )

    assert list(case_checks(broken)) == [
        "intent",
        "escalation",
        "must include",
        "must not include",
        "compliance",
        "sources",
    ]
    assert failed_checks(broken) == ["intent", "escalation", "must not include", "compliance"]
