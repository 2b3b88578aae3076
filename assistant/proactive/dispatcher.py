"""From events to investors: queue in the outbox, deliver what is due, on a schedule.

:class:`ProactiveDispatcher` is the one object the service wires. Delivery is
at least once: the push is appended to the conversation first and marked
delivered after, so a crash between the two shows it twice rather than never.
Within one process a per-investor lock keeps the periodic run and a connecting
investor from delivering the same item twice; run the periodic task in one
process only (see docs/channels-design.md, "Proactive").
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, Field

from assistant.periodic import Periodic
from assistant.persistence.records import OutboxItem
from assistant.proactive.errors import ProactiveDataError, ProactiveError, PushRefusedError
from assistant.proactive.events import ProactiveEvent, PushPayload, Segment
from assistant.proactive.policy import PushPolicy, aware
from assistant.proactive.portfolio_feeds import build_portfolio_feed
from assistant.proactive.rules import RuleSource
from assistant.proactive.signals import QuestionLog, SignalCollector
from assistant.proactive.sources import Campaign, EventSource, sources_from_paths

if TYPE_CHECKING:
    from assistant.accounts import AccountSystem, InvestorProfile
    from assistant.compliance import ComplianceGuard
    from assistant.persistence.repositories import ConversationRepository, OutboxRepository
    from assistant.settings import Settings

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Deliverer(Protocol):
    """Puts a push in front of a connected investor; the conversation service implements it."""

    async def deliver(self, item: OutboxItem) -> str | None:
        """Append ``item`` to the investor's open conversation as a SUGGESTION event whose
        payload is ``PushPayload.model_validate(item.payload).content(language).model_dump()``
        (language: the conversation's), and publish it like any event. Returns the
        conversation id, or None when the investor is not connected (the item stays
        pending). Must not mark the item delivered: the dispatcher does."""
        ...

    async def online_investors(self) -> Sequence[str]:
        """Investors with an open investor connection that this deliverer can reach."""
        ...


class RunReport(BaseModel):
    """What one pass over the sources did."""

    events: int = Field(0, description="live events the sources returned")
    queued: int = Field(0, description="new outbox items (already-queued ones not counted)")
    delivered: int = 0
    discarded: int = Field(0, description="undelivered pushes dropped because they expired")
    refused: list[str] = Field(default_factory=list, description="events the guard refused")
    source_errors: list[str] = Field(default_factory=list)


class CampaignReport(BaseModel):
    """What sending a campaign did (the admin endpoint's answer)."""

    event_id: str
    targeted: int = Field(description="investors in the segment")
    queued: int = Field(description="new outbox items; 0 when the campaign was sent before")
    delivered_now: int = Field(description="reached a connected investor straight away")


class Outbox:
    """The outbox repository seen through the push policy."""

    def __init__(self, repository: OutboxRepository, policy: PushPolicy) -> None:
        self._repository = repository
        self._policy = policy

    async def queue(self, payload: PushPayload, investor_ids: Iterable[str], now: datetime) -> int:
        """Store the push for each investor who has not had it yet; how many were new."""
        not_before = self._policy.not_before(payload.kind, now)
        stored = 0
        for investor_id in investor_ids:
            item = OutboxItem(
                investor_id=investor_id,
                dedupe_key=payload.dedupe_key,
                kind=payload.kind,
                payload=payload.model_dump(mode="json"),
                created_at=now,
                not_before=not_before,
                expires_at=payload.expires_at,
            )
            stored += await self._repository.put(item)
        return stored

    async def due(self, investor_id: str, now: datetime) -> list[OutboxItem]:
        """The investor's pending pushes that may go out now, oldest first: not expired,
        outside quiet hours, and within the daily limit. Every delivered push counts toward
        the limit; fraud alerts are never held by it."""
        pending = await self._repository.pending(investor_id, now)
        if not pending:
            return []
        muted = await self._repository.muted_kinds(investor_id)
        # Most urgent first (a margin call before a concentration notice); the sort is
        # stable, so pushes of one priority keep their order.
        payloads = sorted(
            (
                (item, PushPayload.model_validate(item.payload))
                for item in pending
                if item.kind not in muted or self._policy.exempt(item.kind)
            ),
            key=lambda pair: -pair[1].priority,
        )
        sent = await self._repository.delivered_since(
            investor_id, self._policy.rate_window_start(now)
        )
        allowance = self._policy.max_per_day - sent
        due: list[OutboxItem] = []
        for item, payload in payloads:
            if payload.expired(now) or not self._policy.may_deliver(item.kind, now):
                continue
            if not self._policy.exempt(item.kind) and allowance <= 0:
                continue
            allowance -= 1
            due.append(item)
        return due

    async def discard_expired(self, now: datetime) -> int:
        return await self._repository.discard_expired(now)

    async def mute(self, investor_id: str, kind: str, now: datetime) -> bool:
        return await self._repository.mute(investor_id, kind, now)

    async def mark_delivered(self, item: OutboxItem, conversation_id: str, now: datetime) -> None:
        if item.id is None:
            raise ProactiveError("an outbox item from the repository has no id")
        await self._repository.mark_delivered(item.id, conversation_id, now)


class ProactiveDispatcher:
    """Polls the sources, queues pushes for the investors each event targets, and
    delivers what is due to connected investors."""

    def __init__(
        self,
        *,
        sources: Sequence[EventSource],
        accounts: AccountSystem,
        outbox: OutboxRepository,
        policy: PushPolicy,
        deliverer: Deliverer,
        clock: Clock = utc_now,
    ) -> None:
        self._sources = list(sources)
        self._accounts = accounts
        self._outbox = Outbox(outbox, policy)
        self._policy = policy
        self._deliverer = deliverer
        self._clock = clock
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._reported: set[str] = set()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        accounts: AccountSystem,
        outbox: OutboxRepository,
        guard: ComplianceGuard,
        deliverer: Deliverer,
        questions: ConversationRepository | None = None,
        clock: Clock = utc_now,
    ) -> ProactiveDispatcher:
        """The shipped sources for the configured files, the rules over each investor's
        signals when a portfolio feed is configured (``questions``: where the investors'
        questions are recorded), and the configured policy."""
        sources = sources_from_paths(
            settings.push_ipo_calendar, settings.push_holding_notices, settings.push_fraud_alerts
        )
        feed = build_portfolio_feed(settings)
        if feed is not None:
            collector = SignalCollector(
                accounts, feed, QuestionLog(questions) if questions is not None else None
            )
            sources.append(RuleSource(accounts, collector, mutes=outbox))
        return cls(
            sources=sources,
            accounts=accounts,
            outbox=outbox,
            policy=PushPolicy.from_settings(settings, guard),
            deliverer=deliverer,
            clock=clock,
        )

    def now(self) -> datetime:
        return aware(self._clock())

    async def run_once(self, now: datetime | None = None) -> RunReport:
        """One pass: every source's live events queued for their audience, then whatever
        is due delivered to the investors online. A source whose file is broken is
        reported and skipped; the others still run."""
        now = aware(now) if now is not None else self.now()
        report = RunReport()
        events: list[ProactiveEvent] = []
        for source in self._sources:
            try:
                found = await source.events(now)
            except ProactiveDataError as error:
                report.source_errors.append(f"{source.name}: {error}")
                self._report_once(f"source:{error}", "proactive source %s: %s", source.name, error)
                continue
            events += [event for event in found if not event.expired(now)]
        report.events = len(events)
        if events:
            profiles = await self._profiles()
            for event in events:
                try:
                    payload = self._policy.vet(event)
                except PushRefusedError as error:
                    report.refused.append(str(error))
                    self._report_once(f"refused:{event.event_id}", "%s", error)
                    continue
                targets = [p.investor_id for p in profiles if event.audience.includes(p)]
                report.queued += await self._outbox.queue(payload, targets, now)
        for investor_id in await self._deliverer.online_investors():
            report.delivered += len(await self.deliver_pending(investor_id, now))
        report.discarded = await self._outbox.discard_expired(now)
        return report

    async def mute(self, investor_id: str, kind: str, now: datetime | None = None) -> bool:
        """The investor wants no more suggestions of ``kind``: pending ones are held back and
        the rules stop making them. False when it was muted already."""
        now = aware(now) if now is not None else self.now()
        return await self._outbox.mute(investor_id, kind, now)

    async def deliver_pending(
        self, investor_id: str, now: datetime | None = None
    ) -> list[OutboxItem]:
        """Deliver the investor's due pushes in order (the service calls this on hello);
        returns them as delivered. Stops at the first the deliverer cannot place."""
        now = aware(now) if now is not None else self.now()
        lock = self._locks.get(investor_id)
        if lock is None:
            lock = self._locks[investor_id] = asyncio.Lock()
        async with lock:
            delivered: list[OutboxItem] = []
            for item in await self._outbox.due(investor_id, now):
                conversation_id = await self._deliverer.deliver(item)
                if conversation_id is None:
                    break
                await self._outbox.mark_delivered(item, conversation_id, now)
                delivered.append(
                    item.model_copy(
                        update={"delivered_at": now, "conversation_id": conversation_id}
                    )
                )
            return delivered

    async def campaign(
        self,
        title: str,
        text: str,
        segment: Segment,
        *,
        title_en: str | None = None,
        text_en: str | None = None,
        campaign_id: str | None = None,
        now: datetime | None = None,
    ) -> CampaignReport:
        """Queue an administrator's announcement for ``segment`` and deliver it at once to
        those online (quiet hours and the daily limit permitting). Raises
        :class:`PushRefusedError` (nothing queued) when the guard objects to the wording."""
        now = aware(now) if now is not None else self.now()
        event = Campaign(title, text, segment, title_en, text_en, campaign_id).event()
        payload = self._policy.vet(event)
        targets = [p.investor_id for p in await self._profiles() if segment.includes(p)]
        queued = await self._outbox.queue(payload, targets, now)
        online = set(await self._deliverer.online_investors())
        delivered_now = 0
        for investor_id in targets:
            if investor_id in online:
                delivered = await self.deliver_pending(investor_id, now)
                delivered_now += sum(item.dedupe_key == event.event_id for item in delivered)
        return CampaignReport(
            event_id=event.event_id,
            targeted=len(targets),
            queued=queued,
            delivered_now=delivered_now,
        )

    async def _profiles(self) -> list[InvestorProfile]:
        ids = await self._accounts.investor_ids()
        found = await asyncio.gather(*(self._accounts.profile(i) for i in ids))
        return [profile for profile in found if profile is not None]

    def _report_once(self, key: str, message: str, *args: object) -> None:
        """A broken file or a refused event is logged once, not at every poll."""
        if key not in self._reported:
            self._reported.add(key)
            logger.warning(message, *args)


class PushPoller(Periodic):
    """Runs :meth:`ProactiveDispatcher.run_once` every ``interval_s`` until stopped; the
    app's lifespan calls :meth:`start` and :meth:`stop`."""

    def __init__(self, dispatcher: ProactiveDispatcher, interval_s: float) -> None:
        if interval_s <= 0:
            raise ProactiveError("the push poll interval must be positive")
        super().__init__("proactive run", dispatcher.run_once, interval_s, log=logger)
