"""The conversation service: what happens to a message between the socket and the store.

One :class:`ConversationService` per process, built in the app's lifespan. For
an investor message it:

1. masks personal data and stores the message (``append`` with the client's
   message id, so a re-send is recognised) with a pending-turn record, in one
   transaction — only then is it acknowledged;
2. publishes the stored message (the echo) on the conversation's topic;
3. if the bot holds the conversation, runs one dialogue turn under a
   per-conversation lock: state loaded from the store, ``policy.respond`` (the
   LLM answer streamed as ``reply_chunk`` frames when one is configured), then the
   reply, the state and the turn record stored and the pending turn settled in one
   transaction, then the reply published;
4. on escalation queues the conversation, opens a ticket with an SLA and tells
   the console (``queue_changed`` on the ``staff`` topic). While a person is
   waited for or holds the conversation, messages go to the console only.

Agents claim (atomically, in the database), reply, write internal notes,
resolve or hand back; each step is an event in the transcript and an entry in
the ticket's history. Proactive pushes arrive through :meth:`deliver_push`.

Nothing acknowledged is left unanswered: when a turn fails after the ack (the
database went away), the investor is told the answer is delayed (``reply_delayed``)
and :meth:`answer_pending`, run every few seconds by the app, takes the pending
turn up again, here or in another process (a lease keeps two from taking it).

Everything the investor sees is a sequenced event in the store first and a bus
message second, so a socket that missed a bus message reads it from the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from assistant.accounts import AccountSystem
from assistant.compliance import BLOCKING_KINDS, ComplianceGuard
from assistant.conversation import (
    Action,
    BotReply,
    ConversationState,
    EscalationDecision,
    Language,
)
from assistant.dialogue import DialoguePolicy
from assistant.flows import TicketStoreUnavailableError
from assistant.persistence.records import (
    Conversation,
    ConversationStatus,
    Event,
    EventKind,
    Feedback,
    OutboxItem,
    StaffAccount,
    Ticket,
    TicketStatus,
    TurnRecord,
)
from assistant.persistence.repositories import (
    DuplicateMessageError,
    StorageError,
    StorageUnavailableError,
    Store,
)
from assistant.pii import mask_pii
from assistant.proactive.events import PushPayload
from assistant.queue_waits import QueueWaits
from assistant.settings import Settings
from channels.bus import Bus, Message
from channels.console_socket import STAFF_TOPIC
from channels.errors import BusError
from channels.investor_socket import conversation_topic
from channels.protocol import Ack, Error, ErrorCode

logger = logging.getLogger(__name__)

_REPLY_STORE_ATTEMPTS = (0.2, 0.5, 1.0)
_PENDING_LEASE_S = 30.0  # a sweep owns a pending turn this long, then another may retry it
_MAX_TURN_ATTEMPTS = 5  # sweeps before the investor gets an apology instead of an answer
_GIVE_UP_TEXT = {
    "zh": "抱歉，系统繁忙，您刚才的问题没能及时回答。请再问一次，或回复“转人工”联系客服。",
    "en": (
        "Sorry, the system was busy and your last question could not be answered in time. "
        "Please ask again, or reply “agent” to reach a person."
    ),
}
_TYPING_RELAY_INTERVAL_S = 2.0
_OPEN_TICKETS = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS)


class ConversationError(Exception):
    """Root of the service's refusals; each knows its stable code and HTTP status, and may
    carry machine-readable ``details`` for the client."""

    code = "conversation_error"
    http_status = 400

    def __init__(self, message: str, details: Sequence[Mapping[str, str]] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = [dict(detail) for detail in details]


class ConversationNotFoundError(ConversationError):
    code = "not_found"
    http_status = 404


class NotYourConversationError(ConversationError):
    """An investor named a conversation that belongs to someone else."""

    code = "forbidden"
    http_status = 403


class SeqOutOfRangeError(ConversationError):
    """A seq the server never sent (resume point or rated reply)."""

    code = "out_of_order"
    http_status = 409


class ConversationClosedError(ConversationError):
    """The conversation was resolved; the investor starts a new one."""

    code = "conversation_closed"
    http_status = 409


class NotHolderError(ConversationError):
    """An agent acted on a conversation someone else (or nobody) holds."""

    code = "not_holder"
    http_status = 403


class AlreadyClaimedError(ConversationError):
    code = "already_claimed"
    http_status = 409


class NotQueuedError(ConversationError):
    """Claimed a conversation that is not waiting for a person."""

    code = "not_queued"
    http_status = 409


class ComplianceBlockedError(ConversationError):
    """An agent's reply promises returns or recommends a trade, so it was not sent; the
    details name each problem (``kind``, ``evidence``) for the agent to rephrase."""

    code = "compliance_blocked"
    http_status = 422


class InvalidFeedbackError(ConversationError):
    code = "invalid_feedback"
    http_status = 422


class StorageBusyError(ConversationError):
    """The database did not answer; nothing was stored or acknowledged. Retry."""

    code = "storage_unavailable"
    http_status = 503


class ReplyDelayedError(ConversationError):
    """The message is stored and acknowledged, but the database went away before its
    answer was: the answer follows when it is back (re-sending the message fetches it)."""

    code = "reply_delayed"
    http_status = 503

    def __init__(
        self,
        message: str = (
            "your message is saved; its answer is delayed by a storage outage and will "
            "follow when the store is back"
        ),
    ) -> None:
        super().__init__(message)


@dataclass
class _Turn:
    """What the ticket sink needs to know about the turn in progress."""

    service: ConversationService
    conversation_id: str
    investor_id: str
    ticket_id: str | None = None


_CURRENT_TURN: ContextVar[_Turn | None] = ContextVar("brokerdesk_current_turn", default=None)


class TurnTicketSink:
    """The complaint flow's :class:`assistant.flows.TicketSink`, filing into the ticket store.

    The flow's ``open_ticket`` names no conversation (the flows are shared by
    every conversation), so the service marks the turn in progress with a
    context variable and this sink reads it. Outside a service turn (the CLI's
    ``ask``) there is no store, and the flow hands the complaint to a person.
    """

    async def open_ticket(
        self, category: str, description: str, contact: str, priority: int
    ) -> str:
        turn = _CURRENT_TURN.get()
        if turn is None:
            raise TicketStoreUnavailableError("no conversation turn in progress")
        return await turn.service.open_complaint_ticket(
            turn, category=category, description=description, contact=contact, priority=priority
        )


def frame_of(event: Event) -> Message:
    """The protocol frame an investor sees for a stored event."""
    return {
        **event.payload,
        "type": event.kind.value,
        "seq": event.seq,
        "at": event.created_at.isoformat(),
    }


def staff_event(event: Event) -> Message:
    """An event as the console receives it."""
    return {
        "seq": event.seq,
        "kind": event.kind.value,
        "payload": event.payload,
        "created_at": event.created_at.isoformat(),
    }


class _ConversationLocks:
    """One asyncio lock per conversation in use, forgotten when nobody waits on it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, conversation_id: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(conversation_id, (asyncio.Lock(), 0))
        self._locks[conversation_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[conversation_id]
            if users <= 1:
                del self._locks[conversation_id]
            else:
                self._locks[conversation_id] = (lock, users - 1)


class _ChunkRelay:
    """Publishes an LLM answer's pieces as ``reply_chunk`` frames.

    The pieces have not been through the compliance guard; the whole reply
    that follows has. So the relay checks the text so far for what the guard
    would block and, at the first hit, tells the widget to drop what it showed
    and sends nothing more: the guarded reply replaces it.
    """

    def __init__(
        self, service: ConversationService, conversation_id: str, guard: ComplianceGuard
    ) -> None:
        self.service = service
        self.conversation_id = conversation_id
        self.guard = guard
        self.stream_id = secrets.token_hex(8)
        self.index = 0
        self.text = ""
        self.stopped = False

    async def chunk(self, delta: str) -> None:
        if self.stopped:
            return
        self.text += delta
        if any(v.kind in BLOCKING_KINDS for v in self.guard.violations(self.text)):
            await self.reset()
            self.stopped = True
            return
        await self._send(delta, reset=False)

    async def reset(self) -> None:
        await self._send("", reset=True)

    async def _send(self, delta: str, *, reset: bool) -> None:
        frame = {
            "type": "reply_chunk",
            "stream_id": self.stream_id,
            "index": self.index,
            "delta": delta,
            "reset": reset,
        }
        self.index += 1
        await self.service.publish(conversation_topic(self.conversation_id), frame)


@dataclass
class _Presence:
    """Open investor sockets on this process, per investor."""

    sockets: dict[str, int] = field(default_factory=dict)

    def add(self, investor_id: str) -> None:
        self.sockets[investor_id] = self.sockets.get(investor_id, 0) + 1

    def remove(self, investor_id: str) -> None:
        left = self.sockets.get(investor_id, 0) - 1
        if left > 0:
            self.sockets[investor_id] = left
        else:
            self.sockets.pop(investor_id, None)


ConnectListener = Callable[[str], Awaitable[None]]


class PushDeliverer:
    """The proactive dispatcher's :class:`assistant.proactive.Deliverer`: pushes reach
    investors connected to this process, through :meth:`ConversationService.deliver_push`."""

    def __init__(self, service: ConversationService) -> None:
        self.service = service

    async def deliver(self, item: OutboxItem) -> str | None:
        if not self.service.is_connected(item.investor_id):
            return None
        push = PushPayload.model_validate(item.payload)
        conversation_id, _ = await self.service.deliver_push(
            item.investor_id,
            lambda language: push.content(language).model_dump(mode="json"),
            dedupe_key=item.dedupe_key,
        )
        return conversation_id

    async def online_investors(self) -> Sequence[str]:
        return self.service.online_investors()


class ConversationService:
    """Conversations for investors, agents and proactive pushes, over one store and bus."""

    def __init__(
        self,
        *,
        store: Store,
        bus: Bus,
        policy: DialoguePolicy,
        guard: ComplianceGuard,
        accounts: AccountSystem,
        settings: Settings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.bus = bus
        self.policy = policy
        self.guard = guard
        self.accounts = accounts
        self.settings = settings
        self.clock = clock
        self._locks = _ConversationLocks()
        self._accepted: dict[tuple[str, str], Event] = {}
        self._inflight: dict[tuple[str, str], asyncio.Task[list[Message]]] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self._presence = _Presence()
        self._connect_listeners: list[ConnectListener] = []
        self._typing_relayed: dict[tuple[str, str], float] = {}
        self._staff_names: dict[str, str] = {}

    # investors ---------------------------------------------------------------------

    async def open_conversation(
        self,
        investor_id: str,
        conversation_id: str | None = None,
        *,
        last_seq: int = 0,
        language: str | None = None,
    ) -> Conversation:
        """Resume ``conversation_id`` (the investor's own, ``last_seq`` not beyond it) or
        the investor's newest open conversation, or start one."""
        if conversation_id is not None:
            conversation = await self.owned(investor_id, conversation_id)
            if last_seq > conversation.last_seq:
                raise SeqOutOfRangeError(
                    f"last_seq {last_seq} is beyond this conversation's {conversation.last_seq}"
                )
            return conversation
        async with self._storage():
            current = await self.store.conversations.latest_open(investor_id)
            if current is not None:
                return current
            return await self.store.conversations.create(investor_id, language or "zh")

    async def owned(self, investor_id: str, conversation_id: str) -> Conversation:
        """The conversation, if it is this investor's."""
        conversation = await self._get(conversation_id)
        if conversation.investor_id != investor_id:
            raise NotYourConversationError("this conversation belongs to someone else")
        return conversation

    async def transcript(
        self, investor_id: str, conversation_id: str, after_seq: int = 0
    ) -> list[Message]:
        """The investor-visible frames after ``after_seq``, oldest first."""
        await self.owned(investor_id, conversation_id)
        return await self.frames_after(conversation_id, after_seq)

    async def frames_after(self, conversation_id: str, after_seq: int) -> list[Message]:
        async with self._storage():
            events = await self.store.conversations.events_after(conversation_id, after_seq)
        return [frame_of(event) for event in events if event.kind is not EventKind.NOTE]

    async def accept(
        self, investor_id: str, conversation_id: str, client_msg_id: str, text: str
    ) -> Ack:
        """Store the masked message; the returned ack may be sent, the turn is not run yet.

        A client message id already stored gives ``duplicate=True`` and no new turn.
        """
        conversation = await self.owned(investor_id, conversation_id)
        if conversation.status is ConversationStatus.RESOLVED:
            raise ConversationClosedError(
                "this conversation was resolved; open a new one to continue"
            )
        payload = {"client_msg_id": client_msg_id, "text": mask_pii(text)}
        try:
            async with self._storage():
                event = await self.store.conversations.append(
                    conversation_id,
                    EventKind.INVESTOR_MESSAGE,
                    payload,
                    client_msg_id,
                    awaits_turn=True,
                )
        except DuplicateMessageError as duplicate:
            return Ack(client_msg_id=client_msg_id, seq=duplicate.existing.seq, duplicate=True)
        self._accepted[(conversation_id, client_msg_id)] = event
        return Ack(client_msg_id=client_msg_id, seq=event.seq)

    async def answer(self, conversation_id: str, text: str, ack: Ack) -> list[Message]:
        """Publish a freshly stored message and answer it; the frames it produced.

        For a duplicate, the frames the first copy produced (waiting for them
        if that turn is still running here). The turn runs as its own task, so
        a caller that goes away (a closed socket, a dropped HTTP request) does
        not stop it.
        """
        key = (conversation_id, ack.client_msg_id)
        task = self._inflight.get(key)
        message = self._accepted.pop(key, None)
        if task is None and message is not None:
            task = self._run_turn(key, self._answer(conversation_id, text, message))
        try:
            if task is not None:
                return list(await asyncio.shield(task))
            return await self._frames_for(conversation_id, ack)
        except (StorageUnavailableError, StorageBusyError) as exc:
            raise ReplyDelayedError() from exc

    def answer_in_background(self, conversation_id: str, text: str, ack: Ack) -> None:
        """:meth:`answer` without waiting (the websocket path: frames arrive over the bus)."""
        if ack.duplicate:
            return  # already answered, or being answered: the frames reach the socket anyway
        self._spawn(self._answer_or_tell(conversation_id, text, ack))

    async def answer_pending(self, older_than_s: float, limit: int = 50) -> int:
        """Answer acknowledged messages whose turn never finished (a storage outage, a
        crashed process), oldest first; how many were answered.

        Each is leased first, so several processes sweeping at once share the work. A
        message that failed :data:`_MAX_TURN_ATTEMPTS` sweeps gets an apology instead.
        """
        older_than = self.clock() - timedelta(seconds=older_than_s)
        # A turn still running here is not leased: if it fails, the next sweep retries it
        # at once instead of after the lease (an LLM answer can outlast the sweep's age).
        leased = await self.store.conversations.lease_pending_turns(
            older_than, _PENDING_LEASE_S, limit, skip=set(self._inflight)
        )
        runs: list[asyncio.Task[list[Message]]] = []
        for pending, message in leased:
            key = (pending.conversation_id, pending.client_msg_id)
            if key in self._inflight:
                continue  # its first try is still running here
            if pending.attempts > _MAX_TURN_ATTEMPTS:
                work = self._give_up(pending.conversation_id, message)
            else:
                text = str(message.payload.get("text", ""))
                work = self._answer(pending.conversation_id, text, message)
            runs.append(self._run_turn(key, work))
        results = await asyncio.gather(*runs, return_exceptions=True)
        return sum(1 for result in results if not isinstance(result, BaseException))

    async def feedback(
        self,
        investor_id: str,
        conversation_id: str,
        *,
        seq: int | None = None,
        thumbs: str | None = None,
        score: int | None = None,
        comment: str | None = None,
    ) -> None:
        """Store thumbs on a reply and/or the 1-5 score for the conversation."""
        conversation = await self.owned(investor_id, conversation_id)
        if thumbs is None and score is None and not comment:
            raise InvalidFeedbackError("feedback needs thumbs, a score or a comment")
        if seq is not None and seq > conversation.last_seq:
            raise SeqOutOfRangeError(f"no seq {seq} in this conversation")
        record = Feedback(
            conversation_id=conversation_id,
            seq=seq,
            thumbs=thumbs,
            score=score,
            comment=mask_pii(comment) if comment else None,
            created_at=self.clock(),
        )
        async with self._storage():
            await self.store.conversations.add_feedback(record)

    async def investor_typing(self, investor_id: str, conversation_id: str) -> None:
        """Show the agent holding the conversation that the investor is typing."""
        if not self._typing_throttle(("investor", conversation_id)):
            return
        conversation = await self.owned(investor_id, conversation_id)
        if conversation.status is ConversationStatus.AGENT:
            await self.publish(
                STAFF_TOPIC, {"type": "investor_typing", "conversation_id": conversation_id}
            )

    async def agent_typing(self, staff_id: str, conversation_id: str) -> None:
        """Show the investor that the agent holding the conversation is typing."""
        if not self._typing_throttle(("agent", conversation_id)):
            return
        conversation = await self._get(conversation_id)
        if conversation.status is ConversationStatus.AGENT and conversation.agent_id == staff_id:
            await self.publish(
                conversation_topic(conversation_id),
                {"type": "typing", "who": "agent", "active": True},
            )

    def _typing_throttle(self, key: tuple[str, str]) -> bool:
        """At most one typing notice per side and conversation every couple of seconds."""
        now = time.monotonic()
        if now - self._typing_relayed.get(key, 0.0) < _TYPING_RELAY_INTERVAL_S:
            return False
        if len(self._typing_relayed) > 10_000:
            cutoff = now - _TYPING_RELAY_INTERVAL_S
            self._typing_relayed = {k: t for k, t in self._typing_relayed.items() if t > cutoff}
        self._typing_relayed[key] = now
        return True

    # presence and pushes ------------------------------------------------------------

    def on_investor_connected(self, callback: ConnectListener) -> None:
        """Run ``callback(investor_id)`` after every successful hello on this process."""
        self._connect_listeners.append(callback)

    def is_connected(self, investor_id: str) -> bool:
        """Whether one of this investor's sockets is open on this process."""
        return investor_id in self._presence.sockets

    def online_investors(self) -> list[str]:
        """Investors with a socket open on this process."""
        return list(self._presence.sockets)

    def investor_connected(self, investor_id: str) -> None:
        """Count the socket and run the connect listeners in the background (a failing
        listener is logged by the task's done-callback; it never reaches the socket)."""
        self._presence.add(investor_id)
        for listener in self._connect_listeners:
            self._spawn(listener(investor_id))

    def investor_disconnected(self, investor_id: str) -> None:
        self._presence.remove(investor_id)

    async def deliver_push(
        self,
        investor_id: str,
        content: Callable[[Language], Mapping[str, Any]],
        *,
        dedupe_key: str,
    ) -> tuple[str, int | None]:
        """Put a ``suggestion`` into the investor's open conversation (one is started if
        needed) and publish it. ``content(language)`` gives the frame's ``kind``, ``title``,
        ``text`` and ``quick_replies`` in the conversation's language.

        Returns the conversation id and the new seq; the seq is None when this
        conversation already holds the push (``client_msg_id`` ``push/<dedupe_key>``),
        so delivering twice never shows it twice.
        """
        conversation = await self.open_conversation(investor_id)
        language: Language = "en" if conversation.language == "en" else "zh"
        payload = dict(content(language))
        try:
            async with self._storage():
                event = await self.store.conversations.append(
                    conversation.id, EventKind.SUGGESTION, payload, _push_message_id(dedupe_key)
                )
        except DuplicateMessageError:
            return conversation.id, None
        await self._publish_event(conversation, event)
        return conversation.id, event.seq

    # staff --------------------------------------------------------------------------

    async def queue(self) -> list[dict[str, Any]]:
        """Waiting and held conversations, most urgent first, as the console lists them."""
        async with self._storage():
            conversations = await self.store.conversations.queue()
        now = self.clock()
        items = []
        for conversation in conversations:
            since = conversation.escalated_at or conversation.updated_at
            items.append(
                {
                    "conversation_id": conversation.id,
                    "investor_id": conversation.investor_id,
                    "status": conversation.status.value,
                    "priority": conversation.priority,
                    "reason": conversation.escalation_reason,
                    "summary": conversation.summary,
                    "escalated_at": _iso(conversation.escalated_at),
                    "waiting_s": round(max(0.0, (now - since).total_seconds()), 1),
                    "agent_id": conversation.agent_id,
                    "agent_name": await self.agent_name(conversation.agent_id),
                    "language": conversation.language,
                    "last_message": await self._last_investor_text(conversation),
                }
            )
        return items

    async def detail(self, conversation_id: str) -> dict[str, Any]:
        """Everything the console shows for one conversation, notes included."""
        conversation = await self._get(conversation_id)
        async with self._storage():
            events = await self.store.conversations.events_after(
                conversation_id, 0, include_notes=True
            )
            tickets = await self.store.tickets.for_conversation(conversation_id)
        profile = await self.accounts.profile(conversation.investor_id)
        return {
            "conversation": conversation,
            "events": [staff_event(event) for event in events],
            "profile": None
            if profile is None
            else {
                "investor_id": profile.investor_id,
                "name": profile.name,
                "risk_level": profile.risk_level,
                "permissions": sorted(profile.permissions),
                "holdings": [holding.model_dump(mode="json") for holding in profile.holdings],
            },
            "tickets": tickets,
        }

    async def claim(self, staff: StaffAccount, conversation_id: str) -> Conversation:
        """Take a queued conversation; exactly one of several simultaneous claimers wins."""
        async with self._locks.hold(conversation_id):
            await self._get(conversation_id)
            async with self._storage():
                won = await self.store.conversations.claim(conversation_id, staff.id)
            current = await self._get(conversation_id)
            if not won:
                if current.status is ConversationStatus.AGENT and current.agent_id == staff.id:
                    return current
                if current.status is ConversationStatus.AGENT:
                    raise AlreadyClaimedError("another agent has already taken this conversation")
                raise NotQueuedError("this conversation is not waiting for an agent")
            await self._append_and_publish(
                current, EventKind.AGENT_JOINED, {"agent_name": staff.display_name}
            )
            await self._ticket_history(
                conversation_id,
                staff,
                "claimed",
                status=TicketStatus.IN_PROGRESS,
                assignee_id=staff.id,
            )
        await self._queue_changed()
        return current

    async def agent_message(self, staff: StaffAccount, conversation_id: str, text: str) -> Event:
        """An agent's reply to the investor (personal data masked, as everywhere).

        People are held to the bot's rules: a reply that promises returns or recommends a
        trade is refused (:class:`ComplianceBlockedError`), and the attempt goes into the
        ticket's history for compliance review.
        """
        conversation = await self._held(staff, conversation_id)
        blocking = [v for v in self.guard.violations(text) if v.kind in BLOCKING_KINDS]
        if blocking:
            details = [{"kind": v.kind, "evidence": mask_pii(v.evidence)} for v in blocking]
            listed = "; ".join(f"{d['kind']}: “{d['evidence']}”" for d in details)
            await self._ticket_history(
                conversation_id, staff, "reply_blocked", detail=f"compliance: {listed}"
            )
            logger.warning("agent %s reply blocked by compliance: %s", staff.username, listed)
            raise ComplianceBlockedError(
                f"not sent: the reply promises returns or recommends a trade ({listed}); "
                "rephrase it",
                details,
            )
        event = await self._append_and_publish(
            conversation,
            EventKind.AGENT_MESSAGE,
            {"agent_name": staff.display_name, "text": mask_pii(text)},
        )
        await self._ticket_history(conversation_id, staff, "replied")
        return event

    async def note(self, staff: StaffAccount, conversation_id: str, text: str) -> Event:
        """An internal note: in the console and the ticket history, never to the investor."""
        await self._held(staff, conversation_id)
        masked = mask_pii(text)
        async with self._storage():
            event = await self.store.conversations.append(
                conversation_id,
                EventKind.NOTE,
                {"author": staff.display_name, "text": masked},
            )
        await self.publish(STAFF_TOPIC, _staff_notice(conversation_id, event))
        await self._ticket_history(conversation_id, staff, "note", detail=masked[:500])
        return event

    async def resolve(self, staff: StaffAccount, conversation_id: str) -> Conversation:
        """Close the conversation, ask the investor for a rating, resolve its tickets."""
        async with self._locks.hold(conversation_id):
            conversation = await self._held(staff, conversation_id)
            await self._release(staff, conversation_id, ConversationStatus.RESOLVED)
            await self._append_and_publish(
                conversation,
                EventKind.AGENT_LEFT,
                {"agent_name": staff.display_name, "outcome": "resolved"},
            )
            await self._append_and_publish(conversation, EventKind.RATING_REQUEST, {})
            await self._ticket_history(
                conversation_id, staff, "resolved", status=TicketStatus.RESOLVED
            )
            current = await self._get(conversation_id)
        await self._queue_changed()
        return current

    async def hand_back(self, staff: StaffAccount, conversation_id: str) -> Conversation:
        """Give the conversation back to the bot, which answers the next message."""
        async with self._locks.hold(conversation_id):
            conversation = await self._held(staff, conversation_id)
            await self._release(staff, conversation_id, ConversationStatus.BOT)
            state = self._state_of(conversation)
            state.escalated = False
            state.low_confidence_streak = 0
            async with self._storage():
                await self.store.conversations.save_state(
                    conversation_id,
                    state.model_dump(mode="json"),
                    state.language,
                    sorted(state.flags),
                )
            await self._append_and_publish(
                conversation,
                EventKind.AGENT_LEFT,
                {"agent_name": staff.display_name, "outcome": "handed_back"},
            )
            async with self._storage():
                tickets = await self.store.tickets.for_conversation(conversation_id)
                for ticket in tickets:
                    if ticket.status in _OPEN_TICKETS:
                        # An escalation ends with the hand-back; a complaint is still open.
                        await self.store.tickets.update(
                            ticket.id,
                            actor=staff.username,
                            action="handed_back",
                            status=TicketStatus.RESOLVED if ticket.kind == "escalation" else None,
                        )
            current = await self._get(conversation_id)
        await self._queue_changed()
        return current

    # tickets ------------------------------------------------------------------------

    async def open_complaint_ticket(
        self, turn: _Turn, *, category: str, description: str, contact: str, priority: int
    ) -> str:
        """File the complaint flow's ticket for the conversation of ``turn``.

        The same complaint still open in this conversation is not filed twice: a turn the
        sweep runs again after its reply was lost comes back here with the same words.
        """
        summary = f"{mask_pii(description)[:500]} (contact by {contact})"
        try:
            same = [
                ticket
                for ticket in await self.store.tickets.for_conversation(turn.conversation_id)
                if ticket.kind == "complaint"
                and ticket.status in _OPEN_TICKETS
                and ticket.summary == summary
            ]
            ticket = (
                same[0]
                if same
                else await self._open_ticket(
                    conversation_id=turn.conversation_id,
                    investor_id=turn.investor_id,
                    kind="complaint",
                    category=category,
                    priority=priority,
                    reason="complaint",
                    summary=summary,
                )
            )
        except (StorageError, StorageBusyError) as exc:
            raise TicketStoreUnavailableError(str(exc)) from exc
        turn.ticket_id = ticket.id
        return ticket.id

    def sla_due(self, priority: int, opened_at: datetime) -> datetime:
        """When a ticket of ``priority`` must have been taken care of."""
        if priority >= 85:
            minutes = self.settings.sla_urgent_minutes
        elif priority >= 70:
            minutes = self.settings.sla_high_minutes
        else:
            minutes = self.settings.sla_normal_minutes
        return opened_at + timedelta(minutes=minutes)

    # plumbing -----------------------------------------------------------------------

    async def publish(self, topic: str, message: Message) -> None:
        """Best effort: what matters is already stored; a socket that missed it resumes."""
        try:
            await self.bus.publish(topic, message)
        except BusError as exc:
            logger.warning("bus publish on %s failed: %s", topic.split(":")[0], exc.code)

    async def close(self, timeout_s: float = 10.0) -> None:
        """Let running turns finish (up to ``timeout_s``), then cancel the rest."""
        if self._background:
            _, pending = await asyncio.wait(set(self._background), timeout=timeout_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def _run_turn(
        self, key: tuple[str, str], work: Awaitable[list[Message]]
    ) -> asyncio.Task[list[Message]]:
        """Run the turn for message ``key`` (conversation, client id), known as in flight
        until it ends, so neither a re-send nor a sweep starts it a second time here."""
        task = self._spawn(work)
        self._inflight[key] = task
        task.add_done_callback(lambda _: self._inflight.pop(key, None))
        return task

    def _spawn(self, work: Awaitable[Any]) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            logger.error("a conversation task failed", exc_info=error)

    async def _answer(self, conversation_id: str, text: str, message: Event) -> list[Message]:
        conversation = await self._get(conversation_id)
        echo = frame_of(message)
        await self.publish(conversation_topic(conversation_id), echo)
        if conversation.status is not ConversationStatus.BOT:
            await self._to_staff(conversation_id, message)
            await self._queue_changed()
            return [echo]
        return [echo, *await self._turn(conversation_id, text, message)]

    async def _answer_or_tell(self, conversation_id: str, text: str, ack: Ack) -> None:
        try:
            await self.answer(conversation_id, text, ack)
        except ReplyDelayedError as exc:
            logger.warning("answer to an acknowledged message delayed: %s", exc.__cause__)
            delayed = Error(
                code=ErrorCode.REPLY_DELAYED, message=exc.message, client_msg_id=ack.client_msg_id
            )
            await self.publish(conversation_topic(conversation_id), delayed.model_dump(mode="json"))

    async def _to_staff(self, conversation_id: str, message: Event) -> None:
        """A message for the person who holds (or will take) the conversation."""
        await self.publish(STAFF_TOPIC, _staff_notice(conversation_id, message))
        await self.store.conversations.settle_turn(conversation_id, str(message.client_msg_id))

    async def _turn(self, conversation_id: str, text: str, message: Event) -> list[Message]:
        """One bot turn, serialised with the conversation's other turns."""
        async with self._locks.hold(conversation_id):
            conversation = await self._get(conversation_id)
            if conversation.status is not ConversationStatus.BOT:
                # Escalated by an earlier message while this one waited.
                await self._to_staff(conversation_id, message)
                return []
            topic = conversation_topic(conversation_id)
            state = self._state_of(conversation)
            relay = (
                _ChunkRelay(self, conversation_id, self.guard)
                if self.policy.llm is not None
                else None
            )
            turn = _Turn(self, conversation_id, conversation.investor_id)
            typing = {"type": "typing", "who": "bot", "active": True}
            await self.publish(topic, typing)
            token = _CURRENT_TURN.set(turn)
            try:
                reply = await self.policy.respond(state, text, stream=relay)
                event = await self._complete_turn(conversation_id, message, reply, state, relay)
            except BaseException:
                await self._withdraw_stream(relay)
                await self.publish(topic, {**typing, "active": False})
                raise
            finally:
                _CURRENT_TURN.reset(token)
            if event is None:
                # Another process answered it first (a sweep raced a slow first try).
                await self._withdraw_stream(relay)
                await self.publish(topic, {**typing, "active": False})
                return []
            if reply.escalation is not None:
                # Queued before the investor reads "connecting you": the console has it first.
                await self._escalate(conversation, reply.escalation, turn.ticket_id)
            frame = frame_of(event)
            await self.publish(topic, frame)
            await self.publish(topic, {**typing, "active": False})
            return [frame]

    async def _withdraw_stream(self, relay: _ChunkRelay | None) -> None:
        """Chunks were shown but their reply was not stored: clients drop them (the answer
        comes later, from a retry or another process, under its own stream)."""
        if relay is not None and relay.index and not relay.stopped:
            await relay.reset()

    async def _complete_turn(
        self,
        conversation_id: str,
        message: Event,
        reply: BotReply,
        state: ConversationState,
        relay: _ChunkRelay | None,
    ) -> Event | None:
        """Store the reply, state and turn record at once; None when another process
        already answered. A brief outage is retried (the question was acknowledged)."""
        payload = _reply_payload(reply, message, relay)
        attempts = (*_REPLY_STORE_ATTEMPTS, None)
        for delay in attempts:
            try:
                return await self.store.conversations.complete_turn(
                    conversation_id,
                    str(message.client_msg_id),
                    payload,
                    state=state.model_dump(mode="json"),
                    language=reply.language,
                    flags=sorted(state.flags),
                    record=lambda event: _turn_record(conversation_id, event, message, reply),
                )
            except DuplicateMessageError:
                return None
            except StorageUnavailableError:
                if delay is None:
                    raise
                await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _give_up(self, conversation_id: str, message: Event) -> list[Message]:
        """An apology in place of an answer that failed every try; the turn is recorded."""
        async with self._locks.hold(conversation_id):
            conversation = await self._get(conversation_id)
            state = self._state_of(conversation)
            language = state.language
            apology = BotReply(
                text=_GIVE_UP_TEXT[language],
                language=language,
                action=Action.FAILED,
                quick_replies=["转人工" if language == "zh" else "agent"],
                latency_ms=(self.clock() - message.created_at).total_seconds() * 1000,
            )
            event = await self._complete_turn(conversation_id, message, apology, state, None)
            if event is None:
                return []
            logger.error(
                "gave up answering message seq %d of conversation %s after %d tries",
                message.seq,
                conversation_id,
                _MAX_TURN_ATTEMPTS,
            )
            frame = frame_of(event)
            await self.publish(conversation_topic(conversation_id), frame)
            return [frame]

    async def _escalate(
        self, conversation: Conversation, decision: EscalationDecision, ticket_id: str | None
    ) -> None:
        reason = decision.reason.value
        async with self._storage():
            await self.store.conversations.escalate(
                conversation.id, reason, decision.priority, decision.summary
            )
            if ticket_id is not None:
                await self.store.tickets.update(
                    ticket_id, actor="bot", action="escalated", detail=reason
                )
        if ticket_id is None:
            await self._open_ticket(
                conversation_id=conversation.id,
                investor_id=conversation.investor_id,
                kind="escalation",
                category=reason,
                priority=decision.priority,
                reason=reason,
                summary=decision.summary,
            )
        await self._queue_changed()
        await QueueWaits(self.store, self.publish, self.clock).announce(conversation.id)

    async def _open_ticket(
        self,
        *,
        conversation_id: str,
        investor_id: str,
        kind: str,
        category: str,
        priority: int,
        reason: str,
        summary: str,
    ) -> Ticket:
        now = self.clock()
        ticket = Ticket(
            id=f"TK-{now:%Y%m%d}-{secrets.token_hex(3).upper()}",
            conversation_id=conversation_id,
            investor_id=investor_id,
            kind=kind,
            category=category,
            status=TicketStatus.OPEN,
            priority=priority,
            reason=reason,
            summary=summary,
            sla_due_at=self.sla_due(priority, now),
            created_at=now,
            updated_at=now,
        )
        async with self._storage():
            return await self.store.tickets.open(ticket, actor="bot")

    async def _ticket_history(
        self,
        conversation_id: str,
        staff: StaffAccount,
        action: str,
        *,
        status: TicketStatus | None = None,
        assignee_id: str | None = None,
        detail: str = "",
    ) -> None:
        async with self._storage():
            for ticket in await self.store.tickets.for_conversation(conversation_id):
                if ticket.status in _OPEN_TICKETS:
                    await self.store.tickets.update(
                        ticket.id,
                        actor=staff.username,
                        action=action,
                        status=status,
                        assignee_id=assignee_id,
                        detail=detail,
                    )

    async def _append_and_publish(
        self, conversation: Conversation, kind: EventKind, payload: dict[str, Any]
    ) -> Event:
        async with self._storage():
            event = await self.store.conversations.append(conversation.id, kind, payload)
        await self._publish_event(conversation, event)
        return event

    async def _publish_event(self, conversation: Conversation, event: Event) -> None:
        await self.publish(conversation_topic(conversation.id), frame_of(event))
        if conversation.status is not ConversationStatus.BOT or event.kind in (
            EventKind.AGENT_JOINED,
            EventKind.AGENT_LEFT,
            EventKind.AGENT_MESSAGE,
        ):
            await self.publish(STAFF_TOPIC, _staff_notice(conversation.id, event))

    async def _queue_changed(self) -> None:
        await self.publish(STAFF_TOPIC, {"type": "queue_changed"})

    async def _get(self, conversation_id: str) -> Conversation:
        async with self._storage():
            conversation = await self.store.conversations.get(conversation_id)
        if conversation is None:
            raise ConversationNotFoundError("no such conversation")
        return conversation

    async def _held(self, staff: StaffAccount, conversation_id: str) -> Conversation:
        conversation = await self._get(conversation_id)
        if conversation.status is not ConversationStatus.AGENT or conversation.agent_id != staff.id:
            raise NotHolderError("you do not hold this conversation; claim it first")
        return conversation

    async def _release(
        self, staff: StaffAccount, conversation_id: str, status: ConversationStatus
    ) -> None:
        async with self._storage():
            released = await self.store.conversations.release(conversation_id, staff.id, status)
        if not released:
            raise NotHolderError("you no longer hold this conversation")

    def _state_of(self, conversation: Conversation) -> ConversationState:
        if conversation.state:
            try:
                return ConversationState.model_validate(conversation.state)
            except ValidationError:
                logger.warning("stored dialogue state no longer validates; starting afresh")
        return ConversationState(
            conversation_id=conversation.id,
            investor_id=conversation.investor_id,
            language="en" if conversation.language == "en" else "zh",
        )

    async def _frames_for(self, conversation_id: str, ack: Ack) -> list[Message]:
        """The stored message and the replies to it (a re-sent message's outcome).

        Raises :class:`ReplyDelayedError` while its answer is still owed (pending).
        """
        async with self._storage():
            events = await self.store.conversations.events_after(conversation_id, ack.seq - 1)
        frames = [
            frame_of(event)
            for event in events
            if event.seq == ack.seq
            or (
                event.kind is EventKind.REPLY and event.payload.get("reply_to") == ack.client_msg_id
            )
        ]
        if len(frames) == 1:
            async with self._storage():
                pending = await self.store.conversations.pending_turns(conversation_id)
            if any(turn.client_msg_id == ack.client_msg_id for turn in pending):
                raise ReplyDelayedError()
        return frames

    async def agent_name(self, staff_id: str | None) -> str | None:
        """The display name of a staff member (cached: names rarely change)."""
        if staff_id is None:
            return None
        if staff_id not in self._staff_names:
            async with self._storage():
                account = await self.store.staff.get(staff_id)
            if account is None:
                return None
            self._staff_names[staff_id] = account.display_name
        return self._staff_names[staff_id]

    async def _last_investor_text(self, conversation: Conversation) -> str | None:
        async with self._storage():
            recent = await self.store.conversations.events_after(
                conversation.id, max(0, conversation.last_seq - 10)
            )
        for event in reversed(recent):
            if event.kind is EventKind.INVESTOR_MESSAGE:
                return str(event.payload.get("text", ""))
        return None

    @contextlib.asynccontextmanager
    async def _storage(self) -> AsyncIterator[None]:
        """Translate an unreachable database into the service's retryable refusal."""
        try:
            yield
        except StorageUnavailableError as exc:
            raise StorageBusyError(
                "the conversation store is unavailable; nothing was saved, please retry"
            ) from exc


def _reply_payload(reply: BotReply, message: Event, relay: _ChunkRelay | None) -> dict[str, Any]:
    return {
        "reply_to": message.client_msg_id,
        "stream_id": relay.stream_id if relay is not None and relay.index else None,
        "text": reply.text,
        "lang": reply.language,
        "action": reply.action.value,
        "intent": reply.intent.name if reply.intent else None,
        "sources": [
            {"id": s.id, "title": s.title, "source": s.source, "score": round(s.score, 4)}
            for s in reply.sources
        ],
        "quick_replies": reply.quick_replies,
        "flags": reply.flags,
    }


def _turn_record(
    conversation_id: str, reply_event: Event, message: Event, reply: BotReply
) -> TurnRecord:
    return TurnRecord(
        conversation_id=conversation_id,
        seq=reply_event.seq,
        question=str(message.payload.get("text", "")),
        language=reply.language,
        intent=reply.intent.name if reply.intent else None,
        confidence=reply.intent.confidence if reply.intent else None,
        action=reply.action.value,
        sources=[source.id for source in reply.sources],
        top_score=reply.sources[0].score if reply.sources else None,
        escalation_reason=reply.escalation.reason.value if reply.escalation else None,
        latency_ms=reply.latency_ms,
        created_at=reply_event.created_at,
    )


def _staff_notice(conversation_id: str, event: Event) -> Message:
    return {"type": "event", "conversation_id": conversation_id, "event": staff_event(event)}


def _push_message_id(dedupe_key: str) -> str:
    """``push/<key>``, hashed when too long for a client message id (64 characters).

    "/" is never in an investor's client id (the protocol's pattern), so an investor
    cannot take a push's id and have the push dropped as a duplicate.
    """
    candidate = f"push/{dedupe_key}"
    if len(candidate) <= 64:
        return candidate
    return "push/" + hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()[:48]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
