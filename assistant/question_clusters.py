"""Questions that ask the same thing, grouped so a curator reads each gap once.

The quality report (:mod:`assistant.quality`) finds the questions the assistant did not answer
well, each a :class:`QuestionExample`; :func:`cluster_questions` groups those that ask the same
thing, by their folded text and, given an embedder, by meaning (complete-linkage clusters,
:func:`group_by_similarity`), biggest cluster first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from intents.catalogue import OUT_OF_SCOPE_INTENT
from knowledge.text import fold

Embed = Callable[[Sequence[str]], Any]
"""Texts to L2-normalised row vectors (an embedder's ``encode_questions``)."""

Attention = Literal["out_of_scope", "low_confidence_handoff", "clarify", "no_source", "uncertain"]
"""Why a turn needs a curator's attention (:func:`assistant.quality.attention_reason`)."""

CLUSTER_SIMILARITY = 0.89
"""E5 cosine above which questions may share a cluster (every pair in a cluster).

Chosen on FAQ paraphrases (80 sample entries, 415 questions and their
``similar_questions``): pairs of one entry should share a cluster, others not.
Pairwise F1 peaked at 0.88 (0.432); 0.89 gives up 0.01 of it for purer
clusters (precision 0.50 against 0.44), which is what a curator reads first.
"""
MAX_CLUSTERED = 2000
"""Distinct questions clustered by meaning at most (the most asked); the rest
group only with identical questions, which keeps the pairwise work bounded."""
EXAMPLES_PER_CLUSTER = 5


class QuestionExample(BaseModel):
    """One investor message behind a cluster, and where to find it."""

    question: str
    conversation_id: str
    seq: int = Field(description="seq of the bot reply to the question")
    intent: str | None
    confidence: float | None
    reason: Attention
    agent_reply: str | None = Field(
        None,
        description="what an agent answered (their messages after the question, up to the "
        "investor's next message); None when no agent did",
    )


class QuestionCluster(BaseModel):
    """Questions that ask the same thing, with the one that says it best."""

    representative: str
    count: int
    reasons: dict[str, int]
    top_intent: str | None
    examples: list[QuestionExample] = Field(description="up to five, most typical first")


def cluster_questions(
    examples: Sequence[QuestionExample],
    embed: Embed | None,
    *,
    similarity: float = CLUSTER_SIMILARITY,
) -> list[QuestionCluster]:
    """Group questions that ask the same thing; biggest cluster first.

    Identical questions (after NFKC, case folding and collapsing spaces) always
    group. With ``embed``, the distinct questions (the :data:`MAX_CLUSTERED`
    most asked) are then clustered by :func:`group_by_similarity`. The
    representative is the member closest to its cluster's centroid (ties: the
    most asked, then the shortest); examples are listed most typical first.
    """
    by_text: dict[str, list[QuestionExample]] = {}
    for example in examples:
        by_text.setdefault(fold(example.question), []).append(example)
    texts = sorted(by_text, key=lambda t: (-len(by_text[t]), t))
    vectors: np.ndarray[Any, Any] | None = None
    groups: list[list[int]] = []
    if embed is not None and texts:
        clustered = texts[:MAX_CLUSTERED]
        # A copy: the normalising below writes to it, and an embedder may return read-only rows.
        vectors = np.array(embed([by_text[t][0].question for t in clustered]), dtype=np.float64)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        groups = group_by_similarity(vectors, similarity)
    covered = 0 if vectors is None else len(vectors)
    groups += [[i] for i in range(covered, len(texts))]  # beyond MAX_CLUSTERED: identity only
    clusters = []
    for indices in groups:
        closeness = {i: 0.0 for i in indices}
        if vectors is not None and len(indices) > 1:
            total = vectors[indices].sum(axis=0)
            centre = total / max(float(np.linalg.norm(total)), 1e-12)
            closeness = {i: round(float(vectors[i] @ centre), 6) for i in indices}
        ordered = sorted(
            indices,
            key=lambda i: (-closeness[i], -len(by_text[texts[i]]), len(texts[i]), texts[i]),
        )
        grouped = [e for i in ordered for e in by_text[texts[i]]]
        reasons = Counter(e.reason for e in grouped)
        intents = Counter(e.intent for e in grouped if e.intent and e.intent != OUT_OF_SCOPE_INTENT)
        clusters.append(
            QuestionCluster(
                representative=by_text[texts[ordered[0]]][0].question,
                count=len(grouped),
                reasons=dict(sorted(reasons.items(), key=lambda r: (-r[1], r[0]))),
                top_intent=min(intents, key=lambda n: (-intents[n], n)) if intents else None,
                examples=[by_text[texts[i]][0] for i in ordered[:EXAMPLES_PER_CLUSTER]],
            )
        )
    return sorted(clusters, key=lambda c: (-c.count, c.representative))


def group_by_similarity(vectors: Any, similarity: float) -> list[list[int]]:
    """Complete-linkage clusters of unit row vectors: row indices per cluster.

    Agglomerative clustering on cosine with complete linkage, stopped where the
    next merge would put two rows less similar than ``similarity`` together: in
    every cluster, every pair of rows has a cosine above ``similarity``. (Greedy
    centroid clustering was tried first; E5 places unrelated brokerage questions
    at 0.85-0.9, so centroids drifted into catch-all clusters.) Clusters are
    listed in order of their first row, rows in ascending order.
    """
    matrix = np.asarray(vectors, dtype=np.float64)
    if len(matrix) < 2:
        return [[0]] if len(matrix) else []
    from sklearn.cluster import AgglomerativeClustering

    labels = (
        AgglomerativeClustering(
            n_clusters=None,
            metric="cosine",
            linkage="complete",
            distance_threshold=1.0 - similarity,
        )
        .fit(matrix)
        .labels_
    )
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(int(label), []).append(index)
    return list(groups.values())
