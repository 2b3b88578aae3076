"""Token-bucket rate limits keyed by string: one bucket per connection, per investor, ...

Each key's bucket holds up to ``capacity`` tokens and refills continuously at
``refill_per_s``; a request takes one token or is refused with the time until
one is back. A new key starts full, so a bucket that has refilled completely
carries no information and is forgotten: memory stays proportional to the keys
active within one refill period, and never exceeds ``max_keys`` (beyond that
the least recently seen keys are forgotten, which errs towards allowing).

Limits are per process; with several server processes each enforces its own.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RateDecision:
    """Whether a request may go ahead and, when not, how long until it may."""

    allowed: bool
    retry_after_s: float = 0.0


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """A token bucket per key, with an injectable monotonic clock."""

    def __init__(
        self,
        capacity: float,
        refill_per_s: float,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must allow at least one request")
        if refill_per_s <= 0:
            raise ValueError("refill_per_s must be positive")
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self.capacity = float(capacity)
        self.refill_per_s = float(refill_per_s)
        self.max_keys = max_keys
        self._clock = clock
        self._refill_s = self.capacity / self.refill_per_s
        # Least recently checked first; buckets are always updated at check time,
        # so this is also oldest `updated` first.
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    @classmethod
    def per_minute(
        cls,
        requests: int,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> RateLimiter:
        """``requests`` a minute on average, bursts of up to ``requests`` at once."""
        return cls(requests, requests / 60.0, max_keys=max_keys, clock=clock)

    def check(self, key: str, cost: float = 1.0) -> RateDecision:
        """Take ``cost`` tokens from ``key``'s bucket if it has them."""
        if not 0 < cost <= self.capacity:
            raise ValueError("cost must be positive and at most the capacity")
        now = self._clock()
        self._evict_idle(now)
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            bucket = _Bucket(self.capacity, now)
        else:
            elapsed = max(0.0, now - bucket.updated)
            bucket.tokens = min(self.capacity, bucket.tokens + elapsed * self.refill_per_s)
            bucket.updated = now
        self._buckets[key] = bucket
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            return RateDecision(True)
        return RateDecision(False, (cost - bucket.tokens) / self.refill_per_s)

    def forget(self, key: str) -> None:
        """Drop ``key``'s bucket (its connection closed)."""
        self._buckets.pop(key, None)

    def __len__(self) -> int:
        """Keys currently tracked."""
        return len(self._buckets)

    def _evict_idle(self, now: float) -> None:
        while self._buckets:
            key, bucket = next(iter(self._buckets.items()))
            if bucket.tokens + (now - bucket.updated) * self.refill_per_s < self.capacity:
                return
            del self._buckets[key]
