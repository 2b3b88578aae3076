"""A local brokerage account system speaking the contract in ``docs/account-system.md``.

It is written from the document, as a brokerage would write theirs: its routes
are spelled out here, not taken from ``assistant.accounts.contract``, so a path
the adapter gets wrong fails the tests. The records it serves come from an
:class:`~assistant.accounts.AccountSystem` behind it (the sample investors), and
each test can script what an endpoint does next instead — an HTTP error, a stall
longer than the client's timeout, a body that is not JSON or breaks the schema —
and read back the requests it received.

It runs uvicorn in a background thread (:class:`~tests.utils.loopback_server.LoopbackServer`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from assistant.accounts import AccountSystem, StatementRequest
from tests.utils.loopback_server import LoopbackServer
from tests.utils.processes import free_port

PAGE_SIZE = 3


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Respond:
    """Answer with this status and raw body instead of the records."""

    status: int
    body: str = ""
    content_type: str = "application/json"


@dataclass(frozen=True)
class Stall:
    """Wait this long before answering normally (longer than the client's timeout)."""

    seconds: float


Script = Respond | Stall


Lookup = Callable[[AccountSystem, str, Request], Awaitable[BaseModel | None]]


def _since(request: Request) -> date:
    return date.fromisoformat(request.query_params["since"])


async def _statement(accounts: AccountSystem, investor: str, request: Request) -> BaseModel | None:
    asked = StatementRequest.model_validate_json(await request.body())
    return await accounts.request_statement(investor, asked)


# The contract's per-investor routes as the document lists them: (method, path under
# /v1/investors/{investor_id}, endpoint name, how the records are looked up).
ROUTES: list[tuple[str, str, str, Lookup]] = [
    ("GET", "", "profile", lambda a, i, r: a.profile(i)),
    ("GET", "/commission", "commission", lambda a, i, r: a.commission(i)),
    ("GET", "/transfers", "transfers", lambda a, i, r: a.transfers(i, _since(r))),
    ("GET", "/orders", "orders", lambda a, i, r: a.orders(i, _since(r))),
    ("GET", "/ipo", "ipo", lambda a, i, r: a.ipo_subscriptions(i, _since(r))),
    ("GET", "/permissions", "permissions", lambda a, i, r: a.permissions(i)),
    ("GET", "/risk", "risk", lambda a, i, r: a.risk_assessment(i)),
    ("GET", "/id-documents", "id_documents", lambda a, i, r: a.id_documents(i)),
    ("GET", "/bank-link", "bank_link", lambda a, i, r: a.bank_link(i)),
    ("GET", "/standing", "standing", lambda a, i, r: a.standing(i)),
    ("POST", "/statements", "statements", _statement),
]


@dataclass
class AccountServer(LoopbackServer):
    """Serves ``accounts`` under the contract on ``127.0.0.1:<free port>`` until stopped.

    ``script`` maps an endpoint (``"commission"``, ``"transfers"``, ``"statements"``, ...)
    to what it does instead of serving records; :meth:`reset` clears it.
    """

    accounts: AccountSystem
    token: str = "test-token"
    port: int = field(default_factory=free_port)
    requests: list[RecordedRequest] = field(default_factory=list)
    script: dict[str, Script] = field(default_factory=dict)

    thread_name = "account server"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self) -> None:
        self.script.clear()
        self.requests.clear()

    async def _scripted(self, endpoint: str, request: Request) -> Response | None:
        """Record the request; the scripted or refused response, or None to serve records."""
        self.requests.append(
            RecordedRequest(
                request.method,
                request.url.path,
                dict(request.query_params),
                dict(request.headers),
                await request.body(),
            )
        )
        script = self.script.get(endpoint)
        if isinstance(script, Respond):
            return Response(script.body, script.status, media_type=script.content_type)
        if isinstance(script, Stall):
            await self._pause(script.seconds)
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return _error(401, "unauthorized", "missing or wrong bearer token")
        return None

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/v1/investors")
        async def investor_ids(request: Request, cursor: int = 0) -> Response:
            if refused := await self._scripted("investor_ids", request):
                return refused
            ids = await self.accounts.investor_ids()
            following = cursor + PAGE_SIZE
            return JSONResponse(
                {
                    "investor_ids": ids[cursor:following],
                    "next_cursor": str(following) if following < len(ids) else None,
                }
            )

        for method, path, name, lookup in ROUTES:
            app.add_api_route(
                f"/v1/investors/{{investor_id}}{path}",
                self._route(name, lookup, 201 if method == "POST" else 200),
                methods=[method],
            )
        return app

    def _route(
        self, name: str, lookup: Lookup, status: int
    ) -> Callable[[str, Request], Awaitable[Response]]:
        async def serve(investor_id: str, request: Request) -> Response:
            if refused := await self._scripted(name, request):
                return refused
            found = await lookup(self.accounts, investor_id, request)
            if found is None:
                return _error(404, "investor_not_found", "no such investor")
            return JSONResponse(found.model_dump(mode="json"), status_code=status)

        return serve


def _error(status: int, code: str, message: str) -> Response:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    return JSONResponse(body, status_code=status)
