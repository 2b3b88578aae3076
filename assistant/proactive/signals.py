"""Signals: what is happening in one investor's account, gathered in one typed place.

The rules (:mod:`assistant.proactive.rules`) read an :class:`InvestorSignals` and
nothing else. It is put together by :class:`SignalCollector` from three places:

* the account system (:class:`~assistant.accounts.AccountSystem`): the profile,
  today's bank transfers, IPO subscriptions with an allotment, the risk
  assessment and the identity documents;
* the brokerage's **portfolio feed** (:class:`PortfolioFeed`), an outside
  boundary: each holding's market value, product risk rating and risk flag
  (ST, \\*ST, delisting), the margin account's maintenance ratio, and
  applications (account opening, permissions) the investor started and did not
  finish. Its contract is ``docs/portfolio-feed.md``; :class:`JsonPortfolioFeed`
  serves the fictional sample in ``data/proactive/portfolio_signals.json``;
* our own store: which permissions the investor asked about, and when
  (:class:`QuestionLog`, from the recorded turns' intents).

Money is CNY as :class:`~decimal.Decimal`; dates are exchange dates.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from assistant.accounts import (
    EXCHANGE_TIME,
    BankTransfer,
    IdDocument,
    InvestorProfile,
    IpoSubscription,
    RiskAssessment,
    exchange_today,
)
from assistant.proactive.errors import PortfolioFeedError, ProactiveDataError
from assistant.proactive.files import ReloadingFile

if TYPE_CHECKING:
    from assistant.accounts import AccountSystem
    from assistant.persistence.repositories import ConversationRepository

ProductRating = Literal["R1", "R2", "R3", "R4", "R5"]
RiskFlag = Literal["none", "st", "star_st", "delisting_period"]
"""``st``: 其他风险警示 (ST); ``star_st``: 退市风险警示 (\\*ST); ``delisting_period``:
退市整理期."""
ApplicationKind = Literal[
    "account_opening", "chinext", "star", "bse", "margin", "stock_connect", "convertible_bond"
]
PERMISSION_INTENTS: Mapping[str, str] = {
    "permission_chinext": "chinext",
    "permission_star": "star",
    "permission_bse": "bse",
    "permission_margin": "margin",
    "permission_stock_connect": "stock_connect",
    "permission_convertible_bond": "convertible_bond",
}
"""Catalogue intents that mean "the investor asked about this permission"."""

QUESTION_WINDOW = timedelta(days=30)
"""How far back a question about a permission counts as the investor's interest."""


class _Feed(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PositionState(_Feed):
    """One holding as the feed sees it today."""

    code: str = Field(pattern=r"^\d{6}$")
    name: str = Field(min_length=1, max_length=60)
    market_value: Decimal = Field(ge=0, description="CNY at the last close")
    product_rating: ProductRating = Field(description="the firm's risk rating of the security")
    risk_flag: RiskFlag = "none"
    flagged_on: date | None = Field(None, description="when the current flag took effect")


class MarginState(_Feed):
    """The credit (margin) account's maintenance guarantee ratio (维持担保比例)."""

    maintenance_ratio: Decimal = Field(gt=0, description="1.45 is 145%")
    as_of: AwareDatetime


class ApplicationState(_Feed):
    """An application the investor started in the app and has not submitted."""

    application_id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    kind: ApplicationKind
    started_at: AwareDatetime
    updated_at: AwareDatetime = Field(description="the last step the investor completed")
    steps_done: int = Field(ge=0)
    steps_total: int = Field(ge=1)


class PortfolioSnapshot(_Feed):
    """``GET /v1/investors/{id}/portfolio-signals``: the feed's answer for one investor."""

    investor_id: str
    positions: list[PositionState] = Field(default_factory=list)
    margin: MarginState | None = Field(None, description="None: no credit account")
    applications: list[ApplicationState] = Field(default_factory=list)


class AskedPermission(_Feed):
    """The investor asked about a permission (from our own recorded turns)."""

    permission: str
    asked_at: AwareDatetime


class InvestorSignals(BaseModel):
    """Everything the rules may look at for one investor, as of ``now``."""

    model_config = ConfigDict(frozen=True)

    profile: InvestorProfile
    now: AwareDatetime
    positions: list[PositionState] = Field(default_factory=list)
    margin: MarginState | None = None
    applications: list[ApplicationState] = Field(default_factory=list)
    transfers_today: list[BankTransfer] = Field(default_factory=list)
    allotments: list[IpoSubscription] = Field(default_factory=list)
    risk_assessment: RiskAssessment | None = None
    id_documents: list[IdDocument] = Field(default_factory=list)
    asked: list[AskedPermission] = Field(default_factory=list)

    @property
    def investor_id(self) -> str:
        return self.profile.investor_id

    @property
    def today(self) -> date:
        return self.now.astimezone(EXCHANGE_TIME).date()


class PortfolioFeed(Protocol):
    """The brokerage's per-investor portfolio facts; ``None`` for an unknown investor."""

    async def snapshot(self, investor_id: str) -> PortfolioSnapshot | None: ...


class _FeedFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: date | None = None
    investors: list[PortfolioSnapshot]


class JsonPortfolioFeed:
    """The sample feed: ``{"as_of": DAY, "investors": [PortfolioSnapshot, ...]}``.

    Like the sample account system, its dates are written relative to ``as_of`` and
    served moved forward to today, so "turned ST yesterday" stays yesterday whenever
    ``make run`` starts; tests pin ``today``. The file is read again when it changes.
    """

    def __init__(self, path: Path, *, today: Callable[[], date] = exchange_today) -> None:
        self.path = path
        self._today = today
        self._file = ReloadingFile(path, self._read)

    async def snapshot(self, investor_id: str) -> PortfolioSnapshot | None:
        parsed = await self._file.read()
        for entry in parsed.investors:
            if entry.investor_id == investor_id:
                if parsed.as_of is None:
                    return entry
                return _moved(entry, self._today() - parsed.as_of)
        return None

    def _read(self) -> _FeedFile:
        try:
            parsed = _FeedFile.model_validate(json.loads(self.path.read_text("utf-8")))
        except (OSError, json.JSONDecodeError) as error:
            raise ProactiveDataError(f"{self.path}: {error}") from error
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ProactiveDataError(f"{self.path} {where}: {first['msg']}") from error
        ids = [entry.investor_id for entry in parsed.investors]
        if len(set(ids)) != len(ids):
            raise ProactiveDataError(f"{self.path}: more than one entry for an investor")
        return parsed


def _moved(snapshot: PortfolioSnapshot, by: timedelta) -> PortfolioSnapshot:
    if not by:
        return snapshot
    return snapshot.model_copy(
        update={
            "positions": [
                p.model_copy(update={"flagged_on": p.flagged_on + by}) if p.flagged_on else p
                for p in snapshot.positions
            ],
            "margin": snapshot.margin.model_copy(update={"as_of": snapshot.margin.as_of + by})
            if snapshot.margin
            else None,
            "applications": [
                a.model_copy(
                    update={"started_at": a.started_at + by, "updated_at": a.updated_at + by}
                )
                for a in snapshot.applications
            ],
        }
    )


class QuestionLog:
    """Which permissions each investor asked about lately, from the recorded turns."""

    def __init__(self, conversations: ConversationRepository) -> None:
        self._conversations = conversations

    async def asked_since(self, since: datetime) -> dict[str, list[AskedPermission]]:
        """Per investor, the permission questions recorded at or after ``since``."""
        turns = await self._conversations.turns_since(since)
        owners: dict[str, str | None] = {}
        asked: dict[str, list[AskedPermission]] = {}
        for turn in turns:
            permission = PERMISSION_INTENTS.get(turn.intent or "")
            if permission is None:
                continue
            if turn.conversation_id not in owners:
                conversation = await self._conversations.get(turn.conversation_id)
                owners[turn.conversation_id] = conversation.investor_id if conversation else None
            investor_id = owners[turn.conversation_id]
            if investor_id is not None:
                asked.setdefault(investor_id, []).append(
                    AskedPermission(permission=permission, asked_at=turn.created_at)
                )
        return asked


class SignalCollector:
    """Puts one investor's :class:`InvestorSignals` together from the account system, the
    portfolio feed and the question log."""

    def __init__(
        self,
        accounts: AccountSystem,
        feed: PortfolioFeed | None,
        questions: QuestionLog | None = None,
    ) -> None:
        self._accounts = accounts
        self._feed = feed
        self._questions = questions

    async def asked(self, now: datetime) -> dict[str, list[AskedPermission]]:
        if self._questions is None:
            return {}
        return await self._questions.asked_since(now - QUESTION_WINDOW)

    async def collect(
        self, profile: InvestorProfile, now: datetime, asked: Iterable[AskedPermission] = ()
    ) -> InvestorSignals:
        investor_id = profile.investor_id
        today = now.astimezone(EXCHANGE_TIME).date()
        snapshot, transfers, ipo, risk, documents = await asyncio.gather(
            self._snapshot(investor_id),
            self._accounts.transfers(investor_id, today),
            self._accounts.ipo_subscriptions(investor_id, today - timedelta(days=10)),
            self._accounts.risk_assessment(investor_id),
            self._accounts.id_documents(investor_id),
        )
        return InvestorSignals(
            profile=profile,
            now=now,
            positions=snapshot.positions if snapshot else [],
            margin=snapshot.margin if snapshot else None,
            applications=snapshot.applications if snapshot else [],
            transfers_today=transfers.transfers if transfers else [],
            allotments=[s for s in ipo.subscriptions if s.allotted_quantity] if ipo else [],
            risk_assessment=risk,
            id_documents=documents.documents if documents else [],
            asked=list(asked),
        )

    async def _snapshot(self, investor_id: str) -> PortfolioSnapshot | None:
        """The feed's snapshot; when the feed fails, none this run (the rules on holdings stay
        silent rather than guess, the next run asks again)."""
        if self._feed is None:
            return None
        try:
            return await self._feed.snapshot(investor_id)
        except PortfolioFeedError:
            return None
