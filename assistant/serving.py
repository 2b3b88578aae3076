"""Several server processes behind one port: ``assistant serve --workers N``.

uvicorn's supervisor binds the port once and starts N worker processes that share it; each
builds its own app from the environment (the CLI's options are passed on as ``BROKERDESK_*``
variables). What the processes share lives outside them: conversations, tickets and the
per-conversation turn locks in PostgreSQL, events and rate limits in Redis, and the
knowledge base's vectors on disk or on a Chroma server. SQLite and the in-process bus serve
one process only, so more than one worker on them is refused.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any, Final

from fastapi import FastAPI

from assistant.settings import Settings

_FAILURES_ENV: Final = "ASSISTANT_SERVE_FAILURES"
"""A file where a worker that cannot start writes why (read by the supervisor)."""


def workers_refusal(settings: Settings, workers: int, *, demo_agent: bool) -> str | None:
    """Why ``workers`` processes cannot serve with these settings, or None when they can."""
    if workers < 1:
        return "--workers must be at least 1"
    if workers == 1:
        return None
    if settings.database.startswith("sqlite"):
        return (
            "SQLite serves one process only (its conversation locks are in-process): "
            "run one worker, or set BROKERDESK_DATABASE_URL / --database-url to PostgreSQL"
        )
    if not settings.bus_url:
        return (
            "several workers need a shared bus, or an investor on one process never sees an "
            "agent's reply sent on another: set BROKERDESK_BUS_URL / --bus-url to Redis"
        )
    if demo_agent:
        return "--demo-agent runs with one worker (each would reset the demo sign-in)"
    return None


def worker_environment(overrides: dict[str, Any]) -> dict[str, str]:
    """The ``BROKERDESK_*`` variables that give each worker the CLI's options."""
    return {f"BROKERDESK_{key.upper()}": str(value) for key, value in overrides.items()}


def run_workers(settings: Settings, workers: int, overrides: dict[str, Any]) -> str | None:
    """Serve with ``workers`` processes until stopped; why a worker could not start, if so."""
    import uvicorn

    with tempfile.TemporaryDirectory(prefix="assistant-serve-") as folder:
        failures = Path(folder) / "failures.txt"
        os.environ.update(worker_environment(overrides))
        os.environ[_FAILURES_ENV] = str(failures)
        uvicorn.run(
            "assistant.serving:worker_app",
            factory=True,
            workers=workers,
            host=settings.host,
            port=settings.port,
            ws_max_size=max(4 * settings.max_frame_bytes, 65536),
            log_level="info",
            forwarded_allow_ips=settings.forwarded_allow_ips,
        )
        if not failures.exists():
            return None
        return failures.read_text(encoding="utf-8").strip() or None


def worker_app() -> FastAPI:
    """One worker's app (uvicorn's factory); a worker whose models cannot load stops them all."""
    from assistant.app import create_app
    from assistant.settings import get_settings

    def stop_everything(error: BaseException) -> None:
        path = os.environ.get(_FAILURES_ENV)
        if path:
            with open(path, "a", encoding="utf-8") as out:
                out.write(f"{error}\n")
        print(f"error: the assistant could not start: {error}", file=sys.stderr)
        os.kill(os.getppid(), signal.SIGTERM)

    return create_app(get_settings(), on_failed=stop_everything)
