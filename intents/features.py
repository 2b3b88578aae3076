"""Surface features that complement sentence embeddings: TF-IDF over words and characters.

Embeddings carry paraphrase; n-grams carry the exact terms (product names,
"两融", "top up", "PIN") that a small embedding model blurs. Chinese has no
spaces, so each CJK character is its own "word" (word bigrams then cover
two-character words) and character n-grams see the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse

from intents.frozen_models import TfidfFeatures
from text.language import CJK_CHARACTERS

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

WORD_PATTERN = rf"[{CJK_CHARACTERS}]|[^\W{CJK_CHARACTERS}]{{2,}}"
"""One token per CJK character, otherwise runs of two or more word characters."""


class NgramFeatures:
    """Word (1–2) and character (2–5, within word boundaries) TF-IDF, fitted on the examples."""

    def __init__(self, char_range: tuple[int, int] = (2, 5), min_char_df: int = 2) -> None:
        self.char_range = char_range
        self.min_char_df = min_char_df
        self._words: TfidfVectorizer | TfidfFeatures | None = None
        self._chars: TfidfVectorizer | TfidfFeatures | None = None

    def fit_transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Learn the vocabulary from ``texts`` and return their features."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=WORD_PATTERN)
        # A char n-gram seen once is noise on large catalogues but signal on tiny ones.
        min_df = self.min_char_df if len(texts) >= 200 else 1
        chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=self.char_range, sublinear_tf=True, min_df=min_df
        )
        self._words, self._chars = words, chars
        return self._stack(words.fit_transform(texts), chars.fit_transform(texts))

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Features of new texts under the fitted vocabulary."""
        if self._words is None or self._chars is None:
            raise RuntimeError("NgramFeatures.transform called before fit_transform")
        return self._stack(self._words.transform(texts), self._chars.transform(texts))

    def freeze(self) -> None:
        """Keep the fitted vocabularies and weights only: the same features, computed
        without scikit-learn (:mod:`intents.frozen_models`)."""
        if self._words is None or self._chars is None:
            raise RuntimeError("NgramFeatures.freeze called before fit_transform")
        self._words, self._chars = TfidfFeatures.of(self._words), TfidfFeatures.of(self._chars)

    @staticmethod
    def _stack(words: Any, chars: Any) -> sparse.csr_matrix:
        # Each block is L2-normalised; scaling keeps the stacked row at unit length.
        return sparse.csr_matrix(sparse.hstack([words, chars]).tocsr() / np.sqrt(2.0))
