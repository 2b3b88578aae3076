"""The wait an investor queued for a person is told about, read from a real SQLite store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assistant.persistence.records import EventKind
from assistant.persistence.sql import SqlStore, open_store
from assistant.queue_waits import QueueWaits, typical_wait_s
from channels.bus import InProcessBus, Message
from channels.protocol import SERVER_FRAME, QueueStatus
from channels.topics import conversation_topic
from tests.utils.processes import free_port

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    """Stands still until moved."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class Published:
    """What was published, by topic."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, Message]] = []

    async def __call__(self, topic: str, message: Message) -> None:
        self.messages.append((topic, message))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def store(tmp_path: Path, clock: Clock) -> AsyncIterator[SqlStore]:
    opened = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'waits.db'}", clock=clock)
    yield opened
    await opened.close()


async def queued(store: SqlStore, investor_id: str, priority: int = 60) -> str:
    conversation = await store.conversations.create(investor_id, "zh")
    await store.conversations.escalate(conversation.id, "requested_human", priority, "转人工")
    return conversation.id


async def taken_after(store: SqlStore, clock: Clock, investor_id: str, wait_s: float) -> str:
    conversation_id = await queued(store, investor_id)
    clock.now += timedelta(seconds=wait_s)
    assert await store.conversations.claim(conversation_id, "agent-1")
    await store.conversations.append(
        conversation_id, EventKind.AGENT_JOINED, {"agent_name": "客服小安"}
    )
    return conversation_id


def test_the_typical_wait_is_the_median_and_needs_three_claims() -> None:
    assert typical_wait_s([]) is None
    assert typical_wait_s([30.0, 90.0]) is None
    assert typical_wait_s([30.0, 90.0, 600.0]) == 90.0
    assert typical_wait_s([30.0, 90.0, 100.0, 600.0]) == 95.0
    assert typical_wait_s([30.4, 90.6, 100.2]) == 91.0


async def test_the_place_counts_the_waiting_conversations_a_person_takes_first(
    store: SqlStore, clock: Clock
) -> None:
    early = await queued(store, "INV-1")
    urgent_later = await queued(store, "INV-2", priority=90)
    held = await taken_after(store, clock, "INV-3", 10)
    mine = await queued(store, "INV-4")
    after_me = await queued(store, "INV-5")
    with_the_bot = (await store.conversations.create("INV-6", "zh")).id
    waits = QueueWaits(store, Published(), clock)

    assert await waits.status(urgent_later) == QueueStatus(ahead=0)
    assert await waits.status(early) == QueueStatus(ahead=1)
    assert await waits.status(mine) == QueueStatus(ahead=2)
    assert await waits.status(after_me) == QueueStatus(ahead=3)
    assert await waits.status(held) is None
    assert await waits.status(with_the_bot) is None
    assert await waits.status("no-such-conversation") is None


async def test_the_typical_wait_comes_from_the_claims_of_the_last_two_hours(
    store: SqlStore, clock: Clock
) -> None:
    await taken_after(store, clock, "INV-1", 3000)  # long ago by the time we ask
    clock.now += timedelta(hours=2)
    for investor_id, wait_s in (("INV-2", 60), ("INV-3", 240), ("INV-4", 90)):
        await taken_after(store, clock, investor_id, wait_s)
    mine = await queued(store, "INV-5")
    waits = QueueWaits(store, Published(), clock)

    assert await waits.status(mine) == QueueStatus(ahead=0, typical_wait_s=90.0)
    assert await QueueWaits(store, Published(), clock, min_claims=4).status(mine) == QueueStatus(
        ahead=0, typical_wait_s=None
    )


async def test_every_waiting_conversation_hears_where_it_stands_on_its_own_topic(
    store: SqlStore, clock: Clock
) -> None:
    first = await queued(store, "INV-1")
    second = await queued(store, "INV-2")
    await taken_after(store, clock, "INV-3", 30)
    published = Published()
    waits = QueueWaits(store, published, clock)

    assert await waits.announce_all() == 2
    await waits.announce(second)
    await waits.announce((await store.conversations.create("INV-4", "zh")).id)

    assert published.messages == [
        (conversation_topic(first), {"type": "queue_status", "ahead": 0, "typical_wait_s": None}),
        (conversation_topic(second), {"type": "queue_status", "ahead": 1, "typical_wait_s": None}),
        (conversation_topic(second), {"type": "queue_status", "ahead": 1, "typical_wait_s": None}),
    ]
    for _, message in published.messages:
        SERVER_FRAME.validate_python(message)


async def test_an_unreachable_store_skips_the_announcement(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    lazy = await open_store(
        f"postgresql+asyncpg://root@127.0.0.1:{free_port()}/test", migrate=False
    )
    bus = InProcessBus()
    try:
        async with bus.subscribe(conversation_topic("c-1")) as live:
            await QueueWaits(lazy, bus.publish, clock).announce("c-1")
            assert live.pending == 0
    finally:
        await bus.close()
        await lazy.close()

    assert "queue status not sent" in caplog.text
