"""Console CSRF (issue 12, finding 2): a page on another origin of the same site (another
port, a sibling subdomain: SameSite=Strict sends the cookie there) must not change
anything with the agent's session. Every state-changing console route wants the
console's own Origin (or Referer) and the session's CSRF token; each attack below is sent
with a real signed-in cookie."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from assistant.api.deps import Runtime
from assistant.persistence.records import ConversationStatus, StaffRole
from tests.utils.live_app import (
    AgentClient,
    LiveApp,
    app_settings,
    queued_conversation,
    shared_assistant,
    stored_status,
)

PASSWORD = "ink-bridge-5820"
ADMIN = "admin.wu"
SIBLING = "http://127.0.0.1:9"  # the same site as the app, another port


@pytest.fixture(scope="module")
def live(sample_kb, tmp_path_factory) -> Iterator[LiveApp]:
    app = LiveApp(
        app_settings(tmp_path_factory.mktemp("csrf-app"), sample_kb.directory),
        shared_assistant(sample_kb.directory),
    ).start()

    async def create_admin(runtime: Runtime) -> None:
        # An administrator, so no refusal below can be a missing role.
        await runtime.staff.create_account(ADMIN, "吴管理", PASSWORD, role=StaffRole.ADMIN)

    app.call(create_admin)
    yield app
    app.stop()


@pytest.fixture
async def admin(live: LiveApp) -> AsyncIterator[AgentClient]:
    client = AgentClient(live)
    await client.login(ADMIN, PASSWORD)
    yield client
    await client.close()


def error_code(response: httpx.Response) -> str | None:
    if response.status_code < 400 or not response.content:
        return None
    return str(response.json()["error"]["code"])


def new_investor() -> str:
    return f"INV-X{uuid.uuid4().hex[:8]}"


def changes(conversation_id: str) -> list[tuple[str, dict[str, Any] | None]]:
    """Every state-changing console route, with a body it would accept."""
    base = f"/api/console/conversations/{conversation_id}"
    return [
        (f"{base}/claim", None),
        (f"{base}/messages", {"text": "您好"}),
        (f"{base}/notes", {"text": "内部备注"}),
        (f"{base}/resolve", None),
        (f"{base}/handback", None),
        ("/api/admin/campaigns", {"title": "通知", "text": "系统升级"}),
        (
            "/api/console/quality/drafts",
            {"conversation_id": conversation_id, "seq": 1, "answer": "a"},
        ),
        (
            "/api/console/staff",
            {"username": "intruder", "display_name": "x", "password": "intruder-pass-1"},
        ),
        ("/api/console/staff/admin.wu", {"role": "agent"}),
        ("/api/console/logout", None),
    ]


@pytest.mark.parametrize(
    ("headers", "with_token"),
    [
        pytest.param({"Origin": SIBLING}, True, id="foreign-origin-with-a-stolen-token"),
        pytest.param({"Origin": SIBLING}, False, id="foreign-origin"),
        pytest.param({"Referer": f"{SIBLING}/attack.html"}, False, id="foreign-referer"),
        pytest.param({}, False, id="no-token"),
        pytest.param({"X-CSRF-Token": "0" * 64}, False, id="wrong-token"),
    ],
)
async def test_no_console_change_is_made_without_the_console_origin_and_token(
    live: LiveApp, admin: AgentClient, headers: dict[str, str], with_token: bool
) -> None:
    conversation_id = await asyncio.to_thread(queued_conversation, live, new_investor())
    cookies = {"bd_staff": str(admin.http.cookies.get("bd_staff"))}
    sent = dict(headers)
    if with_token:
        sent["X-CSRF-Token"] = admin.csrf_token
    responses = []
    async with live.http(cookies=cookies, headers=sent) as attacker:
        for path, body in changes(conversation_id):
            responses.append((path, await attacker.post(path, json=body)))
        still_signed_in = await attacker.get("/api/console/me")

    refused = {path: (r.status_code, error_code(r)) for path, r in responses}
    assert refused == {path: (403, "csrf_failed") for path, _ in responses}
    assert stored_status(live, conversation_id) is ConversationStatus.QUEUED
    assert still_signed_in.status_code == 200, "logout was refused too"


async def test_a_cross_origin_form_post_changes_nothing(live: LiveApp, admin: AgentClient) -> None:
    """What an auto-submitting <form method=post> on the sibling site sends."""
    conversation_id = await asyncio.to_thread(queued_conversation, live, new_investor())
    cookies = {"bd_staff": str(admin.http.cookies.get("bd_staff"))}
    async with live.http(cookies=cookies, headers={"Origin": SIBLING}) as form:
        claimed = await form.post(
            f"/api/console/conversations/{conversation_id}/claim",
            content=b"",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    assert claimed.status_code == 403
    assert claimed.json()["error"]["code"] == "csrf_failed"
    assert stored_status(live, conversation_id) is ConversationStatus.QUEUED


async def test_the_console_with_its_origin_and_token_changes_things(
    live: LiveApp, admin: AgentClient
) -> None:
    conversation_id = await asyncio.to_thread(queued_conversation, live, new_investor())
    admin.http.headers["Origin"] = live.base_url
    claimed = await admin.post(f"/conversations/{conversation_id}/claim")
    replied = await admin.post(f"/conversations/{conversation_id}/messages", text="您好")
    resolved = await admin.post(f"/conversations/{conversation_id}/resolve")

    assert [claimed.status_code, replied.status_code, resolved.status_code] == [200, 200, 200]
    assert stored_status(live, conversation_id) is ConversationStatus.RESOLVED


async def test_a_sign_in_from_another_origin_is_refused(live: LiveApp) -> None:
    async with live.http(headers={"Origin": SIBLING}) as http:
        response = await http.post(
            "/api/console/login", json={"username": ADMIN, "password": PASSWORD}
        )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    assert "bd_staff" not in response.cookies


async def test_the_csrf_token_belongs_to_one_session(live: LiveApp) -> None:
    first, second = AgentClient(live), AgentClient(live)
    await first.login(ADMIN, PASSWORD)
    await second.login(ADMIN, PASSWORD)
    conversation_id = await asyncio.to_thread(queued_conversation, live, new_investor())
    second.http.headers["X-CSRF-Token"] = first.csrf_token
    crossed = await second.post(f"/conversations/{conversation_id}/claim")
    me = await first.get("/me")
    await first.close()
    await second.close()

    assert first.csrf_token != second.csrf_token
    assert crossed.status_code == 403
    assert me.json()["csrf_token"] == first.csrf_token, "/me gives a reloaded console its token"


async def test_signing_out_a_dead_session_needs_no_token(live: LiveApp) -> None:
    async with live.http(cookies={"bd_staff": "long-gone"}) as http:
        response = await http.post("/api/console/logout")

    assert response.status_code == 204


def test_the_routes_under_test_are_every_state_changing_console_route(live: LiveApp) -> None:
    """A new POST route under /api/console or /api/admin must join the list above."""
    posts = {
        path
        for path, operations in live.app.openapi()["paths"].items()
        if "post" in operations and path.startswith(("/api/console", "/api/admin"))
    }
    listed = {path.replace("admin.wu", "{username}") for path, _ in changes("{conversation_id}")}

    assert posts - {"/api/console/login"} == listed
