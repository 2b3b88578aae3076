"""The example-embedding cache and the surface-feature and calibration helpers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.settings import get_settings
from intents.calibration import combine, expected_calibration_error, fit_view_weights
from intents.catalogue import load_catalogue
from intents.classifier import EmbeddingIntentClassifier
from intents.encoders import EmbeddingCache, ShippedVectors, normalise_rows
from intents.features import NgramFeatures


def test_cache_embeds_once_and_serves_the_same_vectors(
    counting_encoder: Any, tmp_path: Path
) -> None:
    texts = ["我想开户", "open an account"]

    first = EmbeddingCache(counting_encoder, tmp_path).encode(texts)
    second = EmbeddingCache(counting_encoder, tmp_path).encode(texts)

    assert counting_encoder.calls == 1
    np.testing.assert_array_equal(first, second)
    assert first.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-5)


def test_cache_key_depends_on_model_and_texts(
    counting_encoder: Any, make_counting_encoder: Callable[[str], Any]
) -> None:
    cache = EmbeddingCache(counting_encoder, None)
    other_model = make_counting_encoder("another-model")

    assert cache.key(["a", "b"]) != cache.key(["b", "a"])
    assert cache.key(["a", "b"]) != EmbeddingCache(other_model, None).key(["a", "b"])
    assert cache.path(["a"]) is None


def test_corrupt_cache_file_is_recomputed(counting_encoder: Any, tmp_path: Path) -> None:
    cache = EmbeddingCache(counting_encoder, tmp_path)
    path = cache.path(["我想开户"])
    assert path is not None
    path.write_bytes(b"not a numpy file")

    vectors = cache.encode(["我想开户"])

    assert counting_encoder.calls == 1
    assert vectors.shape == (1, 384)
    assert np.load(path).shape == (1, 384)


def test_normalise_rows_leaves_zero_rows_alone() -> None:
    rows = normalise_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))

    np.testing.assert_allclose(rows, [[0.6, 0.8], [0.0, 0.0]])


def test_ngram_features_split_chinese_into_characters() -> None:
    features = NgramFeatures()
    train = features.fit_transform(["银证转账怎么操作", "佣金是多少", "transfer money"])
    query = features.transform(["转账"])

    assert train.shape[0] == 3
    assert query.nnz > 0
    assert (train @ query.T).toarray()[:, 0].argmax() == 0


def test_ngram_features_need_fitting() -> None:
    with pytest.raises(RuntimeError, match="before"):
        NgramFeatures().transform(["x"])


def test_view_weights_sharpen_an_informative_view_and_mute_noise() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, size=400)
    informative = np.eye(4)[labels] + rng.normal(0, 0.5, size=(400, 4))
    noise = rng.normal(0, 1, size=(400, 4))

    weights = fit_view_weights([informative, noise], labels)

    assert weights[0] > 1.0
    assert weights[1] < 0.5 * weights[0]


def test_combined_scores_are_probabilities() -> None:
    probabilities = combine(
        [np.array([[1.0, 2.0, 3.0]]), np.array([[0.0, 0.0, 9.0]])], np.array([1.0, 0.5])
    )

    assert probabilities.shape == (1, 3)
    assert probabilities.sum() == pytest.approx(1.0)
    assert probabilities.argmax() == 2


def test_expected_calibration_error_is_zero_when_confidence_matches_accuracy() -> None:
    probabilities = np.array([[0.75, 0.25]] * 4)
    right_three_times = np.array([0, 0, 0, 1])
    always_right = np.array([0, 0, 0, 0])

    assert expected_calibration_error(probabilities, right_three_times) == pytest.approx(0.0)
    assert expected_calibration_error(probabilities, always_right) == pytest.approx(0.25)


def test_shipped_vectors_spare_the_encoder_all_but_new_texts(
    counting_encoder: Any, e5: Any, tmp_path: Path
) -> None:
    shipped = ShippedVectors(tmp_path / "shipped")
    known = ["我想开户", "open an account"]
    shipped.write(e5.model_id, known, e5.encode_questions(known))
    texts = ["open an account", "忘记交易密码了", "我想开户"]

    vectors = EmbeddingCache(counting_encoder, tmp_path / "state", shipped).encode(texts)

    assert counting_encoder.texts == 1  # only the text the shipped file lacks
    np.testing.assert_allclose(vectors, normalise_rows(e5.encode_questions(texts)), atol=1e-6)
    assert vectors.dtype == np.float32


def test_shipped_vectors_of_another_model_are_not_used(
    make_counting_encoder: Callable[[str], Any], e5: Any, tmp_path: Path
) -> None:
    shipped = ShippedVectors(tmp_path)
    written = shipped.write("another-model", ["我想开户"], e5.encode_questions(["我想开户"]))
    written.rename(shipped.path(e5.model_id))  # a file under the wrong name
    encoder = make_counting_encoder(e5.model_id)

    EmbeddingCache(encoder, None, shipped).encode(["我想开户"])

    assert shipped.table(e5.model_id) == {}
    assert encoder.texts == 1


def test_the_shipped_catalogue_has_the_vectors_of_every_example(counting_encoder: Any) -> None:
    """Fails when the catalogue changed after its vectors were written: run
    `python -m assistant.catalogue_vectors` (a fresh start would embed the new examples)."""
    catalogue = load_catalogue(get_settings().intents_catalogue)
    texts = EmbeddingIntentClassifier(counting_encoder).example_texts(catalogue)

    missing = set(texts) - set(ShippedVectors().table(counting_encoder.model_id))

    assert missing == set()
    assert counting_encoder.calls == 0
