"""The portfolio feed over HTTP, against a local server speaking docs/portfolio-feed.md.

The server is written from the document (its route spelled out here) and serves the
sample feed file, so every snapshot over HTTP must equal the one read from the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import SecretStr

from assistant.accounts import JsonAccountSystem
from assistant.proactive import (
    HttpPortfolioFeed,
    JsonPortfolioFeed,
    PortfolioFeedError,
    SignalCollector,
    build_portfolio_feed,
)
from assistant.settings import Settings
from tests.utils.loopback_server import LoopbackServer
from tests.utils.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "proactive" / "portfolio_signals.json"
SAMPLE_IDS = [entry["investor_id"] for entry in json.loads(SAMPLE.read_text("utf-8"))["investors"]]
TODAY = date(2026, 12, 16)
TOKEN = "feed-token-for-tests"


@dataclass
class FeedServer(LoopbackServer):
    """``GET /v1/investors/{investor_id}/portfolio-signals``, as the document describes it."""

    behind: JsonPortfolioFeed
    port: int = field(default_factory=free_port)
    thread_name = "portfolio-feed"
    script: tuple[int, str] | None = None  # answer with this status and raw body instead
    answer_for: str | None = None  # answer with this investor's snapshot instead
    seen: list[tuple[str, str | None]] = field(default_factory=list)  # path, Authorization

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/v1/investors/{investor_id}/portfolio-signals")
        async def signals(investor_id: str, request: Request) -> Response:
            self.seen.append((request.url.path, request.headers.get("authorization")))
            if self.script is not None:
                status, body = self.script
                return Response(body, status_code=status, media_type="application/json")
            snapshot = await self.behind.snapshot(self.answer_for or investor_id)
            if snapshot is None:
                body = {"error": {"code": "investor_not_found", "message": "no such investor"}}
                return JSONResponse(body, status_code=404)
            return Response(snapshot.model_dump_json(), media_type="application/json")

        return app


@pytest.fixture(scope="module")
def running_server() -> Iterator[FeedServer]:
    server = FeedServer(JsonPortfolioFeed(SAMPLE, today=lambda: TODAY)).start()
    yield server
    server.stop()


@pytest.fixture
def server(running_server: FeedServer) -> FeedServer:
    running_server.script = running_server.answer_for = None
    running_server.seen.clear()
    return running_server


def feed_of(server: FeedServer, token: str | None = TOKEN) -> HttpPortfolioFeed:
    return HttpPortfolioFeed(f"http://127.0.0.1:{server.port}/", token, timeout_s=2.0)


async def test_every_sample_snapshot_over_http_equals_the_file(server: FeedServer) -> None:
    feed, direct = feed_of(server), JsonPortfolioFeed(SAMPLE, today=lambda: TODAY)

    for investor_id in SAMPLE_IDS:
        assert await feed.snapshot(investor_id) == await direct.snapshot(investor_id)
    await feed.aclose()

    assert len(SAMPLE_IDS) >= 3
    assert server.seen[0] == (f"/v1/investors/{SAMPLE_IDS[0]}/portfolio-signals", "Bearer " + TOKEN)


async def test_an_unknown_investor_is_none_and_an_odd_id_is_never_sent(server: FeedServer) -> None:
    feed = feed_of(server)

    assert await feed.snapshot("INV-9999") is None
    assert await feed.snapshot("../admin") is None
    await feed.aclose()

    assert [path for path, _ in server.seen] == ["/v1/investors/INV-9999/portfolio-signals"]


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ((500, '{"error": {"code": "internal", "message": "down"}}'), "HTTP 500"),
        ((401, '{"error": {"code": "unauthorized", "message": "no"}}'), "check the bearer token"),
        ((404, '{"detail": "Not Found"}'), "HTTP 404"),
        ((200, "not json"), "breaks the contract"),
        ((200, '{"investor_id": "INV-1001", "positions": "none"}'), "breaks the contract"),
    ],
)
async def test_a_feed_that_breaks_its_contract_is_a_feed_error(
    server: FeedServer, script: tuple[int, str], reason: str
) -> None:
    server.script = script
    feed = feed_of(server)

    with pytest.raises(PortfolioFeedError, match=reason):
        await feed.snapshot("INV-1001")
    await feed.aclose()


async def test_an_answer_about_another_investor_is_refused(server: FeedServer) -> None:
    server.answer_for = SAMPLE_IDS[1]
    feed = feed_of(server)

    with pytest.raises(PortfolioFeedError, match="another investor"):
        await feed.snapshot(SAMPLE_IDS[0])
    await feed.aclose()


async def test_a_feed_that_is_not_there_leaves_the_holdings_out_of_the_signals() -> None:
    feed = HttpPortfolioFeed(f"http://127.0.0.1:{free_port()}", timeout_s=1.0)
    accounts = JsonAccountSystem(ROOT / "data" / "accounts" / "investors.json")
    profile = await accounts.profile(SAMPLE_IDS[0])
    assert profile is not None

    with pytest.raises(PortfolioFeedError, match="unreachable"):
        await feed.snapshot(SAMPLE_IDS[0])
    signals = await SignalCollector(accounts, feed).collect(profile, datetime.now(UTC))

    assert signals.positions == [] and signals.margin is None
    assert signals.investor_id == SAMPLE_IDS[0]


def test_the_settings_choose_the_http_feed_when_its_url_is_set(tmp_path: Path) -> None:
    with_url = Settings(
        state_dir=tmp_path,
        push_portfolio_feed_url="http://127.0.0.1:9/feed",
        push_portfolio_feed_token=SecretStr(TOKEN),
    )

    assert isinstance(build_portfolio_feed(with_url), HttpPortfolioFeed)
    assert isinstance(build_portfolio_feed(Settings(state_dir=tmp_path)), JsonPortfolioFeed)
    assert build_portfolio_feed(Settings(state_dir=tmp_path, push_portfolio_feed=None)) is None
    with pytest.raises(ValueError, match="http"):
        HttpPortfolioFeed("ftp://feed.internal")
