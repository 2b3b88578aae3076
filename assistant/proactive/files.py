"""Data files the proactive sources read: parsed off the event loop, read again on change."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from assistant.proactive.errors import ProactiveDataError

ParsedT = TypeVar("ParsedT")


class ReloadingFile(Generic[ParsedT]):
    """A file parsed in a worker thread and cached until it changes on disk, so staff edit
    it without a restart."""

    def __init__(self, path: Path, parse: Callable[[], ParsedT]) -> None:
        self.path = path
        self._parse = parse
        self._cached: tuple[tuple[int, int], ParsedT] | None = None
        self._lock = asyncio.Lock()

    async def read(self) -> ParsedT:
        async with self._lock:
            try:
                stat = self.path.stat()
            except OSError as error:
                raise ProactiveDataError(f"{self.path}: {error}") from error
            version = (stat.st_mtime_ns, stat.st_size)
            if self._cached is None or self._cached[0] != version:
                self._cached = (version, await asyncio.to_thread(self._parse))
            return self._cached[1]
