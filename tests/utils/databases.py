"""Databases for tests: a SQLite file, or a PostgreSQL database of our own on the shared
server (created from the ``test`` database under a random name, dropped afterwards), so
nothing is left behind in ``test`` and runs do not see each other's rows.

A module that wants a store on both backends::

    @pytest.fixture(scope="session")
    def postgres_url():
        with migrated_postgres_database() as url:
            yield url

    @pytest.fixture(scope="session")
    def sqlite_template(tmp_path_factory):
        return migrated_sqlite_template(tmp_path_factory.mktemp("sqlite"))

    @pytest.fixture(params=DATABASE_BACKENDS)
    def database_url(request, tmp_path):
        return database_url_for(request, tmp_path)
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from assistant.persistence.database import migrate_database
from assistant.persistence.tables import metadata

# The server and the database we may create others from (trust auth, see ENVIRONMENT.md).
POSTGRES_ADMIN_URL = os.environ.get(
    "BROKERDESK_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test"
)

DATABASE_BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _admin_connection(dbname: str | None = None) -> psycopg.Connection[tuple[Any, ...]]:
    url = make_url(POSTGRES_ADMIN_URL)
    try:
        return psycopg.connect(
            host=url.host,
            port=url.port or 5432,
            user=url.username,
            password=url.password,
            dbname=dbname or url.database,
            autocommit=True,
            connect_timeout=3,
        )
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {url.render_as_string(hide_password=True)} "
            f"({str(exc).strip()}). `make services` starts it, or: pg_ctlcluster "
            "--skip-systemctl-redirect $(ls /etc/postgresql) main start",
            pytrace=False,
        )


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty database ``bd_test_<random>``; yields its asyncpg URL, drops it after."""
    name = f"bd_test_{secrets.token_hex(6)}"
    admin_url = make_url(POSTGRES_ADMIN_URL)
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield admin_url.set(drivername="postgresql+asyncpg", database=name).render_as_string(
                hide_password=False
            )
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def empty_tables(database_url: str) -> None:
    """Delete every row (the schema stays), so each test starts from nothing.

    DELETE rather than TRUNCATE: on a few rows it is ten times faster."""
    with _admin_connection(make_url(database_url).database) as connection, connection.transaction():
        for table in reversed(metadata.sorted_tables):
            connection.execute(f'DELETE FROM "{table.name}"')


def terminate_other_connections(database_url: str) -> int:
    """Kill every server process connected to the database but our own; how many."""
    with _admin_connection(make_url(database_url).database) as connection:
        killed = connection.execute(
            "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    return int(killed[0]) if killed else 0


def terminate_backend(database_url: str, pid: int) -> None:
    """Kill one server process and wait until it is gone."""
    with _admin_connection(make_url(database_url).database) as connection:
        connection.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))


@contextmanager
def migrated_postgres_database() -> Iterator[str]:
    """:func:`postgres_database` with the schema migrated to the newest revision."""
    import asyncio

    with postgres_database() as url:
        asyncio.run(migrate_database(url))
        yield url


def migrated_sqlite_template(directory: Path) -> Path:
    """A migrated SQLite database file in ``directory``, to copy for each test."""
    import asyncio

    path = directory / "template.db"
    asyncio.run(migrate_database(f"sqlite+aiosqlite:///{path}"))
    return path


def database_url_for(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL for the backend in ``request.param``: a copy of the ``sqlite_template``
    fixture's file, or the ``postgres_url`` fixture's database with its tables emptied."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "brokerdesk.db"
        shutil.copyfile(template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    empty_tables(url)
    return url


@contextmanager
def sqlite_write_lock_held(database_url: str) -> Iterator[None]:
    """Another process holds the SQLite file's write lock: every write to it waits, then fails."""
    path = make_url(database_url).database
    assert path, f"not a SQLite file: {database_url}"
    blocker = sqlite3.connect(path, timeout=10, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


@contextmanager
def closed_for_maintenance(database_url: str) -> Iterator[None]:
    """The database refuses new connections (SQLSTATE 55000, as during maintenance) and
    every open one is ended; allowed again afterwards."""
    name = make_url(database_url).database
    with _admin_connection() as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute(
            "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        try:
            yield
        finally:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
