"""Staff roles (issue 12, finding 11): any agent could send a campaign to every investor.
Agents work the queue; supervisors also send campaigns and draft FAQ entries;
administrators also manage staff accounts. Performed over the console API of a live app,
with ``assistant staff`` for the first administrator, and on a database migrated from
before roles existed."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from alembic import command
from typer.testing import CliRunner

from assistant.cli import app as cli
from assistant.persistence.database import alembic_config
from assistant.persistence.records import StaffRole
from assistant.settings import get_settings
from tests.utils.live_app import AgentClient, LiveApp, app_settings, shared_assistant

PASSWORD = "river-stone-8842"
CAMPAIGN = {"title": "全员通知", "text": "本周六系统升级。", "segment": {}}


@pytest.fixture(scope="module")
def live(sample_kb, tmp_path_factory) -> Iterator[LiveApp]:
    app = LiveApp(
        app_settings(tmp_path_factory.mktemp("roles-app"), sample_kb.directory),
        shared_assistant(sample_kb.directory),
    ).start()

    async def create_staff(runtime) -> None:  # type: ignore[no-untyped-def]
        for username, role in (
            ("agent.ma", StaffRole.AGENT),
            ("lead.zhu", StaffRole.SUPERVISOR),
            ("root.qin", StaffRole.ADMIN),
        ):
            await runtime.staff.create_account(username, username, PASSWORD, role=role)

    app.call(create_staff)
    yield app
    app.stop()


@pytest.fixture
async def staff(live: LiveApp) -> AsyncIterator[dict[str, AgentClient]]:
    clients = {}
    for username in ("agent.ma", "lead.zhu", "root.qin"):
        clients[username] = AgentClient(live)
        await clients[username].login(username, PASSWORD)
    yield clients
    for client in clients.values():
        await client.close()


async def test_an_agent_cannot_send_a_campaign_to_every_investor(
    staff: dict[str, AgentClient],
) -> None:
    agent = staff["agent.ma"]
    campaign = await agent.http.post("/api/admin/campaigns", json=CAMPAIGN)
    draft = await agent.post("/quality/drafts", conversation_id="any", seq=1, answer="x")
    accounts = await agent.get("/staff")
    created = await agent.post(
        "/staff", username="agent.mole", display_name="x", password="mole-password-1"
    )

    for refused in (campaign, draft, accounts, created):
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "not_permitted"


async def test_a_supervisor_sends_campaigns_but_manages_no_one(
    staff: dict[str, AgentClient],
) -> None:
    lead = staff["lead.zhu"]
    campaign = await lead.http.post("/api/admin/campaigns", json=CAMPAIGN)
    promoted = await lead.post("/staff/lead.zhu", role="admin")

    assert campaign.status_code == 200, campaign.text
    assert (promoted.status_code, promoted.json()["error"]["code"]) == (403, "not_permitted")


async def test_an_administrator_manages_accounts_and_a_deactivated_one_is_signed_out(
    live: LiveApp, staff: dict[str, AgentClient]
) -> None:
    admin = staff["root.qin"]
    created = await admin.post(
        "/staff", username="agent.new", display_name="新人", password="fresh-start-2026"
    )
    newcomer = AgentClient(live)
    await newcomer.login("agent.new", "fresh-start-2026")
    promoted = await admin.post("/staff/agent.new", role="supervisor")
    listed = (await admin.get("/staff")).json()["items"]
    deactivated = await admin.post("/staff/agent.new", active=False)
    after = await newcomer.get("/me")
    await newcomer.close()

    assert created.status_code == 201
    assert created.json()["role"] == "agent"
    assert promoted.json()["role"] == "supervisor"
    assert {item["username"]: item["role"] for item in listed}["agent.new"] == "supervisor"
    assert deactivated.json()["active"] is False
    assert after.status_code == 401


def test_the_first_administrator_is_made_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROKERDESK_STATE_DIR", str(tmp_path))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        created = runner.invoke(
            cli,
            ["staff", "create", "ops.tang", "--name", "唐运维", "--password-stdin"],
            input="ops-password-77\n",
        )
        promoted = runner.invoke(cli, ["staff", "role", "ops.tang", "admin"])
        unknown = runner.invoke(cli, ["staff", "role", "ops.tang", "root"])
    finally:
        get_settings.cache_clear()

    assert created.exit_code == 0, created.output
    assert "agent" in created.output
    assert promoted.exit_code == 0, promoted.output
    assert "ops.tang is now admin" in promoted.output
    assert unknown.exit_code == 2


def test_accounts_from_before_roles_become_agents_and_the_old_demo_account_is_marked(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    config = alembic_config(f"sqlite+aiosqlite:///{path}")
    command.upgrade(config, "0002")
    with sqlite3.connect(path) as db:
        for staff_id, username, name in (
            ("s-1", "agent1", "客服小安"),  # what `make run` made before
            ("s-2", "wang", "客服小王"),
        ):
            db.execute(
                "INSERT INTO staff_accounts (id, username, display_name, password_hash, active,"
                " created_at) VALUES (?, ?, ?, 'x', 1, '2026-11-01 00:00:00')",
                (staff_id, username, name),
            )
    command.upgrade(config, "head")
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT username, role, demo FROM staff_accounts ORDER BY username")
        upgraded = rows.fetchall()

    assert upgraded == [("agent1", "agent", 1), ("wang", "agent", 0)]
