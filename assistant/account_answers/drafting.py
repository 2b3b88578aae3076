"""How an account answer is written: the draft, the investor's language for dates, money and
quantities, where things are in the app, and how lists of records are narrowed and cut short."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from assistant.account_queries import AccountQueryKind, DateWord
from assistant.accounts import EXCHANGE_TIME, BankTransfer, IpoSubscription, Order
from assistant.dialogue_models import Language
from intents.flow_engine import Localized

_R = TypeVar("_R", BankTransfer, Order, IpoSubscription)
_S = TypeVar("_S", Order, IpoSubscription)


RECENT_DAYS = {"transfers": 30, "orders": 7, "ipo": 14}
"""How far back "recent" reaches for each kind of record, in days."""
MAX_LINES = 5
"""The most records one answer lists."""

WHERE_IN_APP: Mapping[AccountQueryKind, Localized] = {
    "commission": Localized("【我的】→【账户信息】→【佣金费率】", "Me → Account info → Commission"),
    "transfers": Localized(
        "【我的】→【银证转账】→【转账查询】", "Me → Bank transfer → Transfer history"
    ),
    "orders": Localized(
        "【交易】→【当日委托】或【历史委托】", "Trade → Today's orders or Order history"
    ),
    "ipo": Localized("【交易】→【新股申购】→【中签查询】", "Trade → IPO subscription → Allotments"),
    "permissions": Localized("【业务办理】→【权限开通】", "Services → Permissions"),
    "risk": Localized("【我的】→【风险测评】", "Me → Risk assessment"),
    "id_expiry": Localized("【我的】→【个人资料】", "Me → Personal details"),
    "statement": Localized("【我的】→【对账单】", "Me → Statements"),
    "bank_card": Localized(
        "【我的】→【银证转账】→【存管银行】", "Me → Bank transfer → Depository bank"
    ),
    "account_status": Localized(
        "【我的】→【账户信息】→【账户状态】", "Me → Account info → Account status"
    ),
    "holdings": Localized("【交易】→【持仓】", "Trade → Holdings"),
}


@dataclass
class Draft:
    """An answer being written: its lines, the advice notes (said once each), its facts."""

    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    offer_person: bool = False
    """The next step is a person's: the investor is offered one."""


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Context:
    """The investor's language and the moment of the question: how days, money and quantities
    are said, and what "today" is."""

    language: Language
    now: datetime

    @property
    def zh(self) -> bool:
        return self.language == "zh"

    @property
    def today(self) -> date:
        return self.now.date()

    def say(self, zh: str, en: str) -> str:
        return zh if self.zh else en

    def full_date(self, day: date) -> str:
        return f"{day.year}年{day.month}月{day.day}日" if self.zh else _en_date(day, year=True)

    def day(self, day: date) -> str:
        """Today, yesterday or tomorrow by name; otherwise the date, its year only if not this."""
        offset = (day - self.today).days
        if offset in (-1, 0, 1):
            return (("昨天", "今天", "明天") if self.zh else ("yesterday", "today", "tomorrow"))[
                offset + 1
            ]
        if day.year == self.today.year:
            return f"{day.month}月{day.day}日" if self.zh else _en_date(day, year=False)
        return self.full_date(day)

    def moment(self, at: datetime) -> str:
        local = at.astimezone(EXCHANGE_TIME)
        return f"{self.day(local.date())} {local:%H:%M}"

    def deadline(self, at: datetime) -> str:
        local = at.astimezone(EXCHANGE_TIME)
        return (
            f"{self.day(local.date())}{local:%H:%M}"
            if self.zh
            else f"{local:%H:%M} {self.day(local.date())}"
        )

    def money(self, amount: Decimal) -> str:
        return f"{amount:,.2f}元" if self.zh else f"CNY {amount:,.2f}"

    def price(self, amount: Decimal) -> str:
        return f"{amount:,f}元" if self.zh else f"CNY {amount:,f}"

    def quantity(self, count: int, code: str) -> str:
        unit = _unit(code)
        zh_unit = {"share": "股", "unit": "份", "bond": "张"}[unit]
        return f"{count:,}{zh_unit}" if self.zh else f"{count:,} {unit}{'' if count == 1 else 's'}"

    def window_name(self, start: date, end: date) -> str:
        if start == end:
            return self.day(start)
        return self.say(
            f"{self.day(start)}至{self.day(end)}", f"{self.day(start)} to {self.day(end)}"
        )


def _en_date(day: date, *, year: bool) -> str:
    text = f"{day.day} {_MONTHS[day.month - 1]}"
    return f"{text} {day.year}" if year else text


def _unit(code: str) -> str:
    """What one of a security is counted in, read from its code: funds 份, bonds 张, else 股."""
    if code[:2] in ("50", "51", "52", "56", "58", "15", "16"):
        return "unit"
    if code[:2] in ("11", "12", "75", "07", "37"):
        return "bond"
    return "share"


def window(when: DateWord | None, today: date, recent_days: int) -> tuple[date, date]:
    """The days a date word covers, both ends included; no word: the recent ``recent_days``."""
    monday = today - timedelta(days=today.weekday())
    first_of_month = today.replace(day=1)
    last_month_end = first_of_month - timedelta(days=1)
    windows: dict[DateWord, tuple[date, date]] = {
        "today": (today, today),
        "yesterday": (today - timedelta(days=1), today - timedelta(days=1)),
        "day_before_yesterday": (today - timedelta(days=2), today - timedelta(days=2)),
        "this_week": (monday, today),
        "last_week": (monday - timedelta(days=7), monday - timedelta(days=1)),
        "this_month": (first_of_month, today),
        "last_month": (last_month_end.replace(day=1), last_month_end),
        "this_year": (date(today.year, 1, 1), today),
        "last_year": (date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
    }
    return windows.get(when or "recent", (today - timedelta(days=recent_days), today))


@dataclass(frozen=True)
class Period:
    """The days a question is about, and the first day to fetch records from: those days,
    and the recent ones to fall back on when nothing happened on them."""

    start: date
    end: date
    fetch_from: date

    @classmethod
    def asked(cls, when: DateWord | None, kind: str, today: date) -> Period:
        recent_days = RECENT_DAYS[kind]
        start, end = window(when, today, recent_days)
        return cls(start, end, min(start, today - timedelta(days=recent_days)))

    def holds(self, day: date) -> bool:
        return self.start <= day <= self.end


def narrowed(
    records: list[_R], keep: Callable[[_R], bool], if_none: str, written: Draft
) -> list[_R]:
    """The records ``keep`` accepts; when it accepts none of them, all, after saying so."""
    kept = [record for record in records if keep(record)]
    if records and not kept:
        written.lines.append(if_none)
    return kept or records


def listed(
    written: Draft,
    records: list[_R],
    heading: str,
    empty: str,
    line: Callable[[_R], str],
    most: int = MAX_LINES,
) -> Draft:
    """The first ``most`` records under a heading; ``empty`` when there are none."""
    if not records:
        written.lines.append(empty)
        return written
    written.lines.append(heading)
    written.lines += [line(record) for record in records[:most]]
    return written


def recent(kind: str) -> Localized:
    days = RECENT_DAYS[kind]
    return Localized(f"近{days}天", f"in the last {days} days")


def of_security(
    records: list[_S], security: str | None, noun: Localized, written: Draft, context: Context
) -> list[_S]:
    """The records of the security the investor named (a code, or part of a name)."""
    if security is None:
        return records
    return narrowed(
        records,
        lambda r: security == r.security_code or security.lower() in r.security_name.lower(),
        context.say(
            f"没有找到与“{security}”相关的{noun.zh}。", f"No {noun.en} matches “{security}”."
        ),
        written,
    )


def joined(items: Iterable[str], context: Context) -> str:
    return context.say("、", ", ").join(items)
