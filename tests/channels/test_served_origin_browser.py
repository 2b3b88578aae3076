"""Allowed origins follow the served address (issue 12, finding 5): ``assistant serve
--port N`` on a port other than 8000, and the widget and the console it serves work in
Chromium. Before, both origins were fixed to :8000: the widget failed, the console kept
reconnecting."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from assistant.settings import Settings
from tests.utils.browser import BrowserSession, Expected
from tests.utils.live_app import INTENT_CACHE_HOME
from tests.utils.processes import ServerProcess, create_staff_account

PASSWORD = "quiet-lantern-3390"


def test_the_served_origins_follow_the_port_and_the_public_url() -> None:
    served = Settings(port=8101).served_origins
    public = Settings(
        host="10.0.0.5", port=8101, public_url="https://desk.example.com/"
    ).browser_origins

    assert "http://127.0.0.1:8101" in served and "http://localhost:8101" in served
    assert not any(origin.endswith(":8000") for origin in served)
    assert public[0] == "https://desk.example.com"
    assert "http://10.0.0.5:8101" in public


@pytest.fixture(scope="module")
def served(sample_kb, tmp_path_factory) -> Iterator[ServerProcess]:
    """The real ``assistant serve`` in its own process, on a free port that is not 8000."""
    state = tmp_path_factory.mktemp("served-origin")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BROKERDESK_")},
        "BROKERDESK_STATE_DIR": str(INTENT_CACHE_HOME),  # shares the intent cache
        "BROKERDESK_KB_DIR": str(sample_kb.directory),
        "BROKERDESK_DATABASE_URL": f"sqlite+aiosqlite:///{state / 'brokerdesk.db'}",
        "BROKERDESK_FAQ_DRAFTS": str(state / "drafts.csv"),
        "BROKERDESK_PUSH_POLL_S": "0",
    }
    create_staff_account(env, "agent.lin", "林静", PASSWORD)
    server = ServerProcess(env, Path(state) / "serve.log")
    assert server.port != 8000
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.mark.browser
@pytest.mark.slow
def test_the_widget_and_the_console_work_when_served_on_another_port(
    served: ServerProcess, session: BrowserSession
) -> None:
    widget = session.new_page("widget")
    widget.goto(f"{served.base_url}/demo?investor=INV-1001")
    widget.get_by_test_id("bdw-bubble").click()
    expect(widget.get_by_test_id("bdw-status")).to_have_attribute("data-status", "online")
    widget.get_by_test_id("bdw-input").fill("创业板开通需要什么条件")
    widget.get_by_test_id("bdw-input").press("Enter")
    answer = widget.locator('[data-testid="bdw-message"][data-kind="bot"]').last
    expect(answer.get_by_test_id("bdw-message-text")).to_contain_text("创业板")

    console = session.new_page("console", expected=(Expected(401, "/api/console/me"),))
    console.goto(f"{served.base_url}/console")
    console.get_by_test_id("login-username").fill("agent.lin")
    console.get_by_test_id("login-password").fill(PASSWORD)
    console.get_by_test_id("login-submit").click()
    expect(console.get_by_test_id("console-status")).to_have_attribute("data-status", "online")
    session.screenshot(widget, f"port-{served.port}")
    session.screenshot(console, f"port-{served.port}")
