"""Reading a question about the investor's *own* account out of what they typed.

:func:`detect_account_query` recognises "what is my commission rate?", "我昨天转的钱到了没",
"did I win the IPO?" — in Chinese, English or a mix of both — and says which
part of the account it is about, with any detail the text gives (a security,
a day, a board). A question about the rules ("佣金一般是多少", "银证转账多久到账",
"how do I pay for an allotment?") is *not* an account query: it goes to the FAQ.

Precision matters more than recall: a wrong "account query" answers a rules
question with the investor's figures, while a missed one still gets the FAQ. So a
question fires only when

* it names a part of the account (the *topic*: 佣金, 转账, 委托, 中签, ...),
* it is about the investor's own records: a status asked about (到了没, 成交了吗,
  did I win, 开通了吗), a possessive (我的, my), an own past action (我昨天转的,
  I transferred) or a plain first person with nothing general about it,
* nothing marks it as general (一般, 怎么开通, 如果, what happens if, requirements,
  how do I ...), as a change request (能降佣金吗), as advice (适合买什么), as about
  someone else (我老婆的账户), or as a wish to apply (我想开通创业板: the
  eligibility flow's job),
* and exactly one part of the account fits; two are left to the FAQ and the person.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from assistant.account_query_rules import (
    ACCOUNT_QUERY_KINDS,
    NOT_MINE,
    AccountQueryKind,
    any_of,
    compile_pattern,
    fitting_kinds,
)
from assistant.accounts import (
    CommissionProduct,
    IpoKind,
    StatementKind,
    StatementLanguage,
    TransferDirection,
)
from assistant.boards import read_board
from intents.flow_engine import normalise
from knowledge.text import AMOUNT_UNITS, join_han
from text.language import CJK_CHARACTERS
from text.patterns import LazyPattern, TextPattern

__all__ = [
    "ACCOUNT_QUERY_KINDS",
    "AccountQuery",
    "AccountQueryKind",
    "DateWord",
    "StatusHint",
    "detect_account_query",
]


DateWord = Literal[
    "today",
    "yesterday",
    "day_before_yesterday",
    "this_week",
    "last_week",
    "this_month",
    "last_month",
    "this_year",
    "last_year",
    "recent",
]
StatusHint = Literal["failed", "cancelled", "rejected"]


class AccountQuery(BaseModel):
    """An investor asking about their own account, and the details their words give."""

    model_config = ConfigDict(frozen=True)

    kind: AccountQueryKind
    security: str | None = None
    """A six-digit code, or a name as typed ("茅台"); orders and IPO only."""
    when: DateWord | None = None
    board: str | None = None
    """A permission named in the text (chinext, star, ...); permissions only."""
    product: CommissionProduct | None = None
    """Commission only: the one product asked about (ETF, convertible bonds, ...)."""
    statement_kind: StatementKind | None = None
    statement_language: StatementLanguage | None = None
    status: StatusHint | None = None
    """What went wrong, as the investor puts it: a failed transfer, a cancelled order, ..."""
    direction: TransferDirection | None = None
    """Transfers only: the way the money went, as the investor says ("转出了5000")."""
    amount: Decimal | None = None
    """Transfers only: the sum the investor names, in CNY."""
    ipo_kind: IpoKind | None = None
    """IPO only: new shares or new bonds, where the words name one ("昨天申的那个新股")."""


def _squeeze(text: str) -> str:
    """Normalised, with the spaces investors type between Chinese words taken out."""
    return join_han(normalise(text))


def detect_account_query(text: str) -> AccountQuery | None:
    """The account question in ``text``, or ``None`` for anything else (a rules question,
    small talk, a request to change something, two parts of the account at once)."""
    squeezed = _squeeze(text)
    if not squeezed or NOT_MINE.search(squeezed):
        return None
    kinds = fitting_kinds(squeezed)
    if len(kinds) != 1:
        return None
    kind = kinds[0]
    return AccountQuery(
        kind=kind,
        security=_security(squeezed) if kind in ("orders", "ipo") else None,
        when=_when(squeezed),
        board=_board(text) if kind == "permissions" else None,
        product=_product(squeezed) if kind == "commission" else None,
        statement_kind=_statement_kind(squeezed) if kind == "statement" else None,
        statement_language=_statement_language(squeezed) if kind == "statement" else None,
        status=_status(squeezed, kind),
        direction=_direction(squeezed) if kind == "transfers" else None,
        amount=_amount(squeezed) if kind == "transfers" else None,
        ipo_kind=_ipo_kind(squeezed) if kind == "ipo" else None,
    )


_DATE_WORDS: tuple[tuple[LazyPattern, DateWord], ...] = (
    (any_of(r"前天", r"\bday before yesterday\b"), "day_before_yesterday"),
    (any_of(r"昨天|昨日|昨晚", r"\byesterday\b"), "yesterday"),
    (
        any_of(
            r"今天|今日|今早|刚才|刚刚|刚(?=[转挂下打买卖申提存])|上午|下午|早上|中午",
            r"\btoday\b|\btoday's\b|\bthis morning\b|\bthis afternoon\b|\bjust now\b",
        ),
        "today",
    ),
    (any_of(r"上周|上个?星期|上个?礼拜", r"\blast week\b"), "last_week"),
    (any_of(r"这周|本周|这个?星期", r"\bthis week\b"), "this_week"),
    (any_of(r"上个?月", r"\blast month\b"), "last_month"),
    (any_of(r"这个月|本月", r"\bthis month\b"), "this_month"),
    (any_of(r"今年|本年", r"\bthis year\b"), "this_year"),
    (any_of(r"去年|上一年", r"\blast year\b"), "last_year"),
    (
        any_of(r"最近|近期|这几天|前几天", r"\brecent(?:ly)?\b|\blately\b|\blatest\b|\blast\b"),
        "recent",
    ),
)


def _when(text: str) -> DateWord | None:
    for pattern, word in _DATE_WORDS:
        if pattern.search(text):
            return word
    return None


_CODE = compile_pattern(
    r"(?<![0-9])(?:sh|sz|bj)?\.?([0-9]{6})(?![0-9])(?!\s*(?:元|块|股|张|手|份|万|亿|%))"
)
_ZH_NAME = (
    re.compile(
        r"(?:挂的|买的|卖的|下的|委托的|申购的|抢的|买入的|卖出的|那只|那支|那个)"
        rf"(?P<name>[{CJK_CHARACTERS}a-z]{{2,8}}?)"
        r"(?=的|成交|委托|订单|单子|单|挂单|中签|中了|中没中|有没有|怎么|为什么|没|了|吗|呢|[，,。？?！!\s]|$)"
    ),
    re.compile(
        rf"我的?(?P<name>[{CJK_CHARACTERS}a-z]{{2,8}}?)(?=的?(?:单子|委托|订单|买单|卖单|挂单)|成交|中签|中了)"
    ),
    # Named after the question, on its own: "今天那笔order成交没 茅台那个".
    re.compile(
        # (spaces are squeezed out between Chinese words: a closing 没/吗/呢/了 ends a clause)
        rf"(?:^|(?<=[，,。？?！!\s没吗呢了]))(?P<name>[{CJK_CHARACTERS}a-z]{{2,8}}?)"
        r"(?:那个|那只|那支|那笔)"
        r"(?=[，,。？?！!\s]|$)"
    ),
)
_EN_NAME = (
    compile_pattern(
        r"\bmy (?P<name>[a-z][a-z0-9&.-]{1,20}) (?:buy |sell )?(?:order|trade|ipo|allotment|"
        r"subscription)s?\b"
    ),
    compile_pattern(r"\border (?:for|of|on|in) (?:the )?(?P<name>[a-z0-9][a-z0-9&.-]{1,20})\b"),
    compile_pattern(
        r"\b(?:win|won|get|got) (?:the |any )?(?P<name>[a-z0-9][a-z0-9&.-]{1,20}) ipo\b"
    ),
)
_LEADING_FILLER = re.compile(
    r"^(?:今天|昨天|前天|刚才|刚刚|上午|下午|早上|上周|这周|本周|上个?月|这个月|本月|最近|前几天|"
    r"那只|那个|这只|这个|挂的|买的|卖的|买了|卖了|挂了|下了)+"
)
_TRAILING_FILLER = re.compile(r"(?:那个|那只|那支|这个|这只)$")
# A "name" holding one of these is the investor's words for the record, not a security.
_RECORD_WORDS = re.compile(r"打新|新股|新债|申购|委托|订单|单子|股票|转账|钱|成交")
_NOT_A_NAME = frozenset(
    [
        "委托",
        "订单",
        "单子",
        "股票",
        "新股",
        "新债",
        "转债",
        "钱",
        "单",
        "买单",
        "卖单",
        "挂单",
        "东西",
        "票",
        "那个",
        "这个",
        "一笔",
        "全部",
        "今天",
        "昨天",
        "buy",
        "sell",
        "last",
        "latest",
        "recent",
        "limit",
        "market",
        "first",
        "new",
        "pending",
        "stock",
        "share",
        "shares",
        "the",
        "a",
        "an",
        "today's",
        "yesterday's",
        "order",
        "orders",
        "ipo",
    ]
)


def _security(text: str) -> str | None:
    if code := _CODE.search(text):
        return code.group(1)
    # "打的新" is 打新 (subscribing to new shares), not a security called 新...
    text = re.sub(r"打的?新", "打新", text)
    patterns: tuple[TextPattern, ...] = (*_ZH_NAME, *_EN_NAME)
    for pattern in patterns:
        if found := pattern.search(text):
            name = _LEADING_FILLER.sub("", found.group("name"))
            name = _TRAILING_FILLER.sub("", name).strip()
            if len(name) >= 2 and name not in _NOT_A_NAME and not _RECORD_WORDS.search(name):
                return name
    return None


def _board(text: str) -> str | None:
    board = read_board(text)
    return board if isinstance(board, str) else None


_PRODUCTS: Mapping[CommissionProduct, LazyPattern] = {
    "etf": any_of(r"\betfs?\b|etf"),
    "convertible_bond": any_of(r"可转债|转债|\bconvertible"),
    "stock_connect": any_of(r"港股通|港股|\bstock connect\b|\bhong kong\b|\bhk\b"),
    "a_share": any_of(r"a股|股票|\ba-?shares?\b|\bstocks?\b"),
}


def _product(text: str) -> CommissionProduct | None:
    named = [product for product, pattern in _PRODUCTS.items() if pattern.search(text)]
    return named[0] if len(named) == 1 else None


_IPO_KINDS: Mapping[IpoKind, LazyPattern] = {
    "stock": any_of(r"新股|申购的?股票|\bxg\b", r"\bnew shares?\b|\bipo (?:stock|share)s?\b"),
    "convertible_bond": any_of(r"新债|可转债|转债|kzz", r"\bbonds?\b|\bconvertibles?\b"),
}


def _ipo_kind(text: str) -> IpoKind | None:
    named = [kind for kind, pattern in _IPO_KINDS.items() if pattern.search(text)]
    return named[0] if len(named) == 1 else None


def _statement_kind(text: str) -> StatementKind:
    certificate = any_of(r"证明", r"\bproof\b|\bcertificate\b")
    return "asset_certificate" if certificate.search(text) else "statement"


_BOTH_LANGUAGES = any_of(r"中英文|中英双语|双语|中英对照", r"\bbilingual\b|\bchinese and english\b")
_ENGLISH = any_of(r"英文|英语", r"\benglish\b")


def _statement_language(text: str) -> StatementLanguage | None:
    """The document's language when the message names one ("要英文版的")."""
    if _BOTH_LANGUAGES.search(text):
        return "zh_en"
    return "en" if _ENGLISH.search(text) else None


_FAILED = any_of(r"失败|没成功|不成功|转不|被退|退回", r"\bfail|\bbounced\b")
_REJECTED = any_of(r"废单|被拒|拒绝", r"\brejected\b")
_CANCELLED = any_of(r"撤", r"\bcancel")


_DIRECTION_WORDS: Mapping[TransferDirection, LazyPattern] = {
    "securities_to_bank": any_of(
        r"转出|转到银行|转回银行|转去银行|转银行卡|到银行卡|取出|取钱|提现|出金",
        r"从(?:证券|股票账户|资金账户|券商)[^，,。？?]{0,12}转|转了?[^，,。？?]{0,10}?(?:到|回|去)银行",
        r"\btransfer(?:red|ring)?\s+out\b|\bwithdr[ae]w\w*|\bto\s+(?:my\s+)?(?:bank|card)\b",
    ),
    "bank_to_securities": any_of(
        r"转入|转进|存入|存进|入金|转到证券|转到股票账户|银行转证券",
        r"从银行[^，,。？?]{0,12}转|转了?[^，,。？?]{0,10}?(?:到证券|到股票账户|进来|过来)",
        r"\btransfer(?:red|ring)?\s+in\b|\bdeposit\w*|\bfrom\s+(?:my\s+)?bank\b",
        # the bank named ("moved 20k from icbc to my stock acct")
        r"\bfrom\s+(?:my\s+)?(?:icbc|ccb|boc|abc|bocom|cmb|[a-z]+\s+bank)\b|"
        r"\bto\s+(?:my\s+)?(?:stock|brokerage|securities|trading)\s+(?:acc(?:oun)?t|acct)\b",
    ),
}
# A sum with its unit ("5000块", "5万", "3w", "20k", "5,000元"); a bare number may be a date.
_AMOUNT = compile_pattern(
    r"(?<![0-9.,])([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+(?:\.[0-9]+)?)\s*(万|w|千|k)?\s*"
    r"(元|块|rmb|yuan|cny)?(?![0-9a-z])"
)


def _direction(text: str) -> TransferDirection | None:
    named = [way for way, pattern in _DIRECTION_WORDS.items() if pattern.search(text)]
    return named[0] if len(named) == 1 else None


# A bare number moved somewhere ("转了5000到银行"): a sum, though it has no unit.
_AMOUNT_MOVED = compile_pattern(r"转了?\s*([0-9]+(?:\.[0-9]+)?)\s*(?=到|进|出|去|回|过)")


def _amount(text: str) -> Decimal | None:
    if moved := _AMOUNT_MOVED.search(text):
        return Decimal(moved.group(1))
    for found in _AMOUNT.finditer(text):
        number, scale, currency = found.groups()
        if scale or currency:
            return Decimal(number.replace(",", "")) * AMOUNT_UNITS.get(scale or "", 1)
    return None


def _status(text: str, kind: AccountQueryKind) -> StatusHint | None:
    if kind == "transfers" and _FAILED.search(text):
        return "failed"
    if kind == "orders":
        if _REJECTED.search(text):
            return "rejected"
        if _CANCELLED.search(text):
            return "cancelled"
        if _FAILED.search(text):
            return "rejected"
    return None
