"""The investor's turn: a message stored and acknowledged, then answered by the dialogue
policy under the conversation's lock, with retries, and a sweep for turns left unanswered."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from assistant.compliance import ComplianceGuard
from assistant.conversations import frames
from assistant.conversations.core import ConversationCore
from assistant.conversations.errors import (
    ConversationClosedError,
    ReplyDelayedError,
    StorageBusyError,
)
from assistant.conversations.streaming import ChunkRelay
from assistant.conversations.tickets import Tickets, TurnInProgress
from assistant.dialogue import DialoguePolicy
from assistant.dialogue_models import Action, BotReply, ConversationState
from assistant.flows import FlowContext
from assistant.persistence.records import (
    Conversation,
    ConversationStatus,
    Event,
    EventKind,
    TurnRecord,
)
from assistant.persistence.repositories import DuplicateMessageError, StorageUnavailableError
from assistant.pii import mask_pii
from assistant.templates import template
from channels.bus import Message
from channels.protocol import Ack, Error, ErrorCode
from channels.topics import STAFF_TOPIC, conversation_topic

logger = logging.getLogger(__name__)

_REPLY_STORE_ATTEMPTS = (0.2, 0.5, 1.0)
_PENDING_LEASE_S = 30.0  # a sweep owns a pending turn this long, then another may retry it
MAX_TURN_ATTEMPTS = 5  # sweeps before the investor gets an apology instead of an answer


class Turns:
    """Investor messages in, bot replies out; nothing acknowledged is left unanswered."""

    def __init__(
        self,
        core: ConversationCore,
        tickets: Tickets,
        policy: DialoguePolicy,
        guard: ComplianceGuard,
    ) -> None:
        self.core = core
        self.tickets = tickets
        self.policy = policy
        self.guard = guard
        self._accepted: dict[tuple[str, str], Event] = {}

    async def accept(
        self, investor_id: str, conversation_id: str, client_msg_id: str, text: str
    ) -> Ack:
        """Store the masked message; the returned ack may be sent, the turn is not run yet.

        A client message id already stored gives ``duplicate=True`` and no new turn.
        """
        conversation = await self.core.owned(investor_id, conversation_id)
        if conversation.status is ConversationStatus.RESOLVED:
            raise ConversationClosedError(
                "this conversation was resolved; open a new one to continue"
            )
        payload = {"client_msg_id": client_msg_id, "text": mask_pii(text)}
        try:
            async with self.core.storage():
                event = await self.core.store.conversations.append(
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
        task = self.core.tasks.inflight.get(key)
        message = self._accepted.pop(key, None)
        if task is None and message is not None:
            task = self.core.tasks.run_turn(key, self._answer(conversation_id, text, message))
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
        self.core.tasks.spawn(self._answer_or_tell(conversation_id, text, ack))

    async def answer_pending(self, older_than_s: float, limit: int = 50) -> int:
        """Answer acknowledged messages whose turn never finished (a storage outage, a
        crashed process), oldest first; how many were answered.

        Each is leased first, so several processes sweeping at once share the work. A
        message that failed :data:`MAX_TURN_ATTEMPTS` sweeps gets an apology instead.
        """
        tasks = self.core.tasks
        older_than = self.core.clock() - timedelta(seconds=older_than_s)
        # A turn still running here is not leased: if it fails, the next sweep retries it
        # at once instead of after the lease (an LLM answer can outlast the sweep's age).
        leased = await self.core.store.conversations.lease_pending_turns(
            older_than, _PENDING_LEASE_S, limit, skip=set(tasks.inflight)
        )
        runs: list[asyncio.Task[list[Message]]] = []
        for pending, message in leased:
            key = (pending.conversation_id, pending.client_msg_id)
            if key in tasks.inflight:
                continue  # its first try is still running here
            if pending.attempts > MAX_TURN_ATTEMPTS:
                work = self._give_up(pending.conversation_id, message)
            else:
                text = str(message.payload.get("text", ""))
                work = self._answer(pending.conversation_id, text, message)
            runs.append(tasks.run_turn(key, work))
        results = await asyncio.gather(*runs, return_exceptions=True)
        return sum(1 for result in results if not isinstance(result, BaseException))

    async def _answer(self, conversation_id: str, text: str, message: Event) -> list[Message]:
        # The lock is taken first, in the order the turns were started, so replies follow
        # the order the investor's messages were accepted in.
        async with self.core.locks.hold(conversation_id):
            conversation = await self.core.get(conversation_id)
            echo = frames.frame_of(message)
            await self.core.publish(conversation_topic(conversation_id), echo)
            if conversation.status is not ConversationStatus.BOT:
                await self._to_staff(conversation_id, message)
                await self.core.queue_changed()
                return [echo]
            return [echo, *await self._turn(conversation, text, message)]

    async def _answer_or_tell(self, conversation_id: str, text: str, ack: Ack) -> None:
        try:
            await self.answer(conversation_id, text, ack)
        except ReplyDelayedError as exc:
            logger.warning("answer to an acknowledged message delayed: %s", exc.__cause__)
            delayed = Error(
                code=ErrorCode.REPLY_DELAYED, message=exc.message, client_msg_id=ack.client_msg_id
            )
            await self.core.publish(
                conversation_topic(conversation_id), delayed.model_dump(mode="json")
            )

    async def _to_staff(self, conversation_id: str, message: Event) -> None:
        """A message for the person who holds (or will take) the conversation."""
        await self.core.publish(STAFF_TOPIC, frames.staff_notice(conversation_id, message))
        await self.core.store.conversations.settle_turn(conversation_id, str(message.client_msg_id))

    async def _turn(self, conversation: Conversation, text: str, message: Event) -> list[Message]:
        """One bot turn of a conversation the bot holds; the caller holds its lock (so an
        earlier message that escalated it has been seen)."""
        core = self.core
        conversation_id = conversation.id
        topic = conversation_topic(conversation_id)
        state = core.state_of(conversation)
        relay = (
            ChunkRelay(core.publish, conversation_id, self.guard)
            if self.policy.llm is not None
            else None
        )
        turn = TurnInProgress(self.tickets, conversation_id, conversation.investor_id)
        await core.publish(topic, frames.typing("bot", active=True))
        try:
            reply = await self.policy.respond(
                state, text, stream=relay, flow_context=FlowContext(tickets=turn)
            )
            event = await self._complete_turn(conversation_id, message, reply, state, relay)
        except BaseException:
            await self._stop_typing(topic, relay)
            raise
        if event is None:
            # Another process answered it first (a sweep raced a slow first try).
            await self._stop_typing(topic, relay)
            return []
        if reply.escalation is not None:
            # Queued before the investor reads "connecting you": the console has it first.
            await self.tickets.escalate(conversation, reply.escalation, turn.ticket_id)
        frame = frames.frame_of(event)
        await core.publish(topic, frame)
        await core.publish(topic, frames.typing("bot", active=False))
        return [frame]

    async def _stop_typing(self, topic: str, relay: ChunkRelay | None) -> None:
        """No stored reply from this try: what it streamed is withdrawn, the bot stops typing."""
        if relay is not None:
            await relay.withdraw()
        await self.core.publish(topic, frames.typing("bot", active=False))

    async def _complete_turn(
        self,
        conversation_id: str,
        message: Event,
        reply: BotReply,
        state: ConversationState,
        relay: ChunkRelay | None,
    ) -> Event | None:
        """Store the reply, state and turn record at once; None when another process
        already answered. A brief outage is retried (the question was acknowledged)."""
        stream_id = relay.shown_stream_id if relay is not None else None
        payload = frames.reply_payload(reply, message.client_msg_id, stream_id)
        attempts = (*_REPLY_STORE_ATTEMPTS, None)
        for delay in attempts:
            try:
                return await self.core.store.conversations.complete_turn(
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
        core = self.core
        async with core.locks.hold(conversation_id):
            conversation = await core.get(conversation_id)
            state = core.state_of(conversation)
            language = state.language
            apology = BotReply(
                text=template("turn_gave_up", language),
                language=language,
                action=Action.FAILED,
                quick_replies=["转人工" if language == "zh" else "agent"],
                latency_ms=(core.clock() - message.created_at).total_seconds() * 1000,
            )
            event = await self._complete_turn(conversation_id, message, apology, state, None)
            if event is None:
                return []
            logger.error(
                "gave up answering message seq %d of conversation %s after %d tries",
                message.seq,
                conversation_id,
                MAX_TURN_ATTEMPTS,
            )
            frame = frames.frame_of(event)
            await core.publish(conversation_topic(conversation_id), frame)
            return [frame]

    async def _frames_for(self, conversation_id: str, ack: Ack) -> list[Message]:
        """The stored message and the replies to it (a re-sent message's outcome).

        Raises :class:`ReplyDelayedError` while its answer is still owed (pending).
        """
        store = self.core.store
        async with self.core.storage():
            events = await store.conversations.events_after(conversation_id, ack.seq - 1)
        found = [
            frames.frame_of(event)
            for event in events
            if event.seq == ack.seq
            or (
                event.kind is EventKind.REPLY and event.payload.get("reply_to") == ack.client_msg_id
            )
        ]
        if len(found) == 1:
            async with self.core.storage():
                pending = await store.conversations.pending_turns(conversation_id)
            if any(turn.client_msg_id == ack.client_msg_id for turn in pending):
                raise ReplyDelayedError()
        return found


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
