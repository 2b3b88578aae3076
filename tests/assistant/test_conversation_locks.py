"""Conversation locks over processes: PostgreSQL advisory locks on a pool of their own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from assistant.persistence.locks import AdvisoryLocks, advisory_key
from assistant.persistence.repositories import StorageUnavailableError
from assistant.persistence.sql import SqlStore, open_store
from assistant.redis_namespace import default_redis_namespace
from tests.utils.databases import migrated_postgres_database, terminate_backend


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with migrated_postgres_database() as url:
        yield url


@pytest.fixture
async def two_stores(postgres_url: str) -> AsyncIterator[tuple[SqlStore, SqlStore]]:
    """Two stores on one database, as two server processes hold them."""
    first = await open_store(postgres_url, migrate=False)
    second = await open_store(postgres_url, migrate=False)
    yield first, second
    await first.close()
    await second.close()


@pytest.mark.postgres
async def test_a_conversation_held_by_one_store_waits_in_the_other(
    two_stores: tuple[SqlStore, SqlStore],
) -> None:
    first, second = two_stores
    order: list[str] = []
    held = asyncio.Event()

    async def first_turn() -> None:
        async with first.locks.hold("c-1"):
            held.set()
            order.append("first starts")
            await asyncio.sleep(0.3)
            order.append("first ends")

    async def second_turn() -> None:
        await held.wait()
        async with second.locks.hold("c-1"):
            order.append("second starts")

    await asyncio.gather(first_turn(), second_turn())
    assert order == ["first starts", "first ends", "second starts"]


@pytest.mark.postgres
async def test_another_conversation_does_not_wait(two_stores: tuple[SqlStore, SqlStore]) -> None:
    first, second = two_stores
    async with first.locks.hold("c-2"), asyncio.timeout(5), second.locks.hold("c-3"):
        pass


@pytest.mark.postgres
async def test_a_lock_held_too_long_is_a_retryable_storage_refusal(
    postgres_url: str, two_stores: tuple[SqlStore, SqlStore]
) -> None:
    first, _ = two_stores
    impatient = AdvisoryLocks.for_url(postgres_url, pool_size=1, max_overflow=0, wait_s=0.3)
    try:
        async with first.locks.hold("c-4"):
            with pytest.raises(StorageUnavailableError):
                async with impatient.hold("c-4"):
                    pass
        async with asyncio.timeout(5), impatient.hold("c-4"):
            pass  # released by the first holder: free again
    finally:
        await impatient.close()


@pytest.mark.postgres
async def test_the_lock_of_a_process_that_died_is_released(
    postgres_url: str, two_stores: tuple[SqlStore, SqlStore]
) -> None:
    first, second = two_stores
    holding = first.locks.hold("c-5")
    await holding.__aenter__()
    holder = advisory_holder(postgres_url, advisory_key("c-5"))
    terminate_backend(postgres_url, holder)  # its connection gone, as a killed process's is
    async with asyncio.timeout(5), second.locks.hold("c-5"):
        pass
    await holding.__aexit__(None, None, None)  # the dead session is dropped, nothing raised


def advisory_holder(database_url: str, key: int) -> int:
    """The server process (pid) holding the advisory lock ``key``."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, dbname=url.database, autocommit=True
    ) as connection:
        row = connection.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND ((classid::bigint << 32) | objid::bigint) = %s",
            (key & 0xFFFFFFFFFFFFFFFF if key >= 0 else key,),
        ).fetchone()
    assert row is not None, "nobody holds the lock"
    return int(row[0])


def test_keys_are_stable_signed_64_bit_integers() -> None:
    key = advisory_key("0f6c1d3e-conversation")
    assert key == advisory_key("0f6c1d3e-conversation")
    assert key != advisory_key("another-conversation")
    assert -(2**63) <= key < 2**63


@pytest.mark.parametrize(
    ("bus_url", "database_url", "expected_start"),
    [
        (
            "redis://127.0.0.1:6379/0",
            "postgresql+asyncpg://root@127.0.0.1:5432/desk",
            "brokerdesk:0:desk-",
        ),
        (
            "redis://127.0.0.1:6379/3",
            "postgresql+asyncpg://root@127.0.0.1:5432/desk",
            "brokerdesk:3:desk-",
        ),
        (
            "redis://127.0.0.1:6379",
            "sqlite+aiosqlite:////srv/var/brokerdesk.db",
            "brokerdesk:0:brokerdesk-",
        ),
    ],
)
def test_the_default_redis_namespace_names_the_redis_db_and_the_database(
    bus_url: str, database_url: str, expected_start: str
) -> None:
    namespace = default_redis_namespace(bus_url, database_url)
    assert namespace.startswith(expected_start)
    assert namespace.endswith(":")


def test_deployments_on_different_databases_get_different_namespaces() -> None:
    redis = "redis://127.0.0.1:6379/0"
    desk = default_redis_namespace(redis, "postgresql+asyncpg://root@10.0.0.1:5432/desk")
    assert desk == default_redis_namespace(redis, "postgresql://app:secret@10.0.0.1:5432/desk")
    assert desk != default_redis_namespace(redis, "postgresql+asyncpg://root@10.0.0.2:5432/desk")
    assert desk != default_redis_namespace(redis, "postgresql+asyncpg://root@10.0.0.1:5432/staging")
