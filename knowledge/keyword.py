"""Keyword search: jieba segmentation with brokerage terms, ranked by BM25.

The index is a sparse documents × terms matrix of precomputed BM25 weights,
so a query costs one column slice and a sum, whatever the number of chunks.
It is rebuilt from stored token lists whenever the knowledge base changes,
which keeps it in step with the vector index without a second store.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from knowledge.keyword_dictionary import load_tokenizer
from text.language import CJK_CHARACTERS

_WORD = re.compile(rf"[\w{CJK_CHARACTERS}]+", re.UNICODE)
_STOPWORDS = frozenset(
    [
        "的",
        "了",
        "吗",
        "呢",
        "吧",
        "啊",
        "是",
        "我",
        "你",
        "在",
        "有",
        "和",
        "与",
        "及",
        "或",
        "要",
        "怎么",
        "怎样",
        "如何",
        "什么",
        "可以",
        "能",
        "能不能",
        "请问",
        "一下",
        "这个",
        "那个",
        "哪些",
        "the",
        "a",
        "an",
        "is",
        "are",
        "was",
        "were",
        "be",
        "to",
        "of",
        "for",
        "in",
        "on",
        "at",
        "and",
        "or",
        "do",
        "does",
        "did",
        "how",
        "what",
        "which",
        "can",
        "i",
        "my",
        "me",
        "you",
        "your",
        "it",
        "this",
        "that",
        "with",
        "from",
        "by",
        "as",
        "please",
    ]
)

_tokenizer_lock = threading.Lock()
_tokenizer: Any = None
_synonyms: dict[str, str] | None = None


def _jieba(cache_dir: Path | None = None) -> Any:
    """A jieba tokenizer with the brokerage dictionary, built once per process (its dictionary
    read shard by shard from ``cache_dir`` when the first call names one)."""
    global _tokenizer
    with _tokenizer_lock:
        if _tokenizer is None:
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)
            terms = resources.files("knowledge.data").joinpath("brokerage_terms.txt")
            with resources.as_file(terms) as path:
                _tokenizer = load_tokenizer(path, cache_dir)
        return _tokenizer


def _synonym_table() -> dict[str, str]:
    """Synonym → canonical term, from ``data/synonyms.txt``."""
    global _synonyms
    if _synonyms is None:
        table: dict[str, str] = {}
        text = resources.files("knowledge.data").joinpath("synonyms.txt").read_text("utf-8")
        for line in text.splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            canonical, _, others = line.partition(":")
            for word in others.split():
                table[word.lower()] = canonical.strip()
        _synonyms = table
    return _synonyms


def warm_up(cache_dir: Path | None = None) -> None:
    """Build the tokenizer now rather than on the first query. With ``cache_dir`` its
    dictionary is kept there and read in shards as queries need them
    (:mod:`knowledge.keyword_dictionary`); without, jieba loads all of it (about a second)."""
    _jieba(cache_dir)


def tokenize(text: str) -> list[str]:
    """Search-mode segmentation: long terms and their parts, lower-cased, stopwords dropped.

    A synonym (两融, 打新) also yields its canonical term (融资融券, 新股申购).
    """
    synonyms = _synonym_table()
    tokens: list[str] = []
    for piece in _WORD.findall(text.lower()):
        if piece.isascii():
            if piece not in _STOPWORDS:
                tokens.append(piece)
            continue
        for token in _jieba().cut_for_search(piece):
            token = token.strip()
            if token and token not in _STOPWORDS:
                tokens.append(token)
    return tokens + [synonyms[t] for t in tokens if t in synonyms]


@dataclass(frozen=True)
class KeywordHit:
    unit_id: str
    score: float


class KeywordIndex:
    """BM25 over token lists; ``k1`` and ``b`` are the usual Okapi parameters."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self._ids: list[str] = []
        self._id_rank: np.ndarray[Any, Any] = np.zeros(0, dtype=np.int64)
        self._vocab: dict[str, int] = {}
        self._weights: sparse.csc_matrix = sparse.csc_matrix((0, 0), dtype=np.float32)

    def __len__(self) -> int:
        return len(self._ids)

    def build(self, unit_ids: Sequence[str], token_lists: Sequence[Sequence[str]]) -> None:
        """Replace the index with these units and their tokens."""
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        for row, tokens in enumerate(token_lists):
            for token in tokens:
                rows.append(row)
                cols.append(vocab.setdefault(token, len(vocab)))
        n_docs = len(unit_ids)
        tf = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n_docs, len(vocab))
        )
        tf.sum_duplicates()
        lengths = np.asarray(tf.sum(axis=1)).ravel()
        average = float(lengths.mean()) if n_docs else 1.0
        df = np.bincount(tf.indices, minlength=len(vocab)).astype(np.float32)
        idf = np.log((n_docs - df + 0.5) / (df + 0.5) + 1.0).astype(np.float32)
        norm = self.k1 * (1 - self.b + self.b * lengths / max(average, 1e-9))
        row_of = np.repeat(np.arange(n_docs), np.diff(tf.indptr))
        tf.data = (tf.data * (self.k1 + 1) / (tf.data + norm[row_of])) * idf[tf.indices]
        self._weights = tf.tocsc()
        self._vocab = vocab
        self._ids = list(unit_ids)
        self._id_rank = np.argsort(np.argsort(np.asarray(self._ids, dtype=object)))

    def _top(self, scores: np.ndarray[Any, Any], k: int) -> np.ndarray[Any, Any]:
        """The positions of the (at most) ``k`` best scores above zero."""
        ranked: np.ndarray[Any, Any] = self._ranked(scores, np.flatnonzero(scores > 0))
        return ranked[:k]

    def _ranked(
        self, scores: np.ndarray[Any, Any], positions: np.ndarray[Any, Any]
    ) -> np.ndarray[Any, Any]:
        """``positions`` best score first; equal scores by unit id, so the order does not
        depend on the order the units were indexed in."""
        order = np.lexsort((self._id_rank[positions], -scores[positions]))
        ranked: np.ndarray[Any, Any] = positions[order]
        return ranked

    def search(
        self,
        query: str,
        k: int = 20,
        allowed: np.ndarray[Any, np.dtype[np.bool_]] | None = None,
        *,
        also_among: np.ndarray[Any, np.dtype[np.bool_]] | None = None,
    ) -> list[KeywordHit]:
        """Top ``k`` units by BM25; ``allowed`` is a per-unit mask from metadata filters.
        ``also_among``: a per-unit mask whose own top ``k`` is added (the question's language:
        an English entry's "margin" must not lose its place to the Chinese entries that the
        expanded synonyms 融资融券 reach by the dozen)."""
        columns = [self._vocab[t] for t in tokenize(query) if t in self._vocab]
        if not columns or not self._ids:
            return []
        scores = np.asarray(self._weights[:, columns].sum(axis=1)).ravel()
        if allowed is not None:
            scores[~allowed] = 0.0
        candidates = self._top(scores, k)
        if also_among is not None:
            candidates = np.union1d(candidates, self._top(np.where(also_among, scores, 0.0), k))
        return [
            KeywordHit(self._ids[i], float(scores[i])) for i in self._ranked(scores, candidates)
        ]
