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
and the push outbox (:mod:`~assistant.persistence.sql_outbox`); here, the :class:`SqlStore`
that holds them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine

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
from assistant.persistence.repositories import (
    ConversationRepository,
    CrossProcessLocks,
    OutboxRepository,
    StaffRepository,
    TicketRepository,
)
from assistant.persistence.sql_conversations import SqlConversationRepository
from assistant.persistence.sql_outbox import SqlOutboxRepository
from assistant.persistence.sql_staff import SqlStaffRepository
from assistant.persistence.sql_tickets import SqlTicketRepository

if TYPE_CHECKING:
    from assistant.persistence.repositories import Store


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
