"""What a proactive push is: the event a source finds, who it is for, and what gets stored.

A :class:`ProactiveEvent` carries its text in Chinese and English and an
:data:`Audience` rule evaluated against each investor's profile. Once the
compliance guard has passed it, it becomes a :class:`PushPayload`, the JSON
kept in ``OutboxItem.payload``; the conversation service turns that into a
``suggestion`` frame in the conversation's language with :meth:`PushPayload.content`.

IPO eligibility follows the A-share new-share rules, with one approximation
(see :func:`estimated_market_value`): Shanghai and Shenzhen IPOs need at least
10,000 CNY average daily market value of non-restricted A-shares *in that
exchange* over the 20 trading days before T-2; ChiNext, STAR and BSE IPOs also
need the board's trading permission. BSE subscriptions are paid in full and
need no market value, only the permission.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from assistant.accounts import InvestorProfile, RiskLevel
from assistant.dialogue_models import Language
from channels.protocol import RuleKind as RuleKind
from channels.protocol import SuggestionKind as SuggestionKind

DEFAULT_PRIORITY = 50
"""Where a push without a rule's priority stands; a higher one goes out first."""
Exchange = Literal["sh", "sz", "bj"]
Board = Literal["main", "chinext", "star", "bse"]
SecurityCode = Annotated[str, Field(pattern=r"^\d{6}$")]
EventId = Annotated[str, Field(pattern=r"^[a-z_]+:[A-Za-z0-9_.:-]{1,150}$")]

IPO_MIN_MARKET_VALUE = Decimal(10_000)
"""CNY of 20-day average market value in the IPO's exchange below which there is no quota."""

BOARD_PERMISSION: dict[Board, str | None] = {
    "main": None,
    "chinext": "chinext",
    "star": "star",
    "bse": "bse",
}

# Code prefixes of listed A-shares (not the subscription codes, which differ on Shanghai).
_LISTINGS: tuple[tuple[tuple[str, ...], Exchange, Board], ...] = (
    (("688", "689"), "sh", "star"),
    (("600", "601", "603", "605"), "sh", "main"),
    (("300", "301", "302"), "sz", "chinext"),
    (("000", "001", "002", "003"), "sz", "main"),
    (("920", "430", "83", "87", "88"), "bj", "bse"),
)


def listing_of(code: str) -> tuple[Exchange, Board] | None:
    """The exchange and board an A-share code belongs to, or None for anything else
    (funds, bonds, Hong Kong shares)."""
    for prefixes, exchange, board in _LISTINGS:
        if code.startswith(prefixes):
            return exchange, board
    return None


def estimated_market_value(profile: InvestorProfile, exchange: Exchange) -> Decimal:
    """The investor's 20-day average A-share market value in ``exchange``, as far as the
    profile tells.

    The profile has only ``assets_20d_avg`` (the whole account, cash included) and
    holdings without prices, so this is an approximation: the whole 20-day average
    when the investor holds at least one A-share of that exchange, else zero. It can
    overstate (cash and the other exchange's shares count), never invent a position;
    a reminder that reaches someone with a small quota costs little, and its text
    says the exchange's own T-2 figure decides. An account system that knows
    per-exchange averages should replace this function.
    """
    holds_there = any(
        holding.quantity > 0 and (listing := listing_of(holding.code)) and listing[0] == exchange
        for holding in profile.holdings
    )
    return profile.assets_20d_avg if holds_there else Decimal(0)


def ipo_eligible(profile: InvestorProfile, code: str, board: Board) -> bool:
    """Whether the investor can subscribe to the new share ``code`` listed on ``board``."""
    listing = listing_of(code)
    if listing is None:
        return False
    permission = BOARD_PERMISSION[board]
    if permission is not None and permission not in profile.permissions:
        return False
    exchange = listing[0]
    if exchange == "bj":
        return True  # full payment, no market-value quota
    return estimated_market_value(profile, exchange) >= IPO_MIN_MARKET_VALUE


class Segment(BaseModel):
    """Investors chosen by id, risk level or holding. Every criterion given must hold (a
    criterion holds when any of its values does); an empty segment is every investor."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: Literal["segment"] = "segment"
    investor_ids: frozenset[str] = frozenset()
    risk_levels: frozenset[RiskLevel] = frozenset()
    holds: frozenset[SecurityCode] = Field(
        frozenset(), description="security codes; holding any one of them qualifies"
    )

    def includes(self, profile: InvestorProfile) -> bool:
        if self.investor_ids and profile.investor_id not in self.investor_ids:
            return False
        if self.risk_levels and profile.risk_level not in self.risk_levels:
            return False
        return not self.holds or any(
            holding.code in self.holds and holding.quantity > 0 for holding in profile.holdings
        )


class IpoEligible(BaseModel):
    """Investors who may subscribe to one new share (see :func:`ipo_eligible`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: Literal["ipo_eligible"] = "ipo_eligible"
    code: SecurityCode
    board: Board

    def includes(self, profile: InvestorProfile) -> bool:
        return ipo_eligible(profile, self.code, self.board)


Audience = Annotated[Segment | IpoEligible, Field(discriminator="rule")]


class PushText(BaseModel):
    """One language's wording of a push."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str = Field(min_length=1, max_length=100)
    text: str = Field(min_length=1, max_length=1500)
    quick_replies: tuple[str, ...] = Field((), max_length=4)
    why: str | None = Field(
        None, max_length=300, description='"why am I seeing this": the facts that triggered it'
    )


class ProactiveEvent(BaseModel):
    """Something worth telling some investors, as a source found it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: EventId = Field(description="stable: the outbox sends it once per investor, ever")
    topic: EventId | None = Field(
        None,
        description="the news it tells, when other sources may tell it too (a holding's risk "
        "warning: the notices file and the portfolio rules): one push a topic per investor",
    )
    kind: SuggestionKind
    zh: PushText
    en: PushText
    audience: Audience
    expires_at: AwareDatetime | None = Field(
        None, description="not queued or delivered after this (the subscription has closed)"
    )
    priority: int = Field(DEFAULT_PRIORITY, ge=0, le=100)

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at


class SuggestionContent(BaseModel):
    """The ``suggestion`` frame's own fields; the service adds ``seq`` and ``at``."""

    model_config = ConfigDict(frozen=True)

    kind: SuggestionKind
    title: str
    text: str
    quick_replies: list[str]
    why: str | None = None


class PushPayload(BaseModel):
    """An event as the guard passed it (disclaimer added where due): ``OutboxItem.payload``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: EventId
    topic: EventId | None = None
    kind: SuggestionKind
    zh: PushText
    en: PushText
    expires_at: AwareDatetime | None = None
    priority: int = DEFAULT_PRIORITY

    @property
    def dedupe_key(self) -> str:
        """What the outbox sends once per investor: the topic, else the event."""
        return self.topic or self.event_id

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def content(self, language: Language) -> SuggestionContent:
        """What the investor sees, in the conversation's language."""
        text = self.zh if language == "zh" else self.en
        return SuggestionContent(
            kind=self.kind,
            title=text.title,
            text=text.text,
            quick_replies=list(text.quick_replies),
            why=text.why,
        )


def risk_warning_topic(code: str, effective: date) -> str:
    """The news that ``code`` comes under a risk warning (ST, *ST) on ``effective``: told by
    the holding-notices file and by the ST rule alike, pushed to a holder once."""
    return f"risk_warning:{code}:{effective.isoformat()}"
