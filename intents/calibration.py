"""Combining several scorers into one calibrated probability.

Each view (the embedding model, the n-gram model) gives a score per intent.
The combined score is a weighted sum passed through softmax; the weights are
fitted by minimising the negative log-likelihood on out-of-fold scores. That
one step both weighs the views against each other and sets the temperature,
so a confidence of 0.8 means right about 80% of the time on unseen phrasings.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.special import log_softmax

FloatMatrix = np.ndarray[Any, np.dtype[np.float64]]

MAX_WEIGHT = 20.0
PRIOR_STRENGTH = 1e-3
"""A weak pull of every weight towards 1: on a catalogue the views separate perfectly,
the likelihood alone would push the weights (and every confidence) to the bound."""


def combine(views: Sequence[np.ndarray[Any, Any]], weights: np.ndarray[Any, Any]) -> FloatMatrix:
    """Calibrated probabilities: ``softmax(sum_i weights[i] * views[i])`` row by row."""
    total = sum(
        float(w) * np.asarray(v, dtype=np.float64) for w, v in zip(weights, views, strict=True)
    )
    return np.asarray(np.exp(log_softmax(np.asarray(total), axis=1)), dtype=np.float64)


def fit_view_weights(
    views: Sequence[np.ndarray[Any, Any]], labels: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    """Non-negative weights minimising the mean negative log-likelihood of ``labels``.

    ``views`` are out-of-fold score matrices (examples × intents), ``labels`` the
    column index of each example's intent.
    """
    from scipy.optimize import minimize  # a fit's alone: 0.1 s to import

    matrices = [np.asarray(v, dtype=np.float64) for v in views]
    rows = np.arange(len(labels))

    def loss(weights: np.ndarray[Any, Any]) -> float:
        total = sum(w * m for w, m in zip(weights, matrices, strict=True))
        nll = -log_softmax(np.asarray(total), axis=1)[rows, labels].mean()
        return float(nll + PRIOR_STRENGTH * np.sum((weights - 1.0) ** 2))

    start = np.ones(len(matrices))
    result = minimize(loss, start, method="L-BFGS-B", bounds=[(0.0, MAX_WEIGHT)] * len(matrices))
    return np.asarray(result.x if result.success else start, dtype=np.float64)


def expected_calibration_error(
    probabilities: np.ndarray[Any, Any], labels: np.ndarray[Any, Any], bins: int = 10
) -> float:
    """Mean gap between confidence and accuracy over equal-width confidence bins (top-1)."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    error = 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    for low, high in itertools.pairwise(edges):
        in_bin = (confidence > low) & (confidence <= high)
        if in_bin.any():
            error += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(error)
