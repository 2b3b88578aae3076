"""The sample account system: investors and their accounts from a local JSON file.

``data/accounts/investors.json`` holds fictional investors for development, demos
and tests. Each investor is a profile (the fields of :class:`InvestorProfile`)
with an optional ``account`` object: commission, transfers, orders, IPO
subscriptions, permission grants, risk-assessment dates, identity documents,
the masked e-mail statements go to, the linked bank card (``bank_link``) and the
account's standing (``standing``: normal unless restrictions are listed).
``standard_commission`` at the top applies to an investor without their own.

Dates in the file are written relative to its ``as_of`` day and served moved
forward to today (in exchange time), so "an allotment due today" stays due today
whenever ``make run`` is started. Tests pin ``today``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.accounts.models import (
    EXCHANGE_TIME,
    AccountStanding,
    AccountStatus,
    BankLink,
    BankTransfer,
    CommissionRate,
    CommissionSchedule,
    IdDocument,
    IdDocuments,
    InvestorProfile,
    IpoHistory,
    IpoSubscription,
    LinkedCard,
    Masked,
    Order,
    OrderHistory,
    PermissionGrant,
    PermissionGrants,
    Restriction,
    RiskAssessment,
    StatementReceipt,
    StatementRequest,
    TransferHistory,
)
from assistant.accounts.system import AccountSystemError, describe_invalid

_T = TypeVar("_T")
_R = TypeVar("_R", BankTransfer, Order, IpoSubscription)


def exchange_today() -> date:
    """Today on the exchanges' clock (Asia/Shanghai), whatever the server's time zone."""
    return datetime.now(EXCHANGE_TIME).date()


class _Commission(BaseModel):
    model_config = ConfigDict(extra="forbid")

    effective_from: date | None = None
    rates: list[CommissionRate]


class _RiskDates(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assessed_on: date | None = None
    expires_on: date | None = None


class _BankLink(BaseModel):
    model_config = ConfigDict(extra="forbid")

    card: LinkedCard | None = None
    pending_change: LinkedCard | None = None


class _Standing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: AccountStatus = "normal"
    restrictions: list[Restriction] = Field(default_factory=list)


class _SampleAccount(BaseModel):
    model_config = ConfigDict(extra="forbid")

    commission: _Commission | None = None
    transfers: list[BankTransfer] = Field(default_factory=list)
    orders: list[Order] = Field(default_factory=list)
    ipo: list[IpoSubscription] = Field(default_factory=list)
    permission_grants: list[PermissionGrant] = Field(default_factory=list)
    risk_assessment: _RiskDates = Field(default_factory=_RiskDates)
    id_documents: list[IdDocument] = Field(default_factory=list)
    statement_email_masked: Masked | None = None
    bank_link: _BankLink = Field(default_factory=_BankLink)
    standing: _Standing = Field(default_factory=_Standing)


class _SampleInvestor(InvestorProfile):
    account: _SampleAccount = Field(default_factory=_SampleAccount)


class _InvestorFile(BaseModel):
    as_of: date | None = None
    standard_commission: _Commission | None = None
    investors: list[_SampleInvestor]


class _Loaded:
    """The parsed file: profiles apart from account data, so a profile never carries it."""

    def __init__(self, parsed: _InvestorFile) -> None:
        self.as_of = parsed.as_of
        self.standard_commission = parsed.standard_commission
        self.profiles = {
            entry.investor_id: InvestorProfile.model_validate(entry.model_dump(exclude={"account"}))
            for entry in parsed.investors
        }
        self.accounts = {entry.investor_id: entry.account for entry in parsed.investors}


def _shift(value: object, by: timedelta) -> object:
    if isinstance(value, date):  # a datetime is a date too; both keep their time zone
        return value + by
    if isinstance(value, BaseModel):
        fields = type(value).model_fields
        return value.model_copy(update={name: _shift(getattr(value, name), by) for name in fields})
    if isinstance(value, list):
        return [_shift(item, by) for item in value]
    return value


def _shifted(value: _T, by: timedelta) -> _T:
    return value if not by else cast(_T, _shift(value, by))


def _requested_at(transfer: BankTransfer) -> datetime:
    return transfer.requested_at


def _placed_at(order: Order) -> datetime:
    return order.placed_at


def _subscribed_on(subscription: IpoSubscription) -> date:
    return subscription.subscribed_on


def _exchange_day(moment: date) -> date:
    """The trading day of a date, or of a datetime on the exchanges' clock."""
    return moment.astimezone(EXCHANGE_TIME).date() if isinstance(moment, datetime) else moment


def _grants(profile: InvestorProfile, recorded: list[PermissionGrant]) -> list[PermissionGrant]:
    """The recorded grants, plus an undated one for a permission the profile shows without."""
    codes = {grant.permission for grant in recorded}
    if unknown := codes - profile.permissions:
        raise AccountSystemError(
            f"{profile.investor_id}: grants {sorted(unknown)} not among the profile's permissions"
        )
    missing = sorted(profile.permissions - codes)
    return [*recorded, *(PermissionGrant(permission=code) for code in missing)]


class JsonAccountSystem:
    """Investors from a local JSON file ``{"investors": [...]}``, read once on first use.

    The file is read in a worker thread so the event loop never blocks on
    disk; a lock makes concurrent first requests share one read. Statement
    requests are kept in memory: the sample files nothing anywhere.
    """

    def __init__(self, path: Path, *, today: Callable[[], date] = exchange_today) -> None:
        self._path = path
        self._today = today
        self._loaded_file: _Loaded | None = None
        self._lock = asyncio.Lock()
        self._statement_numbers = itertools.count(1)
        self.statements: list[StatementReceipt] = []
        """The requests filed so far, oldest first."""

    async def profile(self, investor_id: str) -> InvestorProfile | None:
        return (await self._loaded()).profiles.get(investor_id)

    async def investor_ids(self) -> list[str]:
        return list((await self._loaded()).profiles)

    async def commission(self, investor_id: str) -> CommissionSchedule | None:
        loaded, account = await self._account(investor_id)
        if account is None:
            return None
        terms = account.commission or loaded.standard_commission
        schedule = CommissionSchedule(
            investor_id=investor_id,
            effective_from=terms.effective_from if terms else None,
            rates=list(terms.rates) if terms else [],
        )
        return _shifted(schedule, self._offset(loaded))

    async def transfers(self, investor_id: str, since: date) -> TransferHistory | None:
        found = await self._since(investor_id, since, lambda a: a.transfers, _requested_at)
        if found is None:
            return None
        return TransferHistory(investor_id=investor_id, since=since, transfers=found)

    async def orders(self, investor_id: str, since: date) -> OrderHistory | None:
        found = await self._since(investor_id, since, lambda a: a.orders, _placed_at)
        if found is None:
            return None
        return OrderHistory(investor_id=investor_id, since=since, orders=found)

    async def ipo_subscriptions(self, investor_id: str, since: date) -> IpoHistory | None:
        found = await self._since(investor_id, since, lambda a: a.ipo, _subscribed_on)
        if found is None:
            return None
        return IpoHistory(investor_id=investor_id, since=since, subscriptions=found)

    async def permissions(self, investor_id: str) -> PermissionGrants | None:
        loaded, account = await self._account(investor_id)
        if account is None:
            return None
        grants = _grants(loaded.profiles[investor_id], account.permission_grants)
        moved = _shifted(grants, self._offset(loaded))
        return PermissionGrants(investor_id=investor_id, grants=moved)

    async def risk_assessment(self, investor_id: str) -> RiskAssessment | None:
        loaded, account = await self._account(investor_id)
        if account is None:
            return None
        assessment = RiskAssessment(
            investor_id=investor_id,
            level=loaded.profiles[investor_id].risk_level,
            assessed_on=account.risk_assessment.assessed_on,
            expires_on=account.risk_assessment.expires_on,
        )
        return _shifted(assessment, self._offset(loaded))

    async def id_documents(self, investor_id: str) -> IdDocuments | None:
        loaded, account = await self._account(investor_id)
        if account is None:
            return None
        documents = _shifted(account.id_documents, self._offset(loaded))
        return IdDocuments(investor_id=investor_id, documents=documents)

    async def bank_link(self, investor_id: str) -> BankLink | None:
        loaded, account = await self._account(investor_id)
        if account is None:
            return None
        link = _shifted(account.bank_link, self._offset(loaded))
        return BankLink(investor_id=investor_id, card=link.card, pending_change=link.pending_change)

    async def standing(self, investor_id: str) -> AccountStanding | None:
        loaded, account = await self._account(investor_id)
        if account is None:
            return None
        held = _shifted(account.standing, self._offset(loaded))
        return AccountStanding(
            investor_id=investor_id, status=held.status, restrictions=held.restrictions
        )

    async def request_statement(
        self, investor_id: str, request: StatementRequest
    ) -> StatementReceipt | None:
        _, account = await self._account(investor_id)
        if account is None:
            return None
        today = self._today()
        email = account.statement_email_masked
        receipt = StatementReceipt(
            investor_id=investor_id,
            request_id=f"ST-{today:%Y%m%d}-{next(self._statement_numbers):04d}",
            kind=request.kind,
            period_start=request.period_start,
            period_end=request.period_end,
            language=request.language,
            delivery_channel="email" if email else "app",
            delivered_to_masked=email,
            ready_by=datetime.combine(today + timedelta(days=1), time(18), EXCHANGE_TIME),
        )
        self.statements.append(receipt)
        return receipt

    async def aclose(self) -> None:
        """Nothing to release: the file was read and closed."""

    async def _since(
        self,
        investor_id: str,
        since: date,
        records: Callable[[_SampleAccount], list[_R]],
        when: Callable[[_R], date],
    ) -> list[_R] | None:
        """The investor's records of one kind from ``since`` on, newest first; ``when`` is
        each record's moment (a datetime) or day."""
        loaded, account = await self._account(investor_id)
        if account is None:
            return None
        moved = _shifted(records(account), self._offset(loaded))
        recent = (record for record in moved if _exchange_day(when(record)) >= since)
        return sorted(recent, key=when, reverse=True)

    def _offset(self, loaded: _Loaded) -> timedelta:
        return self._today() - loaded.as_of if loaded.as_of else timedelta(0)

    async def _account(self, investor_id: str) -> tuple[_Loaded, _SampleAccount | None]:
        loaded = await self._loaded()
        return loaded, loaded.accounts.get(investor_id)

    async def _loaded(self) -> _Loaded:
        async with self._lock:
            if self._loaded_file is None:
                self._loaded_file = await asyncio.to_thread(self._read)
            return self._loaded_file

    def _read(self) -> _Loaded:
        try:
            raw = self._path.read_text("utf-8")
            parsed = _InvestorFile.model_validate(json.loads(raw))
        except (OSError, json.JSONDecodeError) as error:
            raise AccountSystemError(f"{self._path}: {error}") from error
        except ValidationError as error:
            raise AccountSystemError(f"{self._path}: {describe_invalid(error)}") from error
        loaded = _Loaded(parsed)
        if len(loaded.profiles) != len(parsed.investors):
            raise AccountSystemError(f"{self._path}: duplicate investor_id")
        for investor_id, account in loaded.accounts.items():
            _grants(loaded.profiles[investor_id], account.permission_grants)
        return loaded
