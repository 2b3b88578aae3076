"""The out-of-scope detector, fitted on out-of-fold scores of a catalogue's own examples."""

from __future__ import annotations

import numpy as np
import pytest

from intents.out_of_scope import detector_features, fit_detector


def _scores(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three in-scope intents (columns 0-2) and out-of-scope (column 3): in-scope examples
    are peaked and close to an example; out-of-scope ones flat and far from every example."""
    rng = np.random.default_rng(seed)
    rows, nearest, labels = [], [], []
    for label in range(3):
        for _ in range(100):
            p = rng.dirichlet([1, 1, 1, 1]) * 0.3
            p[label] += 0.7
            rows.append(p)
            nearest.append(np.r_[rng.uniform(0.6, 0.7, 3), 0.5])
            nearest[-1][label] = rng.uniform(0.85, 0.95)
            labels.append(label)
    for _ in range(60):
        rows.append(rng.dirichlet([3, 3, 3, 2]))
        nearest.append(rng.uniform(0.55, 0.75, 4))
        labels.append(3)
    return np.asarray(rows), np.asarray(nearest), np.asarray(labels)


def test_the_evidence_is_best_in_scope_lead_out_of_scope_share_closest_and_entropy() -> None:
    probabilities = np.asarray([[0.6, 0.3, 0.0, 0.1]])
    nearest = np.asarray([[0.9, 0.8, 0.7, 0.99]])
    best, lead, oos, closest, entropy = detector_features(probabilities, nearest, [3])[0]
    assert (best, lead, oos, closest) == pytest.approx((0.6, 0.3, 0.1, 0.9))
    assert entropy > 0


def test_it_learns_to_reject_flat_far_away_scores_and_keeps_in_scope_ones() -> None:
    probabilities, nearest, labels = _scores()
    detector = fit_detector(probabilities, nearest, labels, [3], max_rejection=0.01)
    assert detector is not None
    rejected = detector.rejects(probabilities, nearest)
    assert rejected[labels == 3].mean() > 0.9
    assert rejected[labels != 3].mean() <= 0.01
    assert "out of fold" in detector.fitted_on


def test_the_threshold_spends_no_more_in_scope_accuracy_than_allowed() -> None:
    probabilities, nearest, labels = _scores(seed=1)
    strict = fit_detector(probabilities, nearest, labels, [3], max_rejection=0.0)
    loose = fit_detector(probabilities, nearest, labels, [3], max_rejection=0.05)
    assert strict is not None and loose is not None
    assert strict.threshold >= loose.threshold


def test_too_few_out_of_scope_examples_fit_nothing() -> None:
    probabilities, nearest, labels = _scores()
    keep = (labels != 3) | (np.arange(len(labels)) < 310)
    assert fit_detector(probabilities[keep], nearest[keep], labels[keep], [3]) is None
