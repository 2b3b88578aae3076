"""The regression gate: thresholds, metric deltas, and case-by-case changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.compare import (
    DEFAULT_THRESHOLDS,
    CaseResult,
    MetricThreshold,
    compare,
    compare_cases,
    load_thresholds,
    parse_thresholds,
)
from evals.errors import CaseResultError, EvalError, ThresholdFileError

ACCURACY = {"intent.accuracy": MetricThreshold(min=0.85, max_drop=0.02)}
VIOLATIONS = {"compliance.violations": MetricThreshold(max=0)}


# The gate


def test_a_metric_that_drops_more_than_max_drop_fails() -> None:
    report = compare({"intent.accuracy": 0.87}, {"intent.accuracy": 0.90}, ACCURACY)

    assert not report.passed
    [failure] = report.failures
    assert (failure.metric, failure.rule, failure.limit) == ("intent.accuracy", "max_drop", 0.02)
    assert "dropped by 0.03 (0.9 -> 0.87)" in failure.message


def test_a_drop_of_exactly_max_drop_passes_despite_float_rounding() -> None:
    # 0.87 - 0.89 is -0.020000000000000018 in binary floating point.
    report = compare({"intent.accuracy": 0.87}, {"intent.accuracy": 0.89}, ACCURACY)

    assert report.passed
    assert report.deltas[0].change == "worse"  # allowed, but still reported as a move down


def test_a_move_within_tolerance_is_unchanged_and_passes() -> None:
    report = compare({"intent.accuracy": 0.8995}, {"intent.accuracy": 0.90}, ACCURACY)

    assert report.passed
    assert report.deltas[0].change == "unchanged"
    assert report.deltas[0].delta == pytest.approx(-0.0005)


def test_a_metric_below_its_minimum_fails_even_when_it_improved() -> None:
    report = compare({"intent.accuracy": 0.84}, {"intent.accuracy": 0.80}, ACCURACY)

    assert [(f.rule, f.value, f.limit) for f in report.failures] == [("min", 0.84, 0.85)]
    assert report.deltas[0].change == "better"


def test_a_max_bound_fails_on_any_compliance_violation() -> None:
    assert compare({"compliance.violations": 0}, {}, VIOLATIONS).passed

    report = compare({"compliance.violations": 1}, {}, VIOLATIONS)

    assert [f.rule for f in report.failures] == ["max"]
    assert report.failures[0].message == "compliance.violations = 1 is above max 0"


def test_a_metric_with_only_an_upper_bound_is_better_when_lower() -> None:
    report = compare({"compliance.violations": 0}, {"compliance.violations": 2}, VIOLATIONS)

    assert report.deltas[0].change == "better"
    assert VIOLATIONS["compliance.violations"].direction == "lower"


def test_max_rise_limits_growth_from_the_baseline() -> None:
    thresholds = {"latency.p95_ms": MetricThreshold(max_rise=100, tolerance=10)}

    report = compare({"latency.p95_ms": 1250.0}, {"latency.p95_ms": 1100.0}, thresholds)

    assert [f.rule for f in report.failures] == ["max_rise"]
    assert report.deltas[0].change == "worse"
    assert (
        compare({"latency.p95_ms": 1105.0}, {"latency.p95_ms": 1100.0}, thresholds).deltas[0].change
        == "unchanged"
    )


def test_a_gated_metric_the_run_did_not_measure_fails_unless_allowed() -> None:
    report = compare({}, {"intent.accuracy": 0.9}, ACCURACY)

    assert [(f.metric, f.rule) for f in report.failures] == [("intent.accuracy", "missing")]
    assert report.deltas[0].change == "missing"
    # None is what an undefined metric returns: it counts as not measured.
    assert not compare({"intent.accuracy": None}, {}, ACCURACY).passed
    assert compare({}, {}, ACCURACY, allow_missing=True).passed


def test_without_a_baseline_only_absolute_bounds_apply() -> None:
    report = compare({"intent.accuracy": 0.86}, {}, ACCURACY)

    assert report.passed
    assert report.deltas[0].change == "new"


def test_nan_fails_the_gate() -> None:
    report = compare({"intent.accuracy": float("nan")}, {}, ACCURACY)

    assert [f.rule for f in report.failures] == ["not_a_number"]


def test_ungated_metrics_are_reported_but_never_fail() -> None:
    report = compare({"retrieval.mrr": 0.1}, {"retrieval.mrr": 0.9}, {})

    assert report.passed
    assert [(d.name, d.change) for d in report.deltas] == [("retrieval.mrr", "worse")]


def test_summary_shows_every_metric_and_every_failure() -> None:
    report = compare(
        {"intent.accuracy": 0.87, "compliance.violations": 1},
        {"intent.accuracy": 0.90},
        {**ACCURACY, **VIOLATIONS},
    )

    summary = report.summary()

    assert "intent.accuracy" in summary and "compliance.violations" in summary
    assert "FAILED (2)" in summary
    assert "compliance.violations = 1 is above max 0" in summary


# Threshold files


def test_the_default_thresholds_file_loads_with_the_documented_keys() -> None:
    thresholds = load_thresholds()

    accuracy = thresholds["intent.accuracy"]
    assert accuracy.min is not None
    assert accuracy.max_drop is not None
    assert accuracy.direction == "higher"
    assert thresholds["latency.p95_ms"].direction == "lower"
    assert thresholds["latency.p95_ms"].max is None, "speed is reported, never gated"
    assert thresholds["compliance.violations"].max == 0
    assert thresholds["compliance.violations"].direction == "lower"
    assert {"retrieval.hit_at_5", "answer.must_include_rate", "escalation.recall"} <= set(
        thresholds
    )
    assert load_thresholds(DEFAULT_THRESHOLDS) == thresholds


def test_dotted_keys_and_tables_mean_the_same(tmp_path: Path) -> None:
    dotted = tmp_path / "dotted.toml"
    dotted.write_text("intent.accuracy = { min = 0.85, max_drop = 0.02 }\n", encoding="utf-8")
    tabled = tmp_path / "tabled.toml"
    tabled.write_text("[intent]\naccuracy = { min = 0.85, max_drop = 0.02 }\n", encoding="utf-8")

    assert load_thresholds(dotted) == load_thresholds(tabled)


def test_every_problem_in_a_thresholds_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "thresholds.toml"
    path.write_text(
        "\n".join(
            [
                "intent.accuracy = { min = 0.85, max_dorp = 0.02 }",
                "intent.macro_f1 = { min = 0.9, max = 0.8 }",
                'retrieval.hit_at_5 = { min = "high" }',
                "escalation.recall = { max_drop = -0.1 }",
                "latency = 3000",
            ]
        ),
        encoding="utf-8",
    )

    with pytest.raises(ThresholdFileError) as caught:
        load_thresholds(path)

    problems = caught.value.problems
    assert "intent.accuracy: unknown key 'max_dorp' (did you mean 'max_drop'?)" in problems
    assert "intent.macro_f1: min (0.9) is above max (0.8)" in problems
    assert any(
        p.startswith("retrieval.hit_at_5.min: Input should be a valid number") for p in problems
    )
    assert any(
        p.startswith("escalation.recall.max_drop: Input should be greater than or equal to 0")
        for p in problems
    )
    assert any(p.startswith("latency: expected a table") for p in problems)
    assert len(problems) == 5
    assert caught.value.code == "bad_eval_thresholds"


def test_a_table_mixing_metrics_and_threshold_keys_is_rejected() -> None:
    with pytest.raises(ThresholdFileError, match="intent: mixes metric tables and threshold keys"):
        parse_thresholds({"intent": {"min": 0.5, "accuracy": {"min": 0.8}}})


def test_invalid_toml_is_a_threshold_file_error(tmp_path: Path) -> None:
    path = tmp_path / "thresholds.toml"
    path.write_text("intent.accuracy = {min = }\n", encoding="utf-8")

    with pytest.raises(ThresholdFileError, match="invalid TOML"):
        load_thresholds(path)
    with pytest.raises(EvalError, match="cannot read"):
        load_thresholds(tmp_path / "absent.toml")


# Case by case


def test_cases_that_got_better_or_worse_are_listed() -> None:
    baseline = [
        {"id": "a", "passed": True, "score": 0.80},
        {"id": "b", "passed": True, "score": 0.90},
        {"id": "c", "passed": False, "score": 0.20},
        {"id": "d", "passed": False, "score": 0.10},
        {"id": "e", "passed": True, "score": 0.50},
    ]
    current = [
        {"id": "a", "passed": True, "score": 0.95},  # better score, still passing
        {"id": "b", "passed": False, "score": 0.85},  # stopped passing
        {"id": "c", "passed": True, "score": 0.30},  # started passing
        {"id": "d", "passed": False, "score": 0.1005},  # within tolerance
        {"id": "f", "passed": True, "answer": "extra keys are ignored"},
    ]

    result = compare_cases(current, baseline)

    # Pass/fail flips come before score moves.
    assert [c.id for c in result.improved] == ["c", "a"]
    assert [c.id for c in result.regressed] == ["b"]
    assert result.regressed[0].flipped
    assert result.regressed[0].score_delta == pytest.approx(-0.05)
    assert (result.added, result.removed, result.unchanged) == (["f"], ["e"], 1)


def test_a_pass_fail_flip_outweighs_the_score() -> None:
    result = compare_cases(
        [CaseResult(id="x", passed=False, score=0.9)],
        [CaseResult(id="x", passed=True, score=0.5)],
    )

    assert [c.id for c in result.regressed] == ["x"]
    assert result.improved == []


def test_larger_score_moves_come_first() -> None:
    result = compare_cases(
        [
            {"id": "small", "passed": False, "score": 0.3},
            {"id": "big", "passed": False, "score": 0.1},
        ],
        [
            {"id": "small", "passed": False, "score": 0.4},
            {"id": "big", "passed": False, "score": 0.9},
        ],
    )

    assert [c.id for c in result.regressed] == ["big", "small"]


def test_cases_without_scores_compare_on_pass_fail_only() -> None:
    result = compare_cases(
        [{"id": "x", "passed": True}], [{"id": "x", "passed": True, "score": 0.2}]
    )

    assert result.unchanged == 1


def test_malformed_case_results_are_rejected() -> None:
    with pytest.raises(CaseResultError, match=r"current result #1: passed"):
        compare_cases([{"id": "x", "passed": "yes"}], [])
    with pytest.raises(CaseResultError, match="baseline results contain id 'x' twice"):
        compare_cases([], [{"id": "x", "passed": True}, {"id": "x", "passed": False}])
