"""Request and response bodies of the REST API (they make the OpenAPI document at /docs)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.conversations.desk import ProfileView
from assistant.faq_drafts import FaqDraft
from assistant.persistence.records import (
    Conversation,
    ConversationStatus,
    StaffRole,
    Ticket,
    TicketEvent,
)
from channels.protocol import Ack, ClientMessageId, Lang, SequencedFrame, SuggestionKind


class ErrorBody(BaseModel):
    code: str = Field(description="stable, machine-readable")
    message: str


class ErrorResponse(BaseModel):
    """Every error the API returns."""

    error: ErrorBody


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# investors --------------------------------------------------------------------------


class SessionRequest(_Request):
    conversation_id: str | None = Field(None, max_length=64, description="resume this one")
    last_seq: int = Field(0, ge=0)
    lang: Lang | None = None


class SessionResponse(BaseModel):
    conversation_id: str
    investor_id: str
    status: ConversationStatus
    last_seq: int


class MessageRequest(_Request):
    client_msg_id: ClientMessageId
    text: str = Field(min_length=1, max_length=2000)


class MessageResponse(BaseModel):
    ack: Ack
    frames: list[SequencedFrame] = Field(
        description="the sequenced frames this message produced: its echo and the reply"
    )


class TranscriptResponse(BaseModel):
    events: list[SequencedFrame]


class FeedbackRequest(_Request):
    seq: int | None = Field(None, ge=1, description="the reply rated with thumbs")
    thumbs: Literal["up", "down"] | None = None
    score: int | None = Field(None, ge=1, le=5)
    comment: str | None = Field(None, max_length=500)


class MuteRequest(_Request):
    kind: SuggestionKind = Field(description="no more proactive suggestions of this kind")


class Stored(BaseModel):
    stored: bool = True


class DevTokenRequest(_Request):
    investor_id: str = Field(min_length=1, max_length=64)


class TokenResponse(BaseModel):
    token: str
    expires_at: datetime


# staff ------------------------------------------------------------------------------


class LoginRequest(_Request):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class StaffView(BaseModel):
    id: str
    username: str
    display_name: str
    role: StaffRole
    active: bool = True


ReasonLabels = dict[str, dict[str, str]]
"""Console language -> hand-over reason -> what the console shows for it."""


class LoginResponse(BaseModel):
    staff: StaffView
    expires_at: datetime
    csrf_token: str = Field(description="send as X-CSRF-Token with every console POST")
    reason_labels: ReasonLabels = Field(description="what the console calls each hand-over reason")


class MeResponse(BaseModel):
    staff: StaffView
    csrf_token: str = Field(description="send as X-CSRF-Token with every console POST")
    reason_labels: ReasonLabels = Field(description="what the console calls each hand-over reason")


class StaffListResponse(BaseModel):
    items: list[StaffView]


class NewStaffRequest(_Request):
    username: str = Field(min_length=3, max_length=32)
    display_name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    role: StaffRole = StaffRole.AGENT


class StaffChangeRequest(_Request):
    role: StaffRole | None = None
    active: bool | None = None


class ConversationView(BaseModel):
    """A conversation as the console sees it (the dialogue state left out)."""

    id: str
    investor_id: str
    status: ConversationStatus
    language: str
    last_seq: int
    escalation_reason: str | None
    priority: int
    summary: str | None
    escalated_at: datetime | None
    agent_id: str | None
    flags: list[str]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, conversation: Conversation) -> ConversationView:
        return cls.model_validate(conversation.model_dump(exclude={"state"}))


class ConversationResponse(BaseModel):
    conversation: ConversationView


class QueueItem(BaseModel):
    conversation_id: str
    investor_id: str
    status: ConversationStatus
    priority: int
    reason: str | None
    summary: str | None
    escalated_at: datetime | None
    waiting_s: float
    agent_id: str | None
    agent_name: str | None
    language: str
    last_message: str | None


class QueueResponse(BaseModel):
    items: list[QueueItem]


class StaffEvent(BaseModel):
    seq: int
    kind: str
    payload: dict[str, Any]
    created_at: datetime


class ConversationDetail(BaseModel):
    conversation: ConversationView
    events: list[StaffEvent]
    profile: ProfileView | None
    tickets: list[Ticket]


class TextRequest(_Request):
    text: str = Field(min_length=1, max_length=4000)


class SeqResponse(BaseModel):
    seq: int


class CannedReply(BaseModel):
    id: str
    title: str
    text: str
    title_en: str | None = None
    text_en: str | None = None


class CannedResponse(BaseModel):
    items: list[CannedReply]


class TicketsResponse(BaseModel):
    items: list[Ticket]


class TicketDetail(BaseModel):
    ticket: Ticket
    history: list[TicketEvent]


class CampaignSegment(_Request):
    investor_ids: list[str] = Field(default_factory=list)
    risk_levels: list[str] = Field(default_factory=list)
    holds: list[str] = Field(default_factory=list, description="security codes")


class CampaignRequest(_Request):
    title: str = Field(min_length=1, max_length=100)
    text: str = Field(min_length=1, max_length=1000)
    title_en: str | None = Field(None, max_length=100)
    text_en: str | None = Field(None, max_length=1000)
    segment: CampaignSegment = Field(default_factory=CampaignSegment)


class CampaignResponse(BaseModel):
    event_id: str
    targeted: int
    queued: int
    delivered_now: int


# production quality -----------------------------------------------------------------


class FaqDraftRequest(_Request):
    """An FAQ draft from a question in the quality report: one of a cluster's examples."""

    conversation_id: str = Field(min_length=1, max_length=64)
    seq: int = Field(ge=1, description="the example's seq (its bot reply, or the question)")
    answer: str | None = Field(
        None,
        min_length=1,
        max_length=4000,
        description="the curator's own answer; None: the agent's reply in that conversation",
    )
    category: str | None = Field(
        None, max_length=64, description="None: the intent recognised for the question"
    )
    also_asked: list[Annotated[str, Field(min_length=1, max_length=2000)]] = Field(
        default_factory=list,
        max_length=20,
        description="other ways it was asked (the rest of the cluster): similar questions",
    )


class FaqDraftResponse(BaseModel):
    draft: FaqDraft
    sheet: str = Field(description="file name of the drafts sheet the row was appended to")
