"""Hybrid retrieval: dense vectors and BM25 keywords, fused, with a calibrated confidence.

Dense search finds paraphrases and crosses languages; keyword search nails
exact brokerage terms (创业板, 两融, 港股通). Each FAQ entry is searched under
every phrasing it has, and a unit's dense score is its best vector's cosine.

The two rankings are fused by a weighted sum of the dense cosine and the
query-normalised BM25 score (``fusion="weighted"``, the default, chosen by
the retrieval evaluation in the README) or by reciprocal rank fusion
(``fusion="rrf"``). The best ``rerank_depth`` units of that first stage are
then judged for answerability (:mod:`knowledge.answerability`): the concepts
of the question against each entry's, the cosine, its margin and the
keywords, mapped to P(this entry answers the question) by a model fitted on
the knowledge base's own phrasings. They are returned in that order, with
that probability as their ``confidence``.

E5 prefers its own language: an English question's nearest vectors are
English even when only a Chinese entry answers it. The vector store keeps
each language in its own partition and the dense search takes every
partition's best candidates, then adds ``cross_lingual_bonus`` (0.06, chosen
on the dev split) to the cosines found outside the query's language, unless
the caller filtered by language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from knowledge.answerability import (
    AnswerabilityModel,
    Candidate,
    Evidence,
    UnitTopics,
    gather_evidence,
)
from knowledge.answerability_training import Equivalents, RankingParameters, load_or_fit
from knowledge.documents import KnowledgeUnit, RetrievedPassage
from knowledge.index import KnowledgeBase, SearchFilters
from knowledge.lexicon import Lexicon, bundled_lexicon
from text.language import detect_language

Mode = Literal["hybrid", "dense", "keyword"]
Fusion = Literal["weighted", "rrf"]
RRF_K = 60
DENSE_FLOOR = 0.5
"""Dense score assumed for a keyword-only hit: below every plausible E5 match."""


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
        rerank_depth: int = 10,
        rerank: bool = True,
        expand_keywords: bool = True,
        lexicon: Lexicon | None = None,
        answerability: AnswerabilityModel | None = None,
        negatives: Sequence[str] = (),
        equivalents: Equivalents | None = None,
    ) -> None:
        """``rerank``: order by answerability (the default) rather than the fused score.
        ``expand_keywords``: add the lexicon's names of the query's concepts to keyword search.
        ``negatives``: texts known to be out of scope, and ``equivalents``: units that answer
        the same questions, used if the model is fitted now."""
        self.kb = kb
        self.mode = mode
        self.fusion = fusion
        self.keyword_weight = keyword_weight
        self.candidates = candidates
        self.cross_lingual_bonus = cross_lingual_bonus
        self.rerank_depth = rerank_depth
        self.rerank = rerank
        self.expand_keywords = expand_keywords
        self.lexicon = lexicon or bundled_lexicon()
        self.topics = UnitTopics(self.lexicon)
        self.equivalents = equivalents or {}
        self.answerability = answerability or load_or_fit(
            kb, self.lexicon, self.ranking_parameters, negatives=negatives, equivalents=equivalents
        )

    @property
    def ranking_parameters(self) -> RankingParameters:
        """The first stage as the answerability model is fitted to see it."""
        return RankingParameters(
            keyword_weight=self.keyword_weight,
            cross_lingual_bonus=self.cross_lingual_bonus,
            dense_floor=DENSE_FLOOR,
            depth=self.rerank_depth,
            expand_keywords=self.expand_keywords,
        )

    def embedded_question(self, query: str) -> str:
        """The text the dense search embeds for ``query``: pinyin initials and variant
        spellings written out (:meth:`knowledge.lexicon.Lexicon.spelled_out`)."""
        return self.lexicon.spelled_out(query.strip())

    def search(
        self, query: str, k: int = 5, filters: SearchFilters | None = None
    ) -> list[RetrievedPassage]:
        """The ``k`` units most likely to answer ``query``, best first."""
        return [passage for passage, _ in self.explain(query, k, filters)]

    def explain(
        self, query: str, k: int = 5, filters: SearchFilters | None = None
    ) -> list[tuple[RetrievedPassage, Evidence]]:
        """:meth:`search`, with the answerability evidence behind each result."""
        query = query.strip()
        self.kb.refresh()  # another process's (or host's) ingest: its units are searched too
        if not query or len(self.kb) == 0:
            return []
        evidence: dict[str, _Evidence] = {}
        if self.mode in ("hybrid", "dense"):
            self._dense(query, filters, evidence)
        if self.mode in ("hybrid", "keyword"):
            self._keyword(query, filters, evidence)
        first_stage = sorted(evidence.items(), key=lambda item: self._score(item[1]), reverse=True)[
            : max(k, self.rerank_depth)
        ]
        units = self.kb.units([unit_id for unit_id, _ in first_stage])
        ranked = [(units[unit_id], ev) for unit_id, ev in first_stage if unit_id in units]
        judged = gather_evidence(
            self.lexicon.concepts_of(query),
            query,
            detect_language(query),
            [
                Candidate(
                    unit,
                    ev.dense,
                    self.keyword_norm(ev.keyword),
                    self._score(ev),
                    ev.vector_id.split("::", 1)[-1].startswith(("a@", "p@")),
                )
                for unit, ev in ranked
            ],
            self.topics,
            dense_floor=DENSE_FLOOR,
        )
        results = [
            (
                RetrievedPassage(
                    unit=unit,
                    score=self._score(ev),
                    confidence=self.answerability.probability(evidence),
                    dense_score=ev.dense,
                    keyword_score=ev.keyword,
                    matched=_matched_text(unit, ev.vector_id),
                ),
                evidence,
            )
            for (unit, ev), evidence in zip(ranked, judged, strict=True)
        ]
        if self.rerank and self.mode == "hybrid":
            # Stable: equal probabilities keep the first stage's order.
            results.sort(key=lambda pair: pair[0].confidence, reverse=True)
            results = in_asked_language(results, detect_language(query), self.equivalents)
        return results[:k]

    def _dense(
        self, query: str, filters: SearchFilters | None, evidence: dict[str, _Evidence]
    ) -> None:
        vector = self.kb.embedder.encode_questions([self.embedded_question(query)])[0]
        base = filters or SearchFilters()
        # Each language partition gives its own best matches, so the other language is
        # not crowded out by E5's same-language bias; the bonus then evens the odds.
        hits = self.kb.vectors.query(
            vector,
            self.candidates * 3,  # several vectors per FAQ entry
            base.chroma_where(with_lang=False),
            languages=base.lang,
        )
        scored = [(h.similarity, h) for h in hits]
        if self.cross_lingual_bonus and not base.lang:
            language = detect_language(query)
            bonus = self.cross_lingual_bonus
            # (score, hit) pairs rather than copies of hundreds of hits a search.
            scored = [(s if h.partition == language else s + bonus, h) for s, h in scored]
            scored.sort(key=lambda pair: pair[0], reverse=True)
        current = self.kb.content_hashes([h.unit_id for h in hits])
        rank = 0
        for similarity, hit in scored:
            if current.get(hit.unit_id, "")[:12] != hit.content_hash:
                continue  # an orphan left by an interrupted write
            ev = evidence.setdefault(hit.unit_id, _Evidence())
            if ev.dense is None:
                ev.dense, ev.dense_rank, ev.vector_id = similarity, rank, hit.vector_id
                rank += 1

    def _keyword(
        self, query: str, filters: SearchFilters | None, evidence: dict[str, _Evidence]
    ) -> None:
        text = self.lexicon.expand(query) if self.expand_keywords else query
        base = filters or SearchFilters()
        # The question's own language has its top too, as in the dense search.
        own = None if base.lang else base.model_copy(update={"lang": [detect_language(query)]})
        hits = self.kb.keywords.search(
            text,
            self.candidates,
            self.kb.keyword_mask(filters),
            also_among=self.kb.keyword_mask(own) if own else None,
        )
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
        return DENSE_FLOOR


def _matched_text(unit: KnowledgeUnit, vector_id: str) -> str:
    """The phrasing behind a vector id such as ``zh-0001::q2@hash``."""
    suffix = vector_id.split("::", 1)[-1].split("@", 1)[0]
    if suffix.startswith("q") and suffix[1:].isdigit() and int(suffix[1:]) < len(unit.questions):
        return unit.questions[int(suffix[1:])]
    return unit.title


Judged = tuple[RetrievedPassage, Evidence]


def in_asked_language(
    results: Sequence[Judged], language: str, equivalents: Equivalents
) -> list[Judged]:
    """An answer in the other language gives way to an entry that answers alike
    (``equivalents``) in the question's language, when that entry is a candidate too: the
    same answer, in the investor's words. It takes the place and the confidence, and the other
    is dropped (two of one answer would read as a choice to make); so is a twin that comes
    after the entry in the question's language."""
    ranked = list(results)
    # The other language's twin of an entry already ahead in the question's language says
    # the same again: dropped, as it would be if it came first.
    ahead: set[str] = set()
    kept: list[Judged] = []
    for passage, evidence in ranked:
        if passage.unit.lang not in ("", language) and passage.unit.id in ahead:
            continue
        kept.append((passage, evidence))
        if passage.unit.lang == language:
            ahead |= equivalents.get(passage.unit.id, frozenset())
    ranked = kept
    for position, (passage, _) in enumerate(ranked):
        if passage.unit.lang in ("", language):
            continue
        alike = equivalents.get(passage.unit.id, frozenset())
        for later in range(position + 1, len(ranked)):
            twin, twin_evidence = ranked[later]
            if twin.unit.lang == language and twin.unit.id in alike:
                confidence = max(passage.confidence, twin.confidence)
                ranked.pop(later)
                ranked[position] = (
                    twin.model_copy(update={"confidence": confidence}),
                    twin_evidence,
                )
                break
    return ranked
