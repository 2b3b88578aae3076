"""Does this entry answer this question? Evidence beyond the cosine, and a model over it.

E5 puts related and unrelated brokerage questions alike between 0.8 and 0.95, so "the
nearest entry" is often merely nearby: a reverse-repo question lands on the bond-fee entry,
a ChiNext question on the STAR one. The evidence for a (question, entry) pair adds what the
cosine cannot see: which of the question's concepts (:mod:`knowledge.lexicon`) the entry
covers, whether it names a sibling concept instead (科创板 for 创业板), and how much the
keywords agree. :class:`AnswerabilityModel` maps the evidence to P(the entry answers), a
logistic model fitted on the knowledge base's own phrasings (see
:mod:`knowledge.answerability_training`), and the retriever ranks its candidates by it.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields
from importlib import resources
from typing import Any

from pydantic import BaseModel

from knowledge.documents import KnowledgeUnit
from knowledge.lexicon import ConceptSet, Lexicon

NEAR_VERBATIM = 0.93
"""E5 cosine above which two questions are worded almost alike (paraphrases sit at 0.85-0.93)."""


@dataclass(frozen=True)
class Evidence:
    """What speaks for and against one entry answering one question."""

    dense: float
    """Best cosine over the entry's vectors (cross-lingual bonus included)."""
    margin: float
    """``dense`` minus the best other candidate's: positive only for the nearest entry."""
    keyword: float
    """BM25 squashed into [0, 1)."""
    missing: float
    """Specific concepts of the question found nowhere in the entry."""
    missing_topic: float
    """Specific concepts of the question not among those the entry is *about* (its phrasings)."""
    missing_generic: float
    """Broad concepts of the question (密码, 委托) found nowhere in the entry."""
    conflict: float
    """1 when a missing concept has a sibling in the entry's topic (科创板 for 创业板)."""
    extra_topic: float
    """Specific concepts of the entry's own question that the question does not name."""
    coverage: float
    """Share of the question's concepts the entry covers; 0.5 when the question names none."""
    no_concepts: float
    """1 when the question names no concept at all."""
    cross_lingual: float
    """1 when the entry is in the other language."""
    score_gap: float
    """The first-stage fused score minus the best candidate's (0 for the first)."""
    keyword_gap: float
    """``keyword`` minus the best candidate's."""
    rank: float
    """Position in the first stage, 0 for the first, over ten."""
    via_passage: float
    """1 when the best vector was the entry's answer rather than one of its phrasings."""
    title_coverage: float
    """Share of the question's concepts named in the entry's own question; 0.5 when none."""
    dense_excess: float
    """How far ``dense`` lies above 0.93, times ten: near-verbatim matches count extra."""
    ask_mismatch: float
    """1 when the question and the entry's own question both ask for something (how long,
    how many, why, ...) and not the same thing."""

    def row(self) -> tuple[float, ...]:
        return astuple(self)


FEATURES: tuple[str, ...] = tuple(f.name for f in fields(Evidence))


@dataclass(frozen=True)
class UnitTopic:
    """The concepts of an entry: what it is about (its phrasings), its title, its body."""

    topic: ConceptSet
    title: ConceptSet
    body: ConceptSet
    asks: frozenset[str] = frozenset()

    @property
    def everything(self) -> frozenset[str]:
        return self.topic.all | self.body.all


class UnitTopics:
    """Concepts of knowledge units, computed once per unit version (bounded cache)."""

    def __init__(self, lexicon: Lexicon, size: int = 4096) -> None:
        self.lexicon = lexicon
        self._cache: OrderedDict[tuple[str, str], UnitTopic] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def of(self, unit: KnowledgeUnit) -> UnitTopic:
        key = (unit.id, unit.content_hash)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        phrasings = [*unit.questions, unit.title, *unit.heading_path]
        topic = UnitTopic(
            topic=self.lexicon.concepts_of("\n".join(phrasings)),
            title=self.lexicon.concepts_of(unit.title),
            body=self.lexicon.concepts_of(unit.text),
            asks=self.lexicon.asks(unit.title),
        )
        with self._lock:
            self._cache[key] = topic
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return topic


@dataclass(frozen=True)
class Candidate:
    """A unit the first-stage ranking found, with its raw scores, in first-stage order."""

    unit: KnowledgeUnit
    dense: float | None
    keyword: float
    score: float = 0.0
    via_passage: bool = False


def gather_evidence(
    question: ConceptSet,
    question_text: str,
    language: str,
    candidates: Sequence[Candidate],
    topics: UnitTopics,
    *,
    dense_floor: float,
) -> list[Evidence]:
    """The evidence for every candidate, in order; margins are taken among the candidates."""
    lexicon = topics.lexicon
    specific = {c for c in question.named if not lexicon.concepts[c].generic}
    generic = question.named - specific
    asks = lexicon.asks(question_text)
    dense = [c.dense if c.dense is not None else dense_floor for c in candidates]
    best_score = max((c.score for c in candidates), default=0.0)
    best_keyword = max((c.keyword for c in candidates), default=0.0)
    evidence: list[Evidence] = []
    for position, candidate in enumerate(candidates):
        unit_topic = topics.of(candidate.unit)
        everything = unit_topic.everything
        missing = specific - everything
        topic_kinds = {
            lexicon.kind(c) for c in unit_topic.topic.named if not lexicon.concepts[c].generic
        }
        title_specific = {c for c in unit_topic.title.named if not lexicon.concepts[c].generic}
        entry_asks = unit_topic.asks
        others = dense[:position] + dense[position + 1 :]
        rival = max(others) if others else dense_floor
        evidence.append(
            Evidence(
                dense=dense[position],
                margin=dense[position] - rival,
                keyword=candidate.keyword,
                missing=float(len(missing)),
                missing_topic=float(len(specific - unit_topic.topic.all)),
                missing_generic=float(len(generic - everything)),
                conflict=float(any(lexicon.kind(c) in topic_kinds for c in missing)),
                extra_topic=float(len(title_specific - question.all)) if question else 0.0,
                coverage=len(question.named & everything) / len(question.named)
                if question
                else 0.5,
                no_concepts=0.0 if question else 1.0,
                cross_lingual=float(bool(candidate.unit.lang) and candidate.unit.lang != language),
                score_gap=candidate.score - best_score,
                keyword_gap=candidate.keyword - best_keyword,
                rank=position / 10,
                via_passage=float(candidate.via_passage),
                title_coverage=len(question.named & unit_topic.title.all) / len(question.named)
                if question
                else 0.5,
                dense_excess=max(0.0, dense[position] - NEAR_VERBATIM) * 10,
                ask_mismatch=float(bool(asks and entry_asks and not asks & entry_asks)),
            )
        )
    return evidence


class AnswerabilityModel(BaseModel):
    """Logistic P(entry answers question | evidence); weights named after :data:`FEATURES`."""

    weights: dict[str, float]
    bias: float
    fitted_on: str
    fingerprint: str = ""

    def probability(self, evidence: Evidence) -> float:
        z = self.bias + sum(
            self.weights.get(name, 0.0) * value
            for name, value in zip(FEATURES, evidence.row(), strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


_BUNDLED = "answerability.json"


def bundled_model(model_id: str) -> AnswerabilityModel:
    """The model fitted on the sample knowledge base for ``model_id``, or a generic one."""
    import json

    table: dict[str, Any] = json.loads(
        resources.files("knowledge.data").joinpath(_BUNDLED).read_text("utf-8")
    )
    entry = table.get(model_id) or table["default"]
    return AnswerabilityModel.model_validate(entry)
