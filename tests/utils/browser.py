"""Real Chromium for the browser tests, through Playwright's sync API.

:func:`launch_chromium` starts the Debian Chromium at ``/usr/bin/chromium`` (never
a browser Playwright downloads) with flags that keep it off the network, and a
fresh profile of its own each time. :class:`BrowserSession` holds one test's
pages: it records every console error, uncaught script error, failed request and
HTTP error response of each page, saves screenshots named after the test under
``var/test-artifacts/screenshots/``, and when the test ends fails it for any
problem the test did not declare as :class:`Expected`.

:class:`StaticSite` serves a few HTML pages from another loopback port: a
third-party site that embeds the widget with one script tag.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Response,
    WebSocket,
    expect,
    sync_playwright,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = PROJECT_ROOT / "var" / "test-artifacts" / "screenshots"
CHROMIUM = Path(os.environ.get("BROKERDESK_TEST_CHROMIUM", "/usr/bin/chromium"))

# Playwright adds --headless and its own fresh --user-data-dir; these keep Chromium quiet
# and offline: no component updates, no sync, and every host name but 127.0.0.1 unresolvable.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
)

# A bot answer can take seconds on a busy two-core machine; waits are on DOM conditions,
# so a generous ceiling costs nothing when things are fast.
TIMEOUT_MS = 30_000

DESKTOP = {"width": 1280, "height": 820}

# Phones as investors hold them: a small Android and a recent iPhone, touch on.
PHONES = {"360x640": (360, 640), "390x844": (390, 844)}


def phone(width: int, height: int, **options: Any) -> dict[str, Any]:
    """``BrowserSession.new_context`` options for a phone of ``width`` x ``height`` CSS px."""
    return {
        "viewport": {"width": width, "height": height},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
        **options,
    }


@contextmanager
def launch_chromium() -> Iterator[Browser]:
    """A headless Chromium for one test module; closed afterwards."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: run `make system-packages` "
            "(apt-get install chromium fonts-wqy-microhei)"
        )
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass(frozen=True)
class Problem:
    """Something that went wrong in a page: the test fails for it unless expected."""

    page: str
    kind: str  # console | pageerror | http | requestfailed | websocket
    text: str
    url: str = ""
    status: int | None = None

    def __str__(self) -> str:
        where = f" [{self.url}]" if self.url else ""
        return f"{self.page}: {self.kind}: {self.text}{where}"


# Chromium's own console line for an HTTP error response names the status, not the URL.
_STATUS_IN_CONSOLE = re.compile(r"status of (\d{3})")


@dataclass(frozen=True)
class Expected:
    """An HTTP error a page is meant to run into (``status`` on a URL path ending in
    ``path``), with the console line Chromium logs for it."""

    status: int
    path: str

    def matches(self, problem: Problem) -> bool:
        if not urlsplit(problem.url).path.endswith(self.path):
            return False
        if problem.kind == "http":
            return problem.status == self.status
        if problem.kind == "console":
            found = _STATUS_IN_CONSOLE.search(problem.text)
            return found is not None and int(found.group(1)) == self.status
        return False


@dataclass
class _Watched:
    label: str
    page: Page
    expected: tuple[Expected, ...]
    problems: list[Problem] = field(default_factory=list)


class BrowserSession:
    """The pages of one test, watched for errors, with screenshots named after the test."""

    def __init__(self, browser: Browser, test_name: str) -> None:
        self.browser = browser
        self.name = re.sub(r"[^A-Za-z0-9_.-]+", "-", test_name).strip("-")
        self._contexts: list[BrowserContext] = []
        self._pages: list[_Watched] = []
        self._shots = 0
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        for stale in SCREENSHOT_DIR.glob(f"{self.name}--*.png"):
            stale.unlink()

    def new_context(self, **options: Any) -> BrowserContext:
        """A separate browser profile (cookies, storage): another person at another desk."""
        options.setdefault("viewport", DESKTOP)
        options.setdefault("locale", "zh-CN")
        options.setdefault("timezone_id", "Asia/Shanghai")
        context = self.browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        self._contexts.append(context)
        return context

    def new_page(
        self,
        label: str,
        *,
        context: BrowserContext | None = None,
        expected: Sequence[Expected] = (),
    ) -> Page:
        """A watched page, in ``context`` or in a context of its own."""
        page = (context or self.new_context()).new_page()
        watched = _Watched(label, page, tuple(expected))
        self._pages.append(watched)
        self._watch(watched)
        return page

    def screenshot(self, page: Page, moment: str) -> Path:
        """Save what ``page`` shows now as ``<test>--<nn>-<page label>-<moment>.png``."""
        label = next(w.label for w in self._pages if w.page is page)
        self._shots += 1
        path = SCREENSHOT_DIR / f"{self.name}--{self._shots:02d}-{label}-{moment}.png"
        page.screenshot(path=path, animations="disabled", caret="hide")
        return path

    def problems(self) -> list[Problem]:
        """Problems seen so far that no page expected."""
        return [
            problem
            for watched in self._pages
            for problem in watched.problems
            if not any(e.matches(problem) for e in watched.expected)
        ]

    def close(self) -> None:
        """Close every context; fail if any page had a problem it did not expect."""
        unexpected = self.problems()
        for context in self._contexts:
            context.close()
        self._contexts.clear()
        assert not unexpected, "unexpected errors in the browser:\n" + "\n".join(
            f"  {p}" for p in unexpected
        )

    def _watch(self, watched: _Watched) -> None:
        label, problems = watched.label, watched.problems

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                url = str(message.location.get("url", ""))
                problems.append(Problem(label, "console", message.text, url))

        def on_page_error(error: Exception) -> None:
            problems.append(Problem(label, "pageerror", str(error)))

        def on_response(response: Response) -> None:
            if response.status >= 400:
                text = f"HTTP {response.status} {response.request.method}"
                problems.append(Problem(label, "http", text, response.url, response.status))

        def on_request_failed(request: Request) -> None:
            text = f"{request.method} failed: {request.failure}"
            problems.append(Problem(label, "requestfailed", text, request.url))

        def on_websocket(socket: WebSocket) -> None:
            socket.on(
                "socketerror",
                lambda error: problems.append(Problem(label, "websocket", error, socket.url)),
            )

        watched.page.on("console", on_console)
        watched.page.on("pageerror", on_page_error)
        watched.page.on("response", on_response)
        watched.page.on("requestfailed", on_request_failed)
        watched.page.on("websocket", on_websocket)


def received_frames(page: Page) -> list[dict[str, Any]]:
    """Every JSON frame ``page`` receives on its websockets from now on, decoded; call it
    before the page opens them. What the server sent, whether or not the page shows it."""
    frames: list[dict[str, Any]] = []

    def on_frame(payload: str | bytes) -> None:
        frames.append(json.loads(payload))

    page.on("websocket", lambda socket: socket.on("framereceived", on_frame))
    return frames


@contextmanager
def browser_session(browser: Browser, request: pytest.FixtureRequest) -> Iterator[BrowserSession]:
    """A :class:`BrowserSession` named after the requesting test."""
    session = BrowserSession(browser, request.node.name)
    try:
        yield session
    finally:
        session.close()


class StaticSite:
    """Fixed HTML pages on 127.0.0.1 at a port of their own, in a background thread."""

    def __init__(self, pages: Mapping[str, str], port: int = 0) -> None:
        content = {path: html.encode("utf-8") for path, html in pages.items()}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = content.get(urlsplit(self.path).path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="static-site", daemon=True
        )

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> StaticSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
