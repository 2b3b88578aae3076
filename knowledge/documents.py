"""What the knowledge base holds: FAQ entries, document chunks, and retrieval results.

A *unit* is what the assistant can cite: one FAQ entry (kept whole) or one
chunk of a document. Each unit is embedded as one or more *vectors*: a FAQ
entry gets one for its question, one for each alternative phrasing and one
for its answer, so an investor's wording is matched against every phrasing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from enum import StrEnum
from functools import cached_property

from pydantic import BaseModel, Field

# Optional fields that join a unit's hash only when set (see KnowledgeUnit.content_hash).
_OPTIONAL_FIELDS = ("review_by", "basis", "handoff")


class UnitKind(StrEnum):
    FAQ = "faq"
    CHUNK = "chunk"


class VectorRole(StrEnum):
    """Which side of the embedder a vector's text went through."""

    QUESTION = "question"
    PASSAGE = "passage"


class KnowledgeUnit(BaseModel):
    """One citable piece of knowledge."""

    id: str
    kind: UnitKind
    source: str = Field(description="source id: the file path relative to the ingest root")
    title: str = Field(description="a FAQ's question, or a chunk's heading path")
    text: str = Field(description="a FAQ's answer, or the chunk's text")
    questions: list[str] = Field(default_factory=list, description="FAQ question and alternatives")
    category: str = ""
    lang: str = ""
    product: str = ""
    updated_at: date | None = None
    review_by: date | None = Field(
        default=None,
        description="the day by which the entry must be checked again; None: a default age "
        "after updated_at applies (see knowledge.freshness)",
    )
    basis: str = Field(
        default="",
        description="the rule or document the entry rests on, e.g. 深交所《创业板投资者适当性管理"
        "实施办法》(2020); a FAQ sheet's source / 依据 column",
    )
    handoff: bool = Field(
        default=False,
        description="the answer is given and a person then takes over (a judicial freeze, an "
        "inheritance): a FAQ sheet's handoff / 转人工 column",
    )
    heading_path: list[str] = Field(default_factory=list)
    position: int = 0

    @cached_property
    def content_hash(self) -> str:
        """Hash of everything that affects the unit's vectors and citation."""
        # Optional fields join the hash only when set, so units from sheets without those
        # columns keep the hash they had before the columns existed (and are not re-embedded).
        unset = {name for name in _OPTIONAL_FIELDS if not getattr(self, name)}
        payload = self.model_dump(mode="json", exclude={"position", *unset})
        raw = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]

    def vector_texts(self) -> list[tuple[str, VectorRole, str]]:
        """(vector id, role, text) for every vector the unit is indexed under."""
        if self.kind is UnitKind.FAQ:
            vectors = [
                (f"{self.id}::q{i}", VectorRole.QUESTION, q) for i, q in enumerate(self.questions)
            ]
            vectors.append((f"{self.id}::a", VectorRole.PASSAGE, f"{self.title}\n{self.text}"))
            return vectors
        heading = " > ".join(self.heading_path)
        body = f"{heading}\n{self.text}" if heading else self.text
        return [(f"{self.id}::p", VectorRole.PASSAGE, body)]

    def keyword_text(self) -> str:
        """The text the keyword index sees: every phrasing plus the body."""
        return "\n".join([*self.questions, self.title, self.text])


class Citation(BaseModel):
    """How an answer points back to what it used."""

    unit_id: str
    source: str
    title: str


class RetrievedPassage(BaseModel):
    """A unit ranked for one query, with the evidence behind its rank."""

    unit: KnowledgeUnit
    score: float = Field(description="fused ranking score; comparable within one query only")
    confidence: float = Field(
        ge=0.0, le=1.0, description="calibrated P(this unit answers the query)"
    )
    dense_score: float | None = Field(
        default=None, description="best cosine over the unit's vectors"
    )
    keyword_score: float | None = Field(default=None, description="BM25 score")
    matched: str = Field(default="", description="the phrasing or passage that matched best")

    @property
    def citation(self) -> Citation:
        return Citation(unit_id=self.unit.id, source=self.unit.source, title=self.unit.title)
