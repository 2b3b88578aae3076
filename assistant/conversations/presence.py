"""Who is here: investors' open sockets on this process, the pushes delivered to them,
and typing notices between an investor and the agent who holds the conversation."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from assistant.conversations import frames
from assistant.conversations.core import ConversationCore
from assistant.conversations.errors import NotAPushError, SeqOutOfRangeError
from assistant.conversations.investors import Investors
from assistant.dialogue_models import Language
from assistant.persistence.records import ConversationStatus, EventKind, OutboxItem
from assistant.persistence.repositories import DuplicateMessageError
from assistant.proactive.events import PushPayload
from channels.topics import STAFF_TOPIC, conversation_topic

_TYPING_RELAY_INTERVAL_S = 2.0

ConnectListener = Callable[[str], Awaitable[None]]


class Presence:
    """Open investor sockets on this process, pushes into their conversations, typing."""

    def __init__(self, core: ConversationCore, investors: Investors) -> None:
        self.core = core
        self.investors = investors
        self._sockets: dict[str, int] = {}
        self._connect_listeners: list[ConnectListener] = []
        self._typing_relayed: dict[tuple[str, str], float] = {}

    def on_investor_connected(self, callback: ConnectListener) -> None:
        """Run ``callback(investor_id)`` after every successful hello on this process."""
        self._connect_listeners.append(callback)

    def is_connected(self, investor_id: str) -> bool:
        """Whether one of this investor's sockets is open on this process."""
        return investor_id in self._sockets

    def online_investors(self) -> list[str]:
        """Investors with a socket open on this process."""
        return list(self._sockets)

    def investor_connected(self, investor_id: str) -> None:
        """Count the socket and run the connect listeners in the background (a failing
        listener is logged by the task's done-callback; it never reaches the socket)."""
        self._sockets[investor_id] = self._sockets.get(investor_id, 0) + 1
        for listener in self._connect_listeners:
            self.core.tasks.spawn(listener(investor_id))

    def investor_disconnected(self, investor_id: str) -> None:
        left = self._sockets.get(investor_id, 0) - 1
        if left > 0:
            self._sockets[investor_id] = left
        else:
            self._sockets.pop(investor_id, None)

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
        conversation = await self.investors.open_conversation(investor_id)
        language: Language = "en" if conversation.language == "en" else "zh"
        payload = dict(content(language))
        try:
            async with self.core.storage():
                event = await self.core.store.conversations.append(
                    conversation.id, EventKind.SUGGESTION, payload, _push_message_id(dedupe_key)
                )
        except DuplicateMessageError:
            return conversation.id, None
        await self.core.publish_event(conversation, event)
        return conversation.id, event.seq

    async def push_opened(self, investor_id: str, conversation_id: str, seq: int) -> bool:
        """The investor saw the suggestion at ``seq`` of their conversation: its outbox item
        is marked opened, once. True when this was the first time.

        Raises :class:`SeqOutOfRangeError` for a seq never sent and :class:`NotAPushError`
        when the entry there is not a push delivered to this investor.
        """
        conversation = await self.core.owned(investor_id, conversation_id)
        if seq > conversation.last_seq:
            raise SeqOutOfRangeError(f"no seq {seq} in this conversation")
        async with self.core.storage():
            found = await self.core.store.conversations.events_after(conversation_id, seq - 1)
            event = found[0] if found else None
            if event is None or event.seq != seq or event.kind is not EventKind.SUGGESTION:
                raise NotAPushError(f"seq {seq} is not a suggestion")
            outbox = self.core.store.outbox
            # The transcript names the push by its message id (push/<dedupe key>).
            push = next(
                (
                    item
                    for item in await outbox.delivered_in(investor_id, conversation_id)
                    if _push_message_id(item.dedupe_key) == event.client_msg_id
                ),
                None,
            )
            if push is None:
                raise NotAPushError(f"seq {seq} is not a push delivered to you")
            return await outbox.mark_opened(investor_id, push.dedupe_key, self.core.clock())

    async def investor_typing(self, investor_id: str, conversation_id: str) -> None:
        """Show the agent holding the conversation that the investor is typing."""
        if not self._typing_throttle(("investor", conversation_id)):
            return
        conversation = await self.core.owned(investor_id, conversation_id)
        if conversation.status is ConversationStatus.AGENT:
            await self.core.publish(STAFF_TOPIC, frames.investor_typing(conversation_id))

    async def agent_typing(self, staff_id: str, conversation_id: str) -> None:
        """Show the investor that the agent holding the conversation is typing."""
        if not self._typing_throttle(("agent", conversation_id)):
            return
        conversation = await self.core.get(conversation_id)
        if conversation.status is ConversationStatus.AGENT and conversation.agent_id == staff_id:
            await self.core.publish(
                conversation_topic(conversation_id), frames.typing("agent", active=True)
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


class PushTarget(Protocol):
    def is_connected(self, investor_id: str) -> bool: ...

    def online_investors(self) -> list[str]: ...

    async def deliver_push(
        self,
        investor_id: str,
        content: Callable[[Language], Mapping[str, Any]],
        *,
        dedupe_key: str,
    ) -> tuple[str, int | None]: ...


class PushDeliverer:
    """The proactive dispatcher's :class:`assistant.proactive.Deliverer`: pushes reach
    investors connected to this process, through the service's ``deliver_push``."""

    def __init__(self, service: PushTarget) -> None:
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


def _push_message_id(dedupe_key: str) -> str:
    """``push/<key>``, hashed when too long for a client message id (64 characters).

    "/" is never in an investor's client id (the protocol's pattern), so an investor
    cannot take a push's id and have the push dropped as a duplicate.
    """
    candidate = f"push/{dedupe_key}"
    if len(candidate) <= 64:
        return candidate
    return "push/" + hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()[:48]
