"""Files the app creates are this user's only (issue 12, finding 11): the SQLite database
(and its WAL files), the FAQ drafts sheet, the demo password and the knowledge base's
manifest are 0600, the folders made for them 0700, whatever the umask (here 022, which
left them world-readable before)."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.app import ensure_demo_agent
from assistant.persistence.records import StaffRole
from knowledge.index import KnowledgeBase
from knowledge.private_files import private_file
from tests.utils.live_app import AgentClient, LiveApp, app_settings, shared_assistant

PASSWORD = "pine-ledger-5530"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


async def test_the_database_drafts_and_demo_password_are_private(
    sample_kb, tmp_path: Path, umask_022: None
) -> None:
    existing = tmp_path / "shared"
    existing.mkdir(mode=0o755)
    state = existing / "state" / "made-by-the-app"
    app = LiveApp(
        app_settings(state, sample_kb.directory), shared_assistant(sample_kb.directory)
    ).start()
    try:
        await app.acall(ensure_demo_agent)
        await app.acall(
            lambda runtime: runtime.staff.create_account(
                "lead.fan", "范", PASSWORD, role=StaffRole.SUPERVISOR
            )
        )
        bearer = {"Authorization": f"Bearer {app.token('INV-1001')}"}
        async with app.http(headers=bearer) as http:
            conversation = (await http.post("/api/sessions")).json()["conversation_id"]
            asked = await http.post(
                f"/api/conversations/{conversation}/messages",
                json={"client_msg_id": uuid.uuid4().hex, "text": "黄金怎么买"},
            )
        curator = AgentClient(app)
        await curator.login("lead.fan", PASSWORD)
        drafted = await curator.post(
            "/quality/drafts",
            conversation_id=conversation,
            seq=asked.json()["ack"]["seq"],
            answer="在交易时间用A股账户买卖。",
        )
        await curator.close()
    finally:
        app.stop()

    assert drafted.status_code == 200, drafted.text
    private = [
        state / "brokerdesk.db",
        state / "brokerdesk.db-wal",
        state / "brokerdesk.db-shm",
        state / "faq-drafts.csv",
        state / "demo-agent.txt",
    ]
    found = {path.name: oct(mode(path)) for path in private if path.exists()}
    assert found == {path.name: "0o600" for path in private if path.exists()}
    assert {"brokerdesk.db", "faq-drafts.csv", "demo-agent.txt"} <= set(found)
    assert oct(mode(state)) == "0o700"
    assert oct(mode(state.parent)) == "0o700", "every folder the app made"
    assert oct(mode(existing)) == "0o755", "a folder that was there is left alone"


def test_the_knowledge_base_is_private(e5, tmp_path: Path, umask_022: None) -> None:
    sheet = tmp_path / "faq.csv"
    sheet.write_text("question,answer\n开户要多久？,一般当天完成。\n", "utf-8")
    directory = tmp_path / "kb"
    kb = KnowledgeBase(directory, e5)
    try:
        report = kb.ingest([sheet])
    finally:
        kb.close()

    assert not report.failed
    assert oct(mode(directory)) == "0o700"
    assert oct(mode(directory / "manifest.sqlite")) == "0o600"


def test_making_an_open_database_private_keeps_its_locks(tmp_path: Path) -> None:
    """A second manifest or engine on a SQLite file this process has open: closing a
    descriptor of the file would drop the process's locks on it, and another process
    closing its last connection would then delete the -wal and -shm files in use here."""
    path = tmp_path / "manifest.sqlite"
    held = sqlite3.connect(private_file(path), isolation_level=None)
    try:
        held.execute("PRAGMA journal_mode=WAL")
        held.execute("CREATE TABLE t (x)")
        held.execute("INSERT INTO t VALUES (1)")
        private_file(path)  # what a second Manifest(path) does first
        other = "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('SELECT * FROM t')"
        subprocess.run([sys.executable, "-c", other, str(path)], check=True)

        assert (tmp_path / "manifest.sqlite-wal").exists()
        assert (tmp_path / "manifest.sqlite-shm").exists()
        assert oct(mode(path)) == "0o600"
    finally:
        held.close()
