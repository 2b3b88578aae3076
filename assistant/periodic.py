"""Background work on a timer, for the app's lifespan: start, stop, survive failures."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


class Periodic:
    """Runs ``work`` every ``interval_s`` seconds until :meth:`stop`.

    A run that raises is logged as "``what`` failed" and the next one still comes: a
    database restart or an outside system's outage must not end the work for good.
    """

    def __init__(
        self,
        what: str,
        work: Callable[[], Awaitable[object]],
        interval_s: float,
        *,
        log: logging.Logger = logger,
    ) -> None:
        if interval_s <= 0:
            raise ValueError(f"the {what} interval must be positive")
        self.what = what
        self._work = work
        self._interval_s = interval_s
        self._log = log
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.runs = 0

    def start(self) -> None:
        if self._task is not None:
            raise RuntimeError(f"the {self.what} is already running")
        self._stopping.clear()
        self._task = asyncio.create_task(self._loop(), name=self.what)

    async def stop(self, grace_s: float = 5.0) -> None:
        """Let the current run finish (cancelled after ``grace_s``), then return."""
        if self._task is None:
            return
        self._stopping.set()
        task, self._task = self._task, None
        try:
            await asyncio.wait_for(task, grace_s)
        except TimeoutError:
            self._log.warning("%s cancelled at shutdown after %.1f s", self.what, grace_s)

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._work()
            except Exception:
                self._log.exception("%s failed; next try in %.0f s", self.what, self._interval_s)
            self.runs += 1
            try:
                await asyncio.wait_for(self._stopping.wait(), self._interval_s)
            except TimeoutError:
                continue
