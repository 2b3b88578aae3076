"""The records the repositories store and return: plain, typed, storage-agnostic."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class ConversationStatus(StrEnum):
    BOT = "bot"  # the assistant answers
    QUEUED = "queued"  # escalated, waiting for a person
    AGENT = "agent"  # a person holds it
    RESOLVED = "resolved"  # closed by an agent (the investor may start a new one)


class EventKind(StrEnum):
    """What one transcript entry is. Every kind but NOTE is shown to the investor."""

    INVESTOR_MESSAGE = "investor_message"
    REPLY = "reply"
    AGENT_JOINED = "agent_joined"
    AGENT_LEFT = "agent_left"
    AGENT_MESSAGE = "agent_message"
    SUGGESTION = "suggestion"
    RATING_REQUEST = "rating_request"
    NOTE = "note"  # internal, staff only


class Conversation(BaseModel):
    id: str
    investor_id: str
    status: ConversationStatus = ConversationStatus.BOT
    language: str = "zh"
    last_seq: int = 0
    state: dict[str, Any] = Field(
        default_factory=dict, description="the dialogue's ConversationState as JSON"
    )
    escalation_reason: str | None = None
    priority: int = 0
    summary: str | None = None
    escalated_at: datetime | None = None
    agent_id: str | None = None
    flags: list[str] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime


class Event(BaseModel):
    """One transcript entry. ``payload`` is the protocol frame's fields (text already masked)."""

    conversation_id: str
    seq: int
    kind: EventKind
    client_msg_id: str | None = None
    payload: dict[str, Any]
    created_at: datetime


class PendingTurn(BaseModel):
    """An acknowledged investor message that no turn has handled yet (see ``pending_turns``)."""

    conversation_id: str
    client_msg_id: str
    seq: int = Field(description="seq of the investor message")
    attempts: int = Field(0, description="how many times a sweep has leased it")
    created_at: datetime
    lease_until: datetime | None = None


class TurnRecord(BaseModel):
    """What the assistant did with one investor message, for production quality reports."""

    conversation_id: str
    seq: int = Field(description="seq of the bot reply")
    question: str = Field(description="the investor's message, masked")
    language: str
    intent: str | None
    confidence: float | None
    action: str
    sources: list[str] = Field(default_factory=list)
    top_score: float | None = None
    escalation_reason: str | None = None
    latency_ms: float
    created_at: datetime


class Feedback(BaseModel):
    conversation_id: str
    seq: int | None = Field(None, description="the reply rated; None for the whole conversation")
    thumbs: str | None = None  # "up" | "down"
    score: int | None = None  # 1..5
    comment: str | None = None
    created_at: datetime


class TicketStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"


class Ticket(BaseModel):
    id: str
    conversation_id: str | None
    investor_id: str | None
    kind: str = Field(description="escalation | complaint")
    category: str
    status: TicketStatus
    priority: int
    reason: str
    summary: str
    sla_due_at: datetime
    assignee_id: str | None = None
    created_at: datetime
    updated_at: datetime


class TicketEvent(BaseModel):
    ticket_id: str
    actor: str = Field(description="'bot', 'system' or a staff username")
    action: str = Field(description="opened, claimed, replied, handed_back, resolved, note ...")
    detail: str = ""
    created_at: datetime


class StaffRole(StrEnum):
    """What a staff member may do in the console, each role including the ones before it."""

    AGENT = "agent"  # the queue: claim, reply, note, resolve, hand back; reads the reports
    SUPERVISOR = "supervisor"  # + campaigns to investors, FAQ drafts
    ADMIN = "admin"  # + staff accounts and their roles

    def includes(self, other: StaffRole) -> bool:
        order = list(StaffRole)
        return order.index(self) >= order.index(other)


class StaffAccount(BaseModel):
    id: str
    username: str
    display_name: str
    password_hash: str
    active: bool = True
    role: StaffRole = StaffRole.AGENT
    demo: bool = Field(
        False, description="the development demo account: refused whenever dev features are off"
    )
    created_at: datetime


class StaffSession(BaseModel):
    token_hash: str
    staff_id: str
    expires_at: datetime


class OutboxItem(BaseModel):
    """A proactive push waiting for (or delivered to) one investor."""

    id: int | None = None
    investor_id: str
    dedupe_key: str = Field(description="one push per investor and key, ever")
    kind: str
    payload: dict[str, Any]
    created_at: datetime
    not_before: datetime | None = Field(None, description="held back until (quiet hours)")
    expires_at: datetime | None = Field(None, description="never delivered from then on")
    delivered_at: datetime | None = None
    conversation_id: str | None = None
    opened_at: datetime | None = Field(None, description="first seen in the open chat panel")


class PushMute(BaseModel):
    """An investor asked for no more proactive suggestions of one kind."""

    investor_id: str
    kind: str
    muted_at: datetime
