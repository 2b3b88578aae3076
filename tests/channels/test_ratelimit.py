"""Rate limits over the ``limits`` library: moving windows, several scopes counted together,
one count for every process that shares Redis, and letting requests through when Redis
cannot be reached. Windows of a second or two keep the waiting short."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest

from channels.ratelimit import Limit, LimitStore, RateLimits, WriteLimits
from tests.utils.redis_server import REDIS_URL, RedisServer, require_redis


@pytest.fixture
async def memory() -> AsyncIterator[RateLimits]:
    store = LimitStore.open(None, prefix="unused:")
    yield RateLimits(store.storage)
    await store.close()


def redis_prefix() -> str:
    """Keys of their own, so runs sharing the Redis server never count each other."""
    return f"bd-test-{secrets.token_hex(4)}:"


async def test_a_window_allows_its_amount_then_says_when_to_retry(memory: RateLimits) -> None:
    limit = Limit("conn", 3, seconds=2)

    decisions = [await memory.hit([(limit, "c-1")]) for _ in range(4)]

    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert decisions[3].scope == "conn"
    assert 0 < decisions[3].retry_after_s <= 2


async def test_the_window_moves_on(memory: RateLimits) -> None:
    limit = Limit("conn", 2, seconds=1)
    for _ in range(2):
        await memory.hit([(limit, "c-1")])
    refused = await memory.hit([(limit, "c-1")])
    await asyncio.sleep(refused.retry_after_s + 0.05)

    assert not refused.allowed
    assert (await memory.hit([(limit, "c-1")])).allowed


async def test_keys_and_scopes_are_counted_apart(memory: RateLimits) -> None:
    connection, investor = Limit("connection", 1, 60), Limit("investor", 1, 60)

    assert (await memory.hit([(connection, "a")])).allowed
    assert (await memory.hit([(connection, "b")])).allowed
    assert (await memory.hit([(investor, "a")])).allowed
    assert not (await memory.hit([(connection, "a")])).allowed


async def test_a_refused_request_uses_up_no_other_budget(memory: RateLimits) -> None:
    connection, investor = Limit("connection", 5, 60), Limit("investor", 1, 60)
    await memory.hit([(investor, "inv")])

    refused = await memory.hit([(connection, "conn"), (investor, "inv")])
    others = [await memory.hit([(connection, "conn")]) for _ in range(5)]

    assert (refused.allowed, refused.scope) == (False, "investor")
    assert all(d.allowed for d in others), "the refused request did not count for the connection"


async def test_write_limits_count_every_scope_of_an_investors_write(memory: RateLimits) -> None:
    limits = WriteLimits(
        memory,
        per_connection=100,
        per_investor=100,
        sessions_per_investor=100,
        per_address=3,
        global_per_minute=100,
    )

    writes = [
        await limits.message("INV-1", "10.0.0.1", "conn-1"),
        await limits.message("INV-2", "10.0.0.1"),
        await limits.session("INV-3", "10.0.0.1"),
        await limits.message("INV-4", "10.0.0.1"),
        await limits.message("INV-4", "10.0.0.2"),
    ]

    assert [d.allowed for d in writes] == [True, True, True, False, True]
    assert writes[3].scope == "address"


@pytest.mark.redis
async def test_processes_sharing_redis_share_one_count() -> None:
    await require_redis()
    prefix = redis_prefix()
    first, second = (LimitStore.open(REDIS_URL, prefix=prefix) for _ in range(2))
    limit = Limit("investor", 4, 60)
    try:
        # Two limiters as two server processes would hold them.
        a, b = RateLimits(first.storage), RateLimits(second.storage)
        decisions = [await limiter.hit([(limit, "INV-1")]) for limiter in (a, b, a, b, a, b)]
    finally:
        await first.close()
        await second.close()

    assert [d.allowed for d in decisions] == [True, True, True, True, False, False]


@pytest.mark.redis
async def test_redis_keys_carry_the_deployment_prefix() -> None:
    from redis.asyncio import Redis

    await require_redis()
    prefix = redis_prefix()
    store = LimitStore.open(REDIS_URL, prefix=prefix)
    try:
        await RateLimits(store.storage).hit([(Limit("investor", 4, 60), "INV-1")])
    finally:
        await store.close()
    client = Redis.from_url(REDIS_URL)
    try:
        keys = [key.decode() async for key in client.scan_iter(match=f"{prefix}*")]
        await client.delete(*keys)
    finally:
        await client.aclose()

    assert keys and all(key.startswith(f"{prefix}limits:") for key in keys)


@pytest.mark.redis
async def test_a_request_goes_through_while_redis_is_down(caplog) -> None:
    server = RedisServer().start()
    store = LimitStore.open(server.url, prefix=redis_prefix())
    limits = RateLimits(store.storage)
    limit = Limit("investor", 1, 60)
    try:
        assert (await limits.hit([(limit, "INV-1")])).allowed
        server.stop()
        during_outage = await limits.hit([(limit, "INV-1")])
    finally:
        server.stop()
        await store.close()

    assert during_outage.allowed
    assert "rate limits unavailable" in caplog.text
