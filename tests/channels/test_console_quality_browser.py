"""The console's Quality view in real Chromium, against the real app on a loopback port,
over conversations the app held (see tests/utils/quality.py): the figures shown are the
API's, the window can be changed, and Draft FAQ turns a clustered question and the agent's
reply into a row of the drafts sheet.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from assistant.api.deps import Runtime
from assistant.persistence.records import StaffRole
from tests.utils.browser import BrowserSession, Expected
from tests.utils.live_app import LiveApp, app_settings, shared_assistant
from tests.utils.processes import wait_until
from tests.utils.quality import (
    AGENT_REPLY,
    GOLD_AGAIN,
    GOLD_ELSEWHERE,
    GOLD_FIRST,
    QualityWeek,
    converse,
)

pytestmark = pytest.mark.browser

AGENT, NAME, PASSWORD = "curator.wu", "吴策", "lotus-harbour-2931"
NOT_SIGNED_IN = Expected(401, "/api/console/me")


@pytest.fixture(scope="module")
def live(sample_kb, tmp_path_factory) -> Iterator[tuple[LiveApp, QualityWeek]]:
    state = tmp_path_factory.mktemp("console-quality-app")
    # FAQ_DRAFTS unset: drafts go to STATE_DIR/faq-drafts.csv.
    app = LiveApp(
        app_settings(state, sample_kb.directory), shared_assistant(sample_kb.directory)
    ).start()

    async def create_agent(runtime: Runtime) -> None:
        # A supervisor: FAQ drafts are a supervisor's.
        await runtime.staff.create_account(AGENT, NAME, PASSWORD, role=StaffRole.SUPERVISOR)

    app.call(create_agent)
    week = converse(app, AGENT, PASSWORD)
    yield app, week
    app.stop()


def signed_in_console(session: BrowserSession, app: LiveApp) -> Page:
    page = session.new_page("curator", expected=(NOT_SIGNED_IN,))
    page.goto(f"{app.base_url}/console")
    page.get_by_test_id("login-username").fill(AGENT)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("agent-name")).to_have_text(NAME)
    return page


def api_report(page: Page, app: LiveApp, since: str) -> dict[str, Any]:
    """The report as the API gives it, asked with the page's own sign-in cookie."""
    response = page.request.get(f"{app.base_url}/api/console/quality?since={since}&top=10")
    assert response.ok, response.text()
    body: dict[str, Any] = response.json()
    return body


def percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def expect_figures_of(page: Page, report: dict[str, Any]) -> None:
    def metric(name: str) -> Any:
        return page.locator(
            f'[data-testid="quality-metric"][data-metric="{name}"] [data-testid="quality-metric-value"]'
        )

    expect(metric("containment")).to_have_text(percent(report["containment_rate"]))
    expect(metric("escalation")).to_have_text(percent(report["escalation_rate"]))
    expect(metric("attention")).to_have_text(percent(report["attention_rate"]))
    expect(metric("csat")).to_have_text(f"{report['csat']['mean_score']:.2f} / 5")
    expect(metric("thumbs")).to_have_text(
        f"赞 {report['thumbs']['up']} · 踩 {report['thumbs']['down']}"
    )
    expect(metric("pushes")).to_have_text(f"送达 {report['pushes']['delivered']} 条")
    for testid, rows in (
        ("quality-reason", report["escalation_reasons"]),
        ("quality-intent", report["top_intents"]),
    ):
        shown = page.get_by_test_id(testid)
        expect(shown).to_have_count(len(rows))
        for index, row in enumerate(rows):
            expect(shown.nth(index)).to_have_attribute("data-name", row["name"])
            expect(shown.nth(index)).to_have_attribute("data-count", str(row["count"]))
    clusters = page.get_by_test_id("quality-cluster")
    expect(clusters).to_have_count(len(report["clusters"]))
    for index, cluster in enumerate(report["clusters"]):
        expect(clusters.nth(index).get_by_test_id("cluster-question")).to_have_text(
            cluster["representative"]
        )
        expect(clusters.nth(index).get_by_test_id("cluster-count")).to_have_text(
            str(cluster["count"])
        )


def sheet_rows(sheet: Path) -> list[list[str]]:
    with sheet.open(encoding="utf-8", newline="") as stream:
        return list(csv.reader(stream))


def test_the_quality_view_shows_the_reports_figures_and_drafts_an_faq_entry(
    live: tuple[LiveApp, QualityWeek], session: BrowserSession
) -> None:
    app, week = live
    page = signed_in_console(session, app)

    page.get_by_test_id("nav-quality").click()

    view = page.get_by_test_id("quality-view")
    expect(view).to_have_attribute("data-state", "ready")
    expect(view).to_have_attribute("data-window", "7d")
    report = api_report(page, app, "7d")
    # The figures the hand-worked conversations give (tests/utils/quality.py), as the API says.
    assert (report["contained"], report["engaged_conversations"]) == (2, 3)
    expect_figures_of(page, report)
    expect(page.get_by_test_id("quality-reason")).to_contain_text("未能解答")  # low_confidence
    session.screenshot(page, "quality-7d")

    page.locator('[data-testid="quality-window"][data-window="24h"]').click()
    expect(view).to_have_attribute("data-window", "24h")
    expect(view).to_have_attribute("data-state", "ready")
    expect_figures_of(page, api_report(page, app, "24h"))

    [cluster] = report["clusters"]
    answered = next(e for e in cluster["examples"] if e["agent_reply"])
    row = page.get_by_test_id("quality-cluster").first
    row.get_by_test_id("cluster-draft").click()
    dialog = page.get_by_test_id("draft-dialog")
    expect(dialog).to_be_visible()
    # The agent answered two of the questions with one reply, offered once; the bot alone saw
    # the third.
    option = page.get_by_test_id("draft-reply-option")
    expect(option).to_have_count(1)
    expect(option).to_be_checked()
    expect(option).to_have_attribute("data-seq", str(answered["seq"]))

    page.get_by_test_id("draft-own-option").check()
    expect(page.get_by_test_id("draft-answer")).to_be_visible()
    page.get_by_test_id("draft-submit").click()
    expect(page.get_by_test_id("draft-error")).to_have_text("请选择坐席回复或填写答案")

    option.check()
    expect(page.get_by_test_id("draft-error")).to_be_hidden()
    expect(page.get_by_test_id("draft-answer")).to_be_hidden()
    expect(page.get_by_test_id("draft-question")).to_have_text(answered["question"])
    expect(page.get_by_test_id("draft-similar")).to_contain_text(GOLD_ELSEWHERE)
    session.screenshot(page, "draft-dialog")
    page.get_by_test_id("draft-submit").click()

    expect(dialog).to_be_hidden()
    expect(row).to_have_attribute("data-drafted", "true")
    expect(row.get_by_test_id("cluster-drafted")).to_be_visible()
    sheet = app.settings.state_dir / "faq-drafts.csv"
    wait_until(sheet.exists, timeout=10, what="the drafts sheet")
    header, drafted = sheet_rows(sheet)
    assert header == ["question", "answer", "similar_questions", "category", "lang"]
    question, answer, similar, category, lang = drafted
    assert (question, answer, category, lang) == (answered["question"], AGENT_REPLY, "", "zh")
    # The rest of the cluster: the other wording in that conversation and the bot-only one.
    asked = {GOLD_FIRST, GOLD_AGAIN, GOLD_ELSEWHERE}
    assert sorted(similar.split("|")) == sorted(asked - {question})
    assert answered["conversation_id"] == week.handed_over
    session.screenshot(page, "drafted")


def test_the_quality_view_lists_the_knowledge_due_for_review(
    live: tuple[LiveApp, QualityWeek], session: BrowserSession
) -> None:
    app, _ = live
    page = signed_in_console(session, app)

    page.get_by_test_id("nav-quality").click()

    expect(page.get_by_test_id("quality-view")).to_have_attribute("data-state", "ready")
    stale = api_report(page, app, "7d")["stale_knowledge"]
    card = page.get_by_test_id("quality-stale")
    expect(card).to_be_visible()
    expect(card).to_have_attribute("data-count", str(stale["stale_count"]))
    expect(page.get_by_test_id("quality-stale-summary")).to_contain_text(
        f"{stale['stale_count']} / {stale['entries']} 条 FAQ 已过复核日期"
    )
    rows = page.get_by_test_id("stale-entry")
    expect(rows).to_have_count(len(stale["stale"]))
    for index, entry in enumerate(stale["stale"][:5]):
        expect(rows.nth(index)).to_have_attribute("data-entry-id", entry["id"])
        expect(rows.nth(index)).to_have_attribute("data-due", entry["due"])
        expect(rows.nth(index).get_by_test_id("stale-title")).to_have_text(entry["title"])
    session.screenshot(page, "quality-stale")

    page.get_by_test_id("lang-toggle").click()
    expect(page.get_by_test_id("quality-stale-summary")).to_contain_text(
        f"{stale['stale_count']} of {stale['entries']} FAQ entries are past their review date"
    )
