"""What runs at once: one lock per conversation (over every process on the database), and
the service's background tasks (turns in flight among them), so a turn outlives the caller
that started it and runs only once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable
from typing import Any

from assistant.persistence.repositories import Store
from channels.bus import Message

logger = logging.getLogger(__name__)

MessageKey = tuple[str, str]
"""A stored investor message: (conversation id, client message id)."""


class ConversationLocks:
    """One lock per conversation in use: an asyncio lock in this process, forgotten when
    nobody waits on it, then the store's lock over every process sharing the database
    (taken second, so each process holds at most one database lock per conversation)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, conversation_id: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(conversation_id, (asyncio.Lock(), 0))
        self._locks[conversation_id] = (lock, users + 1)
        try:
            async with lock, self._store.locks.hold(conversation_id):
                yield
        finally:
            lock, users = self._locks[conversation_id]
            if users <= 1:
                del self._locks[conversation_id]
            else:
                self._locks[conversation_id] = (lock, users - 1)


class BackgroundTasks:
    """Tasks the service started and waits for on close; the turns among them by message."""

    def __init__(self) -> None:
        self.inflight: dict[MessageKey, asyncio.Task[list[Message]]] = {}
        self._background: set[asyncio.Task[Any]] = set()

    def run_turn(
        self, key: MessageKey, work: Awaitable[list[Message]]
    ) -> asyncio.Task[list[Message]]:
        """Run the turn for message ``key`` (conversation, client id), known as in flight
        until it ends, so neither a re-send nor a sweep starts it a second time here."""
        task = self.spawn(work)
        self.inflight[key] = task
        task.add_done_callback(lambda _: self.inflight.pop(key, None))
        return task

    def spawn(self, work: Awaitable[Any]) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._finished)
        return task

    async def close(self, timeout_s: float = 10.0) -> None:
        """Let running tasks finish (up to ``timeout_s``), then cancel the rest."""
        if self._background:
            _, pending = await asyncio.wait(set(self._background), timeout=timeout_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            logger.error("a conversation task failed", exc_info=error)
