"""The SQL store: every repository protocol over one SQLAlchemy async engine, SQLite
(aiosqlite) by default and PostgreSQL (asyncpg) by URL.

    store = await open_store("sqlite+aiosqlite:///var/brokerdesk.db")
    conversation = await store.conversations.create("INV-1001", "zh")
    ...
    await store.close()

Each method is one transaction. Concurrency rests on the database, not on this process:
sequence numbers come from a conditional ``UPDATE ... RETURNING`` on the conversation row
(which also locks it until the event is inserted), and claims are conditional updates, so
several application processes can share one PostgreSQL database.

One module per repository: conversations (:mod:`~assistant.persistence.sql_conversations`),
tickets (:mod:`~assistant.persistence.sql_tickets`), staff (:mod:`~assistant.persistence.sql_staff`)
and, here, the push outbox, with the :class:`SqlStore` that holds them all.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Insert, Table, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from assistant.persistence.database import (
    POOL_MAX_OVERFLOW,
    POOL_SIZE,
    SQLITE_BUSY_TIMEOUT_S,
    Clock,
    Database,
    create_engine,
    upgrade_schema,
    utc_now,
)
from assistant.persistence.locks import AdvisoryLocks, SingleProcessLocks
from assistant.persistence.records import OutboxItem, PushMute
from assistant.persistence.repositories import (
    ConversationRepository,
    CrossProcessLocks,
    NotFoundError,
    OutboxRepository,
    StaffRepository,
    TicketRepository,
)
from assistant.persistence.sql_conversations import SqlConversationRepository
from assistant.persistence.sql_staff import SqlStaffRepository
from assistant.persistence.sql_tickets import SqlTicketRepository
from assistant.persistence.tables import outbox, push_mutes

if TYPE_CHECKING:
    from assistant.persistence.repositories import Store


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

        async def work(connection: AsyncConnection) -> bool:
            return (await connection.execute(statement)).rowcount == 1

        return await self._db.write(work)

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

        async def work(connection: AsyncConnection) -> list[OutboxItem]:
            rows = await connection.execute(query)
            return [OutboxItem.model_validate(row._mapping) for row in rows]

        return await self._db.read(work)

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

        async def work(connection: AsyncConnection) -> bool:
            return (await connection.execute(statement)).rowcount == 1

        return await self._db.write(work)

    async def delivered_between(self, since: datetime, until: datetime) -> list[OutboxItem]:
        query = (
            select(outbox)
            .where(outbox.c.delivered_at >= since, outbox.c.delivered_at < until)
            .order_by(outbox.c.delivered_at, outbox.c.id)
        )

        async def work(connection: AsyncConnection) -> list[OutboxItem]:
            return [
                OutboxItem.model_validate(row._mapping) for row in await connection.execute(query)
            ]

        return await self._db.read(work)

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


class SqlStore:
    """Every repository over one engine. Build it with :func:`open_store`."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        clock: Clock = utc_now,
        locks: CrossProcessLocks | None = None,
    ) -> None:
        self.engine = engine
        db = Database(engine, clock)
        self._db = db
        # Typed as the protocols, which also checks that each repository implements its own.
        self.conversations: ConversationRepository = SqlConversationRepository(db)
        self.tickets: TicketRepository = SqlTicketRepository(db)
        self.staff: StaffRepository = SqlStaffRepository(db)
        self.outbox: OutboxRepository = SqlOutboxRepository(db)
        # Without a lock pool (SQLite, or a store used by one process) the service's
        # in-process lock is the only one.
        self.locks: CrossProcessLocks = locks or SingleProcessLocks()

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._db.dialect

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.locks.close()
        await self._db.close()


async def open_store(
    database_url: str,
    *,
    migrate: bool = True,
    clock: Clock = utc_now,
    sqlite_busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S,
    pool_size: int = POOL_SIZE,
    max_overflow: int = POOL_MAX_OVERFLOW,
) -> SqlStore:
    """Connect to ``database_url`` (``sqlite+aiosqlite:///path`` or
    ``postgresql+asyncpg://user@host/db``; plain ``sqlite://``/``postgresql://`` pick those
    drivers) and, unless ``migrate`` is False, upgrade the schema to the newest revision.

    Raises :class:`StorageUnavailableError` when migrating and the database cannot be
    reached. Without migrating nothing connects until the first call.

    On PostgreSQL the store's ``locks`` serialise each conversation's turns over every
    process on the database, on a pool of their own of the same size.
    """
    engine = create_engine(
        database_url,
        sqlite_busy_timeout_s=sqlite_busy_timeout_s,
        pool_size=pool_size,
        max_overflow=max_overflow,
    )
    try:
        if migrate:
            await upgrade_schema(engine)
    except BaseException:
        await engine.dispose()
        raise
    locks: CrossProcessLocks | None = None
    if engine.dialect.name == "postgresql":
        locks = AdvisoryLocks.for_url(
            engine.url.render_as_string(hide_password=False),
            pool_size=pool_size,
            max_overflow=max_overflow,
        )
    return SqlStore(engine, clock=clock, locks=locks)


if TYPE_CHECKING:

    def _implements_store(store: SqlStore) -> Store:
        return store
