"""A FastAPI app served by uvicorn on 127.0.0.1 in a background thread, for fakes of
outside services (an OpenAI-compatible model, a brokerage's account system).

A thread rather than a subprocess: the test's own event loop stays free for the
client, and a test scripts the fake by setting attributes instead of writing files.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Self

import uvicorn
from fastapi import FastAPI

from tests.utils.processes import port_open, wait_until


class LoopbackServer:
    """Serves :meth:`_app` on ``127.0.0.1:self.port`` between :meth:`start` and :meth:`stop`."""

    port: int
    thread_name = "loopback-server"

    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _stopping: asyncio.Event | None = None

    def _app(self) -> FastAPI:
        raise NotImplementedError

    def start(self) -> Self:
        config = uvicorn.Config(
            self._app(),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=asyncio.run,
            args=(self._serve(self._server),),
            name=self.thread_name,
            daemon=True,
        )
        self._thread.start()
        wait_until(lambda: port_open(self.port), what=f"{self.thread_name} on {self.port}")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    async def _serve(self, server: uvicorn.Server) -> None:
        # The event lives on the server's loop, so stop() sets it thread-safely.
        self._loop, self._stopping = asyncio.get_running_loop(), asyncio.Event()
        await server.serve()

    async def _pause(self, seconds: float) -> None:
        """Sleep, but give up when the server stops so shutdown is not held up."""
        if seconds <= 0 or self._stopping is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
