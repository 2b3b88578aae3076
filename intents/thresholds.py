"""Choosing the confidence below which an utterance counts as out of scope.

The threshold is fitted on held-out utterances, some in scope and some not,
never on the examples the classifier was trained on (it is sure of those).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from intents.prediction import IntentPrediction

OUT_OF_SCOPE_LABELS: frozenset[str] = frozenset({"out_of_scope", "oos"})

Objective = Literal["balanced", "accuracy"]
Array = np.ndarray[Any, Any]


class ThresholdChoice(BaseModel):
    """A threshold and what it achieves on the utterances it was judged on."""

    model_config = ConfigDict(frozen=True)

    threshold: float
    in_scope_accuracy: float
    """Share of in-scope utterances routed to their intent (a rejection counts as wrong)."""
    out_of_scope_recall: float
    """Share of out-of-scope utterances recognised as such; NaN when there were none."""
    objective: Objective
    score: float


def score_threshold(
    predictions: Sequence[IntentPrediction],
    labels: Sequence[str],
    threshold: float,
    *,
    out_of_scope: Collection[str] = OUT_OF_SCOPE_LABELS,
    objective: Objective = "accuracy",
) -> ThresholdChoice:
    """How ``threshold`` does on ``predictions`` against the true ``labels``."""
    top, confidence, model_oos, is_oos = _arrays(predictions, labels, out_of_scope)
    in_acc, oos_recall, score = _evaluate(
        top, confidence, model_oos, is_oos, np.asarray(labels), threshold, objective
    )
    return ThresholdChoice(
        threshold=threshold,
        in_scope_accuracy=in_acc,
        out_of_scope_recall=oos_recall,
        objective=objective,
        score=score,
    )


def tune_threshold(
    predictions: Sequence[IntentPrediction],
    labels: Sequence[str],
    *,
    out_of_scope: Collection[str] = OUT_OF_SCOPE_LABELS,
    objective: Objective = "accuracy",
    min_in_scope_accuracy: float | None = None,
) -> ThresholdChoice:
    """The confidence threshold that maximises ``objective`` on held-out utterances.

    ``predictions`` come from the classifier on held-out texts, ``labels`` are
    their true intents, with out-of-scope ones named by ``out_of_scope``. The
    threshold applies to ``ranking[0]``, the model's own top intent, so the
    threshold the predictions were made with does not matter.

    ``accuracy`` (the default) counts every utterance once, so the trade-off
    follows how often out-of-scope questions arrive in the tuning data;
    ``balanced`` maximises the mean of in-scope accuracy and out-of-scope
    recall, whatever their shares (on CLINC150 it gives up about six points of
    in-scope accuracy for thirty of recall). ``min_in_scope_accuracy``
    keeps only thresholds that route at least that share of in-scope
    utterances correctly. Of the thresholds that tie, the midpoint of the gap
    between neighbouring confidences is returned, to generalise.
    """
    if len(predictions) != len(labels):
        raise ValueError(f"{len(predictions)} predictions but {len(labels)} labels")
    top, confidence, model_oos, is_oos = _arrays(predictions, labels, out_of_scope)
    if not is_oos.any() and objective == "balanced":
        raise ValueError("the balanced objective needs out-of-scope utterances among the labels")
    truth = np.asarray(labels)
    values = np.unique(np.concatenate([[0.0], confidence]))
    best: tuple[float, float, float, float] | None = None
    best_index = 0
    for index, candidate in enumerate(values):
        in_acc, oos_recall, score = _evaluate(
            top, confidence, model_oos, is_oos, truth, float(candidate), objective
        )
        if min_in_scope_accuracy is not None and in_acc < min_in_scope_accuracy:
            continue
        if best is None or score > best[3]:
            best = (float(candidate), in_acc, oos_recall, score)
            best_index = index
    if best is None:
        in_acc, oos_recall, score = _evaluate(
            top, confidence, model_oos, is_oos, truth, 0.0, objective
        )
        best, best_index = (0.0, in_acc, oos_recall, score), 0
    threshold = best[0]
    if best_index > 0:
        # Every threshold in (previous confidence, candidate] behaves the same here.
        threshold = float((values[best_index - 1] + values[best_index]) / 2.0)
    return ThresholdChoice(
        threshold=threshold,
        in_scope_accuracy=best[1],
        out_of_scope_recall=best[2],
        objective=objective,
        score=best[3],
    )


def _arrays(
    predictions: Sequence[IntentPrediction], labels: Sequence[str], out_of_scope: Collection[str]
) -> tuple[Array, Array, Array, Array]:
    oos = set(out_of_scope)
    top = np.asarray([p.ranking[0][0] if p.ranking else p.name for p in predictions], dtype=object)
    confidence = np.asarray(
        [p.ranking[0][1] if p.ranking else p.confidence for p in predictions], dtype=np.float64
    )
    # Out of scope without a ranking (empty text) stays rejected at every threshold.
    model_oos = np.asarray(
        [
            (name in oos) or (not p.ranking and p.out_of_scope)
            for name, p in zip(top, predictions, strict=True)
        ]
    )
    is_oos = np.asarray([label in oos for label in labels], dtype=bool)
    return top, confidence, model_oos, is_oos


def _evaluate(
    top: Array,
    confidence: Array,
    model_oos: Array,
    is_oos: Array,
    truth: Array,
    threshold: float,
    objective: Objective,
) -> tuple[float, float, float]:
    rejected = model_oos | (confidence < threshold)
    correct_in = ~rejected & (top == truth) & ~is_oos
    caught = rejected & is_oos
    in_acc = float(correct_in.sum() / max(int((~is_oos).sum()), 1))
    oos_recall = float(caught.sum() / is_oos.sum()) if is_oos.any() else float("nan")
    if objective == "balanced":
        score = (in_acc + oos_recall) / 2.0
    else:
        score = float((correct_in.sum() + caught.sum()) / max(len(truth), 1))
    return in_acc, oos_recall, score
