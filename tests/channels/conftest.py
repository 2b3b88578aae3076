"""A Chromium per test module and a fresh browser session (screenshots kept) per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.utils.browser import BrowserSession, browser_session, launch_chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launch_chromium() as chromium:
        yield chromium


@pytest.fixture
def session(browser: Browser, request: pytest.FixtureRequest) -> Iterator[BrowserSession]:
    with browser_session(browser, request) as opened:
        yield opened
