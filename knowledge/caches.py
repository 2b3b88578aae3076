"""Small in-memory caches that count their hits, for what a server sees again and again.

:class:`LruCache` keeps the most recently used entries up to a size and counts hits and
misses in its :class:`CacheStats` (``/metrics`` reports them). Thread-safe: turns run
their blocking work on worker threads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass
class CacheStats:
    """Hits and misses of one cache, safe to count from several threads."""

    hits: int = 0
    misses: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def hit(self, count: int = 1) -> None:
        with self._lock:
            self.hits += count

    def miss(self, count: int = 1) -> None:
        with self._lock:
            self.misses += count

    @property
    def lookups(self) -> int:
        return self.hits + self.misses

    @property
    def hit_rate(self) -> float:
        return self.hits / self.lookups if self.lookups else 0.0


class LruCache(Generic[K, V]):
    """At most ``size`` entries, the least recently used dropped first; ``size=0`` keeps none."""

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError(f"a cache size cannot be negative, not {size}")
        self.size = size
        self.stats = CacheStats()
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value under ``key`` (counted as a hit), or None (a miss)."""
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
        if value is None:
            self.stats.miss()
        else:
            self.stats.hit()
        return value

    def __contains__(self, key: object) -> bool:
        """Whether ``key`` is held; neither counted nor made more recent."""
        with self._lock:
            return key in self._entries

    def put(self, key: K, value: V) -> None:
        if self.size == 0:
            return
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
