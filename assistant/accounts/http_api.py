"""The account system over HTTP: the adapter a brokerage plugs its own systems into.

It speaks the contract in :mod:`assistant.accounts.contract` (prose in
``docs/account-system.md``) with one :class:`httpx.AsyncClient`. Every failure of
the other side — no connection, no answer within ``timeout_s``, an HTTP error, a
body that is not JSON or breaks the contract, an answer about another investor —
becomes an :class:`AccountSystemError`; only a 404 that says
``investor_not_found`` means "no such investor" (``None``). Nothing is retried:
the investor is told to try again, and a statement request is never filed twice
by us.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import date
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from assistant.accounts.contract import BY_NAME
from assistant.accounts.models import (
    AccountStanding,
    BankLink,
    CommissionSchedule,
    ErrorBody,
    IdDocuments,
    InvestorPage,
    InvestorProfile,
    IpoHistory,
    OrderHistory,
    PermissionGrants,
    RiskAssessment,
    StatementReceipt,
    StatementRequest,
    TransferHistory,
)
from assistant.accounts.system import AccountSystemError, describe_invalid

logger = logging.getLogger(__name__)

_M = TypeVar("_M", bound=BaseModel)

# One path segment, never "." or "..": an id from elsewhere cannot reach another endpoint.
INVESTOR_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


class HttpAccountSystem:
    """:class:`~assistant.accounts.AccountSystem` over the documented JSON-over-HTTP contract.

    ``base_url`` is the root the contract's paths hang from (``https://accounts.internal``
    serves ``/v1/investors/...``); ``token`` is sent as ``Authorization: Bearer``;
    ``timeout_s`` bounds each call as a whole. A client is opened per event loop on
    first use (the CLI and tests run several loops); :meth:`aclose` closes it.
    """

    def __init__(self, base_url: str, token: str | None = None, *, timeout_s: float = 3.0) -> None:
        self.base_url = http_root(base_url, "the account system")
        self._headers = json_headers("brokerdesk-accounts/1", token)
        self._timeout_s = timeout_s
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    async def profile(self, investor_id: str) -> InvestorProfile | None:
        return await self._call("profile", InvestorProfile, investor_id)

    async def investor_ids(self) -> list[str]:
        ids: list[str] = []
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            params = {"cursor": cursor} if cursor else None
            page = await self._call("investor_ids", InvestorPage, None, params=params)
            if page is None:  # pragma: no cover - a listing has no investor to be unknown
                raise AccountSystemError("the investor listing answered 404")
            ids += page.investor_ids
            cursor = page.next_cursor
            if cursor is None:
                return ids
            if cursor in seen:
                raise AccountSystemError("the investor listing repeats a cursor")
            seen.add(cursor)

    async def commission(self, investor_id: str) -> CommissionSchedule | None:
        return await self._call("commission", CommissionSchedule, investor_id)

    async def transfers(self, investor_id: str, since: date) -> TransferHistory | None:
        params = {"since": since.isoformat()}
        return await self._call("transfers", TransferHistory, investor_id, params=params)

    async def orders(self, investor_id: str, since: date) -> OrderHistory | None:
        params = {"since": since.isoformat()}
        return await self._call("orders", OrderHistory, investor_id, params=params)

    async def ipo_subscriptions(self, investor_id: str, since: date) -> IpoHistory | None:
        params = {"since": since.isoformat()}
        return await self._call("ipo_subscriptions", IpoHistory, investor_id, params=params)

    async def permissions(self, investor_id: str) -> PermissionGrants | None:
        return await self._call("permissions", PermissionGrants, investor_id)

    async def risk_assessment(self, investor_id: str) -> RiskAssessment | None:
        return await self._call("risk_assessment", RiskAssessment, investor_id)

    async def id_documents(self, investor_id: str) -> IdDocuments | None:
        return await self._call("id_documents", IdDocuments, investor_id)

    async def bank_link(self, investor_id: str) -> BankLink | None:
        return await self._call("bank_link", BankLink, investor_id)

    async def standing(self, investor_id: str) -> AccountStanding | None:
        return await self._call("standing", AccountStanding, investor_id)

    async def request_statement(
        self, investor_id: str, request: StatementRequest
    ) -> StatementReceipt | None:
        body = request.model_dump(mode="json")
        return await self._call("request_statement", StatementReceipt, investor_id, body=body)

    async def aclose(self) -> None:
        client, self._client, self._client_loop = self._client, None, None
        if client is not None:
            await client.aclose()

    def _http(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            # A client from a finished loop cannot be closed any more; it is simply dropped.
            self._client = httpx.AsyncClient(
                base_url=self.base_url,
                headers=self._headers,
                timeout=httpx.Timeout(self._timeout_s),
                follow_redirects=False,
            )
            self._client_loop = loop
        return self._client

    async def _call(
        self,
        name: str,
        model: type[_M],
        investor_id: str | None,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> _M | None:
        endpoint = BY_NAME[name]
        if endpoint.response is not model:
            raise TypeError(f"{name} answers {endpoint.response.__name__}, not {model.__name__}")
        if investor_id is not None and not INVESTOR_ID.fullmatch(investor_id):
            return None
        path = endpoint.path.format(investor_id=quote(investor_id or "", safe=""))
        try:
            async with asyncio.timeout(self._timeout_s):
                response = await self._http().request(
                    endpoint.method, path, params=params, json=body
                )
        except (TimeoutError, httpx.TimeoutException) as error:
            raise self._failed(name, f"no answer within {self._timeout_s:g} s") from error
        except httpx.HTTPError as error:
            raise self._failed(name, f"unreachable ({type(error).__name__})") from error
        if response.status_code == 404 and error_code(response) == "investor_not_found":
            return None
        if response.status_code in (401, 403):
            raise self._failed(name, f"HTTP {response.status_code}: check the bearer token")
        if not response.is_success:
            raise self._failed(name, f"HTTP {response.status_code}")
        try:
            parsed = model.model_validate_json(response.content)
        except ValidationError as error:
            raise self._failed(name, f"breaks the contract: {describe_invalid(error)}") from error
        if investor_id is not None and getattr(parsed, "investor_id", None) != investor_id:
            raise self._failed(name, "answered about another investor")
        return parsed

    def _failed(self, name: str, reason: str) -> AccountSystemError:
        logger.warning("account system %s at %s: %s", name, self.base_url, reason)
        return AccountSystemError(f"account system {name}: {reason}")


def http_root(base_url: str, what: str) -> str:
    """``base_url`` without its trailing slash; anything but http(s)://host... is refused."""
    url = httpx.URL(base_url)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"{what} URL must be http(s)://host...: {base_url!r}")
    return base_url.rstrip("/")


def json_headers(user_agent: str, token: str | None) -> dict[str, str]:
    """What every call to a brokerage system sends: JSON wanted, who asks, the bearer token."""
    headers = {"Accept": "application/json", "User-Agent": user_agent}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def error_code(response: httpx.Response) -> str | None:
    """The ``error.code`` of a contract error body, or None."""
    try:
        return ErrorBody.model_validate_json(response.content).error.code
    except ValidationError:
        return None
