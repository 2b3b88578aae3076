"""The event bus: one contract, run against the in-process bus and real Redis."""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from redis.asyncio import Redis

from channels.bus import Bus, InProcessBus, RedisBus, open_bus
from channels.errors import BusOverflowError, BusUnavailableError
from tests.utils.processes import free_port
from tests.utils.redis_server import REDIS_URL, RedisServer, require_redis

MakeBus = Callable[..., Awaitable[Bus]]
Message = dict[str, Any]


async def receive(messages: AsyncIterator[Message]) -> Message:
    async with asyncio.timeout(3):
        return await anext(messages)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def make_bus(request: pytest.FixtureRequest) -> AsyncIterator[MakeBus]:
    """Builds buses of one kind; Redis ones share a namespace of their own, like one deployment."""
    kind: str = request.param
    namespace = f"test-{uuid.uuid4().hex[:12]}:"
    if kind == "redis":
        await require_redis()
    opened: list[Bus] = []

    async def make(max_pending: int = 512) -> Bus:
        bus: Bus
        if kind == "redis":
            bus = RedisBus(REDIS_URL, namespace=namespace, max_pending=max_pending)
        else:
            bus = InProcessBus(max_pending=max_pending)
        opened.append(bus)
        return bus

    yield make
    for bus in opened:
        await bus.close()


@pytest.fixture
async def bus(make_bus: MakeBus) -> Bus:
    return await make_bus()


async def test_every_subscriber_of_a_topic_receives_each_message(bus: Bus) -> None:
    async with (
        bus.subscribe("conversation:c1") as first,
        bus.subscribe("conversation:c1") as second,
    ):
        await bus.publish("conversation:c1", {"type": "reply", "seq": 1})
        await bus.publish("conversation:c1", {"type": "reply", "seq": 2})
        for messages in (first, second):
            assert await receive(messages) == {"type": "reply", "seq": 1}
            assert await receive(messages) == {"type": "reply", "seq": 2}


async def test_a_subscriber_hears_only_its_own_topic(bus: Bus) -> None:
    async with bus.subscribe("conversation:a") as a_messages, bus.subscribe("staff") as staff:
        await bus.publish("conversation:b", {"seq": 99})
        await bus.publish("staff", {"type": "queue_changed"})
        await bus.publish("conversation:a", {"seq": 1})
        # Published after the others, so had the stray ones been delivered they would be first.
        assert await receive(a_messages) == {"seq": 1}
        assert await receive(staff) == {"type": "queue_changed"}


async def test_a_subscription_is_live_as_soon_as_the_block_is_entered(bus: Bus) -> None:
    for attempt in range(20):
        topic = f"conversation:live-{attempt}"
        async with bus.subscribe(topic) as messages:
            await bus.publish(topic, {"seq": attempt})
            assert await receive(messages) == {"seq": attempt}


async def test_messages_on_a_topic_arrive_in_publish_order(bus: Bus) -> None:
    async with bus.subscribe("conversation:order") as messages:
        for seq in range(1, 201):
            await bus.publish("conversation:order", {"seq": seq})
        received = [(await receive(messages))["seq"] for _ in range(200)]
    assert received == list(range(1, 201))


async def test_messages_round_trip_as_json_with_chinese_text_intact(bus: Bus) -> None:
    frame = {
        "type": "reply",
        "seq": 7,
        "text": "创业板开通需要满足两年交易经验和10万元资产门槛。",
        "sources": [{"id": "faq-1", "title": "创业板权限", "score": 0.91}],
        "quick_replies": ["如何开通？", "Risk test"],
        "intent": None,
        "flags": [],
        "emoji": "👍",
    }
    async with bus.subscribe("conversation:zh") as messages:
        await bus.publish("conversation:zh", frame)
        assert await receive(messages) == frame


async def test_each_subscriber_gets_its_own_copy(bus: Bus) -> None:
    async with bus.subscribe("staff") as first, bus.subscribe("staff") as second:
        await bus.publish("staff", {"items": [1, 2]})
        mine = await receive(first)
        mine["items"].append(3)
        assert await receive(second) == {"items": [1, 2]}


async def test_publish_refuses_what_json_cannot_carry(bus: Bus) -> None:
    with pytest.raises(TypeError):
        await bus.publish("staff", {"at": datetime.now(UTC)})
    with pytest.raises(ValueError, match="JSON"):
        await bus.publish("staff", {"score": math.nan})


async def test_leaving_the_block_stops_delivery(bus: Bus) -> None:
    async with bus.subscribe("conversation:gone") as old:
        pass
    with pytest.raises(StopAsyncIteration):
        await receive(old)
    async with bus.subscribe("conversation:gone") as new:
        await bus.publish("conversation:gone", {"seq": 1})
        assert await receive(new) == {"seq": 1}


async def test_a_subscriber_that_falls_behind_is_dropped_and_told(make_bus: MakeBus) -> None:
    bus = await make_bus(max_pending=3)
    async with (
        bus.subscribe("conversation:slow") as slow,
        bus.subscribe("conversation:slow") as keeping_up,
    ):
        for seq in range(1, 7):
            await bus.publish("conversation:slow", {"seq": seq})
            assert await receive(keeping_up) == {"seq": seq}
        with pytest.raises(BusOverflowError, match="resume from the store"):
            await receive(slow)
        # It stays dropped: later messages do not revive it.
        await bus.publish("conversation:slow", {"seq": 7})
        assert await receive(keeping_up) == {"seq": 7}
        with pytest.raises(BusOverflowError):
            await receive(slow)


async def test_closing_the_bus_ends_subscriptions_and_refuses_new_work(bus: Bus) -> None:
    async with bus.subscribe("staff") as messages:
        waiting = asyncio.ensure_future(anext(messages))
        await asyncio.sleep(0)
        await bus.close()
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(waiting, 3)
    with pytest.raises(BusUnavailableError):
        await bus.publish("staff", {"type": "queue_changed"})
    with pytest.raises(BusUnavailableError):
        async with bus.subscribe("staff"):
            pass
    await bus.close()


async def test_in_process_subscriptions_are_forgotten_on_exit() -> None:
    bus = InProcessBus()
    async with bus.subscribe("staff"), bus.subscribe("staff"):
        assert bus.subscriber_count("staff") == 2
    assert bus.subscriber_count("staff") == 0


@pytest.mark.redis
async def test_redis_channel_is_unsubscribed_when_the_last_local_subscriber_leaves() -> None:
    await require_redis()
    namespace = f"test-{uuid.uuid4().hex[:12]}:"
    bus = RedisBus(REDIS_URL, namespace=namespace)
    probe = Redis.from_url(REDIS_URL)

    async def listeners() -> int:
        counts = await probe.pubsub_numsub(namespace + "staff")
        return int(counts[0][1])

    try:
        async with bus.subscribe("staff"):
            async with bus.subscribe("staff"):
                assert await listeners() == 1  # one Redis subscription per process
            assert await listeners() == 1
        for _ in range(50):
            if await listeners() == 0:
                break
            await asyncio.sleep(0.02)
        assert await listeners() == 0
    finally:
        await bus.close()
        await probe.aclose()


@pytest.mark.redis
async def test_redis_subscribe_returns_only_after_redis_confirmed_it() -> None:
    # A private server: CLIENT PAUSE would stall every other test on the shared one.
    server = RedisServer().start()
    bus = RedisBus(server.url)
    probe = Redis.from_url(server.url)
    try:
        async with bus.subscribe("warm-up"):  # the pubsub connection is open before the pause
            await probe.execute_command("CLIENT", "PAUSE", "400", "ALL")
            started = asyncio.get_running_loop().time()
            async with bus.subscribe("conversation:paused") as messages:
                assert asyncio.get_running_loop().time() - started >= 0.3
                await bus.publish("conversation:paused", {"seq": 1})
                assert await receive(messages) == {"seq": 1}
    finally:
        await bus.close()
        await probe.aclose()
        server.stop()


@pytest.mark.redis
async def test_two_redis_buses_share_topics_like_two_server_processes() -> None:
    await require_redis()
    namespace = f"test-{uuid.uuid4().hex[:12]}:"
    server_a = RedisBus(REDIS_URL, namespace=namespace)
    server_b = RedisBus(REDIS_URL, namespace=namespace)
    try:
        async with (
            server_a.subscribe("conversation:c9") as on_a,
            server_b.subscribe("conversation:c9") as on_b,
        ):
            await server_a.publish("conversation:c9", {"seq": 1, "text": "您好"})
            assert await receive(on_b) == {"seq": 1, "text": "您好"}
            assert await receive(on_a) == {"seq": 1, "text": "您好"}
            await server_b.publish("conversation:c9", {"seq": 2})
            assert await receive(on_a) == {"seq": 2}
    finally:
        await server_a.close()
        await server_b.close()


@pytest.mark.redis
async def test_namespaces_keep_deployments_apart() -> None:
    await require_redis()
    ours = RedisBus(REDIS_URL, namespace=f"test-{uuid.uuid4().hex[:12]}:")
    theirs = RedisBus(REDIS_URL, namespace=f"test-{uuid.uuid4().hex[:12]}:")
    try:
        async with ours.subscribe("staff") as messages:
            await theirs.publish("staff", {"from": "them"})
            await ours.publish("staff", {"from": "us"})
            assert await receive(messages) == {"from": "us"}
    finally:
        await ours.close()
        await theirs.close()


async def test_unreachable_redis_is_reported_as_bus_unavailable() -> None:
    bus = RedisBus(f"redis://127.0.0.1:{free_port()}/0", timeout_s=1.0)
    try:
        with pytest.raises(BusUnavailableError):
            await bus.publish("staff", {"type": "queue_changed"})
        with pytest.raises(BusUnavailableError):
            async with bus.subscribe("staff"):
                pass
    finally:
        await bus.close()


@pytest.mark.redis
async def test_subscriptions_fail_when_redis_goes_away_and_work_again_after_restart() -> None:
    server = RedisServer().start()
    bus = RedisBus(server.url, timeout_s=1.0)
    try:
        async with bus.subscribe("conversation:r") as messages:
            await bus.publish("conversation:r", {"seq": 1})
            assert await receive(messages) == {"seq": 1}
            server.stop()
            with pytest.raises(BusUnavailableError, match="resume from the store"):
                await receive(messages)
            with pytest.raises(BusUnavailableError):
                await bus.publish("conversation:r", {"seq": 2})
        server = RedisServer(server.port).start()
        async with bus.subscribe("conversation:r") as messages:
            await bus.publish("conversation:r", {"seq": 3})
            assert await receive(messages) == {"seq": 3}
    finally:
        await bus.close()
        server.stop()


def test_open_bus_picks_the_implementation_from_the_url() -> None:
    assert isinstance(open_bus(None), InProcessBus)
    assert isinstance(open_bus("redis://127.0.0.1:6379/0"), RedisBus)
    with pytest.raises(ValueError, match="redis://"):
        open_bus("amqp://127.0.0.1")
