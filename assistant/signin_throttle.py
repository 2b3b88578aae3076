"""Console sign-in throttling: password guessing gets slow fast, and nobody can lock a real
agent out for long.

Three counts, kept in the rate-limit storage (Redis when configured, so every server
process sees the same counts; this process's memory otherwise):

- **account + address.** The first ``free_failures`` attempts cost nothing; each one
  after that locks this account *from this address* for 1 s, 2 s, 4 s, ... up to
  ``lockout_max_s``. While locked, attempts are refused (429, ``Retry-After``) without
  the password being checked, so the right password does not get in either. A success
  clears the pair; otherwise its attempts are remembered for a day (a moving window),
  so a patient guesser stays at the longest lockout instead of starting afresh.
- **address.** ``per_address`` wrong passwords in any ``window_s`` (any accounts: password
  spraying) and the address is refused until the window has room again.
- **account.** ``per_account`` wrong passwords in any ``window_s`` (any addresses: a
  botnet) and every sign-in to that account waits ``account_delay_s`` first. A delay
  only: an attacker cannot lock the agent out from their own desk this way.

When the storage (Redis) cannot be reached, attempts are checked unthrottled and a
warning is logged: the password check itself still runs, at scrypt's cost.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from limits import RateLimitItemPerDay, RateLimitItemPerSecond
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

logger = logging.getLogger(__name__)

_PAIR_COUNT_CEILING = 100_000  # attempts per pair and day; far beyond what lockouts allow


@dataclass(frozen=True)
class ThrottleSettings:
    free_failures: int = 5
    lockout_max_s: float = 900.0
    window_s: float = 900.0
    per_address: int = 20
    per_account: int = 20
    account_delay_s: float = 1.0


@dataclass(frozen=True)
class Refusal:
    """Sign-in refused without checking the password, for ``retry_after_s``."""

    reason: str
    retry_after_s: float


class SignInThrottle:
    """Decides whether a sign-in attempt is checked at all, and records how it went."""

    def __init__(self, storage: Storage, settings: ThrottleSettings | None = None) -> None:
        self.settings = settings = settings or ThrottleSettings()
        self._storage = storage
        self._limiter = MovingWindowRateLimiter(storage)
        window = max(1, math.ceil(settings.window_s))
        self._address = RateLimitItemPerSecond(
            settings.per_address, window, namespace="signin-address"
        )
        self._account = RateLimitItemPerSecond(
            settings.per_account, window, namespace="signin-account"
        )
        # A count, never a refusal: how many attempts the pair made in the last day.
        self._pair = RateLimitItemPerDay(_PAIR_COUNT_CEILING, namespace="signin-pair")

    async def admit(self, username: str, address: str) -> Refusal | None:
        """None when the attempt may be checked (after the account's delay, if it is
        under attack); a :class:`Refusal` when it must not be.

        The attempt counts as a failure of its account and address from here on, and is
        taken back by :meth:`succeeded`: attempts sent all at once cannot all be checked
        before the first of them has failed.
        """
        settings = self.settings
        delayed = False
        async with _unthrottled_on_outage():
            lock = _lock_key(username, address)
            if await self._storage.get(lock) > 0:
                left = await self._storage.get_expiry(lock) - time.time()
                return Refusal("this account is locked from this address", max(1.0, left))
            if not await self._limiter.test(self._address, address):
                stats = await self._limiter.get_window_stats(self._address, address)
                left = stats.reset_time - time.time()
                return Refusal("too many wrong passwords from this address", max(1.0, left))
            delayed = not await self._limiter.test(self._account, username)
            await self._limiter.hit(self._pair, username, address)
            stats = await self._limiter.get_window_stats(self._pair, username, address)
            excess = self._pair.amount - stats.remaining - settings.free_failures
            if excess > 0:
                lockout = min(2.0 ** (excess - 1), settings.lockout_max_s)
                await self._storage.clear(lock)
                await self._storage.incr(lock, max(1, math.ceil(lockout)))
        if delayed:
            await asyncio.sleep(settings.account_delay_s)
        return None

    async def failed(self, username: str, address: str) -> None:
        """The password was wrong: it counts against the address and the account."""
        async with _unthrottled_on_outage():
            await self._limiter.hit(self._address, address)
            await self._limiter.hit(self._account, username)

    async def succeeded(self, username: str, address: str) -> None:
        """The password was right: the pair starts afresh."""
        async with _unthrottled_on_outage():
            await self._limiter.clear(self._pair, username, address)
            await self._storage.clear(_lock_key(username, address))


@asynccontextmanager
async def _unthrottled_on_outage() -> AsyncIterator[None]:
    try:
        yield
    except StorageError as exc:
        logger.warning("sign-in throttling unavailable, checking unthrottled: %s", exc)


def _lock_key(username: str, address: str) -> str:
    return f"signin-lock/{username}/{address}"
