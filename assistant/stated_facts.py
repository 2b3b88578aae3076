"""Facts an investor states in a question, checked against the rules the flows use.

"我炒股3个月了 能开两融吗" deserves "not yet: margin needs 6 months of trading, you have 3",
not just the list of conditions. :func:`read_stated_facts` picks out trading experience,
assets, age, holding period and market value held for new shares; :func:`what_follows`
compares them with the permission rules and age limits of :mod:`assistant.flows.rules` (the
same tables the eligibility flow checks accounts against), the dividend-tax bands and the
subscription rules of :mod:`assistant.ipo_market_value`, and says what follows for this
investor, or nothing when no stated fact bears on the question. It only ever compares
figures; it never guesses the investor's account.
"""

from __future__ import annotations

import re
from dataclasses import asdict, astuple, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from assistant.dialogue_models import Language
from assistant.flows.account_opening import detect_age
from assistant.flows.rules import (
    ADULT_AGE,
    LABELS,
    MIN_ACCOUNT_AGE,
    PERMISSION_RULES,
    read_board,
)
from assistant.ipo_market_value import about_ipos, market_value_lines, read_market_values
from knowledge.text import CHINESE_NUMBER, chinese_number

_NUMBER = r"(\d+(?:\.\d+)?|[一两二三四五六七八九十半])"
_EXPERIENCE_ZH = re.compile(
    rf"(?:炒股|炒了|交易|做股票|入市|股龄|买股票|玩股票|开户|(?i:kh))[^，,。？?]{{0,4}}?{_NUMBER}\s*"
    r"(个月|个多月|年半|年多|年)|"
    rf"{_NUMBER}\s*(个月|年半|年)(?:的)?\s*(?:股龄|交易经验|炒股经验|(?i:trading\s+)?(?i:experience))"
)
_EXPERIENCE_EN = re.compile(
    r"(\d+(?:\.\d+)?)\s*(months?|mos?|years?|yrs?)\s*(?:of\s+)?(?:trading|experience|investing)|"
    r"(?:traded|trading|investing|invested)\s+(?:for\s+)?(?:about\s+|over\s+|almost\s+)?"
    r"(\d+(?:\.\d+)?)\s*(months?|mos?|years?|yrs?)\b",
    re.IGNORECASE,
)
# Experience told by the year it began ("21年开始炒股", "I started trading in 2021").
_SINCE_YEAR = re.compile(
    r"((?:19|20)?\d\d)年?(?:就)?(?:开始|开的户|开户|入市|入的市)(?:炒股|做股票|交易)?|"
    r"\b(?:started|began)\s+(?:trading|investing)\s+in\s+((?:19|20)\d\d)\b|"
    r"\b(?:trading|investing)\s+since\s+((?:19|20)\d\d)\b",
    re.IGNORECASE,
)

# An account opened long ago but never traded in: experience counts from the first trade.
_NEVER_TRADED = re.compile(
    # "2019年开户但一直没买过" (but not "还没买过科创板的票": other trades may count).
    r"(?:一直|从来|从|还|都|根本)没(?:有)?(?:买过|卖过|交易过|炒过|操作过|买卖过)(?:股票|股)?"
    r"(?=$|[\s，,。!！?？吗呢啊])|"
    r"第一次(?:炒股|买股票|投资股票)|"
    r"\bnever\s+(?:traded|bought\s+(?:any(?:thing)?|a\s+(?:stock|share)))\b|\bhaven'?t\s+traded\b|"
    r"\bfirst\s+time\s+(?:investing|trading|buying\s+(?:stocks|shares))\b",
    re.IGNORECASE,
)


_ASSETS_ZH = re.compile(
    # "my avg asset 大概 45w": the Chinese units after an English word too.
    r"(?:资产|资金|本金|账户|有|存了|放了|市值|(?i:\bassets?\b))[^，,。？?]{0,4}?"
    rf"(\d+(?:\.\d+)?|{CHINESE_NUMBER})\s*(?:多|来)?\s*(万|w|千)"
)
_ASSETS_EN = re.compile(
    r"(?:have|got|assets?\s+of|about|around)\s+(?:cny|rmb|¥)?\s*"
    r"(\d[\d,]*(?:\.\d+)?)\s*(k|thousand|million|m)?\b(?:\s*(?:yuan|rmb|cny))?",
    re.IGNORECASE,
)


_DEPOSIT_ZH = re.compile(
    r"(?:今天|今日|刚|刚刚|昨天|前天|临时|这两天|这几天)[^，,。？?]{0,6}?(?:存|转|打|充|入金)"
    rf"[^，,。？?0-9]{{0,6}}(\d+(?:\.\d+)?|{CHINESE_NUMBER})\s*(万|w|千)"
)
# "just deposited 50k", and the money about to go in too ("what if i deposit 20k today",
# "if i transfer in 2万"): a day's balance either way, not yet a 20-day average.
_DEPOSIT_EN = re.compile(
    r"\b(?:just\s+)?(?:deposit(?:ed)?|transfer(?:red)?\s+in|put\s+in|move[d]?\s+in|add(?:ed)?|"
    r"top(?:ped)?\s+up(?:\s+with)?)\s+(?:another\s+|an?\s+extra\s+)?(?:cny|rmb|¥)?\s*"
    r"(\d[\d,]*(?:\.\d+)?)\s*(?:(k|thousand|million|m|w)\b|(万))",
    re.IGNORECASE,
)


_HOLDING_ZH = re.compile(
    rf"(?:拿了|拿到|持有|持股|持仓|买了|放了|等到|满|过了|超过)[^，,。？?]{{0,3}}?{_NUMBER}\s*(天|日|个月|月|年)|"
    rf"{_NUMBER}\s*(天|个月|年)(?:再|后|以后|之后)?(?:卖|卖出|抛)"
)
_HOLDING_EN = re.compile(
    r"\b(?:held|holding|hold|kept|owned|had)\b[^.?!]{0,20}?\b(\d+)\s*(days?|months?|years?)|"
    r"\bsell\b[^.?!]{0,15}\bafter\s+(\d+)\s*(days?|months?|years?)",
    re.IGNORECASE,
)
_DIVIDEND = re.compile(r"红利|分红|股息|派息|dividend", re.IGNORECASE)
# Individual income tax on A-share dividends by holding period (财税〔2015〕101号): the
# share of the dividend taxed at 20%, as the effective rate.
_DIVIDEND_TAX_BANDS = ((30, "20%"), (365, "10%"))


_ASKS_ELIGIBILITY = re.compile(
    r"能不能|[能行].{0,8}[吗嘛么不][？?\s]*$|可以.{0,8}[吗嘛么不][？?\s]*$|可不可以|行不行|够不够|满足|符合|"
    r"条件|要求|门槛|资格"
    r"|多久|还差|\bcan i\b|\bam i\b|eligib|qualif|requirement|how long",
    re.IGNORECASE,
)
"""A question whose answer the facts stated earlier decide ("能开科创板吗" after "我炒股一年了");
other questions later in the conversation ("转债也是t+1吗") are not prefaced with them."""


@dataclass(frozen=True)
class StatedFacts:
    months_trading: float | None = None
    assets: Decimal | None = None
    age: int | None = None
    holding_days: int | None = None
    deposit: Decimal | None = None
    """Money just put in ("今天存了50万"), which is not yet a 20-day average."""
    sh_market_value: Decimal | None = None
    sz_market_value: Decimal | None = None
    """Market value held on each exchange, for new-share subscriptions ("我沪市有8000市值")."""

    def __bool__(self) -> bool:
        return any(v is not None for v in astuple(self))

    @property
    def market_values(self) -> dict[str, Decimal]:
        """The market value stated for each exchange ("sh", "sz"), where one was."""
        held = {"sh": self.sh_market_value, "sz": self.sz_market_value}
        return {code: value for code, value in held.items() if value is not None}

    def updated_by(self, newer: StatedFacts) -> StatedFacts:
        """These facts with what ``newer`` says instead, where it says something."""
        return StatedFacts(
            *(
                new if new is not None else old
                for old, new in zip(astuple(self), astuple(newer), strict=True)
            )
        )

    def to_record(self) -> dict[str, str]:
        """The stated facts as strings, to keep with the conversation."""
        return {k: str(v) for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_record(cls, record: dict[str, str]) -> StatedFacts:
        def read(name: str, kind: type[float] | type[int] | type[Decimal]) -> Any:
            value = record.get(name)
            return kind(value) if value is not None else None

        return cls(
            read("months_trading", float),
            read("assets", Decimal),
            read("age", int),
            read("holding_days", int),
            read("deposit", Decimal),
            read("sh_market_value", Decimal),
            read("sz_market_value", Decimal),
        )


def _number(token: str) -> float:
    """A figure as typed: "3", "2.5", "两", "十", "半"."""
    if token[0].isdigit():
        return float(token)
    return 0.5 if token == "半" else float(chinese_number(token) or 0)


def read_stated_facts(text: str) -> StatedFacts:
    """Trading experience, assets and age the message states about the investor."""
    months: float | None = None
    if match := _EXPERIENCE_ZH.search(text):
        amount, unit = (match[1], match[2]) if match[1] else (match[3], match[4])
        months = _number(amount) * (12 if unit.startswith("年") else 1) + 6 * (unit == "年半")
    elif match := _EXPERIENCE_EN.search(text):
        amount, unit = (match[1], match[2]) if match[1] else (match[3], match[4])
        months = float(amount) * (12 if unit.lower().startswith("y") else 1)
    if months is None and (match := _SINCE_YEAR.search(text)):
        year = int(next(group for group in match.groups() if group))
        year += 2000 if year < 100 else 0
        # Counted from the end of that year: never more experience than certain.
        today = date.today()
        if 1990 <= year < today.year:
            months = float((today.year - year - 1) * 12 + today.month)
    if _NEVER_TRADED.search(text):
        months = 0.0
    assets: Decimal | None = None
    if match := _ASSETS_ZH.search(text):
        amount = match[1] if match[1][0].isdigit() else chinese_number(match[1])
        if amount is not None:
            assets = Decimal(amount) * (10_000 if match[2] in ("万", "w") else 1_000)
    elif (match := _ASSETS_EN.search(text)) and match[2]:
        scale = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "million": 1_000_000}
        assets = Decimal(match[1].replace(",", "")) * scale[match[2].lower()]
    deposit = _deposit(text)
    if deposit is not None:
        assets = None  # "今天存了50万" is money just put in, not the average held
    held = read_market_values(text)
    return StatedFacts(
        months,
        assets,
        detect_age(text),
        _holding_days(text),
        deposit,
        held.get("sh"),
        held.get("sz"),
    )


def _deposit(text: str) -> Decimal | None:
    if match := _DEPOSIT_ZH.search(text):
        amount = match[1] if match[1][0].isdigit() else chinese_number(match[1])
        if amount is not None:
            return Decimal(amount) * (10_000 if match[2] in ("万", "w") else 1_000)
    if match := _DEPOSIT_EN.search(text):
        scale = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "million": 1_000_000}
        unit = (match[2] or match[3]).lower()
        return Decimal(match[1].replace(",", "")) * scale.get(unit, 10_000)  # w, 万
    return None


def _holding_days(text: str) -> int | None:
    if match := _HOLDING_ZH.search(text):
        amount, unit = (match[1], match[2]) if match[1] else (match[3], match[4])
        days = round(_number(amount) * {"天": 1, "日": 1, "个月": 30, "月": 30, "年": 365}[unit])
        beyond = (
            any(w in match.group(0) for w in ("超过", "过了")) or text[match.end() :][:1] == "多"
        )
        return days + 1 if beyond else days
    if match := _HOLDING_EN.search(text):
        amount, unit = (match[1], match[2]) if match[1] else (match[3], match[4])
        unit = unit.lower()
        days = 1 if unit.startswith("day") else 30 if unit.startswith("month") else 365
        return int(amount) * days
    return None


def _months(value: float, language: Language) -> str:
    if value >= 12 and value % 12 == 0:
        years = int(value // 12)
        return f"{years}年" if language == "zh" else f"{years} year{'s' * (years > 1)}"
    shown = f"{value:g}"
    return f"{shown}个月" if language == "zh" else f"{shown} months"


def _money(value: Decimal, language: Language) -> str:
    if language == "zh":
        return f"{(value / 10_000).normalize():f}万元"
    return f"CNY {value:,.0f}"


def what_follows(
    facts: StatedFacts, question: str, category: str | None, language: Language
) -> str | None:
    """What the stated facts mean for what the investor asks about, or None."""
    if not facts:
        return None
    read = read_board(question)
    board = read if isinstance(read, str) else None
    if board is None and category and category.startswith("permission_"):
        board = category.removeprefix("permission_")
    lines: list[str] = []
    if facts.market_values and about_ipos(question, category):
        lines += market_value_lines(facts.market_values, language)
    elif board is not None and board in PERMISSION_RULES:
        rule = PERMISSION_RULES[board]
        label = LABELS[board].text(language)
        if facts.deposit is not None and (facts.assets is None or facts.assets < rule.min_assets):
            # "what if i deposit 20k today, can i apply tmrw?": not yet, first; the rest after.
            lines.append(_deposit_line(facts.deposit, rule.min_assets, label, language))
        if facts.months_trading is not None and rule.min_months:
            lines.append(_experience_line(facts.months_trading, rule.min_months, label, language))
        if facts.assets is not None:
            lines.append(_assets_line(facts.assets, rule.min_assets, label, language))
        if lines:
            lines.append(_what_else(facts, rule.min_assets, rule.min_months, language))
    elif facts.age is not None and (category == "account_opening" or "开户" in question):
        lines.append(_age_line(facts.age, language))
    elif facts.holding_days is not None and (
        category == "dividend_tax" or _DIVIDEND.search(question) is not None
    ):
        lines.append(_dividend_tax_line(facts.holding_days, language))
    return "\n".join(line for line in lines if line) or None


def _dividend_tax_line(days: int, language: Language) -> str:
    rate = next((rate for limit, rate in _DIVIDEND_TAX_BANDS if days <= limit), None)
    if days == 365:
        # "拿满一年再卖就不扣了？": a full year is still in the 10% band; only more is exempt.
        if language == "zh":
            return (
                "持股期限超过1年再卖出，这笔股息红利暂免征收个人所得税；1个月以上至1年（含1年）的"
                "按10%补缴。刚好满1年时卖出仍按10%，要免税请持有超过1年再卖。"
            )
        return (
            "Held for more than a year before you sell, the dividend is exempt from individual "
            "income tax; held between one month and a year (a full year included), it is taxed "
            "at an effective 10%. Sold at exactly one year it is still 10%: hold it longer than "
            "a year to pay none."
        )
    if language == "zh":
        if rate is None:
            return f"按您说的持股{days}天（超过1年），这笔股息红利暂免征收个人所得税。"
        band = "不超过1个月" if days <= 30 else "1个月以上、不超过1年"
        return (
            f"按您说的持股{days}天（{band}），卖出时这笔股息红利按{rate}的实际税负补缴个人所得税。"
        )
    if rate is None:
        return f"Held {days} days (over a year), the dividend is exempt from individual income tax."
    band = "up to one month" if days <= 30 else "between one month and a year"
    return f"Held {days} days ({band}), the dividend is taxed at an effective {rate} when you sell."


def _experience_line(months: float, required: int, label: str, language: Language) -> str:
    have, need = _months(months, language), _months(required, language)
    if months >= required:
        if language == "zh":
            return f"按您说的交易经验{have}，已满足{label}要求的{need}交易经验。"
        return f"With {have} of trading, you meet the {need} of experience {label} requires."
    short = _months(required - months, language)
    if language == "zh":
        return f"按您说的交易经验{have}，暂时还不满足{label}要求的{need}交易经验，还差约{short}。"
    return (
        f"Not yet: {label} requires {need} of trading experience and you have {have}, "
        f"about {short} short."
    )


def _what_else(facts: StatedFacts, min_assets: Decimal, min_months: int, language: Language) -> str:
    """What the stated facts leave open: the other figure, or, with both met, the steps the
    application itself checks."""
    months, assets = facts.months_trading, facts.assets
    if assets is None and facts.deposit is None:
        need = _money(min_assets, language)
        if language == "zh":
            return f"另需申请前20个交易日日均资产不低于{need}。"
        return f"You also need a daily average of at least {need} over the 20 trading days before."
    if months is None and min_months:
        need = _months(min_months, language)
        return (
            f"另需交易经验满{need}。" if language == "zh" else f"You also need {need} of trading."
        )
    if assets is not None and assets >= min_assets and (months is None or months >= min_months):
        if language == "zh":
            return "风险测评、签署风险揭示书等其余要求，以申请时系统校验为准。"
        return "The rest (risk assessment, signing the risk disclosure) is checked when you apply."
    return ""


def _deposit_line(deposit: Decimal, required: Decimal, label: str, language: Language) -> str:
    have, need = _money(deposit, language), _money(required, language)
    if language == "zh":
        return (
            f"还不能马上申请。按您说的刚存入{have}：{label}看的是申请前20个交易日的日均资产，"
            f"不是某一天的余额，刚存入的资金要在账户里留足时间，使日均达到{need}后才能申请。"
        )
    return (
        f"Not yet: money just deposited does not count at once. {label[:1].upper()}{label[1:]} "
        f"looks at the daily "
        f"average over the 20 trading days before you apply, so the {have} must stay long enough "
        f"for that average to reach {need}."
    )


def _assets_line(assets: Decimal, required: Decimal, label: str, language: Language) -> str:
    have, need = _money(assets, language), _money(required, language)
    if assets >= required:
        if language == "zh":
            return (
                f"按您说的资产{have}，达到{label}要求的前20个交易日日均{need}（以日均计算为准）。"
            )
        return (
            f"With {have} you reach the {need} daily average over 20 trading days that "
            f"{label} requires (it is the daily average that counts)."
        )
    if language == "zh":
        return f"按您说的资产{have}，还达不到{label}要求的前20个交易日日均{need}。"
    return (
        f"With {have} you are below the {need} daily average over 20 trading days that "
        f"{label} requires."
    )


def _age_line(age: int, language: Language) -> str:
    if age < MIN_ACCOUNT_AGE:
        if language == "zh":
            return f"按您说的{age}周岁：未满{MIN_ACCOUNT_AGE}周岁暂时不能开立证券账户。"
        return f"At {age}: under {MIN_ACCOUNT_AGE}, a securities account cannot be opened yet."
    if age < ADULT_AGE:
        if language == "zh":
            return (
                f"按您说的{age}周岁：需要能证明以自己的劳动收入为主要生活来源，才可以开户，"
                "一般需临柜办理。"
            )
        return (
            f"At {age}: you can open an account only if your own earnings are your main "
            "income, usually in person at a branch."
        )
    if language == "zh":
        return f"按您说的{age}周岁，符合开户的年龄要求。"
    return f"At {age}, you meet the age requirement for opening an account."


def asks_eligibility(question: str) -> bool:
    """Whether ``question`` asks something the investor's stated facts decide: whether they
    can, qualify, or how long until they do."""
    return _ASKS_ELIGIBILITY.search(question) is not None
