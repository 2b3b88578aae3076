"""A PostgreSQL database that refuses connections for a while (issue 12, finding 7):
closed for maintenance (``ALLOW_CONNECTIONS false``, SQLSTATE 55000) with its connections
ended. Every edge answers with the retryable ``storage_unavailable`` (HTTP 503, a typed
websocket error and close 1013), logs no traceback, and works again once it reopens."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.utils.databases import closed_for_maintenance, migrated_postgres_database
from tests.utils.live_app import (
    AgentClient,
    InvestorClient,
    LiveApp,
    ServerLog,
    app_settings,
    shared_assistant,
)

pytestmark = pytest.mark.postgres

PASSWORD = "slate-meadow-6620"


@pytest.fixture(scope="module")
def live(sample_kb, tmp_path_factory) -> Iterator[LiveApp]:
    with migrated_postgres_database() as database_url:
        app = LiveApp(
            app_settings(
                tmp_path_factory.mktemp("outage-app"),
                sample_kb.directory,
                database_url=database_url,
                turn_sweep_s=0,
            ),
            shared_assistant(sample_kb.directory),
        ).start()
        app.call(lambda runtime: runtime.staff.create_account("agent.he", "何川", PASSWORD))
        yield app
        app.stop()


async def console_frames(app: LiveApp, cookie: str) -> tuple[list[dict[str, object]], int | None]:
    """What the console socket sends before it closes, and its close code."""
    url = app.base_url.replace("http://", "ws://") + "/ws/console"
    frames: list[dict[str, object]] = []
    async with connect(url, additional_headers={"Cookie": f"bd_staff={cookie}"}) as socket:
        try:
            while True:
                frames.append(json.loads(await socket.recv()))
        except ConnectionClosed:
            pass
        return frames, socket.close_code


async def test_a_database_closed_for_maintenance_is_a_retryable_outage_everywhere(
    live: LiveApp,
) -> None:
    agent = AgentClient(live)
    await agent.login("agent.he", PASSWORD)
    cookie = str(agent.http.cookies.get("bd_staff"))
    bearer = {"Authorization": f"Bearer {live.token('INV-1001')}"}
    database_url = live.settings.database

    with ServerLog() as log, closed_for_maintenance(database_url):
        async with live.http(headers=bearer) as http:
            session = await http.post("/api/sessions")
        queue = await agent.get("/queue")
        investor = await InvestorClient.connect(live.ws_url)
        await investor.send({"type": "hello", "v": 1, "token": live.token("INV-1001")})
        hello_error = await investor.expect("error")
        investor_close = await investor.closed_with()
        console, console_close = await console_frames(live, cookie)

    async with live.http(headers=bearer) as http:
        reopened = await http.post("/api/sessions")
    await agent.close()

    assert (session.status_code, session.json()["error"]["code"]) == (503, "storage_unavailable")
    assert (queue.status_code, queue.json()["error"]["code"]) == (503, "storage_unavailable")
    assert (hello_error["code"], hello_error["fatal"]) == ("storage_unavailable", True)
    assert investor_close == 1013, "try again later, not 1011"
    assert [frame.get("code") for frame in console] == ["storage_unavailable"]
    assert console_close == 1013
    assert log.tracebacks() == []
    assert reopened.status_code == 200
