"""The investor widget in real Chromium, against the real app on a loopback port.

The widget is embedded the two ways an investor meets it: on the app's own demo
page, and with one script tag on a plain page of another site (another origin,
which must be in ``allowed_origins``). Everything is observed through the DOM the
investor sees; the transcript is checked against what the server stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from assistant.api.deps import Runtime
from tests.utils.accessibility import RECORD_ANNOUNCEMENTS
from tests.utils.browser import (
    BrowserSession,
    StaticSite,
)
from tests.utils.databases import sqlite_write_lock_held
from tests.utils.live_app import LiveApp, app_settings, shared_assistant, with_llm
from tests.utils.openai_server import OpenAIServer, Reply
from tests.utils.processes import free_port

pytestmark = pytest.mark.browser

CJK = re.compile(r"[\u4e00-\u9fff]")


def third_party_page(app_origin: str, investor_id: str) -> str:
    """A plain brokerage page elsewhere, embedding the widget the documented way."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>Example Securities · Help centre</title>
<style>body{{font-family:Arial,sans-serif;margin:40px 56px;color:#222;max-width:720px}}</style>
</head><body>
<h1>Help centre</h1>
<p>Questions about transfers, fees or trading permissions? Our assistant can help.</p>
<script src="{app_origin}/widget.js" data-server="{app_origin}"
  data-token-url="/api/dev/token" data-investor="{investor_id}" data-lang="en"></script>
</body></html>"""


@pytest.fixture(scope="module")
def app_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def third_party_site(app_port: int) -> Iterator[StaticSite]:
    site = StaticSite(
        {"/help": third_party_page(f"http://127.0.0.1:{app_port}", "INV-W2001")}
    ).start()
    yield site
    site.stop()


@pytest.fixture(scope="module")
def live(
    sample_kb, tmp_path_factory, app_port: int, third_party_site: StaticSite
) -> Iterator[LiveApp]:
    origin = f"http://127.0.0.1:{app_port}"
    settings = app_settings(
        tmp_path_factory.mktemp("widget-browser-app"),
        sample_kb.directory,
        port=app_port,
        allowed_origins=[origin, third_party_site.origin],
    )
    app = LiveApp(settings, shared_assistant(sample_kb.directory))
    yield app.start()
    app.stop()


@pytest.fixture(scope="module")
def llm_server() -> Iterator[OpenAIServer]:
    server = OpenAIServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def streaming_live(sample_kb, tmp_path_factory, llm_server: OpenAIServer) -> Iterator[LiveApp]:
    """Answers stream from an LLM; SQLite gives up on a held write lock after 0.3 s and the
    sweep retries unanswered messages every second."""
    settings = app_settings(
        tmp_path_factory.mktemp("widget-streaming-app"),
        sample_kb.directory,
        sqlite_busy_timeout_s=0.3,
        turn_sweep_s=1.0,
    )
    app = LiveApp(settings, with_llm(shared_assistant(sample_kb.directory), llm_server.base_url))
    yield app.start()
    app.stop()


def open_demo(session: BrowserSession, live: LiveApp, investor_id: str) -> Page:
    """The demo page as ``investor_id``, the chat opened by clicking the bubble."""
    page = session.new_page("widget")
    page.goto(f"{live.base_url}/demo?investor={investor_id}")
    page.get_by_test_id("bdw-bubble").click()
    expect(page.get_by_test_id("bdw-panel")).to_have_attribute("data-open", "true")
    expect(page.get_by_test_id("bdw-status")).to_have_attribute("data-status", "online")
    return page


def ask(page: Page, text: str) -> Locator:
    """Type a question and press Enter; the bot's answer to it, once it is shown."""
    bots_before = messages(page, "bot").count()
    page.get_by_test_id("bdw-input").fill(text)
    page.get_by_test_id("bdw-input").press("Enter")
    mine = messages(page, "investor").filter(has_text=text).last
    expect(mine).to_have_attribute("data-state", "sent")
    expect(messages(page, "bot")).to_have_count(bots_before + 1)
    return messages(page, "bot").nth(bots_before)


def messages(page: Page, kind: str) -> Locator:
    return page.locator(f'[data-testid="bdw-message"][data-kind="{kind}"]')


def shown_seqs(page: Page) -> list[int]:
    seqs: list[int] = page.evaluate(
        """() => Array.from(
            BrokerDeskWidget.root.querySelectorAll('[data-testid=bdw-message][data-seq]'),
            (row) => Number(row.getAttribute('data-seq')))"""
    )
    return seqs


def stored_seqs(live: LiveApp, conversation_id: str) -> list[int]:
    """The seqs the investor may see, as the server stored them."""

    async def read(runtime: Runtime) -> list[int]:
        events = await runtime.store.conversations.events_after(conversation_id, 0)
        return [event.seq for event in events]

    return live.call(read)


def conversation_id(page: Page) -> str:
    return str(page.evaluate("BrokerDeskWidget.state.conversationId"))


def test_a_chinese_question_on_the_demo_page_is_answered_with_its_sources(
    live: LiveApp, session: BrowserSession
) -> None:
    page = open_demo(session, live, "INV-W1001")
    expect(page.get_by_test_id("bdw-starter").first).to_be_visible()

    answer = ask(page, "创业板开通需要什么条件")

    expect(answer.get_by_test_id("bdw-message-text")).to_contain_text("创业板")
    expect(answer.get_by_test_id("bdw-message-text")).to_contain_text("10万元")
    expect(answer.get_by_test_id("bdw-source").first).to_contain_text("创业板")
    # The sources show as chips, so the text's own source legend is not repeated.
    expect(answer.get_by_test_id("bdw-message-text")).not_to_contain_text("参考资料：")
    expect(page.get_by_test_id("bdw-starter").first).to_be_hidden()
    session.screenshot(page, "answer-with-sources")


def test_quick_replies_of_a_flow_turn_send_their_text_when_clicked(
    live: LiveApp, session: BrowserSession
) -> None:
    page = open_demo(session, live, "INV-W1002")

    question = ask(page, "我要投诉")
    options = question.get_by_test_id("bdw-quick-reply")
    expect(options).to_have_count(5)
    expect(options.first).to_have_text("服务")
    session.screenshot(page, "quick-replies")

    options.first.click()

    expect(messages(page, "investor").last.get_by_test_id("bdw-message-text")).to_have_text("服务")
    expect(messages(page, "bot")).to_have_count(2)
    expect(messages(page, "bot").last).to_contain_text("经过")
    expect(options.first).to_be_disabled()
    session.screenshot(page, "flow-continues")


def test_an_english_question_on_another_sites_page_gets_an_english_answer(
    live: LiveApp, third_party_site: StaticSite, session: BrowserSession
) -> None:
    page = session.new_page("third-party")
    page.goto(f"{third_party_site.origin}/help")
    page.get_by_test_id("bdw-bubble").click()
    expect(page.get_by_test_id("bdw-status")).to_have_attribute("data-status", "online")
    expect(page.get_by_test_id("bdw-title")).to_have_text("Support")

    answer = ask(page, "How do I transfer money from my bank to my brokerage account?")

    text = answer.get_by_test_id("bdw-message-text")
    expect(text).to_contain_text("Bank to Securities")
    assert not CJK.search(text.inner_text()), text.inner_text()
    expect(answer.get_by_test_id("bdw-source").first).to_be_visible()
    assert not CJK.search(answer.get_by_test_id("bdw-source").first.inner_text())
    session.screenshot(page, "english-answer")


def test_a_dropped_connection_and_a_reload_lose_nothing_and_repeat_nothing(
    live: LiveApp, session: BrowserSession
) -> None:
    page = open_demo(session, live, "INV-W1003")
    ask(page, "银证转账的时间")

    # Send, then lose the socket in the same breath: the answer cannot arrive on it.
    dropped = page.evaluate(
        """() => {
            BrokerDeskWidget.send('你们佣金多少');
            BrokerDeskWidget.drop();
            return BrokerDeskWidget.state;
        }"""
    )
    assert dropped["connected"] is False
    assert dropped["status"] == "reconnecting"
    expect(page.get_by_test_id("bdw-status")).to_have_attribute("data-status", "online")
    expect(messages(page, "bot")).to_have_count(2)
    expect(messages(page, "bot").last).to_contain_text("佣金")
    expect(page.locator('[data-testid="bdw-message"][data-state="pending"]')).to_have_count(0)

    conversation = conversation_id(page)
    after_drop = stored_seqs(live, conversation)
    assert after_drop == [1, 2, 3, 4]
    assert shown_seqs(page) == after_drop
    session.screenshot(page, "after-drop")

    page.reload()
    expect(page.get_by_test_id("bdw-status")).to_have_attribute("data-status", "online")
    page.get_by_test_id("bdw-bubble").click()
    ask(page, "A股几点开盘")

    assert conversation_id(page) == conversation
    after_reload = stored_seqs(live, conversation)
    assert after_reload == [1, 2, 3, 4, 5, 6]
    assert shown_seqs(page) == after_reload
    expect(messages(page, "investor")).to_have_count(3)
    session.screenshot(page, "after-reload")


def test_an_answer_delayed_by_a_storage_outage_is_announced_then_arrives(
    streaming_live: LiveApp, llm_server: OpenAIServer, session: BrowserSession
) -> None:
    answer = "开通创业板需要满足资产和交易经验要求[1]。"
    # The model takes 3 s: time for the sweep to pass over the running turn, then for the
    # database to go away before the answer is stored.
    llm_server.script = Reply(answer, pieces=3, first_byte_delay_s=3.0)
    page = open_demo(session, streaming_live, "INV-W1004")

    page.get_by_test_id("bdw-input").fill("创业板开通需要什么条件")
    page.get_by_test_id("bdw-input").press("Enter")
    mine = messages(page, "investor").last
    expect(mine).to_have_attribute("data-state", "sent")  # stored and acked
    # The sweep (every 1 s, for messages older than 1 s) sees the turn still running here;
    # it must leave it to its first try, not lease it away from the retry it may need.
    page.wait_for_timeout(1800)

    with sqlite_write_lock_held(streaming_live.settings.database):
        # The streamed answer could not be stored: it is withdrawn, the delay announced.
        notice = page.locator('[data-testid="bdw-notice"][data-code="reply_delayed"]')
        expect(notice).to_be_visible(timeout=15_000)
        expect(notice).to_contain_text("稍晚送达")
        expect(messages(page, "bot")).to_have_count(0)
        expect(mine).to_have_attribute("data-state", "sent")  # nothing to re-send
        session.screenshot(page, "reply-delayed")
        llm_server.script = Reply(answer, pieces=3)

    # The database is back: the sweep answers the acknowledged message, once.
    expect(messages(page, "bot")).to_have_count(1, timeout=15_000)
    expect(messages(page, "bot").first).to_contain_text("创业板")
    expect(messages(page, "bot").first).not_to_have_attribute("data-streaming", "true")
    expect(messages(page, "investor")).to_have_count(1)
    expect(notice).to_have_count(0)  # the delayed answer is here
    stored = stored_seqs(streaming_live, conversation_id(page))
    assert stored == [1, 2]
    assert shown_seqs(page) == stored
    session.screenshot(page, "reply-after-delay")


def test_a_streamed_answer_is_read_out_once_when_it_is_whole(
    streaming_live: LiveApp, llm_server: OpenAIServer, session: BrowserSession
) -> None:
    llm_server.script = Reply(
        "开通创业板需要满足资产和交易经验要求[1]。", pieces=4, piece_delay_s=0.4
    )
    page = open_demo(session, streaming_live, "INV-W1005")
    page.evaluate(RECORD_ANNOUNCEMENTS, "[data-testid=bdw-announcer]")

    page.get_by_test_id("bdw-input").fill("创业板开通需要什么条件")
    page.get_by_test_id("bdw-input").press("Enter")
    answer = messages(page, "bot").first
    expect(answer).to_have_attribute("data-streaming", "true")
    assert page.evaluate("window.announced") == []  # pieces are not read out as they come
    expect(answer).to_have_attribute("data-seq", re.compile(r"\d+"))

    announced = page.evaluate("window.announced")
    assert [seq for seq, _ in announced] == [int(str(answer.get_attribute("data-seq")))]
    assert announced[0][1].startswith("智能助手：开通创业板需要满足资产和交易经验要求")


def test_a_signed_in_investor_sees_their_own_commission_and_transfers_and_nobody_elses(
    live: LiveApp, session: BrowserSession
) -> None:
    # The sample account system serves the fictional INV-1001 and INV-1002 (data/accounts).
    figures = {
        "INV-1001": ("A股：万分之2，每笔最低5元", "银行转证券 30,000.00元", "6222 **** **** 0123"),
        "INV-1002": (
            "A股：万分之1.2，每笔最低5元",
            "证券转银行 500,000.00元",
            "6217 **** **** 8866",
        ),
    }
    pages = {}
    for investor, (commission, transfer, card) in figures.items():
        page = pages[investor] = open_demo(session, live, investor)

        rates = ask(page, "我的佣金是多少").get_by_test_id("bdw-message-text").inner_text()
        transfers = (
            ask(page, "我最近的转账到账了吗").get_by_test_id("bdw-message-text").inner_text()
        )

        assert rates.startswith("根据您的账户信息："), rates
        assert commission in rates, rates
        assert transfers.startswith("根据您的账户信息："), transfers
        assert transfer in transfers and card in transfers, transfers
        session.screenshot(page, f"account-answers-{investor}")

    for investor, page in pages.items():
        shown = page.get_by_test_id("bdw-panel").inner_text()
        for other, foreign in figures.items():
            if other != investor:
                assert not [figure for figure in foreign if figure in shown], (investor, shown)
