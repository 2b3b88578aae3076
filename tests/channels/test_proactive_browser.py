"""A suggestion from the investor's own holdings in real Chromium, against the real app:
a holding turns ST while the investor is away, the notice is in the widget when they come
back (recorded as opened once seen in the open panel), and once they mute that kind no more
of it arrives (other pushes still do; one that arrives while the panel is closed is opened
when the investor opens it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from assistant.accounts import EXCHANGE_TIME
from assistant.api.deps import Runtime
from assistant.persistence.records import StaffRole
from assistant.proactive import RunReport, Segment
from tests.channels.test_console_quality_browser import (
    AGENT,
    NAME,
    PASSWORD,
    api_report,
    signed_in_console,
)
from tests.utils.browser import BrowserSession
from tests.utils.live_app import LiveApp, faq_app
from tests.utils.processes import wait_until

pytestmark = pytest.mark.browser

INVESTOR = "INV-1002"  # holds 600001 and 300001 in the sample accounts


def write_feed(path: Path, **flags: str) -> None:
    """INV-1002's positions, flagged as given (code -> risk flag) from today."""
    today = datetime.now(EXCHANGE_TIME).date().isoformat()
    positions = [
        {"code": code, "name": name, "market_value": "9000", "product_rating": "R3"}
        | ({"risk_flag": flags[code], "flagged_on": today} if code in flags else {})
        for code, name in (("600001", "示例银行（虚构）"), ("300001", "样例创新（虚构）"))
    ]
    path.write_text(
        json.dumps({"investors": [{"investor_id": INVESTOR, "positions": positions}]}), "utf-8"
    )


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("feed") / "portfolio_signals.json"
    write_feed(path)
    return path


@pytest.fixture(scope="module")
def live(e5, tmp_path_factory: pytest.TempPathFactory, feed: Path) -> Iterator[LiveApp]:
    app = faq_app(
        e5,
        tmp_path_factory,
        push_portfolio_feed=feed,
        push_quiet_start="00:00",  # no quiet hours, whenever the suite runs
        push_quiet_end="00:00",
    )
    yield app.start()
    app.stop()


def run_rules(live: LiveApp) -> RunReport:
    async def work(runtime: Runtime) -> RunReport:
        return await runtime.dispatcher.run_once()

    return live.call(work)


def muted(live: LiveApp) -> set[str]:
    async def work(runtime: Runtime) -> set[str]:
        return await runtime.conversations.store.outbox.muted_kinds(INVESTOR)

    return live.call(work)


def online(live: LiveApp) -> bool:
    async def work(runtime: Runtime) -> bool:
        return runtime.conversations.is_connected(INVESTOR)

    return live.call(work)


def opened_kinds(live: LiveApp) -> dict[str, bool]:
    """The investor's pushes delivered in the last day: kind -> whether opened."""

    async def work(runtime: Runtime) -> dict[str, bool]:
        now = datetime.now(EXCHANGE_TIME)
        outbox = runtime.conversations.store.outbox
        pushes = await outbox.delivered_between(now - timedelta(days=1), now + timedelta(hours=1))
        return {i.kind: i.opened_at is not None for i in pushes if i.investor_id == INVESTOR}

    return live.call(work)


def queued_kinds(live: LiveApp) -> list[str]:
    async def work(runtime: Runtime) -> list[str]:
        outbox = runtime.conversations.store.outbox
        pending = await outbox.pending(INVESTOR, datetime.now(EXCHANGE_TIME))
        return [item.kind for item in pending]

    return live.call(work)


def test_a_holding_turning_st_reaches_the_widget_on_reconnect_until_muted(
    session: BrowserSession, live: LiveApp, feed: Path
) -> None:
    page = session.new_page("investor")
    page.goto(f"{live.base_url}/demo?investor={INVESTOR}&open=true")
    expect(page.get_by_test_id("bdw-status")).to_have_attribute("data-status", "online")
    run_rules(live)
    assert queued_kinds(live) == []  # nothing flagged yet (other investors may get theirs)
    page.close()
    wait_until(lambda: not online(live), timeout=10, what="the server to see the investor leave")

    # Away: 300001 is put under *ST; the notice waits in the outbox.
    write_feed(feed, **{"300001": "star_st"})
    assert run_rules(live).delivered == 0
    assert queued_kinds(live) == ["st_risk"]

    page = session.new_page("investor-back")
    page.goto(f"{live.base_url}/demo?investor={INVESTOR}&open=true")
    card = page.locator('[data-kind=suggestion][data-suggestion-kind="st_risk"]')
    expect(card).to_have_count(1)
    expect(card.get_by_test_id("bdw-suggestion-title")).to_have_text(
        "持仓风险警示：样例创新（虚构）（300001）"
    )
    expect(card.get_by_test_id("bdw-message-text")).to_contain_text("退市风险警示（*ST）")
    why = card.get_by_test_id("bdw-suggestion-why")
    why.locator("summary").click()
    expect(why).to_contain_text("您的账户持有样例创新（虚构）")
    assert queued_kinds(live) == []
    # Shown in the open panel: the widget says so, once, and the server records it.
    expect(card).to_have_attribute("data-opened", "true")
    wait_until(
        lambda: opened_kinds(live) == {"st_risk": True}, timeout=10, what="the open to be stored"
    )

    card.get_by_test_id("bdw-mute").click()
    expect(card.get_by_test_id("bdw-mute")).to_be_disabled()
    wait_until(lambda: muted(live) == {"st_risk"}, timeout=10, what="the mute to be stored")

    # The other holding turns ST too: no notice is made for this investor; a campaign sent
    # at the same time still arrives, so the widget is listening. The panel is closed: the
    # campaign is delivered, not seen, until the investor opens the chat.
    write_feed(feed, **{"300001": "star_st", "600001": "st"})
    run_rules(live)
    assert queued_kinds(live) == []
    page.get_by_test_id("bdw-close").click()
    expect(page.get_by_test_id("bdw-panel")).to_have_attribute("data-open", "false")

    async def announce(runtime: Runtime) -> None:
        await runtime.dispatcher.campaign(
            "服务时间调整",
            "客服热线服务时间调整为 8:00-22:00。",
            Segment(investor_ids=frozenset({INVESTOR})),
        )

    live.call(announce)
    campaign = page.locator('[data-kind=suggestion][data-suggestion-kind="campaign"]')
    expect(campaign).to_have_count(1)
    expect(page.locator('[data-kind=suggestion][data-suggestion-kind="st_risk"]')).to_have_count(1)
    expect(page.get_by_test_id("bdw-unread")).to_have_text("1")
    assert opened_kinds(live) == {"st_risk": True, "campaign": False}
    expect(campaign).not_to_have_attribute("data-opened", "true")
    page.get_by_test_id("bdw-bubble").click()
    expect(campaign).to_have_attribute("data-opened", "true")
    wait_until(
        lambda: opened_kinds(live) == {"st_risk": True, "campaign": True},
        timeout=10,
        what="the campaign's open to be stored",
    )
    session.screenshot(page, "muted")


def test_an_investor_mutes_a_kind_over_rest_too(live: LiveApp) -> None:
    investor = "INV-1006"
    headers = {"Authorization": f"Bearer {live.token(investor)}"}
    with httpx.Client(base_url=live.base_url, timeout=30) as client:
        muted = client.post(
            "/api/suggestions/mute", json={"kind": "concentration"}, headers=headers
        )
        unknown = client.post("/api/suggestions/mute", json={"kind": "buy_signal"}, headers=headers)
        anonymous = client.post("/api/suggestions/mute", json={"kind": "concentration"})

    assert muted.status_code == 200, muted.text
    assert unknown.status_code == 422
    assert anonymous.status_code == 401

    async def kinds(runtime: Runtime) -> set[str]:
        return await runtime.conversations.store.outbox.muted_kinds(investor)

    assert live.call(kinds) == {"concentration"}


def test_the_console_quality_view_shows_what_became_of_the_pushes(
    session: BrowserSession, live: LiveApp
) -> None:
    async def create_curator(runtime: Runtime) -> None:
        await runtime.staff.create_account(AGENT, NAME, PASSWORD, role=StaffRole.SUPERVISOR)

    live.call(create_curator)
    page = signed_in_console(session, live)
    page.get_by_test_id("nav-quality").click()
    expect(page.get_by_test_id("quality-view")).to_have_attribute("data-state", "ready")

    pushes = api_report(page, live, "24h")["pushes"]
    assert pushes["delivered"] >= 2  # the *ST notice and the campaign of the first test
    metric = page.locator('[data-testid="quality-metric"][data-metric="pushes"]')
    expect(metric.get_by_test_id("quality-metric-value")).to_have_text(
        f"送达 {pushes['delivered']} 条"
    )
    # Muted so far: st_risk from the widget, concentration over REST.
    assert pushes["muted"] == 2
    expect(metric.get_by_test_id("quality-metric-detail")).to_contain_text("屏蔽 2 次")
    # Opened: both pushes of the first test, seen in the widget's open panel.
    assert pushes["opened_share"] == 2 / pushes["delivered"]
    detail = f"已查看 {100 * pushes['opened_share']:.1f}%"
    expect(metric.get_by_test_id("quality-metric-detail")).to_contain_text(detail)
