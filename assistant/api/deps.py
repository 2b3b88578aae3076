"""What routes get injected: the runtime built once in the lifespan, the investor behind a
bearer token, the agent behind the console cookie."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Cookie, Depends, Header, Request
from starlette.requests import HTTPConnection

from assistant.api.errors import ApiError
from assistant.conversations import ConversationService
from assistant.persistence.records import StaffAccount
from assistant.persistence.repositories import Store
from assistant.proactive import ProactiveDispatcher
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.staff import StaffAuth
from channels.bus import Bus
from channels.console_socket import ConsoleSocket
from channels.investor_socket import InvestorSocket
from channels.ratelimit import RateLimiter
from channels.tokens import SessionTokens

STAFF_COOKIE = "bd_staff"


@dataclass
class Runtime:
    """Everything heavy or shared, built once per process by ``create_app``'s lifespan."""

    settings: Settings
    assistant: Assistant
    store: Store
    bus: Bus
    tokens: SessionTokens
    staff: StaffAuth
    conversations: ConversationService
    dispatcher: ProactiveDispatcher
    investor_limiter: RateLimiter
    connection_limiter: RateLimiter
    investor_socket: InvestorSocket
    console_socket: ConsoleSocket


def get_runtime(connection: HTTPConnection) -> Runtime:
    runtime: Runtime = connection.app.state.runtime
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


def check_investor_rate(runtime: Runtime, investor_id: str) -> None:
    """The per-investor message limit, shared by the websocket and REST."""
    decision = runtime.investor_limiter.check(investor_id)
    if not decision.allowed:
        raise ApiError(
            429,
            "rate_limited",
            "too many messages; try again shortly",
            retry_after_s=decision.retry_after_s,
        )
