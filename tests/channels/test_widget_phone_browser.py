"""The investor widget on phones, in real Chromium with mobile emulation (touch on), against
the real app: where most investors meet it, inside the brokerage's app.

A phone gets the whole screen for the chat: no sideways scrolling, the launcher on top of
whatever the host page stacks (and out of the way when the host or the investor moves it),
touch targets of at least 44 px, the input above the on-screen keyboard, a way to a person
on every turn, and an elderly-friendly mode that still fits at twice the font size.
Screenshots are kept under var/test-artifacts/screenshots/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.utils.accessibility import WIDGET_FOCUS, wait_for_widget_focus
from tests.utils.browser import PHONES, BrowserSession, StaticSite, phone
from tests.utils.live_app import LiveApp, app_settings, shared_assistant
from tests.utils.processes import free_port

pytestmark = pytest.mark.browser

AGENT, PASSWORD = "agent.phone", "tide-lantern-5820"
TOUCH_TARGET_PX = 44

# Everything of the open panel that is drawn, and whether any of it is clipped sideways or
# lies outside the viewport: [{what, problem, width, scroll_width, left, right}]. Text for
# screen readers only (.bdw-sr, 1 px and clipped on purpose) is not drawn.
LAYOUT_PROBLEMS = """() => {
  const vw = window.innerWidth;
  const problems = [];
  for (const node of BrokerDeskWidget.root.querySelectorAll('[data-testid=bdw-panel] *')) {
    if (!node.getClientRects().length || getComputedStyle(node).visibility === 'hidden') continue;
    if (node.closest('.bdw-sr')) continue;
    const box = node.getBoundingClientRect();
    const what = node.getAttribute('data-testid') || node.className || node.tagName;
    const text = Array.from(node.childNodes).some((c) => c.nodeType === 3 && c.textContent.trim());
    if (box.width > 0 && (box.left < -0.5 || box.right > vw + 0.5)) {
      problems.push({what, problem: 'outside the viewport', left: box.left, right: box.right});
    }
    if ((text || node.tagName === 'TEXTAREA') && node.clientWidth > 0 &&
        node.scrollWidth > node.clientWidth + 1) {
      problems.push({what, problem: 'clipped', width: node.clientWidth,
                     scroll_width: node.scrollWidth});
    }
  }
  return problems;
}"""

# Controls of the open panel smaller than a fingertip: [{what, width, height}].
SMALL_TARGETS = """(minimum) => Array.from(
    BrokerDeskWidget.root.querySelectorAll(
      '[data-testid=bdw-panel] button, [data-testid=bdw-panel] textarea'))
  .filter((node) => node.getClientRects().length && getComputedStyle(node).visibility !== 'hidden')
  .map((node) => {
    const box = node.getBoundingClientRect();
    return {what: node.getAttribute('data-testid') || node.className,
            width: Math.round(box.width), height: Math.round(box.height)};
  })
  .filter((target) => target.width < minimum || target.height < minimum)"""

# What the investor's finger would land on at the centre of the launcher.
UNDER_THE_LAUNCHER = """() => {
  const box = BrokerDeskWidget.root.querySelector('[data-testid=bdw-bubble]').getBoundingClientRect();
  const x = box.left + box.width / 2, y = box.top + box.height / 2;
  const top = document.elementFromPoint(x, y);
  const inside = BrokerDeskWidget.root.elementFromPoint(x, y);
  return {page: top && top.id, widget: inside && inside.closest('[data-testid=bdw-bubble]') !== null};
}"""

# A fake visualViewport, installed before the widget loads, that a test can shrink as an
# on-screen keyboard does (Chromium's emulation has no keyboard to open).
KEYBOARD = """(() => {
  class Keyboarded extends EventTarget {
    constructor() { super(); this.keyboard = 0; this.offsetTop = 0; this.offsetLeft = 0;
                    this.pageTop = 0; this.pageLeft = 0; this.scale = 1; }
    get width() { return window.innerWidth; }
    get height() { return window.innerHeight - this.keyboard; }
  }
  const viewport = new Keyboarded();
  Object.defineProperty(window, 'visualViewport', {configurable: true, get: () => viewport});
  window.showKeyboard = (px, offsetTop) => {
    viewport.keyboard = px;
    viewport.offsetTop = offsetTop || 0;
    viewport.dispatchEvent(new Event('resize'));
  };
})()"""


def host_page(app_origin: str, investor_id: str, *launcher: str) -> str:
    """A brokerage's own mobile page: a tab bar fixed at the bottom, stacked as high as a page
    can stack it, with a button where the launcher sits by default."""
    options = " ".join(launcher)
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<title>示例证券 App</title>
<style>body{{margin:0;font-family:sans-serif}} main{{padding:16px 16px 96px}}
#tabbar{{position:fixed;left:0;right:0;bottom:0;height:64px;display:flex;background:#fff;
border-top:1px solid #ccc;z-index:2147483646}} #tabbar button{{flex:1;font-size:16px}}</style>
</head><body>
<main><h1>行情</h1><p>{"示例行情文字。" * 60}</p></main>
<nav id="tabbar"><button id="home">首页</button><button id="market">行情</button>
<button id="trade">交易</button></nav>
<script src="{app_origin}/widget.js" data-server="{app_origin}" data-token-url="/api/dev/token"
  data-investor="{investor_id}" data-lang="zh" {options}></script>
</body></html>"""


@pytest.fixture(scope="module")
def app_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def host_site(app_port: int) -> Iterator[StaticSite]:
    origin = f"http://127.0.0.1:{app_port}"
    site = StaticSite(
        {
            "/app": host_page(origin, "INV-P3001"),
            "/app-tabbar": host_page(
                origin, "INV-P3002", 'data-launcher-bottom="80"', 'data-launcher-side="left"'
            ),
        }
    ).start()
    yield site
    site.stop()


@pytest.fixture(scope="module")
def live(sample_kb, tmp_path_factory, app_port: int, host_site: StaticSite) -> Iterator[LiveApp]:
    origin = f"http://127.0.0.1:{app_port}"
    settings = app_settings(
        tmp_path_factory.mktemp("widget-phone-app"),
        sample_kb.directory,
        port=app_port,
        allowed_origins=[origin, host_site.origin],
    )
    app = LiveApp(settings, shared_assistant(sample_kb.directory)).start()
    app.call(lambda runtime: runtime.staff.create_account(AGENT, "客服小周", PASSWORD))
    yield app
    app.stop()


def on_phone(
    session: BrowserSession, size: str, label: str, **options: Any
) -> tuple[Page, int, int]:
    width, height = PHONES[size]
    context = session.new_context(**phone(width, height, **options))
    return session.new_page(label, context=context), width, height


def tap_open(page: Page) -> None:
    page.get_by_test_id("bdw-bubble").tap()
    expect(page.get_by_test_id("bdw-panel")).to_have_attribute("data-open", "true")
    expect(page.get_by_test_id("bdw-status")).to_have_attribute("data-status", "online")


def box(locator: Locator) -> dict[str, int]:
    """Where ``locator`` comes to rest (its transitions run out), in whole CSS px."""
    locator.evaluate("(node) => Promise.all(node.getAnimations().map((a) => a.finished))")
    found = locator.bounding_box()
    assert found is not None, f"{locator} is not drawn"
    return {key: round(value) for key, value in found.items()}


def messages(page: Page, kind: str) -> Locator:
    return page.locator(f'[data-testid="bdw-message"][data-kind="{kind}"]')


def ask_by_touch(page: Page, text: str) -> Locator:
    """Type a question and tap send; the bot's answer, once shown."""
    bots = messages(page, "bot").count()
    page.get_by_test_id("bdw-input").fill(text)
    page.get_by_test_id("bdw-send").tap()
    expect(messages(page, "investor").filter(has_text=text).last).to_have_attribute(
        "data-state", "sent"
    )
    expect(messages(page, "bot")).to_have_count(bots + 1)
    return messages(page, "bot").nth(bots)


def page_width(page: Page) -> tuple[int, int]:
    """The document's width and the viewport's: equal when nothing scrolls sideways."""
    widths: list[int] = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    return widths[0], widths[1]


def console_waiting(live: LiveApp) -> list[str]:
    """The conversations the agent console lists as waiting, in its order."""
    with httpx.Client(base_url=live.base_url, timeout=30) as console:
        console.post(
            "/api/console/login", json={"username": AGENT, "password": PASSWORD}
        ).raise_for_status()
        items = console.get("/api/console/queue").json()["items"]
    return [item["conversation_id"] for item in items if item["status"] == "queued"]


@pytest.mark.parametrize("size", list(PHONES))
def test_on_a_phone_the_chat_fills_the_screen_answers_and_reaches_a_person(
    live: LiveApp, session: BrowserSession, size: str
) -> None:
    page, width, height = on_phone(session, size, f"phone-{size}")
    page.goto(f"{live.base_url}/demo?investor=INV-P{width}")
    assert page_width(page) == (width, width)
    assert page.evaluate(UNDER_THE_LAUNCHER) == {"page": "brokerdesk-widget", "widget": True}
    session.screenshot(page, "demo-page")

    tap_open(page)

    assert box(page.get_by_test_id("bdw-panel")) == {
        "x": 0,
        "y": 0,
        "width": width,
        "height": height,
    }
    assert page.get_by_test_id("bdw-panel").get_attribute("aria-modal") == "true"
    expect(page.get_by_test_id("bdw-person")).to_be_visible()
    expect(page.get_by_test_id("bdw-person")).to_have_text("转人工")
    session.screenshot(page, "open")

    answer = ask_by_touch(page, "创业板开通需要什么条件")
    expect(answer.get_by_test_id("bdw-message-text")).to_contain_text("创业板")
    expect(page.get_by_test_id("bdw-person")).to_be_visible()  # still there, every turn
    assert page_width(page) == (width, width)
    assert page.evaluate(LAYOUT_PROBLEMS) == []
    assert page.evaluate(SMALL_TARGETS, TOUCH_TARGET_PX) == []
    session.screenshot(page, "answered")

    page.get_by_test_id("bdw-person").tap()

    expect(messages(page, "investor").last.get_by_test_id("bdw-message-text")).to_have_text(
        "转人工"
    )
    expect(messages(page, "bot").last).to_have_attribute("data-action", "escalate")
    expect(page.get_by_test_id("bdw-person-bar")).to_have_attribute("data-person", "queued")
    expect(page.get_by_test_id("bdw-person")).to_be_hidden()
    conversation_id = str(page.evaluate("BrokerDeskWidget.state.conversationId"))
    waiting = console_waiting(live)
    assert conversation_id in waiting
    ahead = waiting.index(conversation_id)
    expect(page.get_by_test_id("bdw-wait")).to_contain_text(
        "您是下一位" if ahead == 0 else f"您前面还有 {ahead} 位"
    )
    assert page.evaluate("BrokerDeskWidget.state.queue") == {"ahead": ahead, "typicalWaitS": None}
    assert page_width(page) == (width, width)
    assert page.evaluate(LAYOUT_PROBLEMS) == []
    session.screenshot(page, "waiting-for-a-person")


def test_the_launcher_stays_on_top_of_the_host_page_and_moves_out_of_its_way(
    live: LiveApp, host_site: StaticSite, session: BrowserSession
) -> None:
    page, width, height = on_phone(session, "360x640", "host-app")
    page.goto(f"{host_site.origin}/app")
    expect(page.get_by_test_id("bdw-bubble")).to_be_visible()

    # The host's tab bar is stacked at z-index 2147483646: the launcher is still on top.
    assert page.evaluate(UNDER_THE_LAUNCHER) == {"page": "brokerdesk-widget", "widget": True}
    with pytest.raises(Exception, match="intercepts pointer events"):
        page.locator("#trade").tap(timeout=2_000)
    session.screenshot(page, "launcher-over-the-tab-bar")

    # The investor drags it up the left edge, with a finger.
    bubble = box(page.get_by_test_id("bdw-bubble"))
    start = (bubble["x"] + bubble["width"] / 2, bubble["y"] + bubble["height"] / 2)
    touch_drag(page, start, (60.0, height / 2))

    moved = box(page.get_by_test_id("bdw-bubble"))
    assert moved["x"] < width / 2 and moved["y"] + moved["height"] < height - 64
    expect(page.get_by_test_id("bdw-panel")).to_have_attribute("data-open", "false")
    page.locator("#trade").tap()  # the host's own control is free again
    session.screenshot(page, "launcher-moved")

    page.reload()
    assert box(page.get_by_test_id("bdw-bubble")) == moved
    tap_open(page)  # a tap still opens it


def touch_drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    """A finger put down at ``start``, moved to ``end`` in steps, lifted."""
    cdp = page.context.new_cdp_session(page)
    steps = 12

    def touch(kind: str, x: float, y: float) -> None:
        points = [] if kind == "touchEnd" else [{"x": x, "y": y}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", *start)
    for step in range(1, steps + 1):
        touch(
            "touchMove",
            start[0] + (end[0] - start[0]) * step / steps,
            start[1] + (end[1] - start[1]) * step / steps,
        )
    touch("touchEnd", *end)
    cdp.detach()


def test_the_host_app_can_place_the_launcher_above_its_tab_bar(
    live: LiveApp, host_site: StaticSite, session: BrowserSession
) -> None:
    page, width, height = on_phone(session, "390x844", "host-app-placed")
    page.goto(f"{host_site.origin}/app-tabbar")

    bubble = box(page.get_by_test_id("bdw-bubble"))
    assert bubble["x"] < width / 2
    assert height - (bubble["y"] + bubble["height"]) == 80
    for tab in ("#home", "#market", "#trade"):
        page.locator(tab).tap(timeout=5_000)
    session.screenshot(page, "launcher-above-the-tab-bar")
    tap_open(page)
    assert page_width(page) == (width, width)


def test_the_input_stays_above_the_on_screen_keyboard(
    live: LiveApp, session: BrowserSession
) -> None:
    page, width, height = on_phone(session, "390x844", "keyboard")
    page.add_init_script(KEYBOARD)
    page.goto(f"{live.base_url}/demo?investor=INV-P4001")
    tap_open(page)
    ask_by_touch(page, "银证转账的时间")

    page.evaluate("showKeyboard(336)")

    send = box(page.get_by_test_id("bdw-send"))
    assert box(page.get_by_test_id("bdw-panel")) == {
        "x": 0,
        "y": 0,
        "width": width,
        "height": height - 336,
    }
    assert send["y"] + send["height"] <= height - 336
    expect(messages(page, "bot").last).to_be_in_viewport()
    session.screenshot(page, "keyboard-up")

    # iOS scrolls the visual viewport down under the keyboard: the panel follows it.
    page.evaluate("showKeyboard(336, 120)")
    assert box(page.get_by_test_id("bdw-panel")) == {
        "x": 0,
        "y": 120,
        "width": width,
        "height": height - 336,
    }

    page.evaluate("showKeyboard(0)")
    assert box(page.get_by_test_id("bdw-panel")) == {
        "x": 0,
        "y": 0,
        "width": width,
        "height": height,
    }


def test_the_elderly_mode_at_twice_the_font_size_fits_a_small_phone(
    live: LiveApp, session: BrowserSession
) -> None:
    page, width, _ = on_phone(session, "360x640", "elderly-200")
    page.goto(f"{live.base_url}/demo?investor=INV-P5001&elderly=true")
    # The system font scale at 200%, as a web view sees it: the root font size doubled.
    # A constructed stylesheet, not page.add_style_tag: the demo page's Content-Security-Policy
    # refuses inline <style> (style-src 'self'), and CSSOM is what it allows.
    page.evaluate(
        """() => {
          const sheet = new CSSStyleSheet();
          sheet.replaceSync('html { font-size: 200% !important; }');
          document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
        }"""
    )

    base = "getComputedStyle(BrokerDeskWidget.root.querySelector('.bdw')).fontSize"
    assert page.evaluate(base) == "36px"  # 18 px elderly text, doubled
    assert page.evaluate("BrokerDeskWidget.state.elderly") is True
    assert page_width(page) == (width, width)
    session.screenshot(page, "demo-page")

    tap_open(page)
    answer = ask_by_touch(page, "银证转账的时间")
    expect(answer.get_by_test_id("bdw-message-text")).to_contain_text("银证转账")
    # Fewer things on screen: no thumbs, times or avatars.
    for hidden in (".bdw-thumbs", ".bdw-time", ".bdw-avatar", ".bdw-header-avatar"):
        assert (
            page.locator(hidden).evaluate_all(
                "(nodes) => nodes.filter((n) => n.getClientRects().length).length"
            )
            == 0
        ), hidden
    assert page_width(page) == (width, width)
    assert page.evaluate(LAYOUT_PROBLEMS) == []
    assert page.evaluate(SMALL_TARGETS, 48) == []
    session.screenshot(page, "answered")

    page.get_by_test_id("bdw-person").tap()
    expect(page.get_by_test_id("bdw-wait")).to_be_visible()
    expect(messages(page, "bot").last).to_have_attribute("data-action", "escalate")
    assert page.evaluate(LAYOUT_PROBLEMS) == []
    session.screenshot(page, "waiting-for-a-person")


def test_motion_stops_when_the_reader_asks_for_less_and_in_the_elderly_mode(
    live: LiveApp, session: BrowserSession
) -> None:
    animation = """() => getComputedStyle(
        BrokerDeskWidget.root.querySelector('[data-testid=bdw-message]')).animationName"""
    pages = {
        "default": on_phone(session, "360x640", "motion")[0],
        "reduced": on_phone(session, "360x640", "reduced-motion", reduced_motion="reduce")[0],
        "elderly": on_phone(session, "360x640", "elderly-motion")[0],
    }
    names = {}
    for label, page in pages.items():
        query = "&elderly=true" if label == "elderly" else ""
        page.goto(f"{live.base_url}/demo?investor=INV-P6{len(names)}{query}")
        tap_open(page)
        ask_by_touch(page, "A股几点开盘")
        names[label] = page.evaluate(animation)

    assert names == {"default": "bdw-in", "reduced": "none", "elderly": "none"}


def test_the_full_screen_chat_keeps_the_keyboard_focus_until_escape(
    live: LiveApp, session: BrowserSession
) -> None:
    page, _, _ = on_phone(session, "360x640", "phone-keyboard")
    page.goto(f"{live.base_url}/demo?investor=INV-P7001")

    page.get_by_test_id("bdw-bubble").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("bdw-panel")).to_have_attribute("data-open", "true")
    expect(page.get_by_test_id("bdw-status")).to_have_attribute("data-status", "online")
    wait_for_widget_focus(page, "bdw-panel")  # the dialog, not the keyboard

    order = []
    for _ in range(9):
        page.keyboard.press("Tab")
        order.append(page.evaluate(WIDGET_FOCUS))
    # Close, the transcript (to scroll it), three starters, the person control, the input (send
    # is disabled): then round again.
    cycle = [
        "bdw-close",
        "bdw-body",
        "bdw-starter",
        "bdw-starter",
        "bdw-starter",
        "bdw-person",
        "bdw-input",
    ]
    assert order == cycle + cycle[:2]
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(WIDGET_FOCUS) == "bdw-input"  # backwards round the end too

    page.keyboard.type("银证转账的时间")
    page.keyboard.press("Enter")
    expect(messages(page, "bot")).to_have_count(1)

    page.keyboard.press("Escape")
    expect(page.get_by_test_id("bdw-panel")).to_have_attribute("data-open", "false")
    assert page.evaluate(WIDGET_FOCUS) == "bdw-bubble"
