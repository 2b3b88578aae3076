"""The contrastive metric adapter on frozen embeddings, and the rule that decides when to use it."""

from __future__ import annotations

from typing import Any

import numpy as np

from intents.adapter import (
    AdapterSettings,
    fit_metric_adapter,
    prefer_adapted,
    supervised_contrastive_loss,
)
from intents.adapter import _supervised_contrastive_gradient as gradient
from intents.encoders import normalise_rows
from tests.utils.banking_examples import INTENTS


def _banking_embeddings(e5: Any) -> tuple[np.ndarray, np.ndarray]:
    texts = [text for examples in INTENTS.values() for text in examples]
    labels = np.repeat(np.arange(len(INTENTS)), [len(v) for v in INTENTS.values()])
    embeddings = normalise_rows(e5.encode_questions(texts))
    return normalise_rows(embeddings - embeddings.mean(axis=0, keepdims=True)), labels


def test_the_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(0)
    x = normalise_rows(rng.normal(size=(9, 4)))
    labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 3])  # class 3 has no positive pair
    weights = 0.1 * rng.normal(size=(4, 4))

    analytic = gradient(x.astype(np.float64), labels, weights, 0.2)

    numeric = np.zeros_like(weights)
    step = 1e-6
    for i, j in np.ndindex(weights.shape):
        bump = np.zeros_like(weights)
        bump[i, j] = step
        numeric[i, j] = (
            supervised_contrastive_loss(x, labels, weights + bump, 0.2)
            - supervised_contrastive_loss(x, labels, weights - bump, 0.2)
        ) / (2 * step)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-7)


def test_the_adapter_pulls_an_intents_examples_together(e5: Any) -> None:
    embeddings, labels = _banking_embeddings(e5)
    settings = AdapterSettings()
    untouched = np.zeros((embeddings.shape[1], embeddings.shape[1]))

    adapter = fit_metric_adapter(embeddings, labels, settings)

    before = supervised_contrastive_loss(embeddings, labels, untouched, settings.temperature)
    after = supervised_contrastive_loss(embeddings, labels, adapter.weights, settings.temperature)
    assert after < before
    mapped = adapter.transform(embeddings)
    np.testing.assert_allclose(np.linalg.norm(mapped, axis=1), 1.0, rtol=1e-5)


def test_the_adapter_stays_near_the_identity(e5: Any) -> None:
    # Early stopping is the regulariser: the encoder's geometry is adjusted, not replaced.
    embeddings, labels = _banking_embeddings(e5)

    mapped = fit_metric_adapter(embeddings, labels, AdapterSettings()).transform(embeddings)

    assert np.min(np.sum(mapped * embeddings, axis=1)) > 0.5


def test_a_small_catalogue_trains_deterministically(e5: Any) -> None:
    embeddings, labels = _banking_embeddings(e5)

    first = fit_metric_adapter(embeddings, labels, AdapterSettings(), seed=0)
    second = fit_metric_adapter(embeddings, labels, AdapterSettings(), seed=7)

    np.testing.assert_array_equal(first.weights, second.weights)


def test_a_large_catalogue_trains_on_batches(e5: Any) -> None:
    embeddings, labels = _banking_embeddings(e5)
    settings = AdapterSettings(batch_size=8)

    first = fit_metric_adapter(embeddings, labels, settings, seed=0)
    again = fit_metric_adapter(embeddings, labels, settings, seed=0)
    other = fit_metric_adapter(embeddings, labels, settings, seed=1)

    np.testing.assert_array_equal(first.weights, again.weights)
    assert not np.array_equal(first.weights, other.weights)


def test_the_adapter_is_preferred_only_beyond_one_standard_error() -> None:
    plain = np.array([True] * 80 + [False] * 20)
    clearly_better = plain.copy()
    clearly_better[80:92] = True  # 12 more right, none lost
    a_coin_flip = plain.copy()
    a_coin_flip[80:83] = True  # 3 more right ...
    a_coin_flip[:2] = False  # ... and 2 lost

    assert prefer_adapted(plain, clearly_better)
    assert not prefer_adapted(plain, a_coin_flip)
    assert not prefer_adapted(plain, plain)
    assert not prefer_adapted(clearly_better, plain)
    assert not prefer_adapted(plain[:1], clearly_better[:1])
