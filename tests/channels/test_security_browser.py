"""Security in real Chromium (issue 12, findings 2 and 11): a sibling site's self-submitting
form cannot act with a signed-in agent's cookie, and the console and the demo page (with
the widget) work under their Content-Security-Policy without a single violation."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from assistant.api.deps import Runtime
from assistant.persistence.records import ConversationStatus
from tests.utils.browser import BrowserSession, Expected, StaticSite
from tests.utils.live_app import (
    LiveApp,
    app_settings,
    queued_conversation,
    shared_assistant,
    stored_status,
)

pytestmark = pytest.mark.browser

PASSWORD = "amber-crane-7714"
AGENT = "agent.sun"
NOT_SIGNED_IN = Expected(401, "/api/console/me")

# Collects the page's CSP violations; installed before any of the page's scripts run.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture(scope="module")
def live(sample_kb, tmp_path_factory) -> Iterator[LiveApp]:
    app = LiveApp(
        app_settings(tmp_path_factory.mktemp("security-browser-app"), sample_kb.directory),
        shared_assistant(sample_kb.directory),
    ).start()

    async def create_agent(runtime: Runtime) -> None:
        await runtime.staff.create_account(AGENT, "孙宁", PASSWORD)

    app.call(create_agent)
    yield app
    app.stop()


def signed_in_console(session: BrowserSession, live: LiveApp, *expected: Expected) -> Page:
    page = session.new_page("console", expected=(NOT_SIGNED_IN, *expected))
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(f"{live.base_url}/console")
    page.get_by_test_id("login-username").fill(AGENT)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("console-status")).to_have_attribute("data-status", "online")
    return page


def self_submitting_form(action: str) -> str:
    return f"""<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>You won a prize</title></head><body>
<form id="f" method="post" action="{action}"><input type="hidden" name="x" value="1"></form>
<script>document.getElementById("f").submit();</script>
</body></html>"""


def test_a_sibling_sites_self_submitting_form_cannot_claim_or_resolve(
    live: LiveApp, session: BrowserSession
) -> None:
    conversation_id = queued_conversation(live, f"INV-B{uuid.uuid4().hex[:8]}")
    console = signed_in_console(session, live)
    target = f"{live.base_url}/api/console/conversations/{conversation_id}"
    # Another port on 127.0.0.1: the same site, so SameSite=Strict sends the cookie.
    site = StaticSite({"/claim.html": self_submitting_form(f"{target}/claim")}).start()
    try:
        attacker = session.new_page(
            "attacker",
            context=console.context,
            # Chromium asks the app for a favicon for the JSON page the form lands on.
            expected=(Expected(403, "/claim"), Expected(404, "/favicon.ico")),
        )
        attacker.goto(f"{site.origin}/claim.html")
        attacker.wait_for_url(f"{target}/claim")
        claim_answer = attacker.locator("body").inner_text()
    finally:
        site.stop()

    assert stored_status(live, conversation_id) is ConversationStatus.QUEUED, "the form claimed it"
    assert json.loads(claim_answer)["error"]["code"] == "csrf_failed"


def test_the_console_and_the_demo_page_run_without_a_csp_violation(
    live: LiveApp, session: BrowserSession
) -> None:
    conversation_id = queued_conversation(live, f"INV-B{uuid.uuid4().hex[:8]}")
    console = signed_in_console(session, live)
    waiting = console.get_by_test_id("queue-waiting").locator(
        f'[data-conversation-id="{conversation_id}"]'
    )
    waiting.click()
    console.get_by_test_id("claim").click()
    expect(console.get_by_test_id("conversation")).to_have_attribute("data-held", "mine")
    console.get_by_test_id("nav-quality").click()
    expect(console.get_by_test_id("quality-view")).to_have_attribute("data-state", "ready")

    demo = session.new_page("demo")
    demo.add_init_script(RECORD_VIOLATIONS)
    response = demo.goto(f"{live.base_url}/demo?investor=INV-1001")
    demo.get_by_test_id("bdw-bubble").click()
    expect(demo.get_by_test_id("bdw-status")).to_have_attribute("data-status", "online")
    demo.get_by_test_id("bdw-input").fill("创业板开通需要什么条件")
    demo.get_by_test_id("bdw-input").press("Enter")
    bot = demo.locator('[data-testid="bdw-message"][data-kind="bot"]')
    expect(bot.last.get_by_test_id("bdw-message-text")).to_contain_text("创业板")
    # The widget is styled: its launcher is laid out as a round button, not bare text.
    radius = demo.evaluate(
        "getComputedStyle(BrokerDeskWidget.root.querySelector('.bdw-launcher')).borderRadius"
    )
    session.screenshot(demo, "under-csp")
    session.screenshot(console, "under-csp")

    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert radius not in ("", "0px")
    assert console.evaluate("window.__cspViolations") == []
    assert demo.evaluate("window.__cspViolations") == []
