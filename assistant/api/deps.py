"""What routes get injected: the runtime built once in the lifespan, the investor behind a
bearer token, the agent behind the console cookie (and, for anything that changes state,
the console's origin and CSRF token), and the rate limits routes share with the sockets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Cookie, Depends, Header, Request
from starlette.requests import HTTPConnection

from assistant.api.errors import ApiError
from assistant.assembly import Assistant
from assistant.conversations import ConversationService
from assistant.metrics import ServiceMetrics
from assistant.persistence.records import StaffAccount, StaffRole
from assistant.persistence.repositories import Store
from assistant.proactive import ProactiveDispatcher
from assistant.settings import Settings
from assistant.staff import CsrfError, StaffAuth, require_role
from assistant.web_origins import origin_of
from channels.bus import Bus
from channels.console_socket import ConsoleSocket
from channels.investor_socket import InvestorSocket
from channels.ratelimit import RateDecision, WriteLimits
from channels.tokens import SessionTokens

STAFF_COOKIE = "bd_staff"
CSRF_HEADER = "X-CSRF-Token"


@dataclass
class Runtime:
    """Everything heavy or shared, built once per process by ``create_app``'s lifespan."""

    settings: Settings
    metrics: ServiceMetrics
    assistant: Assistant
    store: Store
    bus: Bus
    tokens: SessionTokens
    staff: StaffAuth
    conversations: ConversationService
    dispatcher: ProactiveDispatcher
    limits: WriteLimits
    investor_socket: InvestorSocket
    console_socket: ConsoleSocket


def get_runtime(connection: HTTPConnection) -> Runtime:
    """The runtime; 503 ``starting`` while the models load (``/readyz`` says when)."""
    runtime: Runtime | None = getattr(connection.app.state, "runtime", None)
    if runtime is None:
        raise ApiError(503, "starting", "the assistant is starting; try again shortly")
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_service(request: Request) -> ConversationService:
    return get_runtime(request).conversations


ServiceDep = Annotated[ConversationService, Depends(get_service)]


def current_investor(
    runtime: RuntimeDep, authorization: Annotated[str | None, Header()] = None
) -> str:
    """The investor id of the ``Authorization: Bearer`` session token."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "send the session token as 'Authorization: Bearer'")
    return runtime.tokens.verify(token.strip()).investor_id


InvestorDep = Annotated[str, Depends(current_investor)]


async def current_staff(
    runtime: RuntimeDep, bd_staff: Annotated[str | None, Cookie()] = None
) -> StaffAccount:
    """The agent signed in with the console cookie."""
    return await runtime.staff.authenticate(bd_staff)


StaffDep = Annotated[StaffAccount, Depends(current_staff)]


def check_console_origin(request: Request, runtime: RuntimeDep) -> None:
    """A state-changing console request must come from the console's own origin.

    ``Origin`` when the browser sends it (every browser does on a POST), else the
    ``Referer``'s origin; a client that sends neither is not a browser, so no other
    site can have made it send the cookie, and the CSRF token alone decides.
    """
    claimed = request.headers.get("origin")
    if claimed is None and (referer := request.headers.get("referer")):
        claimed = origin_of(referer) if urlsplit(referer).scheme else "null"
    if claimed is not None and claimed not in runtime.settings.served_origins:
        raise CsrfError("this request comes from a page outside the console")


ConsoleOriginDep = Depends(check_console_origin)


async def staff_writer(
    runtime: RuntimeDep,
    _origin: Annotated[None, ConsoleOriginDep],
    bd_staff: Annotated[str | None, Cookie()] = None,
    csrf_token: Annotated[str | None, Header(alias=CSRF_HEADER)] = None,
) -> StaffAccount:
    """The signed-in agent, for a request that changes something: from the console's
    origin and carrying the session's CSRF token."""
    account = await runtime.staff.authenticate(bd_staff)
    runtime.staff.check_csrf(bd_staff, csrf_token)
    return account


StaffWriterDep = Annotated[StaffAccount, Depends(staff_writer)]


async def supervisor_writer(account: StaffWriterDep) -> StaffAccount:
    return require_role(account, StaffRole.SUPERVISOR)


async def admin_reader(account: StaffDep) -> StaffAccount:
    return require_role(account, StaffRole.ADMIN)


async def admin_writer(account: StaffWriterDep) -> StaffAccount:
    return require_role(account, StaffRole.ADMIN)


SupervisorWriterDep = Annotated[StaffAccount, Depends(supervisor_writer)]
AdminReaderDep = Annotated[StaffAccount, Depends(admin_reader)]
AdminWriterDep = Annotated[StaffAccount, Depends(admin_writer)]


def client_address(connection: HTTPConnection) -> str:
    """The client's address (the proxy's X-Forwarded-For when the proxy is trusted)."""
    return connection.client.host if connection.client else "unknown"


def refuse_when_limited(decision: RateDecision) -> None:
    """A rate-limit refusal as the API's 429 ``rate_limited``."""
    if not decision.allowed:
        raise ApiError(
            429,
            "rate_limited",
            "too many requests; try again shortly",
            retry_after_s=decision.retry_after_s,
        )
