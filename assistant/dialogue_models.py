"""The vocabulary of one conversation turn: what the investor said, what the bot decided.

These models are the contract between the dialogue policy, the flows, the
compliance guard, the channels and the evaluation suite.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from assistant.context import Topic
from intents.flow_engine import FlowState as FlowState  # re-exported: moved, stays importable here
from intents.handover import EscalationReason as EscalationReason  # declared there, once

Language = Literal["zh", "en"]


class Action(StrEnum):
    """What the bot did with a turn."""

    ANSWER = "answer"  # answered from knowledge, a template or small talk
    CLARIFY = "clarify"  # asked the investor to choose or rephrase
    FLOW = "flow"  # a multi-turn flow asked for or confirmed something
    ESCALATE = "escalate"  # handed the conversation to a person
    FAILED = "failed"  # every try to answer failed; the investor got an apology


class Speaker(StrEnum):
    INVESTOR = "investor"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"


class Turn(BaseModel):
    speaker: Speaker
    text: str = Field(description="as stored: personal data already masked")
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    intent: str | None = None


class EscalationDecision(BaseModel):
    reason: EscalationReason
    priority: int = Field(ge=0, le=100, description="higher is more urgent")
    summary: str = Field(description="a few lines for the agent who takes over")


class SourceRef(BaseModel):
    """A knowledge unit an answer cites."""

    id: str
    source: str
    title: str
    score: float
    confidence: float


class IntentRef(BaseModel):
    name: str
    confidence: float


class ConversationState(BaseModel):
    """Everything the policy needs to decide the next turn."""

    conversation_id: str
    investor_id: str | None = None
    language: Language = "zh"
    turns: list[Turn] = Field(default_factory=list)
    flow: FlowState | None = None
    suspended_flow: FlowState | None = Field(None, description="interrupted, offered for resume")
    low_confidence_streak: int = 0
    flags: set[str] = Field(default_factory=set, description="e.g. fraud_suspected")
    escalated: bool = False
    topic: Topic | None = Field(None, description="the last question answered from knowledge")
    stated_facts: dict[str, str] = Field(
        default_factory=dict,
        description="what the investor said about themselves (trading experience, assets, age, "
        "holding period), for the questions that follow",
    )


@dataclass(frozen=True)
class FlowTurn:
    """What a flow said and where it stands after one message."""

    reply: str
    quick_replies: list[str]
    state: FlowState | None
    escalation: EscalationDecision | None = None
    completed: bool = False


class BotReply(BaseModel):
    """The outcome of one investor turn."""

    text: str
    language: Language
    action: Action
    intent: IntentRef | None = None
    sources: list[SourceRef] = Field(default_factory=list)
    quick_replies: list[str] = Field(default_factory=list)
    escalation: EscalationDecision | None = None
    flags: list[str] = Field(default_factory=list, description="e.g. fraud_warning, disclaimer")
    latency_ms: float = 0.0

    @property
    def escalate(self) -> bool:
        return self.escalation is not None
