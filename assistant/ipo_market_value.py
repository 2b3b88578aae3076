"""The market value an investor says they hold, read against the new-share subscription rules.

"我沪市有8000市值能申吗" deserves "not yet: Shanghai needs 10,000 of Shanghai market value",
and "深市还有6000 加起来够了吧" that the two exchanges are counted apart. The rules are the
exchanges' online-subscription rules (上交所《上海市场首次公开发行股票网上发行实施细则》,
深交所《深圳市场首次公开发行股票网上发行实施细则》): an investor may subscribe on an exchange
only with at least 10,000 yuan of its non-restricted A-share market value (the daily average
over the 20 trading days up to T-2); Shanghai gives one subscription unit of 1,000 shares per
10,000 yuan, Shenzhen one unit of 500 shares per 5,000 yuan; the two are never combined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from assistant.dialogue_models import Language
from knowledge.text import AMOUNT_UNITS, CHINESE_NUMBER, chinese_number

MIN_MARKET_VALUE = Decimal(10_000)


@dataclass(frozen=True)
class _Exchange:
    zh: str
    en: str
    per_unit: Decimal  # market value per subscription unit
    unit_shares: int


EXCHANGES = {
    "sh": _Exchange("沪市", "Shanghai", Decimal(10_000), 1_000),
    "sz": _Exchange("深市", "Shenzhen", Decimal(5_000), 500),
}

_NAMES = {"沪市": "sh", "上海": "sh", "上交所": "sh", "深市": "sz", "深圳": "sz", "深交所": "sz"}
_HELD_ZH = re.compile(
    r"(沪市|上海|上交所|深市|深圳|深交所)(?:市场|a股|A股)?[^，,。？?\d]{0,6}?"
    rf"(\d+(?:\.\d+)?|{CHINESE_NUMBER})\s*(万|w|千|k)?(?:元|块)?"
)
_HELD_EN = re.compile(
    r"\b(shanghai|shenzhen|sh|sz)\b[^.?!\d]{0,25}?(\d[\d,]*(?:\.\d+)?)\s*(k|w)?\b|"
    r"(\d[\d,]*(?:\.\d+)?)\s*(k|w)?\s*(?:yuan\s+|rmb\s+|cny\s+)?(?:of\s+)?(?:market\s+value\s+)?"
    r"(?:in|on)\s+(?:the\s+)?(shanghai|shenzhen|sh|sz)\b",
    re.IGNORECASE,
)
_ABOUT_IPOS = re.compile(r"新股|打新|申购|中签|新债|市值|\bipos?\b|subscri|market value", re.I)


def about_ipos(question: str, category: str | None) -> bool:
    return category == "ipo_subscription" or _ABOUT_IPOS.search(question) is not None


def read_market_values(text: str) -> dict[str, Decimal]:
    """The market value held on each exchange that ``text`` states ("沪市有8000")."""
    held: dict[str, Decimal] = {}
    for match in _HELD_ZH.finditer(text):
        amount = match[2] if match[2][0].isdigit() else chinese_number(match[2])
        if amount is not None:
            value = Decimal(amount) * AMOUNT_UNITS.get((match[3] or "").lower(), 1)
            if value >= 100:  # "深市3只" is no market value
                held[_NAMES[match[1]]] = value
    for match in _HELD_EN.finditer(text):
        name, amount, unit = (match[1], match[2], match[3]) if match[1] else match.group(6, 4, 5)
        value = Decimal(amount.replace(",", "")) * AMOUNT_UNITS.get((unit or "").lower(), 1)
        if value >= 100:
            held["sh" if name.lower() in ("shanghai", "sh") else "sz"] = value
    return held


def market_value_lines(held: dict[str, Decimal], language: Language) -> list[str]:
    """What the stated market values allow, exchange by exchange."""
    lines = [_line(code, value, language) for code, value in sorted(held.items())]
    if len(held) > 1:
        lines.append(
            "沪深两市的市值分别计算，不能合并使用。"
            if language == "zh"
            else "Shanghai and Shenzhen market values are counted separately and never combined."
        )
    return lines


def _line(code: str, value: Decimal, language: Language) -> str:
    exchange = EXCHANGES[code]
    shown = f"{value.normalize():f}" if language == "zh" else f"{value:,.0f}"
    if value < MIN_MARKET_VALUE:
        if language == "zh":
            return (
                f"按您说的{exchange.zh}市值{shown}元：申购{exchange.zh}新股需要T-2日前20个交易日"
                f"日均持有{exchange.zh}非限售A股市值1万元以上，暂时还不能申购{exchange.zh}新股。"
            )
        return (
            f"With {shown} yuan of {exchange.en} market value you cannot subscribe to {exchange.en}"
            f" IPOs yet: it takes at least 10,000 yuan of {exchange.en} non-restricted A-share "
            "market value (daily average over the 20 trading days up to T-2)."
        )
    units = int(value // exchange.per_unit)
    shares = units * exchange.unit_shares
    per = f"{exchange.per_unit.normalize():f}" if language == "zh" else f"{exchange.per_unit:,.0f}"
    if language == "zh":
        return (
            f"按您说的{exchange.zh}市值{shown}元：可以申购{exchange.zh}新股，每{per}元市值可申购"
            f"{exchange.unit_shares}股，约可申购{shares}股（按T-2日前20个交易日日均市值计算，"
            "且不超过每只新股公告的申购上限）。"
        )
    return (
        f"With {shown} yuan of {exchange.en} market value you can subscribe to {exchange.en} "
        f"IPOs: each {per} yuan allows {exchange.unit_shares:,} shares, about {shares:,} shares in "
        "all (from the daily average over the 20 trading days up to T-2, and never above each "
        "issue's cap)."
    )
