"""Who would receive which push at a given moment, and why, without sending anything.

What an operator checks before switching a rule or a data file on
(``assistant push preview --at TIME``). The same sources, compliance check,
audience, mutes, quiet hours and daily limit as :class:`ProactiveDispatcher`,
read-only: nothing is queued, delivered or marked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from assistant.accounts import JsonAccountSystem
from assistant.assembly import build_account_system
from assistant.compliance import ComplianceGuard
from assistant.proactive.errors import ProactiveDataError, PushRefusedError
from assistant.proactive.events import PushPayload
from assistant.proactive.policy import PushPolicy, aware
from assistant.proactive.portfolio_feeds import build_portfolio_feed
from assistant.proactive.rules import RuleSource
from assistant.proactive.signals import QuestionLog, SignalCollector
from assistant.proactive.sources import EventSource, exchange_date, sources_from_paths

if TYPE_CHECKING:
    from assistant.accounts import AccountSystem
    from assistant.persistence.repositories import Store
    from assistant.settings import Settings

Outcome = Literal["would_send", "quiet_hours", "daily_limit", "muted", "already_queued", "sent"]


class PlannedPush(BaseModel):
    """One push one investor would get (or would not, and why not)."""

    investor_id: str
    event_id: str
    kind: str
    priority: int
    outcome: Outcome
    title: str = Field(description="in Chinese, as the investor would see it")
    why: str | None = None


class PushPreview(BaseModel):
    at: datetime
    pushes: list[PlannedPush] = Field(default_factory=list)
    refused: list[str] = Field(default_factory=list, description="events the guard refuses")
    source_errors: list[str] = Field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(push.outcome == outcome for push in self.pushes)


async def preview_pushes(
    at: datetime,
    *,
    sources: Sequence[EventSource],
    accounts: AccountSystem,
    policy: PushPolicy,
    store: Store,
) -> PushPreview:
    """Every live event at ``at``, for every investor in its audience, with what would
    become of it."""
    at = aware(at)
    result = PushPreview(at=at)
    payloads: list[tuple[PushPayload, frozenset[str]]] = []
    investors = [p for i in await accounts.investor_ids() if (p := await accounts.profile(i))]
    for source in sources:
        try:
            events = await source.events(at)
        except ProactiveDataError as error:
            result.source_errors.append(f"{source.name}: {error}")
            continue
        for event in events:
            if event.expired(at):
                continue
            try:
                payload = policy.vet(event)
            except PushRefusedError as error:
                result.refused.append(str(error))
                continue
            audience = frozenset(p.investor_id for p in investors if event.audience.includes(p))
            payloads.append((payload, audience))
    planned: dict[str, list[PlannedPush]] = defaultdict(list)
    for payload, audience in payloads:
        for investor_id in audience:
            planned[investor_id].append(
                PlannedPush(
                    investor_id=investor_id,
                    event_id=payload.event_id,
                    kind=payload.kind,
                    priority=payload.priority,
                    outcome="would_send",
                    title=payload.zh.title,
                    why=payload.zh.why,
                )
            )
    for investor_id in sorted(planned):
        result.pushes += await _decide(investor_id, planned[investor_id], at, policy, store)
    return result


async def _decide(
    investor_id: str, pushes: list[PlannedPush], at: datetime, policy: PushPolicy, store: Store
) -> list[PlannedPush]:
    """What the outbox would do with each: as :meth:`Outbox.due` decides, most urgent first."""
    outbox = store.outbox
    muted = await outbox.muted_kinds(investor_id)
    stored = await outbox.stored_keys(investor_id)
    pending = {item.dedupe_key for item in await outbox.pending(investor_id, at)}
    allowance = policy.max_per_day - await outbox.delivered_since(
        investor_id, policy.rate_window_start(at)
    )
    decided: list[PlannedPush] = []
    for push in sorted(pushes, key=lambda p: -p.priority):
        outcome: Outcome
        if push.kind in muted and not policy.exempt(push.kind):
            outcome = "muted"
        elif push.event_id in stored and push.event_id not in pending:
            outcome = "sent"
        elif not policy.may_deliver(push.kind, at):
            outcome = "quiet_hours"
        elif not policy.exempt(push.kind) and allowance <= 0:
            outcome = "daily_limit"
        else:
            outcome = "already_queued" if push.event_id in pending else "would_send"
            allowance -= 0 if policy.exempt(push.kind) else 1
        decided.append(push.model_copy(update={"outcome": outcome}))
    return decided


async def preview_from_settings(settings: Settings, at: datetime, store: Store) -> PushPreview:
    """The configured sources and policy at ``at``. The sample account and portfolio files
    are served as of ``at``'s exchange day (as the running app serves them as of today); a
    real account system is read as it is now."""
    day = exchange_date(aware(at))
    accounts: AccountSystem = (
        JsonAccountSystem(settings.accounts_file, today=lambda: day)
        if settings.accounts_url is None
        else build_account_system(settings)
    )
    sources = sources_from_paths(
        settings.push_ipo_calendar, settings.push_holding_notices, settings.push_fraud_alerts
    )
    feed = build_portfolio_feed(settings, today=lambda: day)
    if feed is not None:
        collector = SignalCollector(accounts, feed, QuestionLog(store.conversations))
        # Without the mutes: a muted kind is shown as muted rather than left out.
        sources.append(RuleSource(accounts, collector))
    policy = PushPolicy.from_settings(settings, ComplianceGuard.from_settings(settings))
    try:
        return await preview_pushes(
            at, sources=sources, accounts=accounts, policy=policy, store=store
        )
    finally:
        await accounts.aclose()
