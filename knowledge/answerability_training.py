"""Fitting the answerability model on a knowledge base's own phrasings.

A FAQ entry comes with alternative phrasings (``similar_questions``). Each phrasing is a
question whose answer is known, so the knowledge base can quiz itself:

* half of every entry's phrasings stay in the index, the other half are asked; every
  candidate the first-stage ranking returns is a labelled example (its own entry answers,
  the others do not), which teaches the model to rank;
* the same phrasing is asked again with its whole entry left out, so every candidate is
  merely *nearby*: the situation of a question the knowledge base does not cover, which
  teaches the model to say so;
* texts the caller knows to be out of scope (the intent catalogue's) add plain negatives.

An entry is seldom the only one that answers its phrasings: the same question is often written
once in Chinese and once in English, or served by two entries of one help-desk scenario. The
caller names such entries (``equivalents``, from the scenario map), and they are left out of
the examples: counted as wrong answers they taught the model that an answer in the other
language is a wrong one (the cross-language weight was -2.5); counted as right ones, they
taught it to prefer the other language's entry, and the right entry fell from first place for
English questions (top-1 0.87 -> 0.72 on the labelled dev questions, with 21% answered
wrong). Left out, the same questions are answered right 0.71 -> 0.73 of the time (English 0.49
-> 0.52) with no more wrong answers (2026-12-07, the sample knowledge base).

The ranking here is the retriever's, done exactly in memory (dense max-over-vectors with
the cross-lingual bonus, BM25 on the same tokens, the weighted fusion), so the evidence has
the distribution it will have at run time. Fitting the sample knowledge base (6,063
phrasings of 668 units) takes about 16 s on 2 cores, 4 s of it solving the logistic model to
convergence (2026-12-07); the result is stored in the manifest with a fingerprint of
what it was fitted on (the content, the whole lexicon, the out-of-scope texts and the code
that gathers and fits the evidence), so it is redone only when one of them changes.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.answerability import (
    FEATURES,
    AnswerabilityModel,
    Candidate,
    Evidence,
    UnitTopics,
    bundled_model,
    gather_evidence,
)
from knowledge.documents import KnowledgeUnit, UnitKind, VectorRole
from knowledge.index import KnowledgeBase
from knowledge.keyword import KeywordIndex, tokenize
from knowledge.lexicon import Lexicon
from text.language import detect_language

log = logging.getLogger(__name__)

TRAINING_VERSION = "6"
MIN_EXAMPLES = 20  # of each label; below that the bundled model is used
META_KEY = "answerability_model"

Matrix = np.ndarray[Any, Any]
Equivalents = Mapping[str, frozenset[str]]
"""Unit id -> the ids of the other units that answer the same questions."""


@dataclass(frozen=True)
class RankingParameters:
    """The retriever's first stage, as the model will see it."""

    keyword_weight: float
    cross_lingual_bonus: float
    dense_floor: float
    depth: int
    expand_keywords: bool = True


@dataclass
class _Phrasing:
    unit: int
    number: int  # 0 is the entry's own question
    text: str
    vector: Matrix


def _source(module: str) -> bytes:
    """The code of ``module``: a change to how evidence is gathered or fitted refits."""
    spec = importlib.util.find_spec(module)
    return Path(spec.origin).read_bytes() if spec and spec.origin else module.encode()


def fingerprint(
    kb: KnowledgeBase,
    lexicon: Lexicon,
    ranking: RankingParameters,
    negatives: Sequence[str] = (),
    equivalents: Equivalents | None = None,
) -> str:
    """Changes whenever what the model is fitted on changes."""
    digest = hashlib.sha256()
    digest.update(f"{TRAINING_VERSION}|{FEATURES}|{ranking}|{kb.embedder.model_id}".encode())
    digest.update("\n".join(negatives).encode())
    digest.update(_canonical(equivalents).encode())
    digest.update(lexicon.digest().encode())
    for module in ("knowledge.answerability", __name__):
        digest.update(_source(module))
    for unit, _ in kb.manifest.all_units():
        digest.update(f"{unit.id}:{unit.content_hash}".encode())
    return digest.hexdigest()[:24]


def _canonical(equivalents: Equivalents | None) -> str:
    """``equivalents`` written out the same way in every process (sets have no fixed order)."""
    return "".join(
        f"{unit_id}={','.join(sorted(others))};"
        for unit_id, others in sorted((equivalents or {}).items())
    )


def load_or_fit(
    kb: KnowledgeBase,
    lexicon: Lexicon,
    ranking: RankingParameters,
    *,
    negatives: Sequence[str] = (),
    equivalents: Equivalents | None = None,
) -> AnswerabilityModel:
    """The knowledge base's fitted model; fitted now (and stored) when content changed."""
    expected = fingerprint(kb, lexicon, ranking, negatives, equivalents)
    # One stored model per configuration: the first stage, the out-of-scope texts and the
    # entries answering alike (the evaluation compares several, and a bare search must not
    # evict the assistant's model, or each would refit the other's away on every start).
    configuration = repr(ranking) + "\n".join(negatives) + _canonical(equivalents)
    key = f"{META_KEY}:{hashlib.sha256(configuration.encode()).hexdigest()[:12]}"
    stored = kb.manifest.get_meta(key)
    if stored and _fingerprint_of(stored) == expected:
        # Read only when current: a model stored by another version of this code may not
        # even have this version's shape.
        return AnswerabilityModel.model_validate_json(stored)
    fitted = fit(kb, lexicon, ranking, negatives=negatives, equivalents=equivalents)
    model = (fitted or bundled_model(kb.embedder.model_id)).model_copy(
        update={"fingerprint": expected}
    )
    kb.manifest.set_meta(key, model.model_dump_json())
    return model


def _fingerprint_of(stored: str) -> str | None:
    try:
        value = json.loads(stored).get("fingerprint")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def fit(
    kb: KnowledgeBase,
    lexicon: Lexicon,
    ranking: RankingParameters,
    *,
    negatives: Sequence[str] = (),
    equivalents: Equivalents | None = None,
    features: Sequence[str] = FEATURES,
) -> AnswerabilityModel | None:
    """A model fitted on ``kb``'s phrasings, or None when there are too few of them.

    ``equivalents``: the other units that answer each unit's questions (see the module
    docstring). ``features``: the evidence the model may use (the rest get no weight), to
    measure what each kind of evidence adds."""
    from sklearn.linear_model import LogisticRegression

    units = [unit for unit, _ in kb.manifest.all_units()]
    if not units:
        return None
    quiz = _Quiz(kb, units, lexicon, ranking, equivalents or {})
    rows, labels = quiz.examples()
    if negatives:
        extra = quiz.negative_examples(negatives)
        rows += extra
        labels += [0] * len(extra)
    positives = sum(labels)
    if positives < MIN_EXAMPLES or len(labels) - positives < MIN_EXAMPLES:
        log.info("answerability: %d positive examples, using the bundled model", positives)
        return None
    columns = [FEATURES.index(name) for name in features]
    # Solved to convergence: stopped at the solver's default tolerance the weights were tens of
    # iterations short of the optimum, and where they stopped moved with any small change to the
    # examples (a synonym, the order units were ingested in), deciding borderline questions
    # differently on every refit.
    model = LogisticRegression(C=1.0, max_iter=5000, tol=1e-8)
    model.fit(np.asarray([e.row() for e in rows])[:, columns], np.asarray(labels))
    return AnswerabilityModel(
        weights={n: round(float(w), 4) for n, w in zip(features, model.coef_[0], strict=True)},
        bias=round(float(model.intercept_[0]), 4),
        fitted_on=(
            f"{len(quiz.asked)} phrasings of {len(units)} units asked twice "
            f"(own entry kept, then left out), {len(negatives)} out-of-scope texts; "
            f"{positives} positive and {len(labels) - positives} negative candidates"
        ),
    )


class _Quiz:
    """The knowledge base asking itself its own phrasings."""

    def __init__(
        self,
        kb: KnowledgeBase,
        units: list[KnowledgeUnit],
        lexicon: Lexicon,
        ranking: RankingParameters,
        equivalents: Equivalents,
    ) -> None:
        self.kb = kb
        self.units = units
        position = {u.id: i for i, u in enumerate(units)}
        # equivalent[i]: the other units whose answer is right for unit i's phrasings.
        self.equivalent: list[frozenset[int]] = [
            frozenset(position[o] for o in equivalents.get(u.id, ()) if o in position)
            for u in units
        ]
        self.ranking = ranking
        self.topics = UnitTopics(lexicon)
        self.lexicon = lexicon
        self.languages = [u.lang for u in units]
        self.id_rank = np.argsort(np.argsort(np.asarray([u.id for u in units], dtype=object)))
        languages = np.asarray(self.languages, dtype=object)
        self.in_language = {lang: languages == lang for lang in set(self.languages)}
        self.phrasings, self.passages = self._vectors()
        self.asked: list[_Phrasing] = [p for p in self.phrasings if p.number > 0]

    def _vectors(self) -> tuple[list[_Phrasing], list[tuple[int, Matrix]]]:
        ids: list[tuple[int, int, str, str]] = []  # unit, phrasing number (-1: passage), text, id
        for index, unit in enumerate(self.units):
            number = 0
            for vector_id, role, text in unit.vector_texts():
                stored_id = f"{vector_id}@{unit.content_hash[:12]}"
                if role is VectorRole.QUESTION:
                    ids.append((index, number, text, stored_id))
                    number += 1
                else:
                    ids.append((index, -1, text, stored_id))
        stored = self.kb.vectors.vectors([i for *_, i in ids])
        phrasings: list[_Phrasing] = []
        passages: list[tuple[int, Matrix]] = []
        for index, number, text, stored_id in ids:
            vector = stored.get(stored_id)
            if vector is None:
                continue
            if number >= 0:
                phrasings.append(_Phrasing(index, number, text, vector))
            else:
                passages.append((index, vector))
        return phrasings, passages

    def examples(self) -> tuple[list[Evidence], list[int]]:
        rows: list[Evidence] = []
        labels: list[int] = []
        for parity in (1, 0):
            indexed = [p for p in self.phrasings if p.number == 0 or p.number % 2 != parity]
            asked = [p for p in self.asked if p.number % 2 == parity]
            if not asked:
                continue
            keywords = self._keyword_index(indexed)
            dense, via = self._dense([p.vector for p in asked], [p.text for p in asked], indexed)
            # An entry's topic is read from its phrasings: only the indexed ones, or the asked
            # phrasing would always find its own concepts in its own entry's topic.
            kept: list[set[int]] = [set() for _ in self.units]
            for p in indexed:
                kept[p.unit].add(p.number)
            visible = IndexedEntries(self.units, kept, self.lexicon)
            for row, phrasing in enumerate(asked):
                for leave_out in (False, True):
                    chosen, evidence = self._ask(
                        phrasing.text,
                        dense[row],
                        via[row],
                        keywords,
                        phrasing.unit if leave_out else None,
                        visible,
                    )
                    for candidate, row_evidence in zip(chosen, evidence, strict=True):
                        if candidate in self.equivalent[phrasing.unit]:
                            continue  # answers too, but see the module docstring
                        rows.append(row_evidence)
                        labels.append(int(candidate == phrasing.unit))
        return rows, labels

    def negative_examples(self, texts: Sequence[str]) -> list[Evidence]:
        vectors = self.kb.embedder.encode_questions(list(texts))
        keywords = self._keyword_index(self.phrasings)
        dense, via = self._dense(list(vectors), list(texts), self.phrasings)
        rows: list[Evidence] = []
        for row, text in enumerate(texts):
            rows += self._ask(text, dense[row], via[row], keywords, None)[1]
        return rows

    def _keyword_index(self, indexed: list[_Phrasing]) -> KeywordIndex:
        texts: list[list[str]] = [[] for _ in self.units]
        for p in indexed:
            texts[p.unit].append(p.text)
        index = KeywordIndex()
        index.build(
            [u.id for u in self.units],
            [tokenize("\n".join([*texts[i], u.title, u.text])) for i, u in enumerate(self.units)],
        )
        return index

    def _dense(
        self, vectors: list[Matrix], texts: list[str], indexed: list[_Phrasing]
    ) -> tuple[Matrix, Matrix]:
        """queries × units: the best cosine over each unit's indexed vectors (bonus added),
        and whether that best vector was the unit's passage."""
        owners = np.asarray([p.unit for p in indexed] + [u for u, _ in self.passages])
        matrix = np.stack([p.vector for p in indexed] + [v for _, v in self.passages])
        queries = np.stack(vectors)
        sims = queries @ matrix.T
        best = np.full((len(vectors), len(self.units)), -1.0, dtype=np.float64)
        order = np.argsort(owners, kind="stable")
        owners_sorted = owners[order]
        starts = np.flatnonzero(np.r_[True, owners_sorted[1:] != owners_sorted[:-1]])
        best[:, owners_sorted[starts]] = np.maximum.reduceat(sims[:, order], starts, axis=1)
        passage = np.full((len(vectors), len(self.units)), -1.0, dtype=np.float64)
        passage_owners = np.asarray([u for u, _ in self.passages], dtype=int)
        if len(passage_owners):
            # The best of a unit's passages (a long answer has several), whatever their order.
            by_owner = np.argsort(passage_owners, kind="stable")
            sorted_owners = passage_owners[by_owner]
            first = np.flatnonzero(np.r_[True, sorted_owners[1:] != sorted_owners[:-1]])
            sims = queries @ np.stack([v for _, v in self.passages]).T
            passage[:, sorted_owners[first]] = np.maximum.reduceat(sims[:, by_owner], first, axis=1)
        # Within float32 rounding: the same dot product in a differently shaped product (the
        # units in another order) differs in its last bits.
        via_passage = passage >= best - 1e-6
        if self.ranking.cross_lingual_bonus:
            unit_lang = np.asarray(self.languages, dtype=object)
            for row, text in enumerate(texts):
                other = (unit_lang != detect_language(text)) & (unit_lang != "")
                best[row, other] += self.ranking.cross_lingual_bonus
        return best, via_passage

    def _ask(
        self,
        text: str,
        dense: Matrix,
        via_passage: Matrix,
        keywords: KeywordIndex,
        leave_out: int | None,
        visible: IndexedEntries | None = None,
    ) -> tuple[list[int], list[Evidence]]:
        """The first stage's candidates for ``text`` and the evidence for each; ``visible``:
        the entries as the index holds them (all of their phrasings when not given)."""
        units, topics = (visible.units, visible.topics) if visible else (self.units, self.topics)
        position = {u.id: i for i, u in enumerate(self.units)}
        bm25 = np.zeros(len(self.units))
        query = self.lexicon.expand(text) if self.ranking.expand_keywords else text
        own = self.in_language.get(detect_language(text))
        for hit in keywords.search(query, 40, also_among=own):
            bm25[position[hit.unit_id]] = hit.score
        squashed = bm25 / (bm25 + 5.0)
        known = np.where(dense > -1.0, dense, self.ranking.dense_floor)
        fused = known + self.ranking.keyword_weight * squashed
        if leave_out is not None:
            fused[leave_out] = -np.inf
        # Equal scores by unit id: the fit must not depend on the order units were ingested in.
        ranked = np.lexsort((self.id_rank, -fused))
        chosen = [int(i) for i in ranked[: self.ranking.depth]]
        evidence = gather_evidence(
            self.lexicon.concepts_of(text),
            text,
            detect_language(text),
            [
                Candidate(
                    units[i],
                    float(dense[i]) if dense[i] > -1.0 else None,
                    float(squashed[i]),
                    float(fused[i]),
                    bool(via_passage[i]),
                )
                for i in chosen
            ],
            topics,
            dense_floor=self.ranking.dense_floor,
        )
        return chosen, evidence


class IndexedEntries:
    """The entries as a quiz round indexes them: each FAQ entry with only the phrasings in
    ``kept`` (by position in its ``questions``), and a topic cache of their own (the shared
    cache is keyed by content, which a copy with fewer phrasings keeps)."""

    def __init__(
        self, units: Sequence[KnowledgeUnit], kept: Sequence[set[int]], lexicon: Lexicon
    ) -> None:
        self.units = [
            unit.model_copy(
                update={"questions": [q for n, q in enumerate(unit.questions) if n in kept[i]]}
            )
            if unit.kind is UnitKind.FAQ
            else unit
            for i, unit in enumerate(units)
        ]
        self.topics = UnitTopics(lexicon)


def faq_phrasings(units: Sequence[KnowledgeUnit]) -> int:
    """How many alternative phrasings the FAQ entries carry (what the quiz can ask)."""
    return sum(max(0, len(u.questions) - 1) for u in units if u.kind is UnitKind.FAQ)
