"""Rate limits, shared by every server process when they share Redis.

The counting is the ``limits`` library's moving window ("N in any period"), over its
Redis storage when a Redis URL is configured (every process counts in the same keys,
under the deployment's key prefix) and in this process's memory otherwise.

A :class:`Limit` is a number per period for one *scope* (``connection``,
``investor``, ``address``, ``global``, ...); :meth:`RateLimits.hit` checks a
request against several at once and counts it in all of them or in none, so a
refused request never uses up a budget it did not get. A refusal names the scope
that refused and how long until it would not.

Limits protect the service, they do not guard data: when Redis cannot be reached
the request is let through and a warning logged (the bus is down then too, and
investors already hear about that), rather than failing every message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import ConnectionPool

logger = logging.getLogger(__name__)

_REDIS_TIMEOUT_S = 2.0


@dataclass(frozen=True, slots=True)
class Limit:
    """``amount`` requests in any ``seconds`` for one scope."""

    scope: str
    amount: int
    seconds: int = 60

    @classmethod
    def per_minute(cls, scope: str, amount: int) -> Limit:
        return cls(scope, amount, 60)

    @property
    def item(self) -> RateLimitItem:
        if self.seconds % 60 == 0:
            return RateLimitItemPerMinute(self.amount, self.seconds // 60, namespace=self.scope)
        return RateLimitItemPerSecond(self.amount, self.seconds, namespace=self.scope)


@dataclass(frozen=True, slots=True)
class RateDecision:
    """Whether a request may go ahead and, when not, which scope refused and for how long."""

    allowed: bool
    retry_after_s: float = 0.0
    scope: str | None = None


ALLOWED = RateDecision(True)


@dataclass
class LimitStore:
    """Where the counts live: Redis for ``redis://``/``rediss://``/``unix://`` URLs (keys
    start with ``prefix``), this process's memory for None."""

    storage: Storage
    pool: ConnectionPool | None = None

    @classmethod
    def open(cls, redis_url: str | None, *, prefix: str) -> LimitStore:
        if not redis_url:
            return cls(MemoryStorage())
        pool = ConnectionPool.from_url(
            redis_url, socket_timeout=_REDIS_TIMEOUT_S, socket_connect_timeout=_REDIS_TIMEOUT_S
        )
        storage = RedisStorage(
            "async+redis://",
            implementation="redispy",
            key_prefix=prefix.rstrip(":") + ":limits",
            wrap_exceptions=True,
            # limits types its options as scalars; redis-py takes the pool we own and close.
            connection_pool=pool,  # type: ignore[arg-type]
        )
        return cls(storage, pool)

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.aclose()


class RateLimits:
    """Moving-window limits over one storage; one instance per process."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._limiter = MovingWindowRateLimiter(storage)

    async def hit(self, checks: Sequence[tuple[Limit, str]]) -> RateDecision:
        """Count one request against each ``(limit, key)`` if every one has room."""
        try:
            for limit, key in checks:
                if not await self._limiter.test(limit.item, key):
                    return await self._refusal(limit, key)
            for limit, key in checks:
                if not await self._limiter.hit(limit.item, key):
                    return await self._refusal(limit, key)  # lost a race with another request
        except StorageError as exc:
            logger.warning("rate limits unavailable, letting the request through: %s", exc)
        return ALLOWED

    async def _refusal(self, limit: Limit, key: str) -> RateDecision:
        stats = await self._limiter.get_window_stats(limit.item, key)
        return RateDecision(False, max(0.1, stats.reset_time - time.time()), limit.scope)


class WriteLimits:
    """The limits on what investors write, and on console sign-ins, over one
    :class:`RateLimits`. Every write counts against its client address and the global
    budget too, so neither many investors behind one address nor many addresses
    together can write faster than the store is meant to take."""

    def __init__(
        self,
        limits: RateLimits,
        *,
        per_connection: int,
        per_investor: int,
        sessions_per_investor: int,
        per_address: int,
        global_per_minute: int,
        typing_per_connection: int = 60,
    ) -> None:
        self.limits = limits
        self.connection = Limit.per_minute("connection", per_connection)
        self.investor = Limit.per_minute("investor", per_investor)
        self.sessions = Limit.per_minute("sessions", sessions_per_investor)
        self.address = Limit.per_minute("address", per_address)
        self.everyone = Limit.per_minute("global", global_per_minute)
        self.typing_limit = Limit.per_minute("typing", typing_per_connection)

    async def message(
        self, investor_id: str, address: str, connection_key: str | None = None
    ) -> RateDecision:
        """A message or feedback, on a socket (``connection_key``) or over REST."""
        connection = [(self.connection, connection_key)] if connection_key is not None else []
        return await self.limits.hit(
            [*connection, (self.investor, investor_id), *self._shared(address)]
        )

    async def session(self, investor_id: str, address: str) -> RateDecision:
        """A websocket hello or a REST session: a conversation opened or resumed."""
        return await self.limits.hit([(self.sessions, investor_id), *self._shared(address)])

    async def sign_in(self, address: str) -> RateDecision:
        """A console sign-in attempt (failures are throttled further, per account)."""
        return await self.limits.hit(self._shared(address))

    async def typing(self, connection_key: str) -> RateDecision:
        return await self.limits.hit([(self.typing_limit, connection_key)])

    def _shared(self, address: str) -> list[tuple[Limit, str]]:
        return [(self.address, address), (self.everyone, "all")]
