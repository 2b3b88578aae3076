"""The web app: ``create_app(settings)`` wires everything once, in the lifespan.

Start-up order: the store (migrated to the newest schema), the bus, the
assistant (knowledge base, intent classifier, dialogue policy: the slow part,
built off the event loop), the conversation service, staff sign-in, tokens and
rate limits, the two socket transports, and the proactive dispatcher with its
periodic task. Shutdown reverses it, letting running turns finish first.

Routes: investor REST under ``/api``, the console under ``/api/console`` (its
quality report under ``/api/console/quality``),
``/ws/investor`` and ``/ws/console``, the widget (``/widget.js``), the demo page
(``/demo``), the console (``/console``, its files under ``/static``) and the
OpenAPI document at ``/docs``.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

import channels
from assistant.api import console, investor, quality, sockets
from assistant.api.deps import Runtime
from assistant.api.errors import install_error_handlers
from assistant.conversations import ConversationService, PushDeliverer, TurnTicketSink
from assistant.periodic import Periodic
from assistant.persistence.sql import open_store
from assistant.pii import install_log_masking
from assistant.proactive import ProactiveDispatcher, PushPoller
from assistant.queue_waits import QueueWaits
from assistant.service import Assistant, build_assistant
from assistant.settings import Settings, get_settings
from assistant.staff import PasswordHasher, StaffAuth
from channels.bus import open_bus
from channels.console_socket import ConsoleSocket
from channels.investor_socket import InvestorSocket, InvestorSocketConfig
from channels.ratelimit import RateLimiter
from channels.tokens import SessionTokens

logger = logging.getLogger(__name__)

STATIC_DIR = Path(channels.__file__).resolve().parent / "static"


def build_app_assistant(settings: Settings) -> Assistant:
    """The assistant as the app runs it: complaint tickets go to the ticket store."""
    return build_assistant(settings, tickets=TurnTicketSink())


def create_app(
    settings: Settings | None = None,
    *,
    assistant: Assistant | None = None,
    on_started: Callable[[Runtime], Awaitable[None]] | None = None,
) -> FastAPI:
    """The FastAPI app. Nothing is built until it starts (the lifespan).

    ``assistant``: an already built one to share (tests build it once); it must
    have been built with :func:`build_app_assistant` so complaints reach the ticket
    store, and it is not closed when the app stops. ``on_started`` runs once
    everything is up (the CLI prints the URLs then).
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            app.state.runtime = await _start(settings, assistant, stack)
            if on_started is not None:
                await on_started(app.state.runtime)
            yield

    app = FastAPI(
        title="brokerdesk",
        summary="Customer-service assistant for securities brokerages",
        version="1",
        lifespan=lifespan,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.allowed_origins,
        allow_credentials=True,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type"],
    )
    install_error_handlers(app)
    app.include_router(investor.router)
    app.include_router(console.router)
    app.include_router(console.admin_router)
    app.include_router(quality.router)
    app.include_router(sockets.router)
    _static_routes(app)
    return app


async def _start(settings: Settings, prebuilt: Assistant | None, stack: AsyncExitStack) -> Runtime:
    install_log_masking()
    store = await open_store(
        settings.database,
        sqlite_busy_timeout_s=settings.sqlite_busy_timeout_s,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
    )
    stack.push_async_callback(store.close)
    bus = open_bus(settings.bus_url)
    stack.push_async_callback(bus.close)
    if prebuilt is None:
        assistant = await asyncio.to_thread(build_app_assistant, settings)
        stack.callback(assistant.close)
        stack.push_async_callback(assistant.accounts.aclose)
    else:
        assistant = prebuilt
    service = ConversationService(
        store=store,
        bus=bus,
        policy=assistant.policy,
        guard=assistant.guard,
        accounts=assistant.accounts,
        settings=settings,
    )
    stack.push_async_callback(service.close)
    dispatcher = ProactiveDispatcher.from_settings(
        settings,
        accounts=assistant.accounts,
        outbox=store.outbox,
        guard=assistant.guard,
        deliverer=PushDeliverer(service),
    )

    async def deliver_held_pushes(investor_id: str) -> None:
        await dispatcher.deliver_pending(investor_id)

    service.on_investor_connected(deliver_held_pushes)
    if settings.turn_sweep_s > 0:
        sweeper = Periodic(
            "pending-turn sweep",
            lambda: service.answer_pending(older_than_s=settings.turn_sweep_s),
            settings.turn_sweep_s,
        )
        sweeper.start()
        stack.push_async_callback(sweeper.stop)
    if settings.queue_status_s > 0:
        waits = QueueWaits(store, service.publish, service.clock)
        refresher = Periodic("queue status refresh", waits.announce_all, settings.queue_status_s)
        refresher.start()
        stack.push_async_callback(refresher.stop)
    if settings.push_poll_s > 0:
        poller = PushPoller(dispatcher, settings.push_poll_s)
        poller.start()
        stack.push_async_callback(poller.stop)
    tokens = SessionTokens(settings.secret_key.get_secret_value(), settings.session_token_ttl_s)
    staff = StaffAuth(store.staff, settings.staff_session_hours)
    investor_limiter = RateLimiter.per_minute(settings.rate_investor_per_minute)
    connection_limiter = RateLimiter.per_minute(settings.rate_connection_per_minute)
    origins = frozenset(settings.allowed_origins)
    return Runtime(
        settings=settings,
        assistant=assistant,
        store=store,
        bus=bus,
        tokens=tokens,
        staff=staff,
        conversations=service,
        dispatcher=dispatcher,
        investor_limiter=investor_limiter,
        connection_limiter=connection_limiter,
        investor_socket=InvestorSocket(
            handler=sockets.InvestorChannel(service),
            bus=bus,
            verify_token=lambda token: tokens.verify(token).investor_id,
            config=InvestorSocketConfig(
                allowed_origins=origins,
                max_frame_bytes=settings.max_frame_bytes,
                heartbeat_s=settings.heartbeat_s,
            ),
            connection_limiter=connection_limiter,
            investor_limiter=investor_limiter,
        ),
        console_socket=ConsoleSocket(
            handler=sockets.ConsoleChannel(staff, service),
            bus=bus,
            allowed_origins=origins,
            heartbeat_s=settings.heartbeat_s,
        ),
    )


DEMO_AGENT = "agent1"
DEMO_AGENT_NAME = "客服小安"


async def ensure_demo_agent(runtime: Runtime) -> tuple[str, str]:
    """Development only: the demo console account and its password.

    The password is random, kept in ``STATE_DIR/demo-agent.txt`` (readable by
    this user only) so that restarts print the same one; it is reset when the
    file is gone.
    """
    if runtime.settings.mode != "development":
        raise RuntimeError("the demo agent exists in development mode only")
    secret_file = runtime.settings.state_dir / "demo-agent.txt"
    password = secret_file.read_text("utf-8").strip() if secret_file.exists() else ""
    account = await runtime.store.staff.by_username(DEMO_AGENT)
    if account is not None and password:
        return DEMO_AGENT, password
    password = secrets.token_urlsafe(12)
    secret_file.parent.mkdir(parents=True, exist_ok=True)
    secret_file.touch(mode=0o600)
    secret_file.write_text(password + "\n", "utf-8")
    if account is None:
        await runtime.staff.create_account(DEMO_AGENT, DEMO_AGENT_NAME, password)
    else:
        hashed = await asyncio.to_thread(PasswordHasher().hash, password)
        await runtime.store.staff.set_password(account.id, hashed)
    return DEMO_AGENT, password


def _static_routes(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/demo")

    @app.get("/widget.js", include_in_schema=False)
    async def widget() -> FileResponse:
        return FileResponse(STATIC_DIR / "widget.js", media_type="text/javascript")

    @app.get("/demo", include_in_schema=False)
    async def demo() -> FileResponse:
        return FileResponse(STATIC_DIR / "demo.html", media_type="text/html")

    @app.get("/console", include_in_schema=False)
    async def console_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "console.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
