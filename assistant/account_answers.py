"""Answers to an investor's questions about their own account, from the account system.

The dialogue calls :func:`detect_account_query` on the (masked) message and, when
it returns a query, :func:`answer_account_query` with the signed-in investor's
id. The answer states the investor's own facts plainly — commission, transfers,
orders, IPO allotments, permissions, risk assessment, ID expiry, or the receipt
of a statement request — starting with "根据您的账户信息：" / "From your account:",
says what to do where a status needs action, and gives no investment advice.

* No investor id, or one the account system does not know: the investor is
  asked to sign in and told where in the app to look, in the same words either
  way, so nothing tells whether an id exists. Nothing is guessed.
* The account system fails (:class:`AccountSystemError`): a retry-later answer
  with ``failed=True``, never an exception.
* Personal data arrives masked and the text passes :func:`~assistant.pii.mask_pii`
  once more, as everything the assistant shows does.

``facts_used`` names every record an answer rests on (a transfer id, an order
id, a permission code), for the audit trail; it never holds personal data.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from pydantic import BaseModel

from assistant.account_queries import (
    ACCOUNT_QUERY_KINDS,
    AccountQuery,
    AccountQueryKind,
    DateWord,
    detect_account_query,
)
from assistant.accounts import (
    EXCHANGE_TIME,
    AccountSystem,
    AccountSystemError,
    BankTransfer,
    CommissionProduct,
    IdDocument,
    IpoSubscription,
    Order,
    StatementRequest,
)
from assistant.boards import LABELS
from assistant.conversation import Language
from assistant.pii import mask_pii
from intents.flows import Localized

__all__ = [
    "ACCOUNT_QUERY_KINDS",
    "AccountAnswer",
    "AccountQuery",
    "AccountQueryKind",
    "answer_account_query",
    "detect_account_query",
]

logger = logging.getLogger(__name__)

_R = TypeVar("_R", BankTransfer, Order, IpoSubscription)

FROM_YOUR_ACCOUNT = Localized("根据您的账户信息：", "From your account:")
"""How every account answer starts: these are the investor's own records, not general rules."""

RISK_ASSESSMENT_WARNING_DAYS = 30
ID_DOCUMENT_WARNING_DAYS = 90
_RECENT_DAYS = {"transfers": 30, "orders": 7, "ipo": 14}
"""How far back "recent" reaches for each kind of record, in days."""
_MAX_LINES = 5


class AccountAnswer(BaseModel):
    """What to tell the investor, and what it rests on."""

    text: str
    kind: AccountQueryKind
    facts_used: list[str] = []
    """The records the text states (``transfer:TR…``, ``order:O…``, ``permission:chinext``)."""
    needs_sign_in: bool = False
    """The investor is not signed in (or not known): they were asked to sign in."""
    failed: bool = False
    """The account system could not answer: the investor was asked to try again later."""


_TOPIC: Mapping[AccountQueryKind, Localized] = {
    "commission": Localized("佣金费率", "commission rates"),
    "transfers": Localized("银证转账记录", "bank transfers"),
    "orders": Localized("委托和成交情况", "orders"),
    "ipo": Localized("新股申购和中签情况", "IPO subscriptions and allotments"),
    "permissions": Localized("已开通的权限", "trading permissions"),
    "risk": Localized("风险测评结果", "risk assessment"),
    "id_expiry": Localized("证件有效期", "ID document's expiry date"),
    "statement": Localized("对账单或资产证明", "statements and proof of assets"),
}
_WHERE_IN_APP: Mapping[AccountQueryKind, Localized] = {
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
}


def sign_in_answer(kind: AccountQueryKind, language: Language) -> AccountAnswer:
    """Ask the investor to sign in: for a guest, and for an id the system does not know."""
    topic, where = _TOPIC[kind].text(language), _WHERE_IN_APP[kind].text(language)
    text = (
        f"查看您本人的{topic}需要先登录。请在App登录后再问我，或登录后在{where}查看。"
        "未登录时我无法查看任何账户信息。"
        if language == "zh"
        else f"To see your {topic} I need you to be signed in. Please sign in to the app and "
        f"ask me again, or after signing in look under {where}. I can't see any account "
        "information until you do."
    )
    return AccountAnswer(text=text, kind=kind, needs_sign_in=True)


def unavailable_answer(kind: AccountQueryKind, language: Language) -> AccountAnswer:
    """The account system did not answer: say so, and where the investor can look meanwhile."""
    where = _WHERE_IN_APP[kind].text(language)
    if kind == "statement":
        text = (
            f"抱歉，您的申请暂时未能确认提交，请稍后再试；也可以在{where}查看是否已有申请。"
            if language == "zh"
            else "Sorry, I couldn't confirm that your request was filed. Please try again in a "
            f"few minutes, or check under {where} whether it is there."
        )
    else:
        text = (
            f"抱歉，暂时无法查询您的账户信息，请稍后再试；也可以在App{where}查看。"
            if language == "zh"
            else "Sorry, I can't reach your account information right now. Please try again in "
            f"a few minutes, or look under {where} in the app."
        )
    return AccountAnswer(text=text, kind=kind, failed=True)


async def answer_account_query(
    query: AccountQuery,
    investor_id: str | None,
    accounts: AccountSystem,
    language: Language,
    *,
    now: datetime | None = None,
) -> AccountAnswer:
    """The investor's own facts for ``query``; ``now`` (default: the current time) decides what
    "today" and "due" mean, on the exchanges' clock."""
    if investor_id is None:
        return sign_in_answer(query.kind, language)
    context = _Context(language, (now or datetime.now(EXCHANGE_TIME)).astimezone(EXCHANGE_TIME))
    try:
        written = await _ANSWERS[query.kind](query, investor_id, accounts, context)
    except AccountSystemError as error:
        logger.warning("account query %s could not be answered: %s", query.kind, error)
        return unavailable_answer(query.kind, language)
    if written is None:
        return sign_in_answer(query.kind, language)
    body = "\n".join(written.lines + list(dict.fromkeys(written.notes)))
    label = FROM_YOUR_ACCOUNT.text(language) + ("" if language == "zh" else " ")
    return AccountAnswer(
        text=mask_pii(label + body),
        kind=query.kind,
        facts_used=written.facts,
    )


@dataclass
class _Written:
    """An answer being written: its lines, the advice notes (said once each), its facts."""

    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class _Context:
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


def _window(when: DateWord | None, today: date, recent_days: int) -> tuple[date, date]:
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


_PRODUCT_LABELS: Mapping[CommissionProduct, Localized] = {
    "a_share": Localized("A股", "A-shares"),
    "etf": Localized("ETF", "ETFs"),
    "convertible_bond": Localized("可转债", "convertible bonds"),
    "stock_connect": Localized("港股通", "Southbound Stock Connect"),
}


def _rate(rate: Decimal, context: _Context) -> str:
    if context.zh:
        return f"万分之{(rate * 10_000).normalize():f}"
    return f"{(rate * 100).normalize():f}%"


async def _commission(
    query: AccountQuery, investor_id: str, accounts: AccountSystem, context: _Context
) -> _Written | None:
    schedule = await accounts.commission(investor_id)
    if schedule is None:
        return None
    written = _Written()
    rates = [rate for rate in schedule.rates if rate.product == query.product] or schedule.rates
    if not rates:
        written.lines.append(
            context.say(
                "系统中暂未查到您的佣金设置，请联系客服核实。",
                "No commission rates are on record for your account; please ask our staff to "
                "check.",
            )
        )
        return written
    effective = schedule.effective_from
    written.lines.append(
        context.say(
            f"您的佣金费率（{context.full_date(effective)}起执行）：",
            f"Your commission rates (in effect since {context.full_date(effective)}):",
        )
        if effective
        else context.say("您的佣金费率：", "Your commission rates:")
    )
    for rate in rates:
        label = _PRODUCT_LABELS[rate.product].text(context.language)
        minimum = rate.minimum_per_order.normalize()
        if context.zh:
            floor = f"每笔最低{minimum:f}元" if minimum else "无最低收费"
            written.lines.append(f"· {label}：{_rate(rate.rate, context)}，{floor}")
        else:
            floor = f"minimum CNY {minimum:f} per order" if minimum else "no minimum"
            written.lines.append(f"· {label}: {_rate(rate.rate, context)}, {floor}")
        written.facts.append(f"commission:{rate.product}")
    written.notes.append(
        context.say(
            "以上为券商佣金；印花税、过户费等税费另计。",
            "These are our commissions; stamp duty, transfer fees and other levies are charged "
            "separately.",
        )
    )
    return written


_DIRECTIONS = {
    "bank_to_securities": Localized("银行转证券", "bank → brokerage"),
    "securities_to_bank": Localized("证券转银行", "brokerage → bank"),
}
_TRANSFER_FAILURES: Mapping[str, tuple[Localized, Localized]] = {
    "insufficient_bank_balance": (
        Localized("银行卡余额不足", "not enough money on the bank card"),
        Localized(
            "请确认银行卡余额充足后重新发起转账。",
            "Check the bank card's balance, then start the transfer again.",
        ),
    ),
    "insufficient_withdrawable": (
        Localized(
            "可取资金不足（当日卖出股票所得资金当日可用、下一交易日才可转出）",
            "not enough withdrawable cash (money from shares sold today can be used for trading "
            "today but withdrawn only from the next trading day)",
        ),
        Localized(
            "请按【资金】页显示的“可取资金”调整金额后重新转出。",
            "Use the withdrawable amount shown on the Funds page, then try again.",
        ),
    ),
    "outside_transfer_hours": (
        Localized("不在银证转账服务时间内", "outside bank-transfer hours"),
        Localized(
            "请在交易日的转账服务时间内重新发起（以App显示为准）。",
            "Please try again during transfer hours on a trading day (as shown in the app).",
        ),
    ),
    "wrong_password": (
        Localized("密码校验未通过", "the password check failed"),
        Localized(
            "请核对资金密码或银行密码后重试；忘记密码可在【我的】→【账户安全】中重置。"
            "任何人向您索要密码都请拒绝。",
            "Check your fund or bank password and try again; a forgotten password can be reset "
            "under Me → Security. Never give your password to anyone.",
        ),
    ),
    "bank_card_abnormal": (
        Localized("银行卡状态异常", "the bank card is not in normal use"),
        Localized(
            "请联系开户银行核实银行卡状态（如挂失、冻结或过期）。",
            "Please ask your bank to check the card (reported lost, frozen or expired).",
        ),
    ),
    "exceeds_limit": (
        Localized("超过转账限额", "over the transfer limit"),
        Localized(
            "可以分多笔或次日再转，限额以银行规定为准。",
            "You can split it into smaller transfers or try the next day; the bank sets the limit.",
        ),
    ),
    "bank_system_error": (
        Localized("银行系统处理失败", "the bank's system could not process it"),
        Localized(
            "请稍后重试；如银行卡已被扣款，请联系客服核实。",
            "Please try again later; if your card was debited, ask our staff to check.",
        ),
    ),
    "other": (
        Localized("其他原因", "another reason"),
        Localized(
            "如需了解详情，可以转人工客服核实。", "A member of our staff can look into it for you."
        ),
    ),
}


def _transfer_line(transfer: BankTransfer, context: _Context, written: _Written) -> str:
    direction = _DIRECTIONS[transfer.direction].text(context.language)
    card = f"{transfer.bank_name} {transfer.bank_card_masked}"
    head = f"· {context.moment(transfer.requested_at)} {direction} {context.money(transfer.amount)}"
    head = context.say(f"{head}（{card}）", f"{head} ({card})")
    written.facts.append(f"transfer:{transfer.transfer_id}")
    if transfer.status == "pending":
        written.notes.append(
            context.say(
                "处理中的转账：银行尚未返回结果，请不要重复发起，稍后可在"
                f"{_WHERE_IN_APP['transfers'].zh}查看结果。",
                "A transfer in progress is waiting for the bank's answer: please don't start it "
                f"again; see the result later under {_WHERE_IN_APP['transfers'].en}.",
            )
        )
        return context.say(f"{head}：处理中", f"{head}: in progress")
    if transfer.status == "succeeded":
        done = ""
        if transfer.completed_at is not None:
            completed = transfer.completed_at.astimezone(EXCHANGE_TIME)
            same_day = completed.date() == transfer.requested_at.astimezone(EXCHANGE_TIME).date()
            done = f"{completed:%H:%M}" if same_day else context.moment(completed)
        return context.say(
            f"{head}：已成功{f'（{done}）' if done else ''}",
            f"{head}: succeeded{f' ({done})' if done else ''}",
        )
    reason, next_step = _TRANSFER_FAILURES[transfer.failure_reason or "other"]
    because = reason.text(context.language)
    if transfer.failure_detail and context.zh:
        because = transfer.failure_detail  # the bank's own words say more than the category
    written.notes.append(next_step.text(context.language))
    return context.say(
        f"{head}：失败，原因是{because}，这笔资金没有划转",
        f"{head}: failed, {because}; no money was moved",
    )


def _narrowed(
    records: list[_R], keep: Callable[[_R], bool], if_none: str, written: _Written
) -> list[_R]:
    """The records ``keep`` accepts; when it accepts none of them, all, after saying so."""
    kept = [record for record in records if keep(record)]
    if records and not kept:
        written.lines.append(if_none)
    return kept or records


def _listed(
    written: _Written,
    records: list[_R],
    heading: str,
    empty: str,
    line: Callable[[_R], str],
    most: int = _MAX_LINES,
) -> _Written:
    """The first ``most`` records under a heading; ``empty`` when there are none."""
    if not records:
        written.lines.append(empty)
        return written
    written.lines.append(heading)
    written.lines += [line(record) for record in records[:most]]
    return written


def _recent(kind: str) -> Localized:
    days = _RECENT_DAYS[kind]
    return Localized(f"近{days}天", f"in the last {days} days")


async def _transfers(
    query: AccountQuery, investor_id: str, accounts: AccountSystem, context: _Context
) -> _Written | None:
    start, end = _window(query.when, context.today, _RECENT_DAYS["transfers"])
    recent_start = min(start, context.today - timedelta(days=_RECENT_DAYS["transfers"]))
    history = await accounts.transfers(investor_id, recent_start)
    if history is None:
        return None
    written = _Written()
    period = context.window_name(start, end)
    chosen = _narrowed(
        history.transfers,
        lambda t: start <= t.requested_at.astimezone(EXCHANGE_TIME).date() <= end,
        context.say(f"{period}没有银证转账记录。", f"No bank transfers {period}."),
        written,
    )
    if query.status == "failed":
        chosen = _narrowed(
            chosen,
            lambda t: t.status == "failed",
            context.say("近期没有失败的银证转账。", "None of your recent transfers failed."),
            written,
        )
    recent = _recent("transfers")
    return _listed(
        written,
        chosen,
        context.say("您的银证转账：", "Your bank transfers:"),
        context.say(f"{recent.zh}没有银证转账记录。", f"No bank transfers {recent.en}."),
        lambda t: _transfer_line(t, context, written),
        most=3,  # each transfer can bring its own next step: three keep the answer short
    )


_SIDES = {"buy": Localized("买入", "buy"), "sell": Localized("卖出", "sell")}
_ORDER_REASONS: Mapping[str, tuple[Localized, Localized | None]] = {
    "investor_cancelled": (Localized("您本人撤单", "you cancelled it"), None),
    "expired_end_of_day": (
        Localized("当日未成交，收盘后自动失效", "not filled by the close, so it lapsed"),
        None,
    ),
    "insufficient_funds": (
        Localized("可用资金不足", "not enough available cash"),
        Localized(
            "委托前可在【资金】页确认可用资金。",
            "Check the available cash on the Funds page first.",
        ),
    ),
    "insufficient_position": (
        Localized("可卖数量不足", "not enough shares available to sell"),
        Localized(
            "A股当日买入的股票下一交易日才能卖出，可卖数量以【持仓】页为准。",
            "A-shares bought today can be sold from the next trading day; the Holdings page "
            "shows what can be sold.",
        ),
    ),
    "price_limit": (
        Localized("委托价格超出当日涨跌幅限制", "the price was outside today's price limits"),
        Localized(
            "委托价格需在当日涨停价和跌停价之间。",
            "An order's price must be within the day's upper and lower price limits.",
        ),
    ),
    "no_permission": (
        Localized("账户未开通该证券所需的交易权限", "the account lacks the permission it needs"),
        Localized(
            f"可以问我“{{board}}开通条件”，或在{_WHERE_IN_APP['permissions'].zh}查看。",
            f"Ask me about the {{board}} requirements, or see {_WHERE_IN_APP['permissions'].en}.",
        ),
    ),
    "outside_trading_hours": (
        Localized("不在交易时间内委托", "placed outside trading hours"),
        Localized("请在交易时间内重新委托。", "Please place it again during trading hours."),
    ),
    "other": (
        Localized("其他原因", "another reason"),
        Localized(
            "如需了解详情，可以转人工客服核实。", "A member of our staff can look into it for you."
        ),
    ),
}


def _board_of(code: str) -> Localized:
    """The board a security trades on, read from its code, for "you need this permission"."""
    if code.startswith(("300", "301")):
        return LABELS["chinext"]
    if code.startswith(("688", "689")):
        return LABELS["star"]
    if code.startswith(("8", "4", "920")):
        return LABELS["bse"]
    return Localized("相应权限", "permission")


def _order_line(order: Order, context: _Context, written: _Written) -> str:
    side = _SIDES[order.side].text(context.language)
    price = (
        context.say(f"委托价{context.price(order.price)}", f"limit {context.price(order.price)}")
        if order.price
        else context.say("市价委托", "market order")
    )
    quantity = context.quantity(order.quantity, order.security_code)
    head = context.say(
        f"· {context.moment(order.placed_at)} {side} {order.security_name}（{order.security_code}）"
        f"{quantity}，{price}：",
        f"· {context.moment(order.placed_at)} {side} {order.security_name} "
        f"({order.security_code}) {quantity}, {price}: ",
    )
    written.facts.append(f"order:{order.order_id}")
    filled = context.quantity(order.filled_quantity, order.security_code)
    left = context.quantity(order.quantity - order.filled_quantity, order.security_code)
    average = context.price(order.average_fill_price) if order.average_fill_price else ""
    if order.status in ("pending", "partially_filled"):
        written.notes.append(
            context.say(
                "未成交的部分当日收盘后自动失效；如需撤单，可在【交易】→【撤单】操作。",
                "Whatever is not filled by the close lapses; to cancel it, use Trade → Cancel.",
            )
        )
    if order.status == "pending":
        return head + context.say("未成交，仍在排队", "not filled yet, still queued")
    if order.status == "partially_filled":
        return head + context.say(
            f"部分成交，已成交{filled}（均价{average}），剩余{left}仍在排队",
            f"partly filled: {filled} at an average {average}, {left} still queued",
        )
    if order.status == "filled":
        return head + context.say(f"全部成交，成交均价{average}", f"filled at an average {average}")
    reason, next_step = _ORDER_REASONS[order.reason or "other"]
    because = reason.text(context.language)
    if order.reason_detail and context.zh:
        because = order.reason_detail
    if next_step is not None:
        board = _board_of(order.security_code).text(context.language)
        written.notes.append(next_step.text(context.language).format(board=board))
    if order.status == "rejected":
        return head + context.say(f"废单，原因是{because}", f"rejected: {because}")
    if order.status == "partially_cancelled":
        return head + context.say(
            f"已成交{filled}（均价{average}），其余已撤单，原因是{because}",
            f"{filled} filled at an average {average}, the rest cancelled: {because}",
        )
    return head + context.say(f"已撤单，原因是{because}", f"cancelled: {because}")


def _matches(hint: str | None, code: str, name: str) -> bool:
    if hint is None:
        return True
    return hint == code or hint.lower() in name.lower()


async def _orders(
    query: AccountQuery, investor_id: str, accounts: AccountSystem, context: _Context
) -> _Written | None:
    start, end = _window(query.when or "today", context.today, _RECENT_DAYS["orders"])
    recent_start = min(start, context.today - timedelta(days=_RECENT_DAYS["orders"]))
    history = await accounts.orders(investor_id, recent_start)
    if history is None:
        return None
    written = _Written()
    period = context.window_name(start, end)
    chosen = _narrowed(
        history.orders,
        lambda o: start <= o.placed_at.astimezone(EXCHANGE_TIME).date() <= end,
        context.say(
            f"{period}没有委托，以下是最近的委托：", f"No orders {period}; your latest orders:"
        ),
        written,
    )
    if query.security:
        chosen = _narrowed(
            chosen,
            lambda o: _matches(query.security, o.security_code, o.security_name),
            context.say(
                f"没有找到与“{query.security}”相关的委托。",
                f"No order matches “{query.security}”.",
            ),
            written,
        )
    troubled = {
        "cancelled": ("cancelled", "partially_cancelled", "rejected"),
        "rejected": ("rejected",),
    }
    if query.status in troubled:
        chosen = _narrowed(
            chosen,
            lambda o: o.status in troubled[query.status or ""],
            context.say(
                "这些委托都没有被撤单或成为废单。",
                "None of these orders was cancelled or rejected.",
            ),
            written,
        )
    recent = _recent("orders")
    return _listed(
        written,
        chosen,
        context.say("您的委托：", "Your orders:"),
        context.say(f"{recent.zh}没有委托记录。", f"No orders {recent.en}."),
        lambda o: _order_line(o, context, written),
    )


def _ipo_line(subscription: IpoSubscription, context: _Context, written: _Written) -> str:
    code = subscription.security_code
    subscribed = context.quantity(subscription.subscribed_quantity, _ipo_unit_code(subscription))
    head = context.say(
        f"· {subscription.security_name}（{code}）：{context.day(subscription.subscribed_on)}申购"
        f"{subscribed}，",
        f"· {subscription.security_name} ({code}): subscribed {subscribed} "
        f"{context.day(subscription.subscribed_on)}, ",
    )
    written.facts.append(f"ipo:{code}:{subscription.subscribed_on.isoformat()}")
    if subscription.allotted_quantity is None:
        expected = (
            context.say(
                f"（预计{context.day(subscription.result_date)}公布）",
                f" (expected {context.day(subscription.result_date)})",
            )
            if subscription.result_date
            else ""
        )
        return head + context.say(
            f"中签结果尚未公布{expected}", f"results not published yet{expected}"
        )
    if subscription.allotted_quantity == 0:
        return head + context.say("未中签", "not allotted")
    allotted = context.quantity(subscription.allotted_quantity, _ipo_unit_code(subscription))
    due = context.money(subscription.amount_due)
    if subscription.paid:
        return head + context.say(
            f"中签{allotted}，已缴款{due}", f"allotted {allotted}, {due} paid"
        )
    deadline = subscription.payment_deadline
    assert deadline is not None  # the model requires one for an allotment
    if deadline < context.now:
        written.notes.append(
            context.say(
                "未按时足额缴款的部分视为放弃认购；多次放弃认购会在一段时间内影响新股和新债申购，"
                "具体以交易所规则为准。",
                "An allotment not fully paid in time counts as given up; giving up several times "
                "bars you from subscribing for a while under the exchanges' rules.",
            )
        )
        return head + context.say(
            f"中签{allotted}，应缴{due}，缴款截止时间{context.deadline(deadline)}已过，未缴款",
            f"allotted {allotted}, {due} was due by {context.deadline(deadline)} and was not paid",
        )
    written.notes.append(
        context.say(
            f"缴款：请在{context.deadline(deadline)}前确保资金账户内的可用资金不少于{due}，"
            "届时系统自动扣款；资金在银行卡里的，需先通过银证转账转入资金账户。"
            "资金不足的部分视为放弃认购。",
            f"To pay: have at least {due} available in your fund account by "
            f"{context.deadline(deadline)}; it is debited automatically. Money still on your "
            "bank card must be moved into the fund account first. Any shortfall counts as "
            "giving up that part of the allotment.",
        )
    )
    return head + context.say(
        f"中签{allotted}，应缴{due}，缴款截止{context.deadline(deadline)}，尚未缴款",
        f"allotted {allotted}, {due} due by {context.deadline(deadline)}, not paid yet",
    )


def _ipo_unit_code(subscription: IpoSubscription) -> str:
    # Subscription codes do not tell bonds from shares (733xxx is a bond, 732xxx a share).
    return "110000" if subscription.kind == "convertible_bond" else "600000"


def _ipo_order(subscription: IpoSubscription, now: datetime) -> tuple[int, int]:
    """Payment due first, then results awaited, then the rest; newest first within each."""
    due = (
        subscription.allotted_quantity
        and not subscription.paid
        and subscription.payment_deadline is not None
        and subscription.payment_deadline >= now
    )
    rank = 0 if due else 1 if subscription.allotted_quantity is None else 2
    return (rank, -subscription.subscribed_on.toordinal())


def _ipo_days(subscription: IpoSubscription) -> set[date]:
    """The days something happens to a subscription: subscribed, results out, payment due."""
    days = {subscription.subscribed_on}
    if subscription.result_date:
        days.add(subscription.result_date)
    if subscription.payment_deadline:
        days.add(subscription.payment_deadline.astimezone(EXCHANGE_TIME).date())
    return days


async def _ipo(
    query: AccountQuery, investor_id: str, accounts: AccountSystem, context: _Context
) -> _Written | None:
    start, end = _window(query.when, context.today, _RECENT_DAYS["ipo"])
    recent_start = min(start, context.today - timedelta(days=_RECENT_DAYS["ipo"]))
    history = await accounts.ipo_subscriptions(investor_id, recent_start)
    if history is None:
        return None
    written = _Written()
    period = context.window_name(start, end)
    # "今天要缴款吗" and "昨天打的新" both name a day: the one payment is due or subscribed on.
    chosen = _narrowed(
        sorted(history.subscriptions, key=lambda s: _ipo_order(s, context.now)),
        lambda s: any(start <= day <= end for day in _ipo_days(s)),
        context.say(
            f"{period}没有新股或新债申购相关的记录，以下是最近的申购：",
            f"Nothing about IPO subscriptions {period}; your latest subscriptions:",
        ),
        written,
    )
    if query.security:
        chosen = _narrowed(
            chosen,
            lambda s: _matches(query.security, s.security_code, s.security_name),
            context.say(
                f"没有找到与“{query.security}”相关的申购。",
                f"No subscription matches “{query.security}”.",
            ),
            written,
        )
    recent = _recent("ipo")
    return _listed(
        written,
        chosen,
        context.say("您的新股、新债申购：", "Your IPO subscriptions:"),
        context.say(
            f"{recent.zh}没有新股或新债申购记录。", f"No IPO or new-bond subscriptions {recent.en}."
        ),
        lambda s: _ipo_line(s, context, written),
    )


_PERMISSION_LABELS: Mapping[str, Localized] = {
    **LABELS,
    "options": Localized("股票期权", "stock options"),
}
_SEPARATELY_OPENED = ("chinext", "star", "bse", "stock_connect", "margin", "convertible_bond")


def _permission_label(code: str, name: str | None, context: _Context) -> str:
    label = _PERMISSION_LABELS.get(code)
    return label.text(context.language) if label else name or code


def _joined(items: Iterable[str], context: _Context) -> str:
    return context.say("、", ", ").join(items)


async def _permissions(
    query: AccountQuery, investor_id: str, accounts: AccountSystem, context: _Context
) -> _Written | None:
    granted = await accounts.permissions(investor_id)
    if granted is None:
        return None
    written = _Written()
    by_code = {grant.permission: grant for grant in granted.grants}
    written.facts += [f"permission:{code}" for code in by_code]
    where = _WHERE_IN_APP["permissions"].text(context.language)
    if query.board:
        label = _permission_label(query.board, None, context)
        grant = by_code.get(query.board)
        if grant is None:
            written.lines.append(
                context.say(
                    f"您的账户目前未开通{label}。如想了解开通条件，可以问我“{label}开通条件”，"
                    f"或在{where}查看。",
                    f"{label[0].upper()}{label[1:]} is not open on your account. To see what it "
                    "requires, ask me "
                    f"about the {label} requirements, or look under {where}.",
                )
            )
        else:
            on = (
                context.say(f"（开通日期：{context.full_date(grant.granted_on)}）", "")
                if grant.granted_on
                else ""
            )
            on_en = f" (since {context.full_date(grant.granted_on)})" if grant.granted_on else ""
            written.lines.append(
                context.say(
                    f"您已开通{label}{on}。",
                    f"{label[0].upper()}{label[1:]} is open on your account{on_en}.",
                )
            )
        return written
    if by_code:
        named = [
            _permission_label(code, grant.name, context)
            + (
                context.say(
                    f"（{context.full_date(grant.granted_on)}开通）",
                    f" (since {context.full_date(grant.granted_on)})",
                )
                if grant.granted_on
                else ""
            )
            for code, grant in by_code.items()
        ]
        written.lines.append(
            context.say(
                f"您已开通：{_joined(named, context)}。",
                f"Open on your account: {_joined(named, context)}.",
            )
        )
    missing = [
        _permission_label(code, None, context) for code in _SEPARATELY_OPENED if code not in by_code
    ]
    if missing:
        written.lines.append(
            context.say(
                f"您的账户尚未开通：{_joined(missing, context)}；沪深主板A股无需单独开通。",
                f"Not open on your account: {_joined(missing, context)}; main-board "
                "A-shares need no separate permission.",
            )
        )
    written.notes.append(
        context.say(
            f"想了解某项权限的开通条件，可以直接问我，或在{where}查看。",
            f"To see what a permission requires, ask me or look under {where}.",
        )
    )
    return written


async def _risk(
    query: AccountQuery, investor_id: str, accounts: AccountSystem, context: _Context
) -> _Written | None:
    assessment = await accounts.risk_assessment(investor_id)
    if assessment is None:
        return None
    written = _Written(facts=["risk_assessment"])
    where = _WHERE_IN_APP["risk"].text(context.language)
    if assessment.level is None:
        written.lines.append(
            context.say(
                f"您还没有完成风险承受能力测评，可在{where}完成。",
                f"You have not taken the risk tolerance assessment yet; you can take it under "
                f"{where}.",
            )
        )
        return written
    taken = (
        context.say(
            f"（{context.full_date(assessment.assessed_on)}测评）",
            f" (assessed {context.full_date(assessment.assessed_on)})",
        )
        if assessment.assessed_on
        else ""
    )
    written.lines.append(
        context.say(
            f"您的风险承受能力等级为{assessment.level}{taken}。",
            f"Your risk tolerance level is {assessment.level}{taken}.",
        )
    )
    expires = assessment.expires_on
    if expires is None:
        written.lines.append(
            context.say("系统中没有登记测评的有效期。", "No expiry date is on record for it.")
        )
        return written
    days_left = (expires - context.today).days
    if days_left < 0:
        written.lines.append(
            context.say(
                f"这次测评已于{context.full_date(expires)}到期，请在{where}重新测评；"
                "到期后，与风险等级相关的业务可能无法办理。",
                f"It expired on {context.full_date(expires)}: please take it again under "
                f"{where}; until then, services that depend on your risk level may be refused.",
            )
        )
    elif days_left <= RISK_ASSESSMENT_WARNING_DAYS:
        written.lines.append(
            context.say(
                f"有效期至{context.full_date(expires)}，还有{days_left}天到期，"
                f"请在到期前通过{where}重新测评。",
                f"It is valid until {context.full_date(expires)}, {days_left} days from now; "
                f"please take it again under {where} before then.",
            )
        )
    else:
        written.lines.append(
            context.say(
                f"有效期至{context.full_date(expires)}。",
                f"It is valid until {context.full_date(expires)}.",
            )
        )
    return written


_DOCUMENT_NAMES: Mapping[str, Localized] = {
    "resident_id": Localized("居民身份证", "resident ID card"),
    "passport": Localized("护照", "passport"),
    "hk_macao_permit": Localized(
        "港澳居民来往内地通行证", "Mainland Travel Permit for Hong Kong and Macao Residents"
    ),
    "taiwan_permit": Localized(
        "台湾居民来往大陆通行证", "Mainland Travel Permit for Taiwan Residents"
    ),
    "foreign_permanent_resident_id": Localized(
        "外国人永久居留身份证", "Foreign Permanent Resident ID Card"
    ),
}


def _document_line(document: IdDocument, context: _Context) -> str:
    name = _DOCUMENT_NAMES[document.kind].text(context.language)
    head = context.say(
        f"您登记的{name}（{document.number_masked}）",
        f"The {name} on file ({document.number_masked})",
    )
    expires = document.expires_on
    if expires is None:
        return context.say(f"{head}长期有效。", f"{head} is valid long-term.")
    update = context.say(
        "请通过【我的】→【个人资料】→【证件更新】上传新证件",
        "please upload the new one under Me → Personal details → Update ID",
    )
    days_left = (expires - context.today).days
    if days_left < 0:
        return context.say(
            f"{head}已于{context.full_date(expires)}过期，{update}；证件过期期间，账户的部分业务可能受限。",
            f"{head} expired on {context.full_date(expires)}: {update}. While it is expired, "
            "some services on your account may be restricted.",
        )
    if days_left <= ID_DOCUMENT_WARNING_DAYS:
        return context.say(
            f"{head}有效期至{context.full_date(expires)}，还有{days_left}天到期。换领新证后，{update}。",
            f"{head} is valid until {context.full_date(expires)}, {days_left} days from now. "
            f"Once you have a new one, {update}.",
        )
    return context.say(
        f"{head}有效期至{context.full_date(expires)}。",
        f"{head} is valid until {context.full_date(expires)}.",
    )


async def _id_expiry(
    query: AccountQuery, investor_id: str, accounts: AccountSystem, context: _Context
) -> _Written | None:
    on_file = await accounts.id_documents(investor_id)
    if on_file is None:
        return None
    written = _Written(facts=[f"id_document:{d.kind}" for d in on_file.documents])
    if not on_file.documents:
        where = _WHERE_IN_APP["id_expiry"].text(context.language)
        written.lines.append(
            context.say(
                f"系统中没有登记您的证件有效期，请在{where}核对。",
                f"No ID document's expiry date is on record; please check under {where}.",
            )
        )
    written.lines += [_document_line(document, context) for document in on_file.documents]
    return written


def _statement_period(query: AccountQuery, today: date) -> tuple[date, date]:
    yesterday = today - timedelta(days=1)
    if query.statement_kind == "asset_certificate":
        day = _window(query.when, today, 0)[1] if query.when else yesterday
        return (day, day)
    when = query.when if query.when not in (None, "recent") else "last_month"
    start, end = _window(when, today, 0)
    if when in ("this_month", "this_year", "this_week") and start < today:
        end = yesterday  # a statement covers settled days
    return (start, end)


async def _statement(
    query: AccountQuery, investor_id: str, accounts: AccountSystem, context: _Context
) -> _Written | None:
    kind = query.statement_kind or "statement"
    start, end = _statement_period(query.model_copy(update={"statement_kind": kind}), context.today)
    request = StatementRequest(kind=kind, period_start=start, period_end=end)
    receipt = await accounts.request_statement(investor_id, request)
    if receipt is None:
        return None
    written = _Written(facts=[f"statement_request:{receipt.request_id}"])
    ready = context.deadline(receipt.ready_by)
    if receipt.delivered_to_masked and receipt.delivery_channel == "email":
        to = context.say(
            f"发送到您登记的邮箱{receipt.delivered_to_masked}",
            f"sent to your e-mail address on file, {receipt.delivered_to_masked}",
        )
    elif receipt.delivered_to_masked:
        to = context.say(
            f"寄到您登记的地址（{receipt.delivered_to_masked}）",
            f"posted to your address on file ({receipt.delivered_to_masked})",
        )
    else:
        to = context.say(
            "发送到App【我的】→【消息中心】", "delivered to your Me → Messages inbox in the app"
        )
    if kind == "asset_certificate":
        what = context.say(
            f"资产证明申请（编号{receipt.request_id}），截至{context.full_date(receipt.period_end)}",
            f"I've filed a request for proof of assets (no. {receipt.request_id}) as of "
            f"{context.full_date(receipt.period_end)}",
        )
    else:
        what = context.say(
            f"对账单申请（编号{receipt.request_id}），期间为{context.full_date(receipt.period_start)}"
            f"至{context.full_date(receipt.period_end)}",
            f"I've filed a request for your statement (no. {receipt.request_id}) for "
            f"{context.full_date(receipt.period_start)} to {context.full_date(receipt.period_end)}",
        )
    written.lines.append(
        context.say(
            f"已为您提交{what}，预计{ready}前{to}。",
            f"{what}; it should be {to} by {ready}.",
        )
    )
    where = _WHERE_IN_APP["statement"]
    written.notes.append(
        context.say(
            f"如需其他日期，可以告诉我，或在{where.zh}自行选择。",
            f"For another date, tell me or choose it under {where.en}.",
        )
        if kind == "asset_certificate"
        else context.say(
            f"如需其他期间，可以告诉我，例如“帮我开今年的对账单”，或在{where.zh}自行选择。",
            "For another period, tell me (e.g. “send me this year's statement”) or choose it "
            f"under {where.en}.",
        )
    )
    return written


_Answerer = Callable[[AccountQuery, str, AccountSystem, _Context], Awaitable[_Written | None]]
_ANSWERS: Mapping[AccountQueryKind, _Answerer] = {
    "commission": _commission,
    "transfers": _transfers,
    "orders": _orders,
    "ipo": _ipo,
    "permissions": _permissions,
    "risk": _risk,
    "id_expiry": _id_expiry,
    "statement": _statement,
}
