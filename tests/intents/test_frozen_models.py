"""Frozen models score exactly (bit for bit) as the scikit-learn models they were taken from,
and a classifier kept on disk loads and predicts without importing scikit-learn."""

from __future__ import annotations

import copy
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from intents.catalogue import load_catalogue
from intents.classifier import EmbeddingIntentClassifier
from intents.features import NgramFeatures
from intents.frozen_models import LinearScores, TfidfFeatures

CATALOGUE = Path(__file__).resolve().parents[2] / "intents" / "catalogue" / "brokerage.yaml"
UNSEEN = [
    "两融门槛多少",
    "两融  门槛\t多少？",
    "What's my  commission rate?!",
    "ÉTF Ünïcode fees",
    "创业板权限开通要求 requirements for ChiNext",
    "我昨天转的钱到了没 did my transfer arrive",
    "一",
    "A",
    "",
    "   ",
]


@pytest.fixture(scope="module")
def examples() -> tuple[list[str], np.ndarray]:
    catalogue = load_catalogue(CATALOGUE)
    texts, labels = [], []
    for number, intent in enumerate(catalogue.intents):
        for text in intent.texts():
            texts.append(text)
            labels.append(number)
    return texts, np.asarray(labels)


def _unseen(texts: list[str]) -> list[str]:
    """Unseen texts: the fixed ones, and examples cut and joined in new ways."""
    return UNSEEN + [
        a[: len(a) // 2] + " " + b[len(b) // 2 :]
        for a, b in zip(texts[:-7], texts[7:], strict=True)
    ]


def test_frozen_ngram_features_are_the_vectorizers_own(examples) -> None:
    texts, _ = examples
    live = NgramFeatures()
    live.fit_transform(texts)
    frozen = copy.deepcopy(live)
    frozen.freeze()

    expected, got = live.transform(_unseen(texts)), frozen.transform(_unseen(texts))

    assert type(got) is type(expected) and got.dtype == expected.dtype
    assert np.array_equal(got.indptr, expected.indptr)
    assert np.array_equal(got.indices, expected.indices)
    assert np.array_equal(got.data, expected.data)


def test_frozen_linear_models_score_exactly_like_scikit_learn(examples) -> None:
    texts, labels = examples
    features = NgramFeatures()
    train = features.fit_transform(texts)
    unseen = features.transform(_unseen(texts))
    rng = np.random.default_rng(0)
    embedded = rng.normal(size=(len(texts), 64)).astype(np.float32)
    queries = rng.normal(size=(500, 64)).astype(np.float32)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence: the fit's quality is not the point
        for classes in (labels, labels % 2):  # many intents, and two
            svm = LinearSVC(C=0.5, random_state=0).fit(train, classes)
            assert np.array_equal(
                LinearScores.of(svm).decision_function(unseen), svm.decision_function(unseen)
            )
            logistic = LogisticRegression(C=10.0, max_iter=2000).fit(embedded, classes)
            for batch in (queries, queries.astype(np.float64), queries[:1]):
                assert np.array_equal(
                    LinearScores.of(logistic).predict_log_proba(batch),
                    logistic.predict_log_proba(batch),
                )


def test_a_vectorizer_with_other_settings_is_not_frozen(examples) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts, _ = examples
    with pytest.raises(ValueError, match="stop_words"):
        TfidfFeatures.of(TfidfVectorizer(stop_words=["的"]).fit(texts))


def test_a_kept_classifier_loads_and_predicts_without_scikit_learn(
    e5, small_catalogue, tmp_path: Path
) -> None:
    trained = EmbeddingIntentClassifier(e5, cache_dir=tmp_path).fit(small_catalogue)
    expected = trained.predict_many(UNSEEN)
    assert not trained.loaded_from_disk
    script = f"""
import sys
from tests.intents.conftest import SMALL_CATALOGUE
from intents.classifier import EmbeddingIntentClassifier
from knowledge.embedders import load_embedder
classifier = EmbeddingIntentClassifier(load_embedder("e5-small"), cache_dir={str(tmp_path)!r})
classifier.fit(SMALL_CATALOGUE)
assert classifier.loaded_from_disk
predictions = classifier.predict_many({UNSEEN!r})
print([p.model_dump_json() for p in predictions])
print(sorted(name for name in sys.modules if name.split(".")[0] == "sklearn"))
"""
    run = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    predictions, loaded = run.stdout.strip().splitlines()
    assert predictions == str([p.model_dump_json() for p in expected])
    assert loaded == "[]"
