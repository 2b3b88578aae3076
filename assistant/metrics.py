"""What an operator graphs: the Prometheus metrics of one server process.

Each app owns a :class:`ServiceMetrics` with its own registry (several apps in one
process, as in tests, never share counters). Turns are counted as the dialogue policy
returns them (:func:`observe_turns`), pushes as they are delivered
(:class:`CountingDeliverer`), websocket connections as they open and close; the
queue depth is read from the store when ``/metrics`` is scraped, and the caches'
hits and misses from the caches themselves (:class:`CacheStats`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from assistant.dialogue_models import BotReply
from assistant.persistence.records import OutboxItem
from knowledge.caches import CacheStats
from knowledge.question_batcher import BatchStats

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# From a cached answer (a few ms) to a slow LLM (seconds).
TURN_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class HasCacheStats(Protocol):
    """Anything that reports its caches by name (the assistant's embedder and answer cache)."""

    def cache_stats(self) -> dict[str, CacheStats]: ...

    def batch_stats(self) -> BatchStats | None: ...


class _CacheCollector(Collector):
    """Reads the caches' counters at scrape time, so caches never import Prometheus."""

    def __init__(self, sources: Callable[[], Iterable[HasCacheStats]]) -> None:
        self._sources = sources

    def collect(self) -> Iterator[Metric]:
        hits = CounterMetricFamily(
            "brokerdesk_cache_hits", "Lookups answered from a cache", labels=["cache"]
        )
        misses = CounterMetricFamily(
            "brokerdesk_cache_misses", "Lookups a cache could not answer", labels=["cache"]
        )
        rate = GaugeMetricFamily(
            "brokerdesk_cache_hit_rate", "Hits per lookup since start", labels=["cache"]
        )
        batches = CounterMetricFamily(
            "brokerdesk_embedder_batches", "Embedder calls for the questions of concurrent turns"
        )
        batched = CounterMetricFamily(
            "brokerdesk_embedder_batched_questions", "Questions embedded in those calls"
        )
        for source in self._sources():
            for name, stats in sorted(source.cache_stats().items()):
                hits.add_metric([name], stats.hits)
                misses.add_metric([name], stats.misses)
                rate.add_metric([name], stats.hit_rate)
            if (batching := source.batch_stats()) is not None:
                batches.add_metric([], batching.batches)
                batched.add_metric([], batching.questions)
        yield from (hits, misses, rate, batches, batched)

    def describe(self) -> Iterator[Metric]:
        return iter(())


class ServiceMetrics:
    """The counters, histogram and gauges of one app, in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._cache_sources: list[HasCacheStats] = []
        self.turns = Counter(
            "brokerdesk_turns", "Bot turns, by action", ["action"], registry=self.registry
        )
        self.turn_latency = Histogram(
            "brokerdesk_turn_latency_seconds",
            "Time the dialogue policy took to decide a reply",
            buckets=TURN_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.escalations = Counter(
            "brokerdesk_escalations",
            "Conversations handed to a person, by reason",
            ["reason"],
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "brokerdesk_queue_depth",
            "Conversations waiting for a person (read when scraped)",
            registry=self.registry,
        )
        self.websockets = Gauge(
            "brokerdesk_websocket_connections",
            "Open websocket connections, by channel",
            ["channel"],
            registry=self.registry,
        )
        self.pushes = Counter(
            "brokerdesk_pushes", "Proactive messages delivered", registry=self.registry
        )
        self.registry.register(_CacheCollector(lambda: tuple(self._cache_sources)))

    def observe_turn(self, reply: BotReply) -> None:
        self.turns.labels(reply.action.value).inc()
        self.turn_latency.observe(reply.latency_ms / 1000)
        if reply.escalation is not None:
            self.escalations.labels(reply.escalation.reason.value).inc()

    def report_caches(self, source: HasCacheStats) -> None:
        self._cache_sources.append(source)

    @contextmanager
    def websocket(self, channel: str) -> Iterator[None]:
        gauge = self.websockets.labels(channel)
        gauge.inc()
        try:
            yield
        finally:
            gauge.dec()

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)


class PushDelivery(Protocol):
    async def deliver(self, item: OutboxItem) -> str | None: ...

    async def online_investors(self) -> Sequence[str]: ...


class CountingDeliverer:
    """A push deliverer that counts what it delivered."""

    def __init__(self, inner: PushDelivery, metrics: ServiceMetrics) -> None:
        self._inner = inner
        self._metrics = metrics

    async def deliver(self, item: OutboxItem) -> str | None:
        delivered = await self._inner.deliver(item)
        if delivered is not None:
            self._metrics.pushes.inc()
        return delivered

    async def online_investors(self) -> Sequence[str]:
        return await self._inner.online_investors()
