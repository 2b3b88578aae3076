"""What every part of the conversation service shares: the store (its outages turned into
the service's retryable refusal), the bus, the clock, the locks and the background tasks."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from assistant.conversations import frames
from assistant.conversations.concurrency import BackgroundTasks, ConversationLocks
from assistant.conversations.errors import (
    ConversationNotFoundError,
    NotYourConversationError,
    StorageBusyError,
)
from assistant.dialogue_models import ConversationState
from assistant.persistence.records import Conversation, ConversationStatus, Event, EventKind
from assistant.persistence.repositories import StorageUnavailableError, Store
from channels.bus import Bus, Message
from channels.errors import BusError
from channels.topics import STAFF_TOPIC, conversation_topic

logger = logging.getLogger(__name__)

_STAFF_EVENTS = (EventKind.AGENT_JOINED, EventKind.AGENT_LEFT, EventKind.AGENT_MESSAGE)


class ConversationCore:
    """Reads and writes of conversations, and their publication on the bus."""

    def __init__(self, *, store: Store, bus: Bus, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.bus = bus
        self.clock = clock
        self.locks = ConversationLocks(store)
        self.tasks = BackgroundTasks()
        self._staff_names: dict[str, str] = {}

    async def publish(self, topic: str, message: Message) -> None:
        """Best effort: what matters is already stored; a socket that missed it resumes."""
        try:
            await self.bus.publish(topic, message)
        except BusError as exc:
            logger.warning("bus publish on %s failed: %s", topic.split(":")[0], exc.code)

    @contextlib.asynccontextmanager
    async def storage(self) -> AsyncIterator[None]:
        """Translate an unreachable database into the service's retryable refusal."""
        try:
            yield
        except StorageUnavailableError as exc:
            raise StorageBusyError(
                "the conversation store is unavailable; nothing was saved, please retry"
            ) from exc

    async def get(self, conversation_id: str) -> Conversation:
        async with self.storage():
            conversation = await self.store.conversations.get(conversation_id)
        if conversation is None:
            raise ConversationNotFoundError("no such conversation")
        return conversation

    async def owned(self, investor_id: str, conversation_id: str) -> Conversation:
        """The conversation, if it is this investor's."""
        conversation = await self.get(conversation_id)
        if conversation.investor_id != investor_id:
            raise NotYourConversationError("this conversation belongs to someone else")
        return conversation

    def state_of(self, conversation: Conversation) -> ConversationState:
        """The stored dialogue state, or a fresh one when there is none (or it is stale)."""
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

    async def append_and_publish(
        self, conversation: Conversation, kind: EventKind, payload: dict[str, Any]
    ) -> Event:
        async with self.storage():
            event = await self.store.conversations.append(conversation.id, kind, payload)
        await self.publish_event(conversation, event)
        return event

    async def publish_event(self, conversation: Conversation, event: Event) -> None:
        """To the investor's sockets, and to the console when a person is involved."""
        await self.publish(conversation_topic(conversation.id), frames.frame_of(event))
        if conversation.status is not ConversationStatus.BOT or event.kind in _STAFF_EVENTS:
            await self.publish(STAFF_TOPIC, frames.staff_notice(conversation.id, event))

    async def queue_changed(self) -> None:
        await self.publish(STAFF_TOPIC, frames.queue_changed())

    async def agent_name(self, staff_id: str | None) -> str | None:
        """The display name of a staff member (cached: names rarely change)."""
        if staff_id is None:
            return None
        if staff_id not in self._staff_names:
            async with self.storage():
                account = await self.store.staff.get(staff_id)
            if account is None:
                return None
            self._staff_names[staff_id] = account.display_name
        return self._staff_names[staff_id]
