"""What a rule finds for one investor (:class:`Notice`), and the wording helpers its texts share.

The rules themselves are declared in :mod:`assistant.proactive.rules`; what they look for is in
:mod:`assistant.proactive.holding_rules` (what the investor holds) and
:mod:`assistant.proactive.account_rules` (the account's documents, transfers and applications).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from assistant.accounts import EXCHANGE_TIME
from assistant.proactive.events import PushText

AGENT_REPLY = ("转人工客服", "Talk to an agent")
"""The quick reply every notice offers, in Chinese and English."""


@dataclass(frozen=True)
class Notice:
    """What a rule found for one investor."""

    key: str
    zh: PushText
    en: PushText
    expires_at: datetime
    topic: str | None = None
    """The news it tells when another source may tell it too (see ``ProactiveEvent.topic``)."""


def end_of(day: date) -> datetime:
    """Midnight after ``day`` on the exchanges' clock."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=EXCHANGE_TIME)


def percent(ratio: Decimal) -> str:
    """A ratio as a whole percentage, rounded half up: 0.605 -> "61"."""
    return str((ratio * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def money(amount: Decimal) -> str:
    """An amount with thousands commas and two decimals."""
    return f"{amount:,.2f}"
