"""What the classifier says about one utterance."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class IntentPrediction(BaseModel):
    """The intent to route to, how sure the model is, and why.

    ``confidence`` is the calibrated probability of the top-ranked intent
    (``ranking[0]``). ``name`` is that intent, unless the utterance is out of
    scope (the catalogue's out-of-scope class won, or the confidence fell below
    the threshold): then ``name`` is the out-of-scope intent and
    ``out_of_scope`` is true. A safety rule gives ``source="rule"``, the rule id
    in ``rule`` and confidence 1.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    confidence: float = Field(ge=0.0, le=1.0)
    out_of_scope: bool
    ranking: list[tuple[str, float]] = Field(default_factory=list, max_length=5)
    source: Literal["rule", "model"]
    rule: str | None = None
