"""The agent console in real Chromium, with the investor widget beside it, against the
real app on a loopback port: sign-in, the live queue, taking a conversation over,
replies and internal notes, resolving and the investor's rating, and two agents
racing for one conversation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Locator, Page, Route, expect

from assistant.api.deps import Runtime
from assistant.persistence.records import ConversationStatus, Feedback
from tests.utils.browser import (
    BrowserSession,
    Expected,
    received_frames,
)
from tests.utils.live_app import (
    LiveApp,
    app_settings,
    queued_conversation,
    shared_assistant,
    stored_status,
)
from tests.utils.processes import wait_until

pytestmark = pytest.mark.browser

PASSWORD = "lotus-harbour-2931"
AGENTS = {"agent.li": "李明", "agent.zhou": "周敏"}

# The console asks who is signed in before anyone is: that 401 is how it knows to show the form.
NOT_SIGNED_IN = Expected(401, "/api/console/me")


@pytest.fixture(scope="module")
def live(sample_kb, tmp_path_factory) -> Iterator[LiveApp]:
    settings = app_settings(tmp_path_factory.mktemp("console-browser-app"), sample_kb.directory)
    app = LiveApp(settings, shared_assistant(sample_kb.directory)).start()

    async def create_agents(runtime: Runtime) -> None:
        for username, name in AGENTS.items():
            await runtime.staff.create_account(username, name, PASSWORD)

    app.call(create_agents)
    yield app
    app.stop()


def open_console(session: BrowserSession, live: LiveApp, label: str, *expected: Expected) -> Page:
    page = session.new_page(label, expected=(NOT_SIGNED_IN, *expected))
    page.goto(f"{live.base_url}/console")
    expect(page.get_by_test_id("login-view")).to_be_visible()
    return page


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()


def signed_in_console(
    session: BrowserSession, live: LiveApp, username: str, *expected: Expected
) -> Page:
    page = open_console(session, live, username, *expected)
    sign_in(page, username)
    expect(page.get_by_test_id("agent-name")).to_have_text(AGENTS[username])
    expect(page.get_by_test_id("console-status")).to_have_attribute("data-status", "online")
    return page


def widget_messages(page: Page, kind: str) -> Locator:
    return page.locator(f'[data-testid="bdw-message"][data-kind="{kind}"]')


def console_entries(page: Page, kind: str) -> Locator:
    return page.locator(f'[data-testid="transcript-entry"][data-kind="{kind}"]')


def stored_feedback(live: LiveApp, since: datetime) -> list[Feedback]:
    async def read(runtime: Runtime) -> list[Feedback]:
        return await runtime.store.conversations.feedback_since(since)

    return live.call(read)


def test_a_wrong_password_is_refused_with_a_message_and_the_right_one_signs_in(
    live: LiveApp, session: BrowserSession
) -> None:
    page = open_console(session, live, "console", Expected(401, "/api/console/login"))

    sign_in(page, "agent.li", "not-the-password")

    expect(page.get_by_test_id("login-error")).to_be_visible()
    expect(page.get_by_test_id("login-error")).to_have_text("用户名或密码错误")
    expect(page.get_by_test_id("app-view")).to_be_hidden()
    session.screenshot(page, "wrong-password")

    sign_in(page, "agent.li")

    expect(page.get_by_test_id("app-view")).to_be_visible()
    expect(page.get_by_test_id("agent-name")).to_have_text("李明")
    expect(page.get_by_test_id("login-view")).to_be_hidden()


def test_an_investor_asking_for_a_person_is_taken_over_answered_resolved_and_rates_it(
    live: LiveApp, session: BrowserSession
) -> None:
    started = datetime.now(UTC) - timedelta(seconds=1)
    # The reply that promises returns is meant to be refused.
    console = signed_in_console(session, live, "agent.li", Expected(422, "/messages"))
    widget = session.new_page("widget")
    frames = received_frames(widget)
    widget.goto(f"{live.base_url}/demo?investor=INV-1001")
    widget.get_by_test_id("bdw-bubble").click()
    expect(widget.get_by_test_id("bdw-status")).to_have_attribute("data-status", "online")

    console.evaluate("window.sameDocument = true")
    widget.get_by_test_id("bdw-input").fill("我要人工客服")
    widget.get_by_test_id("bdw-send").click()
    expect(widget_messages(widget, "bot").last).to_have_attribute("data-action", "escalate")
    conversation_id = str(widget.evaluate("BrokerDeskWidget.state.conversationId"))

    # The queue updates live: the console page is never reloaded.
    waiting = console.get_by_test_id("queue-waiting").locator(
        f'[data-conversation-id="{conversation_id}"]'
    )
    expect(waiting).to_be_visible()
    expect(waiting.get_by_test_id("queue-investor")).to_have_text("INV-1001")
    assert console.evaluate("window.sameDocument") is True
    session.screenshot(console, "queued")

    waiting.click()
    expect(console_entries(console, "investor").first).to_contain_text("我要人工客服")
    expect(console_entries(console, "bot").first).to_be_visible()
    expect(console.get_by_test_id("profile")).to_contain_text("王示例")
    console.get_by_test_id("claim").click()
    expect(console.get_by_test_id("conversation")).to_have_attribute("data-held", "mine")

    expect(widget.get_by_test_id("bdw-agent-name")).to_have_text("李明")
    expect(widget_messages(widget, "system").last).to_contain_text("李明")

    console.get_by_test_id("reply-input").fill("您好，我是李明，请问有什么可以帮您？")
    console.get_by_test_id("reply-send").click()
    expect(widget_messages(widget, "agent").last).to_contain_text("我是李明")

    promise = "这只股票稳赚不赔，建议您满仓买入"
    console.get_by_test_id("reply-input").fill(promise)
    console.get_by_test_id("reply-send").click()
    refusal = console.get_by_test_id("action-error")
    expect(refusal).to_contain_text("合规拦截")
    expect(refusal).to_contain_text("稳赚不赔")
    expect(console.get_by_test_id("reply-input")).to_have_value(promise)  # kept to rephrase
    session.screenshot(console, "compliance-blocked")
    console.get_by_test_id("reply-input").fill("")

    note = "客户情绪平稳，已核实身份"
    console.get_by_test_id("note-toggle").check(force=True)
    console.get_by_test_id("reply-input").fill(note)
    console.get_by_test_id("reply-send").click()
    expect(console_entries(console, "note").last).to_contain_text(note)
    console.get_by_test_id("note-toggle").uncheck(force=True)
    console.get_by_test_id("reply-input").fill("已为您登记，稍后短信通知处理结果。")
    console.get_by_test_id("reply-send").click()

    # The note was written before the second reply: had it leaked, it would be here by now.
    expect(widget_messages(widget, "agent")).to_have_count(2)
    expect(widget.get_by_test_id("bdw-transcript")).not_to_contain_text(note)
    expect(widget.get_by_test_id("bdw-transcript")).not_to_contain_text("稳赚不赔")
    assert any(f.get("text") == "已为您登记，稍后短信通知处理结果。" for f in frames)
    assert not [f for f in frames if note in json.dumps(f, ensure_ascii=False)]

    widget.get_by_test_id("bdw-input").fill("好的，谢谢")
    widget.get_by_test_id("bdw-input").press("Enter")
    expect(console_entries(console, "investor").last).to_contain_text("好的，谢谢")
    session.screenshot(widget, "agent-answering")
    session.screenshot(console, "agent-answering")

    console.get_by_test_id("resolve").click()
    expect(console.get_by_test_id("conversation")).to_have_attribute("data-status", "resolved")
    rating = widget_messages(widget, "rating")
    expect(rating).to_be_visible()
    expect(widget.get_by_test_id("bdw-agent-name")).to_be_hidden()
    session.screenshot(widget, "rating-request")

    rating.locator('[data-testid="bdw-star"][data-score="5"]').click()
    rating.get_by_test_id("bdw-rating-submit").click()
    expect(rating.get_by_test_id("bdw-rating-thanks")).to_be_visible()
    session.screenshot(widget, "rated")

    def rated() -> bool:
        return any(
            f.conversation_id == conversation_id and f.score == 5
            for f in stored_feedback(live, started)
        )

    wait_until(rated, timeout=20, what="the 5-star rating to be stored")
    assert stored_status(live, conversation_id) is ConversationStatus.RESOLVED


def test_a_second_agent_cannot_claim_a_conversation_the_first_holds(
    live: LiveApp, session: BrowserSession
) -> None:
    conversation_id = queued_conversation(live, "INV-1002")
    first = signed_in_console(session, live, "agent.li")
    second_context = session.new_context()
    second = session.new_page(
        "agent.zhou",
        context=second_context,
        expected=(
            NOT_SIGNED_IN,
            Expected(409, f"/api/console/conversations/{conversation_id}/claim"),
        ),
    )
    # The second agent's page runs on a clock the test controls, so its view of the queue
    # can be held still at the moment both agents look at the same waiting conversation.
    second.clock.install()
    second.goto(f"{live.base_url}/console")
    sign_in(second, "agent.zhou")
    expect(second.get_by_test_id("console-status")).to_have_attribute("data-status", "online")

    for page in (first, second):
        page.locator(
            f'[data-testid="queue-item"][data-conversation-id="{conversation_id}"]'
        ).click()
        expect(page.get_by_test_id("claim")).to_be_visible()

    second.clock.pause_at(datetime.now(UTC) + timedelta(seconds=1))
    first.get_by_test_id("claim").click()
    expect(first.get_by_test_id("conversation")).to_have_attribute("data-held", "mine")
    second.get_by_test_id("claim").click()

    expect(second.get_by_test_id("claim-error")).to_have_text("已被其他坐席接入")
    expect(second.get_by_test_id("conversation")).to_have_attribute("data-held", "other")
    expect(second.get_by_test_id("held-by-other")).to_contain_text("李明")
    expect(second.get_by_test_id("composer")).to_be_hidden()
    second.clock.resume()
    session.screenshot(second, "claim-refused")
    session.screenshot(first, "claim-won")


def test_a_reply_typed_while_the_last_one_is_still_sending_is_kept(
    live: LiveApp, session: BrowserSession
) -> None:
    # The send used to clear the box when the server answered, wiping whatever the agent had
    # typed since: under load the next reply was lost (and a test sent an empty one).
    conversation_id = queued_conversation(live, "INV-1003")
    page = signed_in_console(session, live, "agent.zhou")
    page.locator(f'[data-testid="queue-item"][data-conversation-id="{conversation_id}"]').click()
    page.get_by_test_id("claim").click()
    expect(page.get_by_test_id("conversation")).to_have_attribute("data-held", "mine")

    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)  # answered below, once the next reply is being typed

    page.route(f"**/api/console/conversations/{conversation_id}/messages", hold)
    page.get_by_test_id("reply-input").fill("您好，我来帮您看一下")
    page.get_by_test_id("reply-send").click()
    for _ in range(200):  # Playwright hands the request over while the page is waited on
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the reply was sent"
    page.get_by_test_id("reply-input").fill("还没写完的下一条")
    held[0].continue_()
    page.unroute(f"**/api/console/conversations/{conversation_id}/messages")

    expect(console_entries(page, "agent").last).to_contain_text("您好，我来帮您看一下")
    expect(page.get_by_test_id("reply-send")).to_be_enabled()
    expect(page.get_by_test_id("reply-input")).to_have_value("还没写完的下一条")
