"""The event bus: fans conversation events out to every socket that shows them.

The service publishes each sequenced event (and transient frames such as
``typing``) on a topic (``conversation:{id}``, ``staff``);
every socket subscribed to that topic, in any server process, receives it.

Delivery contract, the same for both implementations:

- A subscription is live when ``subscribe(topic)``'s ``__aenter__`` returns:
  anything published afterwards reaches it. Sockets therefore subscribe first
  and read the backlog from the store second, skipping seqs already sent.
- Messages on one topic from one publisher arrive in publish order. Topics are
  independent.
- Messages are plain JSON objects. Each subscriber gets its own decoded copy
  (the in-process bus round-trips through JSON too, so a message that would
  not survive Redis fails in development as well): ``publish`` raises
  ``TypeError`` or ``ValueError`` for anything else.
- The bus is best-effort, not a log. A subscriber more than ``max_pending``
  messages behind is dropped: its iterator raises :class:`BusOverflowError`.
  A Redis connection that fails ends every subscription on it with
  :class:`BusUnavailableError`, because messages published while it was down
  are gone. Either way the socket closes and the client resumes from its last
  seq, reading what it missed from the store, so nothing is lost. Subscribing
  again after Redis is back opens a fresh connection.
- After ``close()`` the iterators stop and publish/subscribe raise
  :class:`BusUnavailableError`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from channels.errors import BusError, BusOverflowError, BusUnavailableError

Message = dict[str, Any]

logger = logging.getLogger(__name__)

DEFAULT_MAX_PENDING = 512
"""Messages a subscriber may fall behind before it is dropped (a stuck socket, not a slow one)."""

DEFAULT_REDIS_NAMESPACE = "brokerdesk:"

_REDIS_ERRORS = (RedisError, OSError)


class Bus(Protocol):
    """Topic-based publish/subscribe between the service and the sockets."""

    async def publish(self, topic: str, message: Message) -> None:
        """Deliver ``message`` to every current subscriber of ``topic``, in any process."""
        ...

    def subscribe(self, topic: str) -> AbstractAsyncContextManager[AsyncIterator[Message]]:
        """Subscribe for the duration of the ``async with`` block; yields the messages."""
        ...

    async def close(self) -> None:
        """End every subscription and release connections. Idempotent."""
        ...


def encode_message(message: Message) -> str:
    """Compact JSON, non-ASCII kept as is; NaN and infinities refused (JSON has none)."""
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class Subscription:
    """What ``subscribe`` yields: the messages of one topic, in order, as an async iterator.

    Messages wait here encoded, at most ``max_pending`` of them; one more drops
    the subscription (see the module docstring).
    """

    def __init__(self, topic: str, max_pending: int) -> None:
        self.topic = topic
        self._max_pending = max_pending
        self._pending: deque[str | bytes] = deque()
        self._wakeup = asyncio.Event()
        self._failure: BusError | None = None
        self._ended = False

    @property
    def pending(self) -> int:
        """Messages received but not yet read."""
        return len(self._pending)

    def offer(self, raw: str | bytes) -> None:
        """Queue one encoded message, or drop this subscriber if it is too far behind."""
        if self._ended or self._failure is not None:
            return
        if len(self._pending) >= self._max_pending:
            self.fail(
                BusOverflowError(
                    f"subscriber of {self.topic!r} fell {self._max_pending} messages behind "
                    "and was dropped; resume from the store"
                )
            )
            return
        self._pending.append(raw)
        self._wakeup.set()

    def fail(self, error: BusError) -> None:
        """Stop delivering: the next read raises ``error`` (buffered messages are discarded)."""
        if self._ended or self._failure is not None:
            return
        self._failure = error
        self._pending.clear()
        self._wakeup.set()

    def end(self) -> None:
        """Stop delivering: iteration finishes normally."""
        self._ended = True
        self._pending.clear()
        self._wakeup.set()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Message:
        while True:
            if self._failure is not None:
                # A fresh instance each time, so tracebacks do not pile up on one object.
                raise type(self._failure)(self._failure.message)
            if self._ended:
                raise StopAsyncIteration
            if self._pending:
                message: Message = json.loads(self._pending.popleft())
                return message
            self._wakeup.clear()
            await self._wakeup.wait()


class InProcessBus:
    """Topics within this process: enough for one server process, and for tests.

    Publishing never waits for subscribers; each has its own bounded mailbox.
    """

    def __init__(self, *, max_pending: int = DEFAULT_MAX_PENDING) -> None:
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        self._max_pending = max_pending
        self._topics: dict[str, set[Subscription]] = {}
        self._closed = False

    async def publish(self, topic: str, message: Message) -> None:
        self._check_open()
        raw = encode_message(message)
        for subscription in tuple(self._topics.get(topic, ())):
            subscription.offer(raw)

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[Subscription]:
        self._check_open()
        subscription = Subscription(topic, self._max_pending)
        self._topics.setdefault(topic, set()).add(subscription)
        try:
            yield subscription
        finally:
            subscription.end()
            subscribers = self._topics.get(topic)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._topics[topic]

    async def close(self) -> None:
        self._closed = True
        for subscribers in self._topics.values():
            for subscription in subscribers:
                subscription.end()
        self._topics.clear()

    def subscriber_count(self, topic: str) -> int:
        """How many subscriptions ``topic`` has now."""
        return len(self._topics.get(topic, ()))

    def _check_open(self) -> None:
        if self._closed:
            raise BusUnavailableError("the bus is closed")


@dataclass
class _Channel:
    """One Redis channel this process listens to, and its local subscribers."""

    confirmed: asyncio.Event = field(default_factory=asyncio.Event)
    subscribers: set[Subscription] = field(default_factory=set)


class _RedisLink:
    """One pubsub connection and the task reading it, multiplexing every local subscription.

    When the connection fails the link is retired for good: every subscription
    on it fails and the bus opens a new link for the next subscriber. Quietly
    reconnecting and re-subscribing would hide the messages lost meanwhile.
    """

    def __init__(self, client: Redis, pubsub: PubSub, timeout_s: float) -> None:
        self._client = client
        self._pubsub = pubsub
        self._timeout_s = timeout_s
        self._channels: dict[str, _Channel] = {}
        # Redis confirms SUBSCRIBE commands in the order they were sent.
        self._confirmations: dict[str, deque[asyncio.Event]] = {}
        # SUBSCRIBE/UNSUBSCRIBE go out in the order the channel table changed.
        self._commands = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None
        self._failure: BusUnavailableError | None = None
        self._released = False

    @classmethod
    async def open(cls, url: str, timeout_s: float) -> _RedisLink:
        client = Redis.from_url(
            url,
            socket_connect_timeout=timeout_s,
            socket_timeout=timeout_s,
            # No silent reconnect-and-resubscribe inside redis-py: a failure must surface.
            retry=Retry(NoBackoff(), 0, supported_errors=()),
        )
        pubsub = client.pubsub()
        try:
            await pubsub.connect()  # type: ignore[no-untyped-call]
        except _REDIS_ERRORS as exc:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
            await client.aclose()
            raise BusUnavailableError(f"cannot reach Redis for subscriptions: {exc}") from exc
        link = cls(client, pubsub, timeout_s)
        link._reader = asyncio.create_task(link._read(), name="redis-bus-reader")
        return link

    @property
    def broken(self) -> bool:
        return self._failure is not None or self._released

    async def add(self, channel: str, subscription: Subscription) -> None:
        """Register ``subscription``; returns once Redis has confirmed the channel."""
        async with self._commands:
            self._raise_if_broken()
            entry = self._channels.get(channel)
            if entry is None:
                entry = self._channels[channel] = _Channel()
                self._confirmations.setdefault(channel, deque()).append(entry.confirmed)
                try:
                    await self._pubsub.subscribe(channel)
                except _REDIS_ERRORS as exc:
                    self._break(f"SUBSCRIBE failed: {exc}")
                    raise BusUnavailableError(f"cannot subscribe on Redis: {exc}") from exc
            entry.subscribers.add(subscription)
        try:
            await asyncio.wait_for(entry.confirmed.wait(), self._timeout_s)
            self._raise_if_broken()
        except TimeoutError as exc:
            self._break("Redis did not confirm a SUBSCRIBE")
            await self.remove(channel, subscription)
            raise BusUnavailableError(
                f"Redis did not confirm the subscription within {self._timeout_s:g}s"
            ) from exc
        except BaseException:
            await self.remove(channel, subscription)
            raise

    async def remove(self, channel: str, subscription: Subscription) -> None:
        """Forget ``subscription``; the last one out unsubscribes the channel."""
        async with self._commands:
            entry = self._channels.get(channel)
            if entry is None or subscription not in entry.subscribers:
                return
            entry.subscribers.discard(subscription)
            if entry.subscribers or self.broken:
                return
            del self._channels[channel]
            try:
                await self._pubsub.unsubscribe(channel)
            except _REDIS_ERRORS as exc:
                self._break(f"UNSUBSCRIBE failed: {exc}")

    async def release(self) -> None:
        """End every subscription normally and close the connection. Idempotent."""
        if self._released:
            return
        self._released = True
        for entry in self._channels.values():
            entry.confirmed.set()
            for subscription in entry.subscribers:
                subscription.end()
        self._channels.clear()
        await self._close_connection()

    async def _read(self) -> None:
        try:
            while True:
                message = await self._pubsub.get_message(timeout=None)
                if message is not None:
                    self._dispatch(message)
        except _REDIS_ERRORS as exc:
            self._break(f"lost the Redis connection: {exc}")
            await self._close_connection()
        except Exception as exc:
            # A bug here must not leave subscribers waiting forever: fail them, keep the trace.
            logger.exception("Redis bus reader failed")
            self._break(f"the Redis bus reader failed: {exc!r}")
            await self._close_connection()

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        channel_name = message.get("channel")
        if channel_name is None:
            return
        channel = channel_name.decode() if isinstance(channel_name, bytes) else str(channel_name)
        if kind == "message":
            entry = self._channels.get(channel)
            if entry is not None:
                for subscription in tuple(entry.subscribers):
                    subscription.offer(message["data"])
        elif kind == "subscribe":
            waiting = self._confirmations.get(channel)
            if waiting:
                waiting.popleft().set()
                if not waiting:
                    del self._confirmations[channel]

    def _break(self, reason: str) -> None:
        if self._failure is not None:
            return
        self._failure = BusUnavailableError(
            f"{reason}; messages may have been missed: resume from the store"
        )
        for entry in self._channels.values():
            entry.confirmed.set()
            for subscription in entry.subscribers:
                subscription.fail(self._failure)
        for waiting in self._confirmations.values():
            for event in waiting:
                event.set()
        self._confirmations.clear()

    def _raise_if_broken(self) -> None:
        if self._failure is not None:
            raise BusUnavailableError(self._failure.message)
        if self._released:
            raise BusUnavailableError("the bus is closed")

    async def _close_connection(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None and reader is not asyncio.current_task() and not reader.done():
            reader.cancel()
            with suppress(asyncio.CancelledError):
                await reader
        with suppress(*_REDIS_ERRORS):
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        with suppress(*_REDIS_ERRORS):
            await self._client.aclose()


class RedisBus:
    """Topics shared by every server process through Redis pub/sub.

    Publishing goes through one client; all of this process's subscriptions
    share one pubsub connection (see :class:`_RedisLink`). Channel names are
    ``namespace + topic``, so several deployments can share one Redis. Redis
    errors surface as :class:`BusUnavailableError`.
    """

    def __init__(
        self,
        url: str,
        *,
        namespace: str = DEFAULT_REDIS_NAMESPACE,
        max_pending: int = DEFAULT_MAX_PENDING,
        timeout_s: float = 5.0,
    ) -> None:
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        self._url = url
        self._namespace = namespace
        self._max_pending = max_pending
        self._timeout_s = timeout_s
        self._publisher = Redis.from_url(
            url,
            socket_connect_timeout=timeout_s,
            socket_timeout=timeout_s,
            # One retry on a fresh connection covers a pooled connection that went stale
            # when Redis restarted. A rare duplicate is harmless: clients skip seen seqs.
            retry=Retry(NoBackoff(), 1),
        )
        self._link: _RedisLink | None = None
        self._link_lock = asyncio.Lock()
        self._closed = False

    async def publish(self, topic: str, message: Message) -> None:
        self._check_open()
        raw = encode_message(message)
        try:
            await self._publisher.publish(self._namespace + topic, raw)
        except _REDIS_ERRORS as exc:
            raise BusUnavailableError(f"cannot publish on Redis: {exc}") from exc

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[Subscription]:
        self._check_open()
        channel = self._namespace + topic
        link = await self._current_link()
        subscription = Subscription(topic, self._max_pending)
        await link.add(channel, subscription)
        try:
            yield subscription
        finally:
            subscription.end()
            await link.remove(channel, subscription)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        async with self._link_lock:
            link, self._link = self._link, None
        if link is not None:
            await link.release()
        with suppress(*_REDIS_ERRORS):
            await self._publisher.aclose()

    async def _current_link(self) -> _RedisLink:
        async with self._link_lock:
            self._check_open()
            if self._link is not None and self._link.broken:
                await self._link.release()
                self._link = None
            if self._link is None:
                self._link = await _RedisLink.open(self._url, self._timeout_s)
            return self._link

    def _check_open(self) -> None:
        if self._closed:
            raise BusUnavailableError("the bus is closed")


def open_bus(
    url: str | None,
    *,
    max_pending: int = DEFAULT_MAX_PENDING,
    namespace: str = DEFAULT_REDIS_NAMESPACE,
) -> Bus:
    """The bus a ``bus_url`` setting names: None for in-process, ``redis://...`` for Redis
    (its channels named ``namespace + topic``)."""
    if url is None or url in ("", "memory", "memory://"):
        return InProcessBus(max_pending=max_pending)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisBus(url, max_pending=max_pending, namespace=namespace)
    raise ValueError("bus URL must be empty (in-process) or redis://, rediss:// or unix://")
