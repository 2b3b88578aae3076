"""Opened pushes over the investor websocket, end to end: the real app on a loopback port, a
real ``websockets`` client. An ``opened`` frame marks the investor's own delivered push once;
anything else is a typed error and records nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from assistant.api.deps import Runtime
from assistant.persistence.records import OutboxItem
from assistant.proactive import Segment
from tests.utils.live_app import InvestorClient, LiveApp, faq_app

OWNER = "INV-1003"
OTHER = "INV-1001"


@pytest.fixture(scope="module")
def live(e5, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    # No quiet hours, whenever the suite runs.
    app = faq_app(e5, tmp_path_factory, push_quiet_start="00:00", push_quiet_end="00:00")
    yield app.start()
    app.stop()


async def announce(live: LiveApp, investor_id: str) -> None:
    async def work(runtime: Runtime) -> None:
        await runtime.dispatcher.campaign(
            "服务时间调整",
            "客服热线服务时间调整为 8:00-22:00。",
            Segment(investor_ids=frozenset({investor_id})),
        )

    await live.acall(work)


async def delivered(live: LiveApp, investor_id: str, conversation_id: str) -> list[OutboxItem]:
    async def work(runtime: Runtime) -> list[OutboxItem]:
        return await runtime.conversations.store.outbox.delivered_in(investor_id, conversation_id)

    return await live.acall(work)


async def handled(client: InvestorClient) -> None:
    """Frames are read in order: once the pong is back, everything sent before was handled."""
    await client.send({"type": "ping", "nonce": "after"})
    await client.expect("pong", nonce="after")


async def test_an_investor_opens_their_own_push_once_and_cannot_open_anyone_elses(
    live: LiveApp,
) -> None:
    owner = await InvestorClient.open(live.ws_url, live.token(OWNER))
    other = await InvestorClient.open(live.ws_url, live.token(OTHER))
    try:
        await announce(live, OWNER)
        push = await owner.expect("suggestion")
        seq = push["seq"]

        # The other investor names the owner's push: by its seq (their own conversation has
        # no push there), by a seq never sent, and by adding the owner's conversation.
        await other.say("m-1", "你好")
        taken = (await other.expect("ack"))["seq"]
        await other.send({"type": "opened", "seq": taken})
        assert (await other.expect("error"))["code"] == "not_found"
        await other.send({"type": "opened", "seq": seq + 50})
        assert (await other.expect("error"))["code"] == "out_of_order"
        await other.send({"type": "opened", "seq": seq, "conversation_id": owner.conversation_id})
        assert (await other.expect("error"))["code"] == "bad_frame"
        for malformed in ({"type": "opened"}, {"type": "opened", "seq": 0}):
            await other.send(malformed)
            assert (await other.expect("error"))["code"] == "bad_frame"
        await handled(other)  # refusals are not fatal: the socket still answers
        assert [i.opened_at for i in await delivered(live, OWNER, owner.conversation_id)] == [None]

        # The owner opens it; a second time changes nothing and is no error.
        await owner.send({"type": "opened", "seq": seq})
        await handled(owner)
        (first,) = await delivered(live, OWNER, owner.conversation_id)
        assert isinstance(first.opened_at, datetime)
        assert first.delivered_at is not None and first.opened_at >= first.delivered_at
        await owner.send({"type": "opened", "seq": seq})
        await handled(owner)
        (again,) = await delivered(live, OWNER, owner.conversation_id)
        assert again.opened_at == first.opened_at
        assert "error" not in owner.types()
    finally:
        await owner.close()
        await other.close()
