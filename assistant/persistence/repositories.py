"""Repository protocols: what the service needs from storage, nothing about how.

``sql.SqlStore`` implements all of them over SQLAlchemy (SQLite by default,
PostgreSQL by URL); the same test suite runs against both. Every method is a
single transaction: when it returns, what it wrote is committed.

Errors: a database that cannot be reached raises :class:`StorageUnavailableError`
(the caller tells the client to retry; nothing was acknowledged).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol

from assistant.errors import AssistantError
from assistant.persistence.records import (
    Conversation,
    ConversationStatus,
    Event,
    EventKind,
    Feedback,
    OutboxItem,
    PendingTurn,
    PushMute,
    StaffAccount,
    StaffRole,
    StaffSession,
    Ticket,
    TicketEvent,
    TicketStatus,
    TurnRecord,
)


class StorageError(AssistantError):
    """Root of the persistence errors."""

    code = "storage_error"
    internal = True


class StorageUnavailableError(StorageError):
    """The database did not answer (down, restarting, pool exhausted). Safe to retry."""

    code = "storage_unavailable"
    http_status = 503
    internal = False
    public_message = "the store is unavailable; please retry"


class NotFoundError(StorageError):
    """A write named a conversation, ticket, staff account or push that does not exist."""

    code = "not_found"


class ConflictError(StorageError):
    """The write breaks a uniqueness or reference rule (a taken username, a ticket id
    already in use, a reference to a conversation that does not exist). Nothing was written."""

    code = "conflict"


class DuplicateMessageError(StorageError):
    """The conversation already holds an event with this client message id."""

    code = "duplicate_message"

    def __init__(self, existing: Event) -> None:
        super().__init__(f"client message {existing.client_msg_id!r} is already stored")
        self.existing = existing


class ConversationRepository(Protocol):
    async def create(self, investor_id: str, language: str) -> Conversation: ...

    async def get(self, conversation_id: str) -> Conversation | None: ...

    async def latest_open(self, investor_id: str) -> Conversation | None:
        """The investor's newest conversation that is not resolved."""
        ...

    async def save_state(
        self, conversation_id: str, state: dict[str, Any], language: str, flags: Sequence[str]
    ) -> None: ...

    async def escalate(
        self, conversation_id: str, reason: str, priority: int, summary: str
    ) -> Conversation:
        """Status QUEUED with the reason, priority and summary; escalated_at = now (kept
        when the conversation is already queued, so it does not lose its place).
        Raises :class:`NotFoundError` for an unknown conversation."""
        ...

    async def claim(self, conversation_id: str, staff_id: str) -> bool:
        """QUEUED -> AGENT for this staff member, atomically. False when someone else won,
        or the conversation is not queued."""
        ...

    async def release(
        self, conversation_id: str, staff_id: str, status: ConversationStatus
    ) -> bool:
        """AGENT (held by ``staff_id``) -> BOT (handed back) or RESOLVED, clearing agent_id.
        False otherwise. Any other target status is a ValueError."""
        ...

    async def append(
        self,
        conversation_id: str,
        kind: EventKind,
        payload: dict[str, Any],
        client_msg_id: str | None = None,
        *,
        awaits_turn: bool = False,
    ) -> Event:
        """Store the next event with seq = last_seq + 1, atomically (safe across processes).

        ``awaits_turn`` (an investor message) also records it as a pending turn, in the
        same transaction, until :meth:`complete_turn` or :meth:`settle_turn`.
        Raises :class:`DuplicateMessageError` when ``client_msg_id`` is already stored
        (no seq is used up), :class:`NotFoundError` for an unknown conversation.
        """
        ...

    async def complete_turn(
        self,
        conversation_id: str,
        reply_to: str,
        payload: dict[str, Any],
        *,
        state: dict[str, Any],
        language: str,
        flags: Sequence[str],
        record: Callable[[Event], TurnRecord],
    ) -> Event:
        """One bot turn's outcome in one transaction: the REPLY event answering the message
        ``reply_to``, the dialogue state, the turn record (``record`` builds it from the
        stored reply) and the pending turn settled. Raises :class:`DuplicateMessageError`
        when that message was already answered (another process got there first)."""
        ...

    async def settle_turn(self, conversation_id: str, client_msg_id: str) -> None:
        """The message was handled without a bot reply (an agent holds the conversation)."""
        ...

    async def lease_pending_turns(
        self,
        older_than: datetime,
        lease_s: float,
        limit: int,
        *,
        skip: Collection[tuple[str, str]] = (),
    ) -> list[tuple[PendingTurn, Event]]:
        """Up to ``limit`` pending turns created before ``older_than`` and not leased now,
        oldest first, each with its message; each is leased for ``lease_s`` seconds (no
        other caller, in any process, gets it meanwhile) and its attempts counted.

        ``skip``: (conversation id, client message id) of turns the caller is running
        itself; they are left unleased, so a retry can take them as soon as they fail."""
        ...

    async def pending_turns(self, conversation_id: str) -> list[PendingTurn]:
        """The conversation's pending turns, oldest first."""
        ...

    async def events_after(
        self, conversation_id: str, seq: int, *, include_notes: bool = False
    ) -> list[Event]:
        """Events with seq > ``seq`` in order; NOTE events only with ``include_notes``."""
        ...

    async def queue(self) -> list[Conversation]:
        """QUEUED and AGENT conversations, most urgent first (priority, then waiting time)."""
        ...

    async def claim_waits(self, since: datetime, limit: int = 200) -> list[float]:
        """Seconds from queued to taken (the first ``agent_joined`` after ``escalated_at``)
        for conversations escalated at or after ``since`` and taken since, newest first,
        at most ``limit``. Conversations still waiting are not in it."""
        ...

    async def record_turn(self, turn: TurnRecord) -> None: ...

    async def turns_since(self, since: datetime) -> list[TurnRecord]: ...

    async def add_feedback(self, feedback: Feedback) -> None: ...

    async def feedback_since(self, since: datetime) -> list[Feedback]: ...

    async def conversations_since(self, since: datetime) -> list[Conversation]:
        """Conversations created at or after ``since``, oldest first (turns and feedback
        ``*_since`` likewise compare their ``created_at``, inclusive)."""
        ...


class TicketRepository(Protocol):
    async def open(self, ticket: Ticket, actor: str) -> Ticket:
        """Store a new ticket and its 'opened' history entry."""
        ...

    async def get(self, ticket_id: str) -> Ticket | None: ...

    async def for_conversation(self, conversation_id: str) -> list[Ticket]: ...

    async def by_status(self, status: TicketStatus | None = None) -> list[Ticket]: ...

    async def update(
        self,
        ticket_id: str,
        *,
        actor: str,
        action: str,
        status: TicketStatus | None = None,
        assignee_id: str | None = None,
        detail: str = "",
    ) -> Ticket:
        """Change status/assignee (when given) and append a history entry, in one transaction."""
        ...

    async def history(self, ticket_id: str) -> list[TicketEvent]: ...


class StaffRepository(Protocol):
    async def create(
        self,
        username: str,
        display_name: str,
        password_hash: str,
        *,
        role: StaffRole = StaffRole.AGENT,
        demo: bool = False,
    ) -> StaffAccount:
        """Raises StorageError when the username is taken."""
        ...

    async def by_username(self, username: str) -> StaffAccount | None: ...

    async def get(self, staff_id: str) -> StaffAccount | None: ...

    async def all(self) -> list[StaffAccount]:
        """Every account, active or not, by username."""
        ...

    async def set_password(self, staff_id: str, password_hash: str) -> None: ...

    async def update(
        self,
        staff_id: str,
        *,
        role: StaffRole | None = None,
        active: bool | None = None,
        demo: bool | None = None,
    ) -> StaffAccount:
        """Change what is given; the account as it now is. NotFoundError when unknown."""
        ...

    async def start_session(self, session: StaffSession) -> None: ...

    async def session(self, token_hash: str) -> StaffSession | None:
        """The stored session, EXPIRED OR NOT: the caller compares ``expires_at`` with its
        clock (and may ``end_session`` it). None when there is no such session."""
        ...

    async def end_session(self, token_hash: str) -> None: ...


class OutboxRepository(Protocol):
    async def put(self, item: OutboxItem) -> bool:
        """Store a push; False (and nothing stored) when (investor, dedupe_key) exists."""
        ...

    async def pending(self, investor_id: str, now: datetime) -> list[OutboxItem]:
        """Undelivered, unexpired pushes for the investor whose ``not_before`` has passed,
        oldest first."""
        ...

    async def mark_delivered(self, item_id: int, conversation_id: str, at: datetime) -> None: ...

    async def delivered_in(self, investor_id: str, conversation_id: str) -> list[OutboxItem]:
        """The investor's pushes delivered into that conversation, oldest first."""
        ...

    async def mark_opened(self, investor_id: str, dedupe_key: str, at: datetime) -> bool:
        """The investor saw their push ``dedupe_key``: True when that set ``opened_at``;
        False (nothing changed) when it was opened already, was never delivered, or is
        not theirs."""
        ...

    async def discard_expired(self, now: datetime) -> int:
        """Delete undelivered pushes whose ``expires_at`` has passed; how many."""
        ...

    async def delivered_since(self, investor_id: str, since: datetime) -> int:
        """How many pushes reached the investor since ``since`` (for the rate limit)."""
        ...

    async def mute(self, investor_id: str, kind: str, at: datetime) -> bool:
        """Stop pushes of ``kind`` to the investor; False when it was muted already."""
        ...

    async def muted_kinds(self, investor_id: str) -> set[str]: ...

    async def delivered_between(self, since: datetime, until: datetime) -> list[OutboxItem]:
        """Pushes delivered at or after ``since`` and before ``until``, oldest first."""
        ...

    async def mutes_between(self, since: datetime, until: datetime) -> list[PushMute]: ...

    async def stored_keys(self, investor_id: str) -> set[str]:
        """Dedupe keys of the investor's pushes still stored, delivered or not."""
        ...


class CrossProcessLocks(Protocol):
    """One lock per conversation over every process that shares the store."""

    def hold(self, conversation_id: str) -> AbstractAsyncContextManager[None]:
        """Held until the block ends; raises :class:`StorageUnavailableError` when the
        lock cannot be had (the database is away, or the wait passed its limit)."""
        ...

    async def close(self) -> None: ...


class Store(Protocol):
    """All repositories over one database."""

    conversations: ConversationRepository
    tickets: TicketRepository
    staff: StaffRepository
    outbox: OutboxRepository
    locks: CrossProcessLocks

    async def close(self) -> None: ...
