"""What an investor waiting for a person is told about the wait.

Two figures, both read from the store, neither guessed: how many waiting conversations
a person will take before this one (the console's own queue order), and the median time
from queued to taken over the claims of the last two hours. The median is left out when
fewer than three conversations were taken in that window (at night, or on a quiet
morning, there is nothing honest to say). Conversations still waiting are not in the
median, so it reads short when nobody is taking any: the window is kept short for that.

They reach the widget as a transient ``queue_status`` frame on the conversation's topic:
when the conversation is queued, when the investor reconnects while it waits, and from
the app's periodic refresh as the queue moves.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from assistant.persistence.records import Conversation, ConversationStatus
from assistant.persistence.repositories import StorageError, Store
from channels.bus import Message
from channels.protocol import QueueStatus
from channels.topics import conversation_topic

logger = logging.getLogger(__name__)

RECENT_CLAIMS = timedelta(hours=2)
MIN_CLAIMS = 3

Publish = Callable[[str, Message], Awaitable[None]]


def typical_wait_s(waits: Sequence[float], min_claims: int = MIN_CLAIMS) -> float | None:
    """The median of ``waits``, rounded to whole seconds; None for fewer than ``min_claims``."""
    if len(waits) < min_claims:
        return None
    return float(round(statistics.median(waits)))


def ahead_of(queue: Sequence[Conversation], conversation_id: str) -> int | None:
    """Waiting conversations before ``conversation_id`` in the queue's order; None when it
    is not waiting (taken, back with the bot, or not in the queue at all)."""
    ahead = 0
    for conversation in queue:
        if conversation.status is not ConversationStatus.QUEUED:
            continue
        if conversation.id == conversation_id:
            return ahead
        ahead += 1
    return None


class QueueWaits:
    """Computes ``queue_status`` frames from the store and publishes them."""

    def __init__(
        self,
        store: Store,
        publish: Publish,
        clock: Callable[[], datetime],
        *,
        window: timedelta = RECENT_CLAIMS,
        min_claims: int = MIN_CLAIMS,
    ) -> None:
        self.store = store
        self.publish = publish
        self.clock = clock
        self.window = window
        self.min_claims = min_claims

    async def statuses(self) -> dict[str, QueueStatus]:
        """The status of every waiting conversation, by id."""
        queue = await self.store.conversations.queue()
        waiting = [c.id for c in queue if c.status is ConversationStatus.QUEUED]
        if not waiting:
            return {}
        typical = await self._typical_wait_s()
        return {
            conversation_id: QueueStatus(ahead=ahead, typical_wait_s=typical)
            for ahead, conversation_id in enumerate(waiting)
        }

    async def status(self, conversation_id: str) -> QueueStatus | None:
        """Where ``conversation_id`` stands; None when it is not waiting for a person."""
        queue = await self.store.conversations.queue()
        ahead = ahead_of(queue, conversation_id)
        if ahead is None:
            return None
        return QueueStatus(ahead=ahead, typical_wait_s=await self._typical_wait_s())

    async def announce(self, conversation_id: str) -> None:
        """Publish where ``conversation_id`` stands, if it is waiting. Best effort: the figures
        are information, refreshed later, so a store outage skips them (and is logged)."""
        try:
            status = await self.status(conversation_id)
        except StorageError as exc:
            logger.warning("queue status not sent: %s", exc)
            return
        if status is not None:
            await self.publish(conversation_topic(conversation_id), status.model_dump(mode="json"))

    async def announce_all(self) -> int:
        """Publish every waiting conversation's status; how many were sent."""
        statuses = await self.statuses()
        for conversation_id, status in statuses.items():
            await self.publish(conversation_topic(conversation_id), status.model_dump(mode="json"))
        return len(statuses)

    async def _typical_wait_s(self) -> float | None:
        since = self.clock() - self.window
        return typical_wait_s(await self.store.conversations.claim_waits(since), self.min_claims)
