"""Rules: from one investor's signals to the notices they should see, each a declared unit.

A :class:`Rule` says what it is (``kind``), how urgent (``priority``: a higher one
goes out first when the daily limit leaves room for only some), whether quiet
hours hold it back, and a ``find`` function that reads :class:`InvestorSignals`
and returns a :class:`Notice` for each thing worth saying: its key (one push
per investor and key, ever), its text in Chinese and English with quick replies
and a "why am I seeing this", and when it stops being worth saying.

Eligibility is inside ``find``: a rule that returns nothing for an investor is a
rule that investor is not eligible for. Muting is applied by the caller
(:class:`RuleSource`), expiry by the dispatcher. The ``find`` functions live by what they read:
:mod:`assistant.proactive.holding_rules` and :mod:`assistant.proactive.account_rules`; a new
rule is a function there and its line in :data:`RULES`.

A broker's customer service may not tell an investor which security to buy or
sell. These notices state facts about risks and obligations in what the investor
holds and services they now qualify for, and where to act in the app; what to do
with a holding is always left to the investor. Every text goes through the
compliance guard (:meth:`PushPolicy.vet`) before it is queued.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from assistant.proactive.account_rules import (
    application_halfway,
    id_expiry,
    permission_ready,
    risk_assessment_expiry,
    transfer_failures,
)
from assistant.proactive.events import ProactiveEvent, RuleKind, Segment
from assistant.proactive.holding_rules import (
    allotment_due,
    concentration,
    margin_ratio,
    risk_mismatch,
    st_risk,
)
from assistant.proactive.notices import Notice
from assistant.proactive.signals import InvestorSignals

if TYPE_CHECKING:
    from assistant.accounts import AccountSystem
    from assistant.proactive.signals import SignalCollector


@dataclass(frozen=True)
class Rule:
    """One declared kind of suggestion drawn from an investor's own account."""

    kind: RuleKind
    summary: str
    """What triggers it and who is eligible, for operators (``push preview``)."""
    priority: int
    quiet_hours: bool
    """False: goes out at night too (still within the daily limit)."""
    find: Callable[[InvestorSignals], list[Notice]]

    def events(self, signals: InvestorSignals) -> list[ProactiveEvent]:
        """The notices as events for this one investor, live ones only."""
        return [
            ProactiveEvent(
                event_id=f"{self.kind}:{signals.investor_id}:{notice.key}",
                topic=notice.topic,
                kind=self.kind,
                zh=notice.zh,
                en=notice.en,
                audience=Segment(investor_ids=frozenset({signals.investor_id})),
                expires_at=notice.expires_at,
                priority=self.priority,
            )
            for notice in self.find(signals)
            if signals.now < notice.expires_at
        ]


RULES: tuple[Rule, ...] = (
    Rule("margin_ratio", "margin ratio below 150% / 130% today", 95, False, margin_ratio),
    Rule("allotment_due", "allotment unpaid, payment due today", 90, True, allotment_due),
    Rule("st_risk", "a holding flagged ST, *ST or delisting in the last 7 days", 80, True, st_risk),
    Rule("transfer_failures", "2+ failed bank transfers today", 70, True, transfer_failures),
    Rule(
        "risk_assessment_expiry",
        "risk assessment expires within 30 days / expired in the last 30",
        65,
        True,
        risk_assessment_expiry,
    ),
    Rule(
        "id_expiry",
        "ID document expires within 30 days / expired in the last 30",
        65,
        True,
        id_expiry,
    ),
    Rule(
        "risk_mismatch", "a holding rated above the investor's risk level", 60, True, risk_mismatch
    ),
    Rule(
        "application_halfway",
        "an application left 1-14 days without being submitted",
        45,
        True,
        application_halfway,
    ),
    Rule(
        "permission_ready",
        "asked about a permission in 30 days and now meets its conditions",
        40,
        True,
        permission_ready,
    ),
    Rule("concentration", "one security is 60%+ of the holdings' value", 30, True, concentration),
)
"""Every rule, most urgent first."""

RULES_BY_KIND: dict[str, Rule] = {rule.kind: rule for rule in RULES}
QUIET_EXEMPT_KINDS: frozenset[str] = frozenset(r.kind for r in RULES if not r.quiet_hours)


class MuteLookup(Protocol):
    """What kinds of suggestion an investor muted (the outbox repository answers it)."""

    async def muted_kinds(self, investor_id: str) -> set[str]: ...


class RuleSource:
    """The rules run over every investor's signals: an :class:`EventSource` whose events are
    each for one investor. Kinds the investor muted are left out."""

    name = "rules"

    def __init__(
        self,
        accounts: AccountSystem,
        collector: SignalCollector,
        *,
        mutes: MuteLookup | None = None,
        rules: Sequence[Rule] = RULES,
    ) -> None:
        self._accounts = accounts
        self._collector = collector
        self._mutes = mutes
        self.rules = list(rules)

    async def events(self, now: datetime) -> list[ProactiveEvent]:
        asked = await self._collector.asked(now)
        events: list[ProactiveEvent] = []
        for investor_id in await self._accounts.investor_ids():
            profile = await self._accounts.profile(investor_id)
            if profile is None:
                continue
            signals = await self._collector.collect(profile, now, asked.get(investor_id, ()))
            muted = await self._mutes.muted_kinds(investor_id) if self._mutes else set()
            for rule in self.rules:
                if rule.kind not in muted:
                    events += rule.events(signals)
        return events
