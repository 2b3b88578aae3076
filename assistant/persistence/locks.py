"""Conversation locks that hold across server processes.

Every process that shares a PostgreSQL database takes a session-level advisory lock keyed by
the conversation id for the whole of a turn (or an agent's action), so a turn always reads
the dialogue state the previous one wrote, whichever process ran it. The locks live on their
own small pool of connections: a turn holding one still gets its reads and writes from the
store's pool, so waiting for a lock can never starve the work that would release it. A process
that dies loses its connections, and PostgreSQL releases its locks with them.

SQLite serves one process only (``assistant serve --workers`` refuses more than one on it):
the in-process lock that the conversation service takes first is the whole story there.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator
from typing import Final

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from assistant.persistence.database import CONNECT_TIMEOUT_S
from assistant.persistence.repositories import StorageUnavailableError

logger = logging.getLogger(__name__)

LOCK_WAIT_S: Final = 30.0
"""Longest a turn waits for the previous one of its conversation (on any process)."""

_KEY_SPACE: Final = b"brokerdesk.conversation-turn"


class SingleProcessLocks:
    """Nothing to share: one process owns the database (SQLite)."""

    @contextlib.asynccontextmanager
    async def hold(self, conversation_id: str) -> AsyncIterator[None]:
        yield

    async def close(self) -> None:
        return None


def advisory_key(conversation_id: str) -> int:
    """A signed 64-bit key for ``pg_advisory_lock``; a collision only serialises two
    conversations' turns, it never lets two turns of one conversation overlap."""
    digest = hashlib.blake2b(conversation_id.encode(), digest_size=8, key=_KEY_SPACE).digest()
    return int.from_bytes(digest, "big", signed=True)


class AdvisoryLocks:
    """PostgreSQL session-level advisory locks, on a pool of their own."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @classmethod
    def for_url(
        cls, url: str, *, pool_size: int, max_overflow: int, wait_s: float = LOCK_WAIT_S
    ) -> AdvisoryLocks:
        """A lock pool on ``url`` (an asyncpg URL); nothing connects until the first lock."""
        engine = create_async_engine(
            url,
            pool_pre_ping=True,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=wait_s,
            isolation_level="AUTOCOMMIT",  # a lock outlives no transaction: none is open
            connect_args={
                "timeout": CONNECT_TIMEOUT_S,
                "server_settings": {"lock_timeout": str(round(wait_s * 1000))},
            },
        )
        return cls(engine)

    @contextlib.asynccontextmanager
    async def hold(self, conversation_id: str) -> AsyncIterator[None]:
        key = {"key": advisory_key(conversation_id)}
        try:
            connection = await self._engine.connect()
        except (DBAPIError, PoolTimeoutError, OSError, TimeoutError) as exc:
            raise StorageUnavailableError(
                f"no connection for the conversation lock: {type(exc).__name__}"
            ) from exc
        try:
            try:
                await connection.execute(text("SELECT pg_advisory_lock(:key)"), key)
            except BaseException as exc:
                # A wait cut short (cancelled, timed out) may still have been granted: the
                # session is dropped rather than pooled, so no lock outlives this block.
                await connection.invalidate()
                if isinstance(exc, DBAPIError | OSError | TimeoutError):
                    raise StorageUnavailableError(
                        "the conversation is busy on another process, or the database is away"
                    ) from exc
                raise
            try:
                yield
            finally:
                try:
                    await connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)
                except Exception as exc:
                    # A lost session has lost its locks; closing it releases them for sure.
                    logger.warning("conversation lock not released cleanly: %s", exc)
                    await connection.invalidate()
                except BaseException:
                    await connection.invalidate()
                    raise
        finally:
            await connection.close()

    async def close(self) -> None:
        await self._engine.dispose()
