"""Where proactive events come from: data files the brokerage's operations staff keep,
and campaigns an administrator sends.

Each file is CSV (a header row; list columns separated by ``|``) or JSON (a
list of objects, or an object holding one under the source's key). A file is
read again when it changes on disk, so staff edit it without a restart. One bad
row makes the whole file fail with :class:`ProactiveDataError` naming the file
and row: silently pushing the half of a calendar that parsed is worse than
pushing nothing and saying why.

Dates in the files are exchange dates (Asia/Shanghai), whatever time zone the
quiet hours are read in.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Generic, Literal, Protocol, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from assistant.accounts import RiskLevel
from assistant.proactive.errors import ProactiveDataError
from assistant.proactive.events import (
    Board,
    IpoEligible,
    ProactiveEvent,
    PushText,
    SecurityCode,
    Segment,
    listing_of,
    risk_warning_topic,
)
from assistant.proactive.files import ReloadingFile
from assistant.proactive.policy import aware

EXCHANGE_TZ = ZoneInfo("Asia/Shanghai")
SUBSCRIPTION_CLOSE = time(15, 0)
"""New-share subscription closes with the afternoon session; a reminder after it is noise."""

_BOARD_NAMES: dict[Board, tuple[str, str]] = {
    "main": ("主板", "main board"),
    "chinext": ("创业板", "ChiNext"),
    "star": ("科创板", "STAR Market"),
    "bse": ("北交所", "Beijing Stock Exchange"),
}
_EXCHANGE_NAMES = {"sh": ("沪市", "Shanghai"), "sz": ("深市", "Shenzhen"), "bj": ("北交所", "BSE")}


class EventSource(Protocol):
    """Something that knows which events are live at a moment."""

    name: str

    async def events(self, now: datetime) -> list[ProactiveEvent]:
        """The events to push as of ``now`` (timezone-aware). Asking again returns the
        same ``event_id`` for the same event, so the outbox sends each once."""
        ...


def exchange_date(now: datetime) -> date:
    return aware(now).astimezone(EXCHANGE_TZ).date()


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=EXCHANGE_TZ)


def _split_list(value: object) -> object:
    """A CSV cell ``C1|C2`` as a list; JSON lists pass through."""
    if isinstance(value, str):
        return [part.strip() for part in value.split("|") if part.strip()]
    return value


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


RowT = TypeVar("RowT", bound=_Row)


class _DataFile(Generic[RowT]):
    """Rows of one file, parsed in a worker thread and cached until the file changes."""

    def __init__(self, path: Path, row_model: type[RowT], list_key: str) -> None:
        self.path = path
        self._row_model = row_model
        self._list_key = list_key
        self._file = ReloadingFile(path, self.parse)

    async def rows(self) -> list[RowT]:
        return await self._file.read()

    def parse(self) -> list[RowT]:
        parsed: list[RowT] = []
        for label, raw in self._raw_rows():
            try:
                parsed.append(self._row_model.model_validate(raw))
            except ValidationError as error:
                problems = "; ".join(
                    f"{'.'.join(str(part) for part in problem['loc']) or 'row'}: {problem['msg']}"
                    for problem in error.errors()
                )
                raise ProactiveDataError(f"{self.path} {label}: {problems}") from error
        return parsed

    def _raw_rows(self) -> list[tuple[str, dict[str, Any]]]:
        try:
            if self.path.suffix.lower() == ".csv":
                return self._csv_rows()
            if self.path.suffix.lower() == ".json":
                return self._json_rows()
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            raise ProactiveDataError(f"{self.path}: {error}") from error
        raise ProactiveDataError(f"{self.path}: expected a .csv or .json file")

    def _csv_rows(self) -> list[tuple[str, dict[str, Any]]]:
        rows: list[tuple[str, dict[str, Any]]] = []
        with self.path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                label = f"line {reader.line_num}"
                if None in row:
                    raise ProactiveDataError(f"{self.path} {label}: more values than columns")
                # An empty cell is a missing value, so the field's default applies.
                cells = {key.strip(): value.strip() for key, value in row.items() if value}
                if any(cells.values()):
                    rows.append((label, {key: value for key, value in cells.items() if value}))
        return rows

    def _json_rows(self) -> list[tuple[str, dict[str, Any]]]:
        try:
            document = json.loads(self.path.read_text("utf-8"))
        except json.JSONDecodeError as error:
            raise ProactiveDataError(f"{self.path}: not valid JSON: {error}") from error
        items = document.get(self._list_key) if isinstance(document, dict) else document
        if not isinstance(items, list):
            raise ProactiveDataError(
                f"{self.path}: expected a list, or an object with a {self._list_key!r} list"
            )
        rows: list[tuple[str, dict[str, Any]]] = []
        for number, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                raise ProactiveDataError(f"{self.path} item {number}: expected an object")
            rows.append((f"item {number}", item))
        return rows


class IpoListing(_Row):
    """One row of the new-share calendar."""

    code: SecurityCode = Field(description="the share's code once listed")
    subscription_code: SecurityCode | None = Field(
        None, description="code investors subscribe with (Shanghai: 7xxxxx); default: code"
    )
    name: str = Field(min_length=1, max_length=40)
    name_en: str | None = Field(None, max_length=80)
    board: Board
    subscription_date: date
    issue_price: Decimal = Field(gt=0, description="CNY per share")
    subscription_limit: int = Field(gt=0, description="most shares one account may apply for")

    @model_validator(mode="after")
    def _code_matches_board(self) -> IpoListing:
        listing = listing_of(self.code)
        if listing is None or listing[1] != self.board:
            actual = (
                f"a {_EXCHANGE_NAMES[listing[0]][1]} {_BOARD_NAMES[listing[1]][1]} code"
                if listing
                else "not an A-share code"
            )
            raise ValueError(f"code {self.code} is {actual}, not {self.board}")
        return self


class IpoCalendarSource:
    """On each new share's subscription day, a reminder to the investors who may subscribe."""

    name = "ipo_calendar"

    def __init__(self, path: Path) -> None:
        self._file = _DataFile(path, IpoListing, "listings")

    async def events(self, now: datetime) -> list[ProactiveEvent]:
        listings = await self._file.rows()
        _refuse_duplicates(self._file.path, [(row.code, row.subscription_date) for row in listings])
        today = exchange_date(now)
        return [_ipo_event(row) for row in listings if row.subscription_date == today]


def _ipo_event(row: IpoListing) -> ProactiveEvent:
    board_zh, board_en = _BOARD_NAMES[row.board]
    exchange = listing_of(row.code)
    assert exchange is not None  # checked when the row was read
    market_zh, market_en = _EXCHANGE_NAMES[exchange[0]]
    subscription_code = row.subscription_code or row.code
    name_en = row.name_en or row.name
    price = f"{row.issue_price:.2f}"
    if row.board == "bse":
        quota_zh = "北交所新股申购无需持仓市值，申购时需全额预缴资金。"
        quota_en = "BSE subscriptions need no market value but are paid in full when you apply."
    else:
        quota_zh = (
            f"申购额度由交易所按您在{market_zh}的前 20 个交易日（T-2 日）日均持有市值计算，"
            "以交易所确认为准；中签后请在 T+2 日确保资金账户有足够资金缴款。"
        )
        quota_en = (
            f"Your quota is set by the exchange from your average daily {market_en} market "
            "value over the 20 trading days to T-2. If you are allotted shares, keep enough "
            "cash in your account on T+2."
        )
    return ProactiveEvent(
        event_id=f"ipo:{row.code}:{row.subscription_date.isoformat()}",
        kind="ipo_reminder",
        zh=PushText(
            title=f"新股申购提醒：{row.name}",
            text=(
                f"{row.name}（{board_zh}，申购代码 {subscription_code}）今日"
                f"（{row.subscription_date:%Y-%m-%d}）开放申购，发行价 {price} 元/股，"
                f"单个账户申购上限 {row.subscription_limit:,} 股。{quota_zh}是否申购由您自行决定。"
            ),
            quick_replies=("新股申购规则", "怎么查询中签"),
            why=f"今天是{row.name}的申购日，按您账户的持仓和权限，您可以参与申购。",
        ),
        en=PushText(
            title=f"New share subscription: {name_en}",
            text=(
                f"{name_en} ({board_en}, subscription code {subscription_code}) is open for "
                f"subscription today ({row.subscription_date:%Y-%m-%d}) at CNY {price} a "
                f"share, up to {row.subscription_limit:,} shares per account. {quota_en} "
                "Whether to subscribe is your decision."
            ),
            quick_replies=("IPO subscription rules", "How do I check my allotment?"),
            why=f"Today is {name_en}'s subscription day, and your holdings and permissions "
            "allow you to subscribe.",
        ),
        audience=IpoEligible(code=row.code, board=row.board),
        expires_at=datetime.combine(row.subscription_date, SUBSCRIPTION_CLOSE, EXCHANGE_TZ),
    )


NoticeType = Literal["dividend", "rights_issue", "suspension", "st_warning"]

_NOTICE_WORDING: dict[NoticeType, tuple[str, str, tuple[str, ...], tuple[str, ...]]] = {
    "dividend": (
        "分红派息提示",
        "dividend",
        ("分红什么时候到账", "红利税怎么算"),
        ("When is a dividend paid?", "How is dividend tax worked out?"),
    ),
    "rights_issue": (
        "配股提示",
        "rights issue",
        ("配股怎么操作", "不参与配股会怎样"),
        ("How does a rights issue work?", "What if I do not take up my rights?"),
    ),
    "suspension": (
        "停牌提示",
        "trading suspension",
        ("停牌期间能交易吗", "转人工客服"),
        ("Can I trade while it is suspended?", "Talk to an agent"),
    ),
    "st_warning": (
        "风险警示提示",
        "risk warning (ST)",
        ("ST 股票有哪些交易限制", "转人工客服"),
        ("What limits apply to ST shares?", "Talk to an agent"),
    ),
}


class HoldingNotice(_Row):
    """One row of the notices file: a corporate event for the holders of one security."""

    code: SecurityCode
    name: str = Field(min_length=1, max_length=40)
    type: NoticeType
    effective_date: date = Field(description="ex-date, payment deadline, suspension start ...")
    notify_from: date | None = Field(None, description="first day to push; default: at once")
    text_zh: str = Field(min_length=1, max_length=600)
    text_en: str | None = Field(None, max_length=900)

    @model_validator(mode="after")
    def _window_is_ordered(self) -> HoldingNotice:
        if self.notify_from is not None and self.notify_from > self.effective_date:
            raise ValueError("notify_from is after effective_date")
        return self


class HoldingsNoticeSource:
    """Corporate notices for the investors holding the security, from ``notify_from``
    until the effective date."""

    name = "holding_notices"

    def __init__(self, path: Path) -> None:
        self._file = _DataFile(path, HoldingNotice, "notices")

    async def events(self, now: datetime) -> list[ProactiveEvent]:
        notices = await self._file.rows()
        _refuse_duplicates(
            self._file.path, [(row.code, row.type, row.effective_date) for row in notices]
        )
        today = exchange_date(now)
        return [
            _notice_event(row)
            for row in notices
            if (row.notify_from is None or row.notify_from <= today) and today <= row.effective_date
        ]


def _notice_event(row: HoldingNotice) -> ProactiveEvent:
    title_zh, type_en, replies_zh, replies_en = _NOTICE_WORDING[row.type]
    day = f"{row.effective_date:%Y-%m-%d}"
    text_en = row.text_en or (
        f"There is a {type_en} notice for {row.name} ({row.code}), which you hold, "
        f"effective {day}. The company's announcement has the details."
    )
    return ProactiveEvent(
        event_id=f"notice:{row.code}:{row.type}:{row.effective_date.isoformat()}",
        topic=risk_warning_topic(row.code, row.effective_date)
        if row.type == "st_warning"
        else None,
        kind="holding_notice",
        zh=PushText(
            title=f"{title_zh}：{row.name}（{row.code}）",
            text=f"您持有的{row.name}（{row.code}）：{row.text_zh}（日期：{day}，以公司公告为准）",
            quick_replies=replies_zh,
            why=f"您的账户持有{row.name}（{row.code}），该公司发布了相关公告。",
        ),
        en=PushText(
            title=f"{type_en.capitalize()} notice: {row.code}",
            text=text_en,
            quick_replies=replies_en,
            why=f"You hold {row.code}, and the company has announced this.",
        ),
        audience=Segment(holds=frozenset({row.code})),
        expires_at=_end_of(row.effective_date),
    )


class FraudAlert(_Row):
    """One anti-fraud alert: to everyone, or to a segment."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    title_zh: str = Field(min_length=1, max_length=80)
    text_zh: str = Field(min_length=1, max_length=600)
    title_en: str = Field(min_length=1, max_length=80)
    text_en: str = Field(min_length=1, max_length=900)
    valid_from: date
    valid_until: date | None = None
    investor_ids: frozenset[str] = frozenset()
    risk_levels: frozenset[RiskLevel] = frozenset()
    holds: frozenset[SecurityCode] = frozenset()

    split_lists = field_validator("investor_ids", "risk_levels", "holds", mode="before")(
        _split_list
    )


class FraudAlertSource:
    """Warnings about scams, such as fake "荐股群" chat groups impersonating the firm."""

    name = "fraud_alerts"

    def __init__(self, path: Path) -> None:
        self._file = _DataFile(path, FraudAlert, "alerts")

    async def events(self, now: datetime) -> list[ProactiveEvent]:
        alerts = await self._file.rows()
        _refuse_duplicates(self._file.path, [(row.id,) for row in alerts])
        today = exchange_date(now)
        return [
            ProactiveEvent(
                event_id=f"fraud:{row.id}",
                kind="fraud_alert",
                zh=PushText(
                    title=row.title_zh,
                    text=row.text_zh,
                    quick_replies=("如何识别非法荐股", "转人工客服"),
                    why="这是本公司发给客户的防骗提醒。",
                ),
                en=PushText(
                    title=row.title_en,
                    text=row.text_en,
                    quick_replies=("How do I spot a stock-tip scam?", "Talk to an agent"),
                    why="This is an anti-fraud warning the firm sends its clients.",
                ),
                audience=Segment(
                    investor_ids=row.investor_ids, risk_levels=row.risk_levels, holds=row.holds
                ),
                expires_at=_end_of(row.valid_until) if row.valid_until else None,
            )
            for row in alerts
            if row.valid_from <= today and (row.valid_until is None or today <= row.valid_until)
        ]


def _refuse_duplicates(path: Path, keys: Sequence[tuple[object, ...]]) -> None:
    seen: set[tuple[object, ...]] = set()
    for key in keys:
        if key in seen:
            shown = ", ".join(str(part) for part in key)
            raise ProactiveDataError(f"{path}: more than one row for {shown}")
        seen.add(key)


@dataclass(frozen=True)
class Campaign:
    """An administrator's announcement (service changes, events, app features)."""

    title: str
    text: str
    segment: Segment
    title_en: str | None = None
    text_en: str | None = None
    campaign_id: str | None = None

    def event(self) -> ProactiveEvent:
        """The campaign as an event. Without ``campaign_id`` the id is a hash of the
        content, so sending the same campaign twice reaches nobody twice."""
        campaign_id = (
            self.campaign_id
            or hashlib.sha256(
                json.dumps(
                    [self.title, self.text, self.title_en, self.text_en, self.segment.model_dump()],
                    ensure_ascii=False,
                    sort_keys=True,
                    default=sorted,
                ).encode()
            ).hexdigest()[:16]
        )
        return ProactiveEvent(
            event_id=f"campaign:{campaign_id}",
            kind="campaign",
            zh=PushText(title=self.title, text=self.text),
            en=PushText(title=self.title_en or self.title, text=self.text_en or self.text),
            audience=self.segment,
        )


def sources_from_paths(
    ipo_calendar: Path | None, holding_notices: Path | None, fraud_alerts: Path | None
) -> list[EventSource]:
    """The shipped sources for whichever files are configured."""
    sources: list[EventSource] = []
    if ipo_calendar is not None:
        sources.append(IpoCalendarSource(ipo_calendar))
    if holding_notices is not None:
        sources.append(HoldingsNoticeSource(holding_notices))
    if fraud_alerts is not None:
        sources.append(FraudAlertSource(fraud_alerts))
    return sources
