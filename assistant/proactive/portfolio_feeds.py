"""Which portfolio feed the rules read, and the feed over HTTP:
``GET /v1/investors/{id}/portfolio-signals`` (docs/portfolio-feed.md).

One :class:`httpx.AsyncClient` per event loop, a bearer token, a deadline per call. Every
failure of the other side (no connection, no answer in time, an HTTP error, a body that
breaks the contract, an answer about another investor) is a :class:`PortfolioFeedError`;
only a 404 that says ``investor_not_found`` means "no such investor" (``None``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from assistant.accounts import exchange_today
from assistant.accounts.http_api import INVESTOR_ID, error_code, http_root, json_headers
from assistant.accounts.system import describe_invalid
from assistant.proactive.errors import PortfolioFeedError
from assistant.proactive.signals import JsonPortfolioFeed, PortfolioFeed, PortfolioSnapshot
from assistant.settings import Settings

logger = logging.getLogger(__name__)

PATH = "/v1/investors/{investor_id}/portfolio-signals"


def build_portfolio_feed(
    settings: Settings, *, today: Callable[[], date] = exchange_today
) -> PortfolioFeed | None:
    """The feed at ``PUSH_PORTFOLIO_FEED_URL`` when set, else the ``PUSH_PORTFOLIO_FEED`` file
    (its dates moved to ``today``), else None (the rules off)."""
    if settings.push_portfolio_feed_url is not None:
        token = settings.push_portfolio_feed_token
        return HttpPortfolioFeed(
            settings.push_portfolio_feed_url,
            token.get_secret_value() if token else None,
            timeout_s=settings.accounts_timeout_s,
        )
    if settings.push_portfolio_feed is not None:
        return JsonPortfolioFeed(settings.push_portfolio_feed, today=today)
    return None


class HttpPortfolioFeed:
    """:class:`~assistant.proactive.signals.PortfolioFeed` over the documented contract;
    ``base_url`` is the root its path hangs from."""

    def __init__(self, base_url: str, token: str | None = None, *, timeout_s: float = 3.0) -> None:
        self.base_url = http_root(base_url, "the portfolio feed")
        self._headers = json_headers("brokerdesk-portfolio/1", token)
        self._timeout_s = timeout_s
        self._clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}

    async def snapshot(self, investor_id: str) -> PortfolioSnapshot | None:
        if not INVESTOR_ID.fullmatch(investor_id):
            return None
        path = PATH.format(investor_id=quote(investor_id, safe=""))
        try:
            async with asyncio.timeout(self._timeout_s):
                response = await self._http().get(path)
        except (TimeoutError, httpx.TimeoutException) as error:
            raise self._failed(f"no answer within {self._timeout_s:g} s") from error
        except httpx.HTTPError as error:
            raise self._failed(f"unreachable ({type(error).__name__})") from error
        if response.status_code == 404 and error_code(response) == "investor_not_found":
            return None
        if response.status_code in (401, 403):
            raise self._failed(f"HTTP {response.status_code}: check the bearer token")
        if not response.is_success:
            raise self._failed(f"HTTP {response.status_code}")
        try:
            snapshot = PortfolioSnapshot.model_validate_json(response.content)
        except ValidationError as error:
            raise self._failed(f"breaks the contract: {describe_invalid(error)}") from error
        if snapshot.investor_id != investor_id:
            raise self._failed("answered about another investor")
        return snapshot

    async def aclose(self) -> None:
        loop = asyncio.get_running_loop()
        client = self._clients.pop(loop, None)
        if client is not None:
            await client.aclose()

    def _http(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        # A client from a finished loop cannot be closed any more; it is simply dropped.
        self._clients = {known: c for known, c in self._clients.items() if not known.is_closed()}
        if loop not in self._clients:
            self._clients[loop] = httpx.AsyncClient(
                base_url=self.base_url,
                headers=self._headers,
                timeout=httpx.Timeout(self._timeout_s),
                follow_redirects=False,
            )
        return self._clients[loop]

    def _failed(self, reason: str) -> PortfolioFeedError:
        logger.warning("portfolio feed at %s: %s", self.base_url, reason)
        return PortfolioFeedError(f"portfolio feed: {reason}")
