"""The websocket protocols, version 1: every frame either side may send to an investor's
widget, and every frame the server sends to the agent console.

One JSON object per websocket text message, discriminated on ``type``. The
widget, the server, the tests and the load benchmark all use these models;
``docs/protocol.md`` is generated from nothing else.

Delivery rules (what the models alone cannot say):

- The first client frame is ``hello``. It carries the session token the
  brokerage app's backend signed, and, to resume, the conversation id and the
  last server ``seq`` the client saw. The server answers ``welcome`` and then
  replays every sequenced frame after ``last_seq`` before anything live.
- Every ``message`` gets exactly one ``ack`` once it is on disk, never before.
  Re-sending a ``client_msg_id`` the server already has is acknowledged again
  with ``duplicate: true`` and is not answered twice.
- Server frames that belong to the transcript carry ``seq``, strictly increasing
  per conversation. Gaps are normal: entries the investor never sees (staff notes)
  take numbers too. Transient frames (``typing``, ``reply_chunk``, ``queue_status``,
  ``pong``, ``ack``, ``error``) carry none and are never replayed.
- ``opened`` names a ``suggestion`` of this conversation by its ``seq``. A seq the
  server never sent is refused with ``out_of_order``, one that is not a suggestion
  with ``not_found``; neither records anything.
- An ``error`` frame names a stable ``code``; ``fatal: true`` means the server
  closes the socket next (with the close code in ``CLOSE_CODES``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

PROTOCOL_VERSION = 1

Lang = Literal["zh", "en"]
ClientMessageId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Seq = Annotated[int, Field(ge=1)]
RuleKind = Literal[
    "st_risk",
    "margin_ratio",
    "risk_mismatch",
    "allotment_due",
    "risk_assessment_expiry",
    "id_expiry",
    "transfer_failures",
    "application_halfway",
    "permission_ready",
    "concentration",
]
"""Suggestions drawn from one investor's own account (``assistant.proactive.rules``)."""
SuggestionKind = Literal["ipo_reminder", "holding_notice", "fraud_alert", "campaign", RuleKind]
"""What a proactive suggestion is about; an investor may mute a kind."""


class _Frame(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# client -> server ------------------------------------------------------------------


class Hello(_Frame):
    """Open or resume a conversation."""

    type: Literal["hello"] = "hello"
    v: int = Field(PROTOCOL_VERSION, description="protocol version the client speaks")
    token: str = Field(min_length=1, max_length=4096, description="signed session token")
    conversation_id: str | None = Field(None, max_length=64, description="resume this one")
    last_seq: int = Field(0, ge=0, description="highest server seq already shown")
    lang: Lang | None = Field(None, description="UI language; replies follow the investor's")


class UserMessage(_Frame):
    type: Literal["message"] = "message"
    client_msg_id: ClientMessageId
    text: str = Field(min_length=1, max_length=2000)


class ClientTyping(_Frame):
    type: Literal["typing"] = "typing"
    active: bool = True


class Feedback(_Frame):
    """Thumbs on one bot reply, or the 1-5 satisfaction score at the end (or both)."""

    type: Literal["feedback"] = "feedback"
    seq: Seq | None = Field(None, description="the reply rated with thumbs")
    thumbs: Literal["up", "down"] | None = None
    score: int | None = Field(None, ge=1, le=5, description="satisfaction with the conversation")
    comment: str | None = Field(None, max_length=500)


class Mute(_Frame):
    """No more suggestions of this kind (the widget's "don't show these" on a suggestion)."""

    type: Literal["mute"] = "mute"
    kind: SuggestionKind


class Opened(_Frame):
    """A suggestion was in view in the open chat panel: the investor saw the push. Sent once
    per suggestion; sending it again changes nothing."""

    type: Literal["opened"] = "opened"
    seq: Seq = Field(description="the suggestion's seq in this conversation")


class Ping(_Frame):
    type: Literal["ping"] = "ping"
    nonce: str | None = Field(None, max_length=64)


ClientFrame = Annotated[
    Hello | UserMessage | ClientTyping | Feedback | Mute | Opened | Ping,
    Field(discriminator="type"),
]
CLIENT_FRAME = TypeAdapter[ClientFrame](ClientFrame)
CLIENT_TYPES = frozenset({"hello", "message", "typing", "feedback", "mute", "opened", "ping"})


# server -> client -------------------------------------------------------------------


class Welcome(_Frame):
    type: Literal["welcome"] = "welcome"
    v: int = PROTOCOL_VERSION
    conversation_id: str
    investor_id: str
    last_seq: int = Field(ge=0, description="the conversation's newest seq on the server")
    replaying: int = Field(0, ge=0, description="sequenced frames that follow before live ones")
    agent_name: str | None = Field(None, description="set while a person holds the conversation")
    heartbeat_s: float = Field(description="send ping at least this often")
    max_frame_bytes: int


class Ack(_Frame):
    type: Literal["ack"] = "ack"
    client_msg_id: str
    seq: Seq = Field(description="the seq of the stored investor message")
    duplicate: bool = False


class Source(_Frame):
    id: str
    title: str
    source: str
    score: float


class InvestorEcho(_Frame):
    """The investor's own message as stored (masked), so a resumed or second device shows it."""

    type: Literal["investor_message"] = "investor_message"
    seq: Seq
    client_msg_id: str
    text: str
    at: str


class Reply(_Frame):
    """A whole bot reply. With streaming on, chunks with the same ``stream_id`` precede it."""

    type: Literal["reply"] = "reply"
    seq: Seq
    reply_to: str = Field(description="client_msg_id of the message answered")
    stream_id: str | None = None
    text: str
    lang: Lang
    action: Literal["answer", "clarify", "flow", "escalate", "failed"] = Field(
        description='"failed": an apology, after every try to answer the message failed'
    )
    intent: str | None = None
    sources: list[Source] = Field(default_factory=list)
    quick_replies: list[str] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    at: str


class ReplyChunk(_Frame):
    type: Literal["reply_chunk"] = "reply_chunk"
    stream_id: str
    index: int = Field(ge=0)
    delta: str
    reset: bool = Field(False, description="drop the chunks so far; the whole reply follows")


class ServerTyping(_Frame):
    type: Literal["typing"] = "typing"
    who: Literal["bot", "agent"]
    active: bool = True


class AgentJoined(_Frame):
    type: Literal["agent_joined"] = "agent_joined"
    seq: Seq
    agent_name: str
    at: str


class AgentLeft(_Frame):
    type: Literal["agent_left"] = "agent_left"
    seq: Seq
    agent_name: str
    outcome: Literal["resolved", "handed_back"]
    at: str


class AgentMessage(_Frame):
    type: Literal["agent_message"] = "agent_message"
    seq: Seq
    agent_name: str
    text: str
    at: str


class Suggestion(_Frame):
    """A proactive push: information and reminders, never advice."""

    type: Literal["suggestion"] = "suggestion"
    seq: Seq
    kind: SuggestionKind
    title: str
    text: str
    quick_replies: list[str] = Field(default_factory=list)
    why: str | None = Field(None, description='"why am I seeing this", in the same language')
    at: str


class RatingRequest(_Frame):
    """The conversation was resolved: ask for the 1-5 satisfaction score."""

    type: Literal["rating_request"] = "rating_request"
    seq: Seq
    at: str


class QueueStatus(_Frame):
    """Where a conversation waiting for a person stands. Transient (no ``seq``, never
    replayed): sent when it is queued, when a client reconnects while it waits, and again
    every so often as the queue moves; the last one received is the current one."""

    type: Literal["queue_status"] = "queue_status"
    ahead: int = Field(ge=0, description="waiting conversations a person will take first")
    typical_wait_s: float | None = Field(
        None,
        ge=0,
        description="median time from queued to taken over the recent claims; "
        "None when there were too few recent claims to say",
    )


class ErrorCode(StrEnum):
    BAD_FRAME = "bad_frame"  # not JSON, or fields that do not validate
    FRAME_TOO_LARGE = "frame_too_large"
    UNKNOWN_TYPE = "unknown_type"
    UNSUPPORTED_VERSION = "unsupported_version"
    HELLO_REQUIRED = "hello_required"  # a frame before hello, or hello twice
    UNAUTHORIZED = "unauthorized"  # missing, malformed or forged token
    TOKEN_EXPIRED = "token_expired"
    FORBIDDEN = "forbidden"  # someone else's conversation; origin not allowed
    NOT_FOUND = "not_found"  # no such conversation, or an opened seq that is no suggestion
    OUT_OF_ORDER = "out_of_order"  # last_seq, a rated or opened seq the server never sent
    RATE_LIMITED = "rate_limited"
    CONVERSATION_CLOSED = "conversation_closed"
    STORAGE_UNAVAILABLE = "storage_unavailable"  # not stored, not acked: send it again
    REPLY_DELAYED = "reply_delayed"  # stored and acked; the answer follows once storage is back
    INTERNAL = "internal"


class Error(_Frame):
    type: Literal["error"] = "error"
    code: ErrorCode
    message: str
    client_msg_id: str | None = Field(None, description="the message refused, when one was")
    retry_after_s: float | None = None
    fatal: bool = False


class Pong(_Frame):
    type: Literal["pong"] = "pong"
    nonce: str | None = None


SequencedFrame = Annotated[
    InvestorEcho | Reply | AgentJoined | AgentLeft | AgentMessage | Suggestion | RatingRequest,
    Field(discriminator="type"),
]
SEQUENCED_FRAME = TypeAdapter[SequencedFrame](SequencedFrame)

ServerFrame = Annotated[
    Welcome
    | Ack
    | InvestorEcho
    | Reply
    | ReplyChunk
    | ServerTyping
    | AgentJoined
    | AgentLeft
    | AgentMessage
    | Suggestion
    | RatingRequest
    | QueueStatus
    | Error
    | Pong,
    Field(discriminator="type"),
]
SERVER_FRAME = TypeAdapter[ServerFrame](ServerFrame)

# Websocket close codes (4000-4999 are the application's).
CLOSE_CODES: dict[ErrorCode, int] = {
    ErrorCode.UNAUTHORIZED: 4401,
    ErrorCode.TOKEN_EXPIRED: 4401,
    ErrorCode.FORBIDDEN: 4403,
    ErrorCode.NOT_FOUND: 4404,
    ErrorCode.UNSUPPORTED_VERSION: 4406,
    ErrorCode.HELLO_REQUIRED: 4400,
    ErrorCode.OUT_OF_ORDER: 4409,
    ErrorCode.FRAME_TOO_LARGE: 1009,
    ErrorCode.RATE_LIMITED: 4429,
    ErrorCode.STORAGE_UNAVAILABLE: 1013,
    ErrorCode.INTERNAL: 1011,
}


# server -> agent console (the staff topic and the console socket) --------------------


class StaffEvent(_Frame):
    """One stored transcript entry as the console shows it; notes (``kind`` ``note``)
    included."""

    seq: Seq
    kind: Literal[
        "investor_message",
        "reply",
        "agent_joined",
        "agent_left",
        "agent_message",
        "suggestion",
        "rating_request",
        "note",
    ]
    payload: dict[str, Any] = Field(description="the entry as stored (see the investor frames)")
    created_at: str


class EventNotice(_Frame):
    """A new entry in a conversation a person waits for or holds."""

    type: Literal["event"] = "event"
    conversation_id: str
    event: StaffEvent


class QueueChanged(_Frame):
    """The queue moved: the console socket reads it again and sends ``queue``."""

    type: Literal["queue_changed"] = "queue_changed"


class InvestorTyping(_Frame):
    """The investor of a conversation an agent holds is typing."""

    type: Literal["investor_typing"] = "investor_typing"
    conversation_id: str


class QueueItem(_Frame):
    """One conversation waiting for a person or held by one, as the console lists it."""

    conversation_id: str
    investor_id: str
    status: str = Field(description="``queued`` (waiting) or ``agent`` (held by ``agent_id``)")
    priority: int
    reason: str | None = Field(description="why it was handed to a person")
    summary: str | None
    escalated_at: str | None = Field(description="ISO 8601, when it was handed over")
    waiting_s: float = Field(description="seconds since it was handed over (or last changed)")
    agent_id: str | None
    agent_name: str | None
    language: str
    last_message: str | None = Field(description="the investor's last message, masked")


class ConsoleQueue(_Frame):
    """The whole queue, on connect and after every ``queue_changed``."""

    type: Literal["queue"] = "queue"
    items: list[QueueItem] = Field(description="as ``GET /api/console/queue`` lists them")


class ConsolePong(_Frame):
    type: Literal["pong"] = "pong"


class ConsoleError(_Frame):
    """A console frame that could not be read (``bad_frame``, the socket reads on), or the
    reason the socket closes next (``fatal``)."""

    type: Literal["error"] = "error"
    code: str
    message: str
    fatal: bool = False


StaffNotice = Annotated[EventNotice | QueueChanged | InvestorTyping, Field(discriminator="type")]
STAFF_NOTICE = TypeAdapter[StaffNotice](StaffNotice)
"""What the brain publishes on the staff topic."""

ConsoleFrame = Annotated[
    ConsoleQueue | EventNotice | InvestorTyping | ConsolePong | ConsoleError,
    Field(discriminator="type"),
]
CONSOLE_FRAME = TypeAdapter[ConsoleFrame](ConsoleFrame)
"""What the console socket sends."""
