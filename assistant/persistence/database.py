"""The engine under the SQL store: connection set-up per backend, one transaction per
call, database errors translated into :mod:`~assistant.persistence.repositories` errors,
and schema migrations (Alembic, run programmatically).

Reads retry once on a fresh connection when the first one turns out to be dead; writes
never retry, because a write whose COMMIT was lost cannot be told apart from one that
never ran. A write either commits or raises :class:`StorageUnavailableError` with its
transaction rolled back by the server (callers retry idempotently, e.g. by client
message id).
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from assistant.persistence.repositories import (
    ConflictError,
    StorageError,
    StorageUnavailableError,
)
from knowledge.private_files import private_file

if TYPE_CHECKING:
    from alembic.config import Config

T = TypeVar("T")
Clock = Callable[[], datetime]

MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_S: Final = 5.0
CONNECT_TIMEOUT_S: Final = 5.0
POOL_SIZE: Final = 5
POOL_MAX_OVERFLOW: Final = 10
# Any constant will do; it only has to be the same in every process migrating this database.
_MIGRATION_LOCK_KEY: Final = 0x62645F6D6967
_BEGIN_IMMEDIATE: Final = "brokerdesk_begin_immediate"

# PostgreSQL SQLSTATE classes that mean "the server cannot serve us right now":
# 08 connection exception, 53 insufficient resources (53300 too many connections),
# 57 operator intervention (57P01 shutdown, 57P03 cannot connect now, terminated backend),
# 3D invalid catalog (database missing), 28 invalid authorization.
_UNAVAILABLE_SQLSTATE_CLASSES: Final = ("08", "53", "57", "3D", "28")
# And single states that pass: 55000 is what a database closed for maintenance answers
# (ALTER DATABASE ... ALLOW_CONNECTIONS false: "not currently accepting connections"),
# 55006 object in use, 55P03 lock not available, 40001 / 40P01 a serialization failure or
# deadlock (the transaction was rolled back: retrying it is safe).
_UNAVAILABLE_SQLSTATES: Final = frozenset({"55000", "55006", "55P03", "40001", "40P01"})


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """A fresh row id: a random UUID in its text form."""
    return str(uuid.uuid4())


def normalise_url(database_url: str) -> str:
    """Pick the async driver when the URL names none (``sqlite://``, ``postgresql://``)."""
    url = make_url(database_url)
    drivers = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
    drivers["postgres"] = drivers["postgresql"]
    if url.drivername in drivers:
        url = url.set(drivername=drivers[url.drivername])
    return url.render_as_string(hide_password=False)


def create_engine(
    database_url: str,
    *,
    sqlite_busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S,
    pool_size: int = POOL_SIZE,
    max_overflow: int = POOL_MAX_OVERFLOW,
) -> AsyncEngine:
    """An async engine with pre-ping, and for SQLite: WAL, foreign keys, a busy timeout and
    real transactions (the sqlite3 driver's own BEGIN handling is switched off). A SQLite
    file is created readable by this user only, its folder 0700; an in-memory SQLite
    database is refused (ValueError).

    ``pool_size`` connections stay open, up to ``max_overflow`` more are opened under load.
    """
    url = make_url(normalise_url(database_url))
    serializer = _json_dumps
    pool = {"pool_size": pool_size, "max_overflow": max_overflow}
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            # One shared connection: concurrent calls would interleave their transactions.
            raise ValueError("in-memory SQLite cannot serve concurrent calls; use a file")
        if not url.database.startswith("file:"):
            # Created 0600 before SQLite opens it; its -wal and -shm files copy the mode.
            # A path that cannot be a file is SQLite's to report, when it opens it.
            with contextlib.suppress(OSError):
                private_file(Path(url.database).expanduser())
        engine = create_async_engine(url, pool_pre_ping=True, json_serializer=serializer, **pool)
        busy_timeout_ms = round(sqlite_busy_timeout_s * 1000)

        def configure(dbapi_connection: DBAPIConnection, _: ConnectionPoolEntry) -> None:
            _configure_sqlite_connection(dbapi_connection, busy_timeout_ms)

        event.listen(engine.sync_engine, "connect", configure)
        event.listen(engine.sync_engine, "begin", _begin_sqlite_transaction)
        return engine
    return create_async_engine(
        url,
        pool_pre_ping=True,
        json_serializer=serializer,
        connect_args={"timeout": CONNECT_TIMEOUT_S},
        **pool,
    )


def _json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _configure_sqlite_connection(dbapi_connection: DBAPIConnection, busy_timeout_ms: int) -> None:
    # SQLAlchemy emits BEGIN itself (see _begin_sqlite_transaction).
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
    cursor.execute("PRAGMA foreign_keys = ON")
    _into_wal(cursor, busy_timeout_ms)
    cursor.execute("PRAGMA synchronous = NORMAL")  # durable enough with WAL, much faster
    cursor.close()


def _into_wal(cursor: Any, busy_timeout_ms: int) -> None:
    """Switch the database file to WAL. Two processes opening a new file at once both try,
    and the switch needs the file to themselves: the concurrent-start test failed once with
    "database is locked" on a loaded 2-core machine (2026-12-07; not reproduced in 11 runs
    since), and this is the step of opening that takes the file alone, so a locked switch is
    retried until the busy timeout is spent."""
    deadline = time.monotonic() + busy_timeout_ms / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except Exception as exc:  # the driver's OperationalError, whichever driver it is
            if "locked" not in str(exc).lower() or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def _begin_sqlite_transaction(connection: Connection) -> None:
    # Writers take the write lock up front, so they wait (busy timeout) instead of failing
    # with SQLITE_BUSY when another writer committed after their first read.
    immediate = connection.get_execution_options().get(_BEGIN_IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """One engine, the clock, and the two ways the repositories touch it."""

    def __init__(self, engine: AsyncEngine, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.clock = clock
        self.dialect = engine.dialect.name
        self._writer = engine.execution_options(**{_BEGIN_IMMEDIATE: True})
        self._where = engine.url.render_as_string(hide_password=True)

    async def read(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run read-only ``work``; once more on a fresh connection if the first was dead."""
        try:
            with self._translated():
                async with self.engine.connect() as connection:
                    return await work(connection)
        except StorageUnavailableError as exc:
            if not _lost_connection(exc.__cause__):
                raise
        with self._translated():
            async with self.engine.connect() as connection:
                return await work(connection)

    async def write(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run ``work`` in one transaction: committed when this returns, rolled back if
        anything raised (``work`` may raise a :class:`StorageError` to roll back)."""
        with self._translated():
            async with self._writer.begin() as connection:
                return await work(connection)

    async def close(self) -> None:
        await self.engine.dispose()

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except IntegrityError as exc:
            raise ConflictError(f"the write breaks a database rule: {_reason(exc)}") from exc
        except DBAPIError as exc:
            if _unavailable(exc):
                raise self._unavailable(_reason(exc)) from exc
            raise StorageError(f"database error: {_reason(exc)}") from exc
        except PoolTimeoutError as exc:
            raise self._unavailable("no free connection in the pool") from exc
        except (OSError, TimeoutError) as exc:
            raise self._unavailable(str(exc) or type(exc).__name__) from exc

    def _unavailable(self, reason: str) -> StorageUnavailableError:
        return StorageUnavailableError(f"database {self._where} is unavailable: {reason}")


def _unavailable(exc: DBAPIError) -> bool:
    if exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError):
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return isinstance(sqlstate, str) and (
        sqlstate in _UNAVAILABLE_SQLSTATES or sqlstate.startswith(_UNAVAILABLE_SQLSTATE_CLASSES)
    )


def _lost_connection(exc: BaseException | None) -> bool:
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated
    return False


def _reason(exc: DBAPIError) -> str:
    return str(exc.orig).strip() or type(exc.orig).__name__


async def upgrade_schema(engine: AsyncEngine) -> str | None:
    """Bring the schema to the newest revision; return that revision.

    Safe when several processes start at once: on PostgreSQL an advisory lock serialises
    them (the DDL is transactional), on SQLite the write lock does.
    """
    database = Database(engine)

    async def upgrade(connection: AsyncConnection) -> str | None:
        if database.dialect == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
            )
        return await connection.run_sync(_run_upgrade)

    return await database.write(upgrade)


async def migrate_database(database_url: str) -> str | None:
    """Open ``database_url``, upgrade it to the newest revision, close it; return the revision."""
    engine = create_engine(database_url)
    try:
        return await upgrade_schema(engine)
    finally:
        await engine.dispose()


def display_url(database_url: str) -> str:
    """The URL with any password masked, for messages and logs."""
    return make_url(normalise_url(database_url)).render_as_string(hide_password=True)


async def schema_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None before the first migration)."""

    def current(connection: Connection) -> str | None:
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(connection).get_current_revision()

    async def read(connection: AsyncConnection) -> str | None:
        return await connection.run_sync(current)

    return await Database(engine).read(read)


def head_revision() -> str | None:
    """The newest revision shipped with this code."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def alembic_config(database_url: str | None = None) -> Config:
    """Alembic configuration without an ini file; the URL is only needed to run Alembic
    commands (e.g. ``command.revision(cfg, autogenerate=True)``) outside this module."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if database_url is not None:
        config.set_main_option("sqlalchemy.url", normalise_url(database_url))
    return config


def _run_upgrade(connection: Connection) -> str | None:
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    return MigrationContext.configure(connection).get_current_revision()
