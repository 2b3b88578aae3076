"""Fitted scikit-learn models as the arrays they hold, scoring with NumPy and SciPy alone.

A fit needs scikit-learn; a prediction needs only the fitted coefficients, vocabularies and
weights. The classifier freezes its models once fitted, so the copy it keeps on disk loads
without importing scikit-learn (a third of a second, most of a start's loading of the
classifier). Each frozen model computes exactly what scikit-learn 1.x computes (the same
operations in the same order, so the same floating-point results), which
``tests/intents/test_frozen_models.py`` checks against the live models.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import sparse

Array = np.ndarray[Any, Any]

_WHITE_SPACES = re.compile(r"\s\s+")
"""scikit-learn's ``_white_spaces``: runs of whitespace a character n-gram sees as one space."""


@dataclass(frozen=True)
class LinearScores:
    """A fitted linear classifier (``LogisticRegression``, ``LinearSVC``): its coefficients
    and intercepts, and the scores those give."""

    coef: Array
    intercept: Array

    @classmethod
    def of(cls, model: Any) -> LinearScores:
        """The frozen form of a fitted scikit-learn linear classifier."""
        if isinstance(model, cls):
            return model
        return cls(model.coef_, model.intercept_)

    @property
    def binary(self) -> bool:
        return len(self.coef) == 1

    def decision_function(self, features: Any) -> Array:
        """``LinearClassifierMixin.decision_function``: one margin per class, or one in all
        for two classes."""
        scores: Array = features @ self.coef.T + self.intercept
        return np.reshape(scores, (-1,)) if scores.ndim > 1 and scores.shape[1] == 1 else scores

    def predict_log_proba(self, features: Any) -> Array:
        """``LogisticRegression.predict_log_proba``: the logistic function of the margin for
        two classes, the softmax of the margins for more."""
        decision = self.decision_function(features)
        if self.binary:
            from scipy.special import expit

            expit(decision, out=decision)
            probabilities: Array = np.stack([1 - decision, decision], axis=1)
            return np.log(probabilities)
        decision -= np.reshape(np.max(decision, axis=1), (-1, 1))
        np.exp(decision, out=decision)
        decision /= np.reshape(np.sum(decision, axis=1), (-1, 1))
        return np.log(decision)


@dataclass(frozen=True)
class TfidfFeatures:
    """A fitted ``TfidfVectorizer`` (lower-cased, no stop words, sublinear TF, IDF, L2 rows;
    word or ``char_wb`` n-grams): its vocabulary and IDF weights, and the features they give."""

    analyzer: Literal["word", "char_wb"]
    ngram_range: tuple[int, int]
    token_pattern: str
    vocabulary: dict[str, int]
    idf: Array

    @classmethod
    def of(cls, vectorizer: Any) -> TfidfFeatures:
        """The frozen form of a fitted ``TfidfVectorizer`` with the settings above; any other
        is refused rather than scored differently."""
        if isinstance(vectorizer, cls):
            return vectorizer
        settings = vectorizer.get_params()
        expected = {
            "input": "content",
            "lowercase": True,
            "preprocessor": None,
            "tokenizer": None,
            "strip_accents": None,
            "stop_words": None,
            "binary": False,
            "norm": "l2",
            "use_idf": True,
            "sublinear_tf": True,
            "dtype": np.float64,
        }
        differing = {k: settings[k] for k, v in expected.items() if settings[k] != v}
        if differing or settings["analyzer"] not in ("word", "char_wb"):
            raise ValueError(f"cannot freeze a TfidfVectorizer with {differing or settings}")
        return cls(
            settings["analyzer"],
            tuple(settings["ngram_range"]),
            settings["token_pattern"],
            dict(vectorizer.vocabulary_),
            np.asarray(vectorizer.idf_),
        )

    def _terms(self, text: str) -> list[str]:
        """``CountVectorizer.build_analyzer()(text)`` for these settings."""
        text = text.lower()
        low, high = self.ngram_range
        if self.analyzer == "char_wb":
            grams: list[str] = []
            for word in _WHITE_SPACES.sub(" ", text).split():
                word = f" {word} "
                for n in range(low, high + 1):
                    offset = 0
                    grams.append(word[offset : offset + n])
                    while offset + n < len(word):
                        offset += 1
                        grams.append(word[offset : offset + n])
                    if offset == 0:  # a short word counts once
                        break
            return grams
        tokens = re.findall(self.token_pattern, text)
        if high == 1:
            return list(tokens)
        terms = list(tokens) if low == 1 else []
        for n in range(max(low, 2), min(high + 1, len(tokens) + 1)):
            for i in range(len(tokens) - n + 1):
                terms.append(" ".join(tokens[i : i + n]))
        return terms

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """``TfidfVectorizer.transform(texts)``."""
        columns: list[int] = []
        counts: list[int] = []
        starts = [0]
        for text in texts:
            counted: dict[int, int] = {}
            for term in self._terms(text):
                column = self.vocabulary.get(term)
                if column is not None:
                    counted[column] = counted.get(column, 0) + 1
            columns.extend(counted)
            counts.extend(counted.values())
            starts.append(len(columns))
        matrix = sparse.csr_matrix(
            (
                np.asarray(counts, dtype=np.intc),
                np.asarray(columns, dtype=np.int32),
                np.asarray(starts, dtype=np.int32),
            ),
            shape=(len(starts) - 1, len(self.vocabulary)),
            dtype=np.float64,
        )
        matrix.sort_indices()
        data = matrix.data
        np.log(data, data)
        data += 1.0
        data *= self.idf[matrix.indices]
        for row in range(matrix.shape[0]):
            # Summed one by one, as scikit-learn's row normalisation does.
            start, end = matrix.indptr[row], matrix.indptr[row + 1]
            total = 0.0
            for value in data[start:end].tolist():
                total += value * value
            if total != 0.0:
                data[start:end] /= math.sqrt(total)
        return matrix
