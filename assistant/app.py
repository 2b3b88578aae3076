"""The web app: ``create_app(settings)`` wires everything once, in the lifespan.

Start-up order: the store (migrated to the newest schema) and the bus, then the server
listens (``/healthz`` answers, ``/readyz`` says "loading"); the assistant (knowledge
base, intent classifier, dialogue policy: the slow part) is built off the event loop,
then the conversation service, staff sign-in, tokens and rate limits, the two socket
transports, and the proactive dispatcher with its periodic task; only then is the
process ready. Until it is, the API answers 503 ``starting`` and the sockets close
with 1013 (try again later). Shutdown reverses it, letting running turns finish first.

Routes: ``/healthz``, ``/readyz`` and ``/metrics`` (:mod:`assistant.api.health`),
investor REST under ``/api``, the console under ``/api/console`` (its
quality report under ``/api/console/quality``),
``/ws/investor`` and ``/ws/console``, the widget (``/widget.js``), the demo page
(``/demo``), the console (``/console``, its files under ``/static``) and, in
development or when ``api_docs`` asks, the OpenAPI document at ``/docs``. Every
response carries the security headers of :mod:`assistant.api.security_headers`.
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
from assistant.api import console, health, investor, quality, sockets
from assistant.api.deps import Runtime
from assistant.api.errors import install_error_handlers
from assistant.api.health import Startup
from assistant.api.security_headers import SecurityHeaders
from assistant.assembly import Assistant, build_assistant
from assistant.conversations import ConversationService, PushDeliverer
from assistant.metrics import CountingDeliverer, ServiceMetrics
from assistant.periodic import Periodic
from assistant.persistence.records import StaffRole
from assistant.persistence.sql import open_store
from assistant.pii import install_log_masking
from assistant.proactive import ProactiveDispatcher, PushPoller
from assistant.queue_waits import QueueWaits
from assistant.settings import Settings, get_settings
from assistant.signin_throttle import SignInThrottle, ThrottleSettings
from assistant.staff import StaffAuth
from channels.bus import open_bus
from channels.console_socket import ConsoleSocket
from channels.investor_socket import InvestorSocket, InvestorSocketConfig
from channels.ratelimit import LimitStore, RateLimits, WriteLimits
from channels.tokens import SessionTokens
from knowledge.private_files import write_private_text

logger = logging.getLogger(__name__)

STATIC_DIR = Path(channels.__file__).resolve().parent / "static"


def create_app(
    settings: Settings | None = None,
    *,
    assistant: Assistant | None = None,
    build: Callable[[Settings], Assistant] = build_assistant,
    on_started: Callable[[Runtime], Awaitable[None]] | None = None,
    on_failed: Callable[[BaseException], None] | None = None,
) -> FastAPI:
    """The FastAPI app. Nothing is built until it starts (the lifespan).

    ``assistant``: an already built one to share (tests build it once); it is not
    closed when the app stops; the app is ready when it starts (complaints reach the
    ticket store through each turn's flow context, whoever built it).
    Otherwise ``build`` makes it off the event loop after the server listens:
    ``/healthz`` answers at once, ``/readyz`` once it is built. ``on_started`` runs
    once everything is up (the CLI prints the URLs then); ``on_failed`` when building
    failed (the CLI stops the server).
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        startup = app.state.startup = Startup(ServiceMetrics())
        async with AsyncExitStack() as stack:
            await _open_storage(settings, startup, stack)

            async def finish(built: Assistant) -> None:
                app.state.runtime = await _start(settings, built, startup, stack)
                startup.ready()
                if on_started is not None:
                    await on_started(app.state.runtime)

            if assistant is not None:
                await finish(assistant)
            else:
                loading = asyncio.create_task(_load(settings, build, stack, finish, startup))
                stack.push_async_callback(_stop_loading, loading)
                loading.add_done_callback(lambda task: _report_failure(task, on_failed))
            yield

    docs = settings.docs_enabled
    app = FastAPI(
        title="brokerdesk",
        summary="Customer-service assistant for securities brokerages",
        version="1",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.browser_origins,
        allow_credentials=True,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type"],
    )
    # Added last, so outermost: CORS answers and error responses carry the headers too.
    app.add_middleware(SecurityHeaders, hsts=settings.base_url.startswith("https://"))
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(investor.router)
    app.include_router(console.router)
    app.include_router(console.admin_router)
    app.include_router(quality.router)
    app.include_router(sockets.router)
    _static_routes(app)
    return app


async def _open_storage(settings: Settings, startup: Startup, stack: AsyncExitStack) -> None:
    """The store (migrated) and the bus: quick, and what readiness checks besides the models."""
    install_log_masking()
    store = await open_store(
        settings.database,
        sqlite_busy_timeout_s=settings.sqlite_busy_timeout_s,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
    )
    stack.push_async_callback(store.close)
    bus = open_bus(settings.bus_url, namespace=settings.redis_namespace)
    stack.push_async_callback(bus.close)
    startup.store, startup.bus = store, bus


async def _load(
    settings: Settings,
    build: Callable[[Settings], Assistant],
    stack: AsyncExitStack,
    finish: Callable[[Assistant], Awaitable[None]],
    startup: Startup,
) -> None:
    """Build the assistant off the event loop (the slow part), then the rest of the runtime."""
    try:
        assistant = await asyncio.to_thread(build, settings)
        stack.callback(assistant.close)
        stack.push_async_callback(assistant.accounts.aclose)
        await finish(assistant)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        startup.failed(exc)
        logger.error("the assistant could not start: %s", exc, exc_info=exc)
        raise


async def _stop_loading(loading: asyncio.Task[None]) -> None:
    if not loading.done():
        loading.cancel()
    await asyncio.gather(loading, return_exceptions=True)


def _report_failure(
    loading: asyncio.Task[None], on_failed: Callable[[BaseException], None] | None
) -> None:
    if loading.cancelled() or (error := loading.exception()) is None:
        return
    if on_failed is not None:
        on_failed(error)


async def _start(
    settings: Settings, assistant: Assistant, startup: Startup, stack: AsyncExitStack
) -> Runtime:
    assert startup.store is not None and startup.bus is not None, "storage opens first"
    store, bus, metrics = startup.store, startup.bus, startup.metrics
    # Rate limits and sign-in throttling count in Redis when the processes share one.
    limit_store = LimitStore.open(settings.bus_url, prefix=settings.redis_namespace)
    stack.push_async_callback(limit_store.close)
    metrics.report_caches(assistant)
    service = ConversationService(
        store=store,
        bus=bus,
        policy=assistant.policy.observed_by(metrics.observe_turn),
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
        deliverer=CountingDeliverer(PushDeliverer(service), metrics),
        questions=store.conversations,
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
    secret = settings.secret_key.get_secret_value()
    tokens = SessionTokens(
        secret, settings.session_token_ttl_s, max_ttl_s=settings.session_token_max_ttl_s
    )
    throttle = SignInThrottle(
        limit_store.storage,
        ThrottleSettings(
            free_failures=settings.signin_free_failures,
            lockout_max_s=settings.signin_lockout_max_s,
            window_s=settings.signin_window_s,
            per_address=settings.signin_failures_per_address,
            per_account=settings.signin_failures_per_account,
            account_delay_s=settings.signin_account_delay_s,
        ),
    )
    staff = StaffAuth(
        store.staff,
        settings.staff_session_hours,
        csrf_key=secret.encode("utf-8"),
        throttle=throttle,
        allow_demo=settings.development_features,
    )
    limits = WriteLimits(
        RateLimits(limit_store.storage),
        per_connection=settings.rate_connection_per_minute,
        per_investor=settings.rate_investor_per_minute,
        sessions_per_investor=settings.rate_sessions_per_minute,
        per_address=settings.rate_address_per_minute,
        global_per_minute=settings.rate_global_per_minute,
    )
    return Runtime(
        settings=settings,
        metrics=metrics,
        assistant=assistant,
        store=store,
        bus=bus,
        tokens=tokens,
        staff=staff,
        conversations=service,
        dispatcher=dispatcher,
        limits=limits,
        investor_socket=InvestorSocket(
            handler=sockets.InvestorChannel(service),
            bus=bus,
            verify_token=lambda token: tokens.verify(token).investor_id,
            config=InvestorSocketConfig(
                allowed_origins=frozenset(settings.browser_origins),
                max_frame_bytes=settings.max_frame_bytes,
                heartbeat_s=settings.heartbeat_s,
            ),
            limits=limits,
        ),
        console_socket=ConsoleSocket(
            handler=sockets.ConsoleChannel(staff, service),
            bus=bus,
            allowed_origins=frozenset(settings.served_origins),
            heartbeat_s=settings.heartbeat_s,
            max_frame_bytes=settings.max_frame_bytes,
        ),
    )


DEMO_AGENT = "agent1"
DEMO_AGENT_NAME = "客服小安"


class DemoAgentError(Exception):
    """The demo account cannot be provided (dev features off, or the name is a real account)."""


async def ensure_demo_agent(runtime: Runtime) -> tuple[str, str]:
    """Development on loopback only: the demo console account and its password.

    The password is random, kept in ``STATE_DIR/demo-agent.txt`` (readable by this
    user only) so that restarts print the same one; a new one when the file is gone.
    What is printed is always what signs in: when the database holds a demo account
    whose password is not the file's (another database, same state directory), the
    account takes the file's password. The account is marked ``demo`` (it cannot sign
    in once development features are off) and is a supervisor, so the whole console
    (Quality page, FAQ drafts) can be tried; an account of that name that is not the
    demo account is never touched.
    """
    if not runtime.settings.development_features:
        raise DemoAgentError("the demo agent exists in development mode on loopback only")
    secret_file = runtime.settings.state_dir / "demo-agent.txt"
    password = secret_file.read_text("utf-8").strip() if secret_file.exists() else ""
    account = await runtime.store.staff.by_username(DEMO_AGENT)
    matches = account is not None and bool(password)
    if account is not None and matches:
        matches = await asyncio.to_thread(runtime.staff.password_matches, account, password)
    if account is not None and matches:
        if not account.demo:  # made before accounts carried the marker
            await runtime.store.staff.update(account.id, demo=True, role=StaffRole.SUPERVISOR)
        return DEMO_AGENT, password
    if account is not None and not account.demo:
        raise DemoAgentError(
            f"{DEMO_AGENT!r} in this database is a real account, not the demo one; "
            "not changing its password"
        )
    password = password or secrets.token_urlsafe(12)
    write_private_text(secret_file, password + "\n")
    if account is None:
        await runtime.staff.create_account(
            DEMO_AGENT, DEMO_AGENT_NAME, password, role=StaffRole.SUPERVISOR, demo=True
        )
    else:
        await runtime.staff.set_password(account, password)
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
