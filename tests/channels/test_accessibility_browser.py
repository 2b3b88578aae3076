"""Accessibility of the widget and the agent console, in real Chromium against the real app.

axe-core runs inside the pages as investors and agents have them (the widget closed, open,
answering and waiting for a person, on a desktop and on a phone, in its elderly mode; the
console's sign-in, queue, a conversation waiting and one held, and the quality view): no
serious or critical violation. Each scan's full result, moderate and minor included, is
kept under var/test-artifacts/accessibility/. Then what axe cannot see: the keyboard alone
runs the chat, and a screen reader hears each reply once, never a restored transcript.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.utils.accessibility import (
    RECORD_ANNOUNCEMENTS,
    WIDGET_FOCUS,
    blocking_violations,
    wait_for_widget_focus,
)
from tests.utils.browser import PHONES, BrowserSession, Expected, phone
from tests.utils.live_app import LiveApp, app_settings, shared_assistant

pytestmark = pytest.mark.browser

AGENT, AGENT_NAME, PASSWORD = "agent.wu", "吴静", "maple-signal-7734"
NOT_SIGNED_IN = Expected(401, "/api/console/me")


@pytest.fixture(scope="module")
def live(sample_kb, tmp_path_factory) -> Iterator[LiveApp]:
    settings = app_settings(tmp_path_factory.mktemp("accessibility-app"), sample_kb.directory)
    app = LiveApp(settings, shared_assistant(sample_kb.directory)).start()
    app.call(lambda runtime: runtime.staff.create_account(AGENT, AGENT_NAME, PASSWORD))
    yield app
    app.stop()


def messages(page: Page, kind: str) -> Locator:
    return page.locator(f'[data-testid="bdw-message"][data-kind="{kind}"]')


def ask(page: Page, text: str) -> Locator:
    bots = messages(page, "bot").count()
    page.get_by_test_id("bdw-input").fill(text)
    page.get_by_test_id("bdw-input").press("Enter")
    expect(messages(page, "bot")).to_have_count(bots + 1)
    return messages(page, "bot").nth(bots)


def open_chat(page: Page) -> None:
    page.get_by_test_id("bdw-bubble").click()
    expect(page.get_by_test_id("bdw-panel")).to_have_attribute("data-open", "true")
    expect(page.get_by_test_id("bdw-status")).to_have_attribute("data-status", "online")


DEVICES: dict[str, dict[str, Any]] = {"desktop": {}, "phone": phone(*PHONES["360x640"])}


@pytest.mark.parametrize("mode", ["standard", "elderly"])
@pytest.mark.parametrize("device", list(DEVICES))
def test_the_widget_has_no_serious_accessibility_violations(
    live: LiveApp, session: BrowserSession, device: str, mode: str
) -> None:
    page = session.new_page(f"{device}-{mode}", context=session.new_context(**DEVICES[device]))
    query = "&elderly=true" if mode == "elderly" else ""
    page.goto(f"{live.base_url}/demo?investor=INV-A-{device}-{mode}{query}")
    expect(page.get_by_test_id("bdw-bubble")).to_be_visible()
    found = {"closed": blocking_violations(page, f"widget-{device}-{mode}-closed")}

    open_chat(page)
    found["open"] = blocking_violations(page, f"widget-{device}-{mode}-open")

    ask(page, "创业板开通需要什么条件")
    page.get_by_test_id("bdw-person").click()
    expect(page.get_by_test_id("bdw-wait")).to_be_visible()
    expect(messages(page, "bot").last).to_have_attribute("data-action", "escalate")
    found["with replies"] = blocking_violations(page, f"widget-{device}-{mode}-replies")
    session.screenshot(page, "scanned")

    assert found == {"closed": [], "open": [], "with replies": []}


def escalated_with_history(live: LiveApp, investor_id: str) -> str:
    """A conversation with an answer (sources and all) and then a request for a person."""
    headers = {"Authorization": f"Bearer {live.token(investor_id)}"}
    with httpx.Client(base_url=live.base_url, headers=headers, timeout=60) as client:
        conversation_id = str(client.post("/api/sessions").json()["conversation_id"])
        for text in ("创业板开通需要什么条件", "转人工"):
            client.post(
                f"/api/conversations/{conversation_id}/messages",
                json={"client_msg_id": uuid.uuid4().hex, "text": text},
            ).raise_for_status()
    return conversation_id


def investor_says(live: LiveApp, investor_id: str, conversation_id: str, text: str) -> int:
    headers = {"Authorization": f"Bearer {live.token(investor_id)}"}
    with httpx.Client(base_url=live.base_url, headers=headers, timeout=60) as client:
        sent = client.post(
            f"/api/conversations/{conversation_id}/messages",
            json={"client_msg_id": uuid.uuid4().hex, "text": text},
        )
    sent.raise_for_status()
    return int(sent.json()["ack"]["seq"])


def test_the_agent_console_has_no_serious_accessibility_violations(
    live: LiveApp, session: BrowserSession
) -> None:
    conversation_id = escalated_with_history(live, "INV-A2001")
    page = session.new_page("console", expected=(NOT_SIGNED_IN,))
    page.goto(f"{live.base_url}/console")
    expect(page.get_by_test_id("login-view")).to_be_visible()
    found = {"sign-in": blocking_violations(page, "console-sign-in")}

    page.get_by_test_id("login-username").fill(AGENT)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("console-status")).to_have_attribute("data-status", "online")
    waiting = page.get_by_test_id("queue-waiting").locator(
        f'[data-conversation-id="{conversation_id}"]'
    )
    expect(waiting).to_be_visible()
    found["queue"] = blocking_violations(page, "console-queue")

    waiting.click()
    expect(page.get_by_test_id("claim")).to_be_visible()
    expect(page.get_by_test_id("transcript-entry").first).to_be_visible()
    found["conversation waiting"] = blocking_violations(page, "console-conversation-waiting")

    page.get_by_test_id("claim").click()
    expect(page.get_by_test_id("composer")).to_be_visible()
    page.evaluate(RECORD_ANNOUNCEMENTS, "[data-testid=console-announcer]")
    seq = investor_says(live, "INV-A2001", conversation_id, "我的转账一直没到账")
    expect(page.get_by_test_id("transcript-entry").last).to_contain_text("一直没到账")
    found["conversation held"] = blocking_violations(page, "console-conversation-held")
    session.screenshot(page, "conversation-held")

    page.get_by_test_id("nav-quality").click()
    expect(page.get_by_test_id("quality-view")).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("quality-refresh")).to_be_enabled()
    found["quality"] = blocking_violations(page, "console-quality")
    session.screenshot(page, "quality")

    assert found == {
        "sign-in": [],
        "queue": [],
        "conversation waiting": [],
        "conversation held": [],
        "quality": [],
    }
    # The investor's message was read out to the agent once, though the view was rebuilt.
    assert page.evaluate("window.announced") == [[seq, "投资者：我的转账一直没到账"]]


def test_the_keyboard_alone_opens_the_chat_sends_and_closes_it(
    live: LiveApp, session: BrowserSession
) -> None:
    page = session.new_page("keyboard")
    page.goto(f"{live.base_url}/demo?investor=INV-A3001")

    page.get_by_test_id("bdw-bubble").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("bdw-panel")).to_have_attribute("data-open", "true")
    wait_for_widget_focus(page, "bdw-input")
    # Beside the page, not over it: the panel is not modal on a desktop.
    assert page.get_by_test_id("bdw-panel").get_attribute("aria-modal") is None
    assert page.get_by_test_id("bdw-bubble").get_attribute("aria-expanded") == "true"

    page.keyboard.type("银证转账的时间")
    page.keyboard.press("Enter")
    expect(messages(page, "bot")).to_have_count(1)
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(WIDGET_FOCUS) == "bdw-person"

    page.keyboard.press("Escape")
    expect(page.get_by_test_id("bdw-panel")).to_have_attribute("data-open", "false")
    assert page.evaluate(WIDGET_FOCUS) == "bdw-bubble"
    assert page.get_by_test_id("bdw-bubble").get_attribute("aria-expanded") == "false"


def test_each_reply_is_announced_once_and_a_restored_transcript_is_not_read_out(
    live: LiveApp, session: BrowserSession
) -> None:
    page = session.new_page("announcements")
    page.goto(f"{live.base_url}/demo?investor=INV-A4001")
    open_chat(page)
    for quiet in (page.get_by_test_id("bdw-transcript"), page.locator(".bdw-body")):
        assert quiet.get_attribute("aria-live") is None
        assert quiet.get_attribute("role") != "log"
    page.evaluate(RECORD_ANNOUNCEMENTS, "[data-testid=bdw-announcer]")

    first = ask(page, "银证转账的时间")
    page.evaluate("BrokerDeskWidget.drop()")  # a reconnect replays nothing new: nothing read
    expect(page.get_by_test_id("bdw-status")).to_have_attribute("data-status", "online")
    second = ask(page, "A股几点开盘")
    page.get_by_test_id("bdw-person").click()
    expect(messages(page, "bot")).to_have_count(3)
    handover = messages(page, "bot").last

    seqs = [int(str(row.get_attribute("data-seq"))) for row in (first, second, handover)]
    announced = page.evaluate("window.announced")
    assert [seq for seq, _ in announced] == seqs
    assert all(text.startswith("智能助手：") for _, text in announced)
    assert "转人工" not in [text for _, text in announced]  # the investor's own words are not read

    page.reload()
    page.evaluate(RECORD_ANNOUNCEMENTS, "[data-testid=bdw-announcer]")
    open_chat(page)
    expect(messages(page, "bot")).to_have_count(3)
    page.wait_for_timeout(1000)
    assert page.evaluate("window.announced") == []
