"""The outbox's SQL repository: proactive pushes from queued to delivered to opened, and
the kinds investors muted. Part of the SQL store (:mod:`assistant.persistence.sql`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Select, Table, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from assistant.persistence.database import Database
from assistant.persistence.records import OutboxItem, PushMute
from assistant.persistence.repositories import NotFoundError
from assistant.persistence.tables import outbox, push_mutes


def _insert_if_new(dialect: str, table: Table, values: dict[str, Any]) -> Insert:
    """An INSERT that does nothing (rowcount 0) where a unique key already holds the row."""
    if dialect == "postgresql":
        return postgresql.insert(table).values(values).on_conflict_do_nothing()
    return sqlite.insert(table).values(values).on_conflict_do_nothing()


class SqlOutboxRepository:
    """Proactive pushes, one per investor and dedupe key."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(self, item: OutboxItem) -> bool:
        statement = _insert_if_new(self._db.dialect, outbox, item.model_dump(exclude={"id"}))
        return await self._one_row(statement)

    async def pending(self, investor_id: str, now: datetime) -> list[OutboxItem]:
        query = (
            select(outbox)
            .where(
                outbox.c.investor_id == investor_id,
                outbox.c.delivered_at.is_(None),
                or_(outbox.c.not_before.is_(None), outbox.c.not_before <= now),
                or_(outbox.c.expires_at.is_(None), outbox.c.expires_at > now),
            )
            .order_by(outbox.c.created_at, outbox.c.id)
        )
        return await self._items(query)

    async def mark_delivered(self, item_id: int, conversation_id: str, at: datetime) -> None:
        async def work(connection: AsyncConnection) -> None:
            statement = (
                update(outbox)
                .where(outbox.c.id == item_id)
                .values(delivered_at=at, conversation_id=conversation_id)
            )
            if (await connection.execute(statement)).rowcount != 1:
                raise NotFoundError(f"no outbox item {item_id}")

        await self._db.write(work)

    async def delivered_in(self, investor_id: str, conversation_id: str) -> list[OutboxItem]:
        query = (
            select(outbox)
            .where(
                outbox.c.investor_id == investor_id,
                outbox.c.conversation_id == conversation_id,
                outbox.c.delivered_at.is_not(None),
            )
            .order_by(outbox.c.delivered_at, outbox.c.id)
        )
        return await self._items(query)

    async def mark_opened(self, investor_id: str, dedupe_key: str, at: datetime) -> bool:
        # One conditional UPDATE: the investor's own push, delivered, not yet opened.
        statement = (
            update(outbox)
            .where(
                outbox.c.investor_id == investor_id,
                outbox.c.dedupe_key == dedupe_key,
                outbox.c.delivered_at.is_not(None),
                outbox.c.opened_at.is_(None),
            )
            .values(opened_at=at)
        )
        return await self._one_row(statement)

    async def discard_expired(self, now: datetime) -> int:
        """Never shown to anyone, so nothing of the transcript is lost; the dedupe key goes
        too, which is safe: sources do not return events that are over."""
        statement = delete(outbox).where(
            outbox.c.delivered_at.is_(None), outbox.c.expires_at <= now
        )

        async def work(connection: AsyncConnection) -> int:
            return int((await connection.execute(statement)).rowcount)

        return await self._db.write(work)

    async def delivered_since(self, investor_id: str, since: datetime) -> int:
        query = select(func.count()).where(
            outbox.c.investor_id == investor_id, outbox.c.delivered_at >= since
        )

        async def work(connection: AsyncConnection) -> int:
            return int((await connection.execute(query)).scalar_one())

        return await self._db.read(work)

    async def mute(self, investor_id: str, kind: str, at: datetime) -> bool:
        values = {"investor_id": investor_id, "kind": kind, "muted_at": at}
        statement = _insert_if_new(self._db.dialect, push_mutes, values)
        return await self._one_row(statement)

    async def delivered_between(self, since: datetime, until: datetime) -> list[OutboxItem]:
        query = (
            select(outbox)
            .where(outbox.c.delivered_at >= since, outbox.c.delivered_at < until)
            .order_by(outbox.c.delivered_at, outbox.c.id)
        )
        return await self._items(query)

    async def mutes_between(self, since: datetime, until: datetime) -> list[PushMute]:
        query = (
            select(push_mutes)
            .where(push_mutes.c.muted_at >= since, push_mutes.c.muted_at < until)
            .order_by(push_mutes.c.muted_at)
        )

        async def work(connection: AsyncConnection) -> list[PushMute]:
            return [
                PushMute.model_validate(row._mapping) for row in await connection.execute(query)
            ]

        return await self._db.read(work)

    async def stored_keys(self, investor_id: str) -> set[str]:
        query = select(outbox.c.dedupe_key).where(outbox.c.investor_id == investor_id)

        async def work(connection: AsyncConnection) -> set[str]:
            return {row.dedupe_key for row in await connection.execute(query)}

        return await self._db.read(work)

    async def muted_kinds(self, investor_id: str) -> set[str]:
        query = select(push_mutes.c.kind).where(push_mutes.c.investor_id == investor_id)

        async def work(connection: AsyncConnection) -> set[str]:
            return {row.kind for row in await connection.execute(query)}

        return await self._db.read(work)

    async def _items(self, query: Select[Any]) -> list[OutboxItem]:
        async def work(connection: AsyncConnection) -> list[OutboxItem]:
            return [
                OutboxItem.model_validate(row._mapping) for row in await connection.execute(query)
            ]

        return await self._db.read(work)

    async def _one_row(self, statement: Any) -> bool:
        """Run a write; whether it touched exactly one row."""

        async def work(connection: AsyncConnection) -> bool:
            return (await connection.execute(statement)).rowcount == 1

        return await self._db.write(work)
