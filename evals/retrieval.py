"""Retrieval evaluation on held-out paraphrases.

The query file (``evals/data/retrieval.jsonl``) labels each investor query
with the FAQ ids that answer it, a *setting* (``zh``, ``en``, ``cross_en_zh``:
English question, Chinese-only answer, ``mixed``: Chinese-English) and a
*split*: ``dev`` may be used for tuning, ``test`` never is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ValidationError

from evals.errors import CaseFileError, LineProblem
from evals.metrics import mean_hit_at_k, mean_reciprocal_rank
from knowledge.retrieval import HybridRetriever


class RetrievalQuery(BaseModel):
    query: str
    expected: list[str]
    lang: Literal["zh", "en"]
    setting: str
    split: Literal["dev", "test"]


class RetrievalScores(BaseModel):
    queries: int
    hit_at_1: float
    hit_at_5: float
    mrr: float


def load_queries(path: Path, split: str | None = None) -> list[RetrievalQuery]:
    """Read the query file; every bad line is named in one :class:`CaseFileError`."""
    queries: list[RetrievalQuery] = []
    problems: list[LineProblem] = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            queries.append(RetrievalQuery.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            problems.append(LineProblem(number, str(exc).splitlines()[0]))
    if problems:
        raise CaseFileError(path, problems)
    return [q for q in queries if split in (None, "all", q.split)]


def score(retriever: HybridRetriever, queries: Sequence[RetrievalQuery]) -> RetrievalScores:
    rankings = [[r.unit.id for r in retriever.search(q.query, k=5)] for q in queries]
    relevant = [set(q.expected) for q in queries]
    return RetrievalScores(
        queries=len(queries),
        hit_at_1=mean_hit_at_k(rankings, relevant, 1) or 0.0,
        hit_at_5=mean_hit_at_k(rankings, relevant, 5) or 0.0,
        mrr=mean_reciprocal_rank(rankings, relevant, 5) or 0.0,
    )


def evaluate(
    retrievers: Mapping[str, HybridRetriever], queries: Sequence[RetrievalQuery]
) -> dict[str, dict[str, RetrievalScores]]:
    """Scores per retriever configuration and per setting, plus ``all``."""
    settings = sorted({q.setting for q in queries})
    table: dict[str, dict[str, RetrievalScores]] = {}
    for name, retriever in retrievers.items():
        row = {s: score(retriever, [q for q in queries if q.setting == s]) for s in settings}
        row["all"] = score(retriever, queries)
        table[name] = row
    return table
