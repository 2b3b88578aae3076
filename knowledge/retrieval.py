"""Hybrid retrieval: dense vectors and BM25 keywords, fused, with a calibrated confidence.

Dense search finds paraphrases and crosses languages; keyword search nails
exact brokerage terms (创业板, 两融, 港股通). Each FAQ entry is searched under
every phrasing it has, and a unit's dense score is its best vector's cosine.

The two rankings are fused by a weighted sum of the dense cosine and the
query-normalised BM25 score (``fusion="weighted"``, the default, chosen by
the retrieval evaluation in the README) or by reciprocal rank fusion
(``fusion="rrf"``). Confidence is a logistic calibration of the top unit's
evidence (cosine, margin over the runner-up, keyword support), fitted per
embedding model on held-out paraphrases: see :mod:`knowledge.calibration`.

E5 prefers its own language: an English question's nearest vectors are
English even when only a Chinese entry answers it. The vector store keeps
each language in its own partition and the dense search takes every
partition's best candidates, then adds ``cross_lingual_bonus`` (0.06, chosen
on the dev split) to the cosines found outside the query's language, unless
the caller filtered by language.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from knowledge.calibration import Calibration, load_calibration
from knowledge.documents import KnowledgeUnit, RetrievedPassage
from knowledge.index import KnowledgeBase, SearchFilters
from knowledge.language import detect_language

Mode = Literal["hybrid", "dense", "keyword"]
Fusion = Literal["weighted", "rrf"]
RRF_K = 60


@dataclass
class _Evidence:
    dense: float | None = None
    keyword: float | None = None
    dense_rank: int | None = None
    keyword_rank: int | None = None
    vector_id: str = ""


class HybridRetriever:
    """Ranks knowledge units for a query. Thread-safe for concurrent searches."""

    def __init__(
        self,
        kb: KnowledgeBase,
        *,
        mode: Mode = "hybrid",
        fusion: Fusion = "weighted",
        keyword_weight: float = 0.05,
        candidates: int = 40,
        cross_lingual_bonus: float = 0.06,
        calibration: Calibration | None = None,
    ) -> None:
        self.kb = kb
        self.mode = mode
        self.fusion = fusion
        self.keyword_weight = keyword_weight
        self.candidates = candidates
        self.cross_lingual_bonus = cross_lingual_bonus
        self.calibration = calibration or load_calibration(kb.embedder.model_id)

    def search(
        self, query: str, k: int = 5, filters: SearchFilters | None = None
    ) -> list[RetrievedPassage]:
        query = query.strip()
        if not query or len(self.kb) == 0:
            return []
        evidence: dict[str, _Evidence] = {}
        if self.mode in ("hybrid", "dense"):
            self._dense(query, filters, evidence)
        if self.mode in ("hybrid", "keyword"):
            self._keyword(query, filters, evidence)
        ranked = sorted(evidence.items(), key=lambda item: self._score(item[1]), reverse=True)
        ranked = ranked[: max(k, 2)]
        units = self.kb.units([unit_id for unit_id, _ in ranked])
        results: list[RetrievedPassage] = []
        for position, (unit_id, ev) in enumerate(ranked[:k]):
            unit = units.get(unit_id)
            if unit is None:
                continue
            rival = ranked[1][1] if position == 0 and len(ranked) > 1 else ranked[0][1]
            results.append(
                RetrievedPassage(
                    unit=unit,
                    score=self._score(ev),
                    confidence=self.calibration.confidence(
                        dense=ev.dense,
                        rival_dense=rival.dense if rival is not ev else None,
                        keyword=self.keyword_norm(ev.keyword),
                        is_top=position == 0,
                    ),
                    dense_score=ev.dense,
                    keyword_score=ev.keyword,
                    matched=_matched_text(unit, ev.vector_id),
                )
            )
        return results

    def _dense(
        self, query: str, filters: SearchFilters | None, evidence: dict[str, _Evidence]
    ) -> None:
        vector = self.kb.embedder.encode_questions([query])[0]
        base = filters or SearchFilters()
        # Each language partition gives its own best matches, so the other language is
        # not crowded out by E5's same-language bias; the bonus then evens the odds.
        hits = self.kb.vectors.query(
            vector,
            self.candidates * 3,  # several vectors per FAQ entry
            base.chroma_where(with_lang=False),
            languages=base.lang,
        )
        if self.cross_lingual_bonus and not base.lang:
            language = detect_language(query)
            hits = [
                h
                if h.partition == language
                else replace(h, similarity=h.similarity + self.cross_lingual_bonus)
                for h in hits
            ]
            hits.sort(key=lambda h: h.similarity, reverse=True)
        current = self.kb.content_hashes([h.unit_id for h in hits])
        rank = 0
        for hit in hits:
            if current.get(hit.unit_id, "")[:12] != hit.content_hash:
                continue  # an orphan left by an interrupted write
            ev = evidence.setdefault(hit.unit_id, _Evidence())
            if ev.dense is None:
                ev.dense, ev.dense_rank, ev.vector_id = hit.similarity, rank, hit.vector_id
                rank += 1

    def _keyword(
        self, query: str, filters: SearchFilters | None, evidence: dict[str, _Evidence]
    ) -> None:
        hits = self.kb.keywords.search(query, self.candidates, self.kb.keyword_mask(filters))
        for rank, hit in enumerate(hits):
            ev = evidence.setdefault(hit.unit_id, _Evidence())
            ev.keyword, ev.keyword_rank = hit.score, rank

    @staticmethod
    def keyword_norm(bm25: float | None) -> float:
        """BM25 squashed into [0, 1) so it can be added to a cosine: s / (s + 5)."""
        return 0.0 if bm25 is None else bm25 / (bm25 + 5.0)

    def _score(self, ev: _Evidence) -> float:
        if self.mode == "dense":
            return ev.dense if ev.dense is not None else -1.0
        if self.mode == "keyword":
            return ev.keyword or 0.0
        if self.fusion == "rrf":
            return sum(1.0 / (RRF_K + r) for r in (ev.dense_rank, ev.keyword_rank) if r is not None)
        dense = ev.dense if ev.dense is not None else self._dense_floor()
        return dense + self.keyword_weight * self.keyword_norm(ev.keyword)

    def _dense_floor(self) -> float:
        """Dense score assumed for a keyword-only hit: below every plausible match."""
        return self.calibration.dense_floor


def _matched_text(unit: KnowledgeUnit, vector_id: str) -> str:
    """The phrasing behind a vector id such as ``zh-0001::q2@hash``."""
    suffix = vector_id.split("::", 1)[-1].split("@", 1)[0]
    if suffix.startswith("q") and suffix[1:].isdigit() and int(suffix[1:]) < len(unit.questions):
        return unit.questions[int(suffix[1:])]
    return unit.title
