"""Evaluation metrics: plain functions on plain lists.

Conventions shared by every function here:

* A metric that is undefined for its input (no cases, no relevant ids, a 0/0
  ratio) returns ``None``, never 0.0 or NaN, so that "not measured" can never
  pass for "perfect" or "terrible". The regression gate treats a missing metric
  as a failure.
* Parallel inputs (gold and predicted labels, rankings and relevant ids) must
  have equal lengths; otherwise :class:`~evals.errors.MetricInputError` (also a
  ``ValueError``) is raised, as it is for a ``k`` below 1 or a percentile
  outside 0..100.
* Text comparisons normalise both sides the same way: Unicode NFKC (full-width
  letters, digits and punctuation become their ASCII forms), case folding, and
  runs of whitespace collapsed to one space.

Key facts (amounts, dates, times, named terms) and their recall are in :mod:`evals.key_facts`.
Nothing here computes embeddings: groundedness takes the similarity function
as an argument, and the runner injects one backed by the product's embedder.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from evals.errors import MetricInputError
from knowledge.text import fold

Similarity = Callable[[str, str], float]
"""Scores how well a passage supports a sentence; higher means more support."""


@dataclass(frozen=True)
class BinaryScores:
    """Precision, recall and F1 of one positive class, with the counts behind them.

    ``precision`` is None when nothing was predicted positive, ``recall`` is None
    when nothing is positive in gold, and ``f1`` (computed as
    ``2·TP / (2·TP + FP + FN)``, equal to the harmonic mean wherever both are
    defined) is None only when neither gold nor prediction has a positive.
    """

    precision: float | None
    recall: float | None
    f1: float | None
    true_positives: int
    false_positives: int
    false_negatives: int


class Confusion(NamedTuple):
    """How often cases of one gold label were predicted as another label."""

    gold: str
    predicted: str
    occurrences: int


@dataclass(frozen=True)
class LatencySummary:
    """Distribution of response times in milliseconds."""

    count: int
    mean: float
    p50: float
    p95: float
    max: float


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float | None:
    """Share of cases whose predicted label equals the gold label; None when there are no cases."""
    _same_length(gold, predicted)
    if not gold:
        return None
    return sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)


def per_label_scores(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, BinaryScores]:
    """One-vs-rest precision/recall/F1 for every label in gold ∪ predicted, sorted by label."""
    _same_length(gold, predicted)
    labels = sorted(set(gold) | set(predicted))
    return {
        label: _binary_scores(
            [g == label for g in gold],
            [p == label for p in predicted],
        )
        for label in labels
    }


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float | None:
    """Unweighted mean of per-label F1 over every label in gold ∪ predicted.

    A label that is only predicted (never gold) counts with F1 = 0, and so does
    a gold label that is never predicted: both are mistakes the average should
    show. This is scikit-learn's ``f1_score(average="macro")`` with its default
    ``labels`` (the union) and ``zero_division=0``. None when there are no cases.
    """
    scores = per_label_scores(gold, predicted)
    if not scores:
        return None
    # Every label is in gold or predicted, so 2·TP + FP + FN > 0 and f1 is defined.
    return sum(s.f1 or 0.0 for s in scores.values()) / len(scores)


def confusion_pairs(
    gold: Sequence[str], predicted: Sequence[str], top: int = 10
) -> list[Confusion]:
    """The ``top`` most frequent (gold, predicted, count) mistakes, most frequent first.

    Only off-diagonal pairs (gold ≠ predicted) are counted. Ties are broken by
    gold label, then predicted label, so the order is stable between runs.
    """
    _same_length(gold, predicted)
    if top < 0:
        raise MetricInputError(f"top must be 0 or more, got {top}")
    counts = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [Confusion(g, p, n) for (g, p), n in ordered[:top]]


def out_of_scope_scores(
    gold: Sequence[str], predicted: Sequence[str], oos_label: str = "out_of_scope"
) -> BinaryScores:
    """Precision, recall and F1 of the out-of-scope class, treated as the positive class."""
    _same_length(gold, predicted)
    return _binary_scores([g == oos_label for g in gold], [p == oos_label for p in predicted])


def in_scope_accuracy(
    gold: Sequence[str], predicted: Sequence[str], oos_label: str = "out_of_scope"
) -> float | None:
    """Accuracy over the cases whose gold label is not out-of-scope.

    Predicting out-of-scope for an in-scope case counts as wrong. None when
    every case is out-of-scope (or there are none).
    """
    _same_length(gold, predicted)
    kept = [(g, p) for g, p in zip(gold, predicted, strict=True) if g != oos_label]
    return accuracy([g for g, _ in kept], [p for _, p in kept])


#
# Retrieval. Per query: ``ranked`` is the retriever's ids, best first; ``relevant`` the
# expected ids. An id repeated in ``ranked`` (several chunks of one FAQ mapped to
# the FAQ id) counts only where it first appears: the repeat still takes up a
# slot the user sees, but cannot earn credit twice.


def hit_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float | None:
    """1.0 if a relevant id is among the first ``k`` ranked ids, else 0.0; None if none given."""
    _check_k(k)
    if not relevant:
        return None
    return 1.0 if any(doc in relevant for doc in ranked[:k]) else 0.0


def reciprocal_rank(
    ranked: Sequence[str], relevant: Collection[str], k: int | None = None
) -> float | None:
    """1 / rank (1-based) of the first relevant id, 0.0 if none is found.

    With ``k``, only the first ``k`` ranked ids are searched (MRR@k). None without relevant ids.
    """
    if k is not None:
        _check_k(k)
    if not relevant:
        return None
    window = ranked if k is None else ranked[:k]
    for rank, doc in enumerate(window, start=1):
        if doc in relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float | None:
    """Normalised discounted cumulative gain at ``k`` with binary relevance.

    ``DCG@k = Σ_{i=1..k} rel_i / log2(i + 1)`` where ``rel_i`` is 1 if the id at
    rank i is relevant (and not a repeat of an earlier id), else 0.
    ``IDCG@k = Σ_{i=1..min(|relevant|, k)} 1 / log2(i + 1)``, the DCG of a ranking
    that puts every relevant id first. ``nDCG@k = DCG@k / IDCG@k``, in [0, 1].
    None without relevant ids.
    """
    _check_k(k)
    relevant_ids = set(relevant)
    if not relevant_ids:
        return None
    seen: set[str] = set()
    dcg = 0.0
    for rank, doc in enumerate(ranked[:k], start=1):
        if doc in relevant_ids and doc not in seen:
            dcg += 1.0 / math.log2(rank + 1)
        seen.add(doc)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(relevant_ids), k) + 1))
    return dcg / ideal


def mean_hit_at_k(
    rankings: Sequence[Sequence[str]], relevant: Sequence[Collection[str]], k: int
) -> float | None:
    """Mean of :func:`hit_at_k` over queries that have relevant ids; None if none has."""
    _same_length(rankings, relevant)
    return _mean_defined(hit_at_k(r, rel, k) for r, rel in zip(rankings, relevant, strict=True))


def mean_reciprocal_rank(
    rankings: Sequence[Sequence[str]], relevant: Sequence[Collection[str]], k: int | None = None
) -> float | None:
    """MRR: mean of :func:`reciprocal_rank` over queries with relevant ids; None if none has."""
    _same_length(rankings, relevant)
    return _mean_defined(
        reciprocal_rank(r, rel, k) for r, rel in zip(rankings, relevant, strict=True)
    )


def mean_ndcg_at_k(
    rankings: Sequence[Sequence[str]], relevant: Sequence[Collection[str]], k: int
) -> float | None:
    """Mean of :func:`ndcg_at_k` over queries that have relevant ids; None if none has."""
    _same_length(rankings, relevant)
    return _mean_defined(ndcg_at_k(r, rel, k) for r, rel in zip(rankings, relevant, strict=True))


def phrases_found(answer: str, phrases: Iterable[str]) -> list[str]:
    """The phrases (as given) that occur in the answer as normalised substrings.

    Substring, not word, matching: "guarantee" is found in "guaranteed", which
    is what a forbidden-phrase check wants.
    """
    text = fold(answer)
    return [phrase for phrase in phrases if fold(phrase) in text]


def includes_all(answer: str, phrases: Sequence[str]) -> bool:
    """Whether every phrase occurs in the answer (see :func:`phrases_found`); True for none."""
    return len(phrases_found(answer, phrases)) == len(phrases)


def includes_none(answer: str, phrases: Sequence[str]) -> bool:
    """Whether no phrase occurs in the answer (see :func:`phrases_found`); True for no phrases."""
    return not phrases_found(answer, phrases)


_ABBREVIATIONS = frozenset(
    {"e.g", "i.e", "etc", "mr", "ms", "mrs", "dr", "no", "vs", "approx", "u.s", "u.k"}
)
_SENTENCE_END = re.compile(
    r"[。！？；]+[”’」』）)\]\"']*"  # Chinese marks end a sentence wherever they stand
    r"|[.!?;]+[”’」』）)\]\"']*(?=\s|$|[^\x00-\x7f])"  # ASCII ones only before a space, end or CJK
    r"|\n"
)
_LIST_MARKER = re.compile(r"(?:^|\n)\s*\d{1,2}$")


def split_sentences(text: str) -> list[str]:
    """Split Chinese, English or mixed text into sentences, stripped, none empty.

    A sentence ends after ``。！？；`` (anywhere), after ``. ! ? ;`` when followed
    by whitespace, the end of the text or a non-ASCII character (so ``0.05%``
    and ``example.com`` stay whole), and at a line break. Closing quotes and
    brackets stay with the sentence they close. A period does not end a
    sentence after a common abbreviation (``e.g.``, ``etc.``, ``No.``) or after
    a list number at the start of a line (``1. Open the app``).
    """
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.group(0).startswith(".") and _period_is_not_an_end(text, match.start()):
            continue
        sentences.append(text[start : match.end()])
        start = match.end()
    sentences.append(text[start:])
    return [s.strip() for s in sentences if s.strip()]


def _period_is_not_an_end(text: str, index: int) -> bool:
    before = text[:index]
    word = before.rsplit(None, 1)[-1].casefold() if before.strip() else ""
    return word in _ABBREVIATIONS or _LIST_MARKER.search(before) is not None


def sentence_support(
    answer_sentences: Sequence[str],
    passages: Sequence[str],
    similarity: Similarity,
    *,
    threshold: float,
) -> list[bool]:
    """For each sentence, whether some passage scores at least ``threshold`` against it.

    Stops scoring a sentence at the first supporting passage, since ``similarity``
    is usually an embedding call.
    """
    return [
        any(similarity(sentence, passage) >= threshold for passage in passages)
        for sentence in answer_sentences
    ]


def groundedness(
    answer_sentences: Sequence[str],
    passages: Sequence[str],
    similarity: Similarity,
    *,
    threshold: float,
) -> float | None:
    """Share of answer sentences supported by at least one passage.

    A sentence is supported when ``similarity(sentence, passage) >= threshold``
    for some passage; with no passages nothing is supported. The threshold
    belongs to the similarity function (a cosine of 0.8 means something different
    for each embedder), so it has no default. None when there are no sentences.
    """
    if not answer_sentences:
        return None
    support = sentence_support(answer_sentences, passages, similarity, threshold=threshold)
    return sum(support) / len(support)


def precision_recall(gold: Sequence[bool], predicted: Sequence[bool]) -> BinaryScores:
    """Precision, recall and F1 of escalating (True is the positive class)."""
    _same_length(gold, predicted)
    return _binary_scores(gold, predicted)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100) with linear interpolation, as ``numpy.percentile``.

    The sorted values sit at positions 0..n-1; the percentile is at position
    ``(n - 1) · q / 100``, interpolated between its neighbours. None for no values.
    """
    if not 0 <= q <= 100:
        raise MetricInputError(f"percentile must be within 0..100, got {q}")
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    fraction = position - below
    return ordered[below] + (ordered[above] - ordered[below]) * fraction


def latency_summary(ms_values: Sequence[float]) -> LatencySummary | None:
    """Count, mean, median (p50), p95 and maximum of response times; None for no values."""
    if not ms_values:
        return None
    p50 = percentile(ms_values, 50)
    p95 = percentile(ms_values, 95)
    assert p50 is not None and p95 is not None  # values is not empty
    return LatencySummary(
        count=len(ms_values),
        mean=sum(ms_values) / len(ms_values),
        p50=p50,
        p95=p95,
        max=max(ms_values),
    )


def _binary_scores(gold: Sequence[bool], predicted: Sequence[bool]) -> BinaryScores:
    pairs = list(zip(gold, predicted, strict=True))
    tp = sum(g and p for g, p in pairs)
    fp = sum(p and not g for g, p in pairs)
    fn = sum(g and not p for g, p in pairs)
    return BinaryScores(
        precision=tp / (tp + fp) if tp + fp else None,
        recall=tp / (tp + fn) if tp + fn else None,
        f1=2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None,
        true_positives=tp,
        false_positives=fp,
        false_negatives=fn,
    )


def _mean_defined(values: Iterable[float | None]) -> float | None:
    defined = [v for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None


def _same_length(first: Sequence[object], second: Sequence[object]) -> None:
    if len(first) != len(second):
        raise MetricInputError(f"inputs differ in length: {len(first)} and {len(second)}")


def _check_k(k: int) -> None:
    if k < 1:
        raise MetricInputError(f"k must be 1 or more, got {k}")
