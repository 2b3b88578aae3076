"""Liveness, readiness and metrics, for load balancers and monitoring.

- ``GET /healthz``: the process answers (200 as soon as it listens, models or not);
- ``GET /readyz``: 200 only when the models are loaded and the database and the bus
  answer; 503 with what is missing otherwise (while the models load, a load balancer
  routes around the process);
- ``GET /metrics``: Prometheus' text format (:mod:`assistant.metrics`).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.requests import HTTPConnection

from assistant.metrics import CONTENT_TYPE, ServiceMetrics
from assistant.persistence.records import ConversationStatus
from assistant.persistence.repositories import StorageUnavailableError, Store
from channels.bus import Bus
from channels.errors import BusError

router = APIRouter(include_in_schema=False)

PROBE_TIMEOUT_S = 2.0
READINESS_TOPIC = "readiness"


class Phase(StrEnum):
    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"


@dataclass
class Startup:
    """Where the process stands: its models loading, loaded or failed; the store and bus
    (opened before the models, so readiness can check them while they load)."""

    metrics: ServiceMetrics
    phase: Phase = Phase.LOADING
    error: str | None = None
    store: Store | None = None
    bus: Bus | None = None
    began: float = field(default_factory=time.monotonic)
    loaded_in_s: float | None = None

    def ready(self) -> None:
        self.phase = Phase.READY
        self.loaded_in_s = round(time.monotonic() - self.began, 2)

    def failed(self, error: BaseException) -> None:
        self.phase = Phase.FAILED
        self.error = f"{type(error).__name__}: {error}"


def startup_of(connection: HTTPConnection) -> Startup:
    startup: Startup = connection.app.state.startup
    return startup


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Alive: the process answers HTTP."""
    return {"status": "alive"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Ready for investors: models loaded, database and bus reachable."""
    startup = startup_of(request)
    models = startup.phase.value if startup.error is None else f"failed: {startup.error}"
    database, bus = await asyncio.gather(_database(startup.store), _bus(startup.bus))
    checks = {"models": models, "database": database, "bus": bus}
    ready = startup.phase is Phase.READY and database == "ok" and bus == "ok"
    body: dict[str, Any] = {"ready": ready, "checks": checks}
    if startup.loaded_in_s is not None:
        body["models_loaded_in_s"] = startup.loaded_in_s
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus metrics of this process."""
    startup = startup_of(request)
    if startup.store is not None:
        try:
            queue = await asyncio.wait_for(startup.store.conversations.queue(), PROBE_TIMEOUT_S)
        except (StorageUnavailableError, TimeoutError):
            pass  # the last figure stays; /readyz reports the outage
        else:
            waiting = sum(1 for c in queue if c.status is ConversationStatus.QUEUED)
            startup.metrics.queue_depth.set(waiting)
    return Response(startup.metrics.exposition(), media_type=CONTENT_TYPE)


async def _database(store: Store | None) -> str:
    if store is None:
        return "not open"
    try:
        # A primary-key lookup of an id that never exists: one round trip, nothing locked.
        await asyncio.wait_for(store.conversations.get("readiness-probe"), PROBE_TIMEOUT_S)
    except (StorageUnavailableError, TimeoutError):
        return "unavailable"
    return "ok"


async def _bus(bus: Bus | None) -> str:
    if bus is None:
        return "not open"
    try:
        await asyncio.wait_for(bus.publish(READINESS_TOPIC, {"type": "probe"}), PROBE_TIMEOUT_S)
    except (BusError, TimeoutError):
        return "unavailable"
    return "ok"
