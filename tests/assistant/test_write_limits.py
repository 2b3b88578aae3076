"""Limits on every write (issue 12, finding 8): feedback frames and new sessions were
unlimited, nothing counted per address or globally, and each process counted alone. Each
test floods a live app the way the security test did, with limits small enough to hit."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.utils.live_app import InvestorClient, LiveApp, app_settings, shared_assistant
from tests.utils.redis_server import REDIS_URL

QUESTION = "创业板怎么开通？"


def new_investor() -> str:
    return f"INV-L{uuid.uuid4().hex[:8]}"


def address() -> str:
    raw = uuid.uuid4().bytes
    return f"10.{raw[0]}.{raw[1]}.{raw[2] or 1}"


@pytest.fixture(scope="module")
def tight(sample_kb, tmp_path_factory) -> Iterator[LiveApp]:
    """Three writes a minute per connection and per investor, three sessions a minute per
    investor, six writes a minute per address."""
    app = LiveApp(
        app_settings(
            tmp_path_factory.mktemp("limits-app"),
            sample_kb.directory,
            rate_connection_per_minute=3,
            rate_investor_per_minute=3,
            rate_sessions_per_minute=3,
            rate_address_per_minute=6,
        ),
        shared_assistant(sample_kb.directory),
    )
    yield app.start()
    app.stop()


async def open_from(app: LiveApp, investor_id: str, client: str) -> InvestorClient:
    """An investor socket whose client address (through the trusted proxy header) is ``client``."""
    connection = await connect(
        app.ws_url, additional_headers={"X-Forwarded-For": client}, open_timeout=10
    )
    investor = InvestorClient(connection)
    await investor.send({"type": "hello", "v": 1, "token": app.token(investor_id)})
    investor.welcome = await investor.expect("welcome")
    return investor


def bearer(app: LiveApp, investor_id: str, client: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {app.token(investor_id)}"}
    return headers | ({"X-Forwarded-For": client} if client else {})


async def test_feedback_frames_are_limited_like_messages(tight: LiveApp) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    investor = await open_from(tight, new_investor(), address())
    for _ in range(5):
        await investor.send({"type": "feedback", "score": 5})
    error = await investor.expect("error")
    await investor.send({"type": "ping"})
    await investor.expect("pong")  # still connected
    await investor.close()
    stored = await tight.acall(lambda runtime: runtime.store.conversations.feedback_since(since))

    assert (error["code"], error["fatal"]) == ("rate_limited", False)
    assert error["retry_after_s"] > 0
    assert len([f for f in stored if f.conversation_id == investor.conversation_id]) == 3


async def test_feedback_over_rest_is_limited(tight: LiveApp) -> None:
    investor = new_investor()
    async with tight.http(headers=bearer(tight, investor, address())) as http:
        conversation = (await http.post("/api/sessions")).json()["conversation_id"]
        answers = [
            await http.post(f"/api/conversations/{conversation}/feedback", json={"score": 4})
            for _ in range(5)
        ]

    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert answers[3].json()["error"]["code"] == "rate_limited"
    assert int(answers[3].headers["retry-after"]) >= 1


async def test_new_sessions_are_limited_per_investor_on_both_edges(tight: LiveApp) -> None:
    investor = new_investor()
    async with tight.http(headers=bearer(tight, investor, address())) as http:
        rest = [(await http.post("/api/sessions")).status_code for _ in range(4)]
    other = new_investor()
    client = address()
    sockets = [await open_from(tight, other, client) for _ in range(3)]
    fourth = InvestorClient(
        await connect(tight.ws_url, additional_headers={"X-Forwarded-For": client})
    )
    await fourth.send({"type": "hello", "v": 1, "token": tight.token(other)})
    refused = await fourth.expect("error")
    close_code = await fourth.closed_with()
    for socket in sockets:
        await socket.close()

    assert rest == [200, 200, 200, 429]
    assert (refused["code"], refused["fatal"]) == ("rate_limited", True)
    assert close_code == 4429


async def test_many_investors_behind_one_address_share_its_limit(tight: LiveApp) -> None:
    client = address()
    answers = []
    for _ in range(7):
        async with tight.http(headers=bearer(tight, new_investor(), client)) as http:
            answers.append(await http.post("/api/sessions"))

    assert [a.status_code for a in answers] == [200] * 6 + [429]
    assert answers[6].json()["error"]["code"] == "rate_limited"


async def test_the_global_limit_holds_over_every_address(sample_kb, tmp_path) -> None:
    app = LiveApp(
        app_settings(tmp_path, sample_kb.directory, rate_global_per_minute=4),
        shared_assistant(sample_kb.directory),
    ).start()
    try:
        answers = []
        for _ in range(5):
            async with app.http(headers=bearer(app, new_investor(), address())) as http:
                answers.append((await http.post("/api/sessions")).status_code)
    finally:
        app.stop()

    assert answers == [200, 200, 200, 200, 429]


@pytest.mark.redis
async def test_two_server_processes_sharing_redis_share_the_limits(sample_kb, tmp_path) -> None:
    """Two apps as two processes would run them (each its own limiter), one Redis."""
    prefix = f"bd-test-{secrets.token_hex(4)}:"
    apps = [
        LiveApp(
            app_settings(
                tmp_path / name,
                sample_kb.directory,
                database_url=f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}",
                bus_url=REDIS_URL,
                redis_prefix=prefix,
                rate_investor_per_minute=2,
            ),
            shared_assistant(sample_kb.directory),
        ).start()
        for name in ("a", "b")
    ]
    investor = new_investor()
    try:
        statuses = []
        for app in (apps[0], apps[1], apps[0], apps[1]):
            async with httpx.AsyncClient(
                base_url=app.base_url, headers=bearer(app, investor), timeout=60
            ) as http:
                conversation = (await http.post("/api/sessions")).json()["conversation_id"]
                sent = await http.post(
                    f"/api/conversations/{conversation}/messages",
                    json={"client_msg_id": uuid.uuid4().hex, "text": QUESTION},
                )
                statuses.append(sent.status_code)
    finally:
        for app in apps:
            app.stop()

    assert statuses == [200, 200, 429, 429]
