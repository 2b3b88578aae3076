"""Choosing the out-of-scope threshold from held-out predictions."""

from __future__ import annotations

import math

import pytest

from intents.prediction import IntentPrediction
from intents.thresholds import score_threshold, tune_threshold


def prediction(top: str, confidence: float) -> IntentPrediction:
    return IntentPrediction(
        name=top,
        confidence=confidence,
        out_of_scope=False,
        ranking=[(top, confidence)],
        source="model",
    )


# In scope: confident and right, except one unsure miss. Out of scope: unsure, except one.
PREDICTIONS = [
    prediction("fees", 0.95),
    prediction("fees", 0.90),
    prediction("account_opening", 0.85),
    prediction("account_opening", 0.70),
    prediction("fees", 0.30),  # truly account_opening
    prediction("fees", 0.40),
    prediction("account_opening", 0.35),
    prediction("fees", 0.80),
]
LABELS = [
    "fees",
    "fees",
    "account_opening",
    "account_opening",
    "account_opening",
    "oos",
    "oos",
    "oos",
]


def test_threshold_separates_unsure_from_sure_predictions() -> None:
    choice = tune_threshold(PREDICTIONS, LABELS)

    assert 0.40 < choice.threshold <= 0.70
    assert choice.in_scope_accuracy == pytest.approx(4 / 5)
    assert choice.out_of_scope_recall == pytest.approx(2 / 3)
    assert choice.objective == "accuracy"
    assert choice.score == pytest.approx(6 / 8)


def test_threshold_lies_midway_between_neighbouring_confidences() -> None:
    choice = tune_threshold(PREDICTIONS, LABELS)

    assert choice.threshold == pytest.approx((0.40 + 0.70) / 2)


def test_minimum_in_scope_accuracy_limits_the_threshold() -> None:
    choice = tune_threshold(PREDICTIONS, LABELS, objective="balanced", min_in_scope_accuracy=1.0)

    # No threshold reaches 100% in scope (one in-scope answer is wrong): fall back to rejecting nothing.
    assert choice.threshold == 0.0
    assert choice.out_of_scope_recall == 0.0


def test_out_of_scope_class_counts_as_rejected_at_any_threshold() -> None:
    predictions = [prediction("oos", 0.99), prediction("fees", 0.9)]

    scored = score_threshold(predictions, ["oos", "fees"], 0.0)

    assert scored.out_of_scope_recall == 1.0
    assert scored.in_scope_accuracy == 1.0


def test_recall_is_nan_without_out_of_scope_labels() -> None:
    scored = score_threshold([prediction("fees", 0.9)], ["fees"], 0.5)

    assert math.isnan(scored.out_of_scope_recall)


def test_balanced_objective_needs_out_of_scope_examples() -> None:
    with pytest.raises(ValueError, match="out-of-scope"):
        tune_threshold([prediction("fees", 0.9)], ["fees"], objective="balanced")


def test_lengths_must_match() -> None:
    with pytest.raises(ValueError, match="labels"):
        tune_threshold(PREDICTIONS, LABELS[:-1])
