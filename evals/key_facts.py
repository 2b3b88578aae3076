"""Key facts: the checkable facts of a text (amounts, dates, times, settlement cycles, named
terms), and how many of a reference answer's facts an answer states.

:func:`key_fact_recall` is the metric; :func:`key_facts` and :func:`missing_key_facts` show
what it counted. Texts are compared in :func:`knowledge.text.fold` form, as every metric in
:mod:`evals.metrics` compares them; an undefined recall (no facts in the reference) is ``None``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from knowledge.text import fold

FactKind = Literal["number", "time", "date", "settlement", "term"]


@dataclass(frozen=True)
class KeyFact:
    """One checkable fact in a text.

    ``text`` is the span found (for quantities, after NFKC and case folding);
    ``value`` the canonical form compared (``"100000"``, ``"9:30"``,
    ``"2024-01-05"``, ``"T+1"``, ``"风险揭示书"``); ``unit`` the canonical unit
    of a number, "" when it has none.
    """

    kind: FactKind
    text: str
    value: str
    unit: str = ""


def key_facts(text: str) -> list[KeyFact]:
    """Extract the key facts of a text without repeats: quantities, then terms, each in text order.

    A key fact is one of:

    * **settlement cycle**: ``T+n`` (``T + 1``, full-width ``Ｔ＋１`` too), value ``"T+n"``.
    * **date**: ``2024-01-05``, ``2024/1/5``, ``2024.1.5`` or ``2024年1月5日``,
      value ``"YYYY-MM-DD"``.
    * **time of day**: ``9:30``, ``09:30``, ``9:30 pm``, ``9点``, ``9点30分``,
      ``9点半``, ``下午3点``; value ``"H:MM"`` on a 24-hour clock (``"21:30"``,
      ``"9:00"``, ``"15:00"``).
    * **number**: digits with optional thousands commas and decimals, an
      optional currency prefix (``¥``, ``$``, ``HK$``, ``US$``, ``RMB``, ``CNY``,
      ``HKD``, ``USD``), an optional multiplier (``千``, ``万``, ``亿``,
      ``百万``, ``千万``, ``thousand``, ``million``, ``billion``) and an optional
      unit (``%``, ``‰``, ``bp``, ``元``, ``股``, ``手``, ``天``, ``个交易日``,
      ``trading days``, ``hours`` …; see ``_UNITS``). The value is the number
      times the multiplier with trailing zeros dropped (``10万元`` and
      ``100,000 yuan`` are both 100000 元; ``0.050%`` is 0.05 %); ``‰`` and
      ``bp`` are converted to ``%``; English plurals and Chinese/English
      synonyms share one canonical unit (``days`` = ``天``, ``shares`` = ``股``).
      Digits glued to ASCII letters (``v2``, ``A50``) are not numbers.
    * **named term**: text inside 《》「」『』【】“” or ASCII double quotes (up
      to 30 characters); an ASCII acronym of two or more capitals or digits
      with at least two capitals (``ETF``, ``IPO``, ``QFII``; not ``AM``/``PM``);
      a share class ``A股``/``B股``/``H股``; and a run of two or more
      capitalised English words (``Shanghai Stock Exchange``, ``Bank of
      China``), leading function words like "The" or "If" dropped.

    Unmarked Chinese terms (科创板) are not detected: quote them in the
    reference (「科创板」) or list them in ``must_include``.
    """
    facts: list[KeyFact] = []
    seen: set[tuple[str, str, str]] = set()
    for fact in [*_quantities(text), *_terms(text)]:
        key = (fact.kind, fact.value, fact.unit)
        if key not in seen:
            seen.add(key)
            facts.append(fact)
    return facts


def missing_key_facts(answer: str, reference: str) -> list[KeyFact]:
    """The reference's key facts that the answer does not state (see :func:`key_fact_recall`)."""
    answer_quantities = {(f.kind, f.value, f.unit) for f in _quantities(answer)}
    answer_numbers_by_value: set[str] = {
        value for kind, value, _ in answer_quantities if kind == "number"
    }
    normalised_answer = fold(answer)
    missing = []
    for fact in key_facts(reference):
        if fact.kind == "term":
            present = _term_in(fact.value, normalised_answer)
        elif fact.kind == "number" and not fact.unit:
            present = fact.value in answer_numbers_by_value
        else:
            present = (fact.kind, fact.value, fact.unit) in answer_quantities
        if not present:
            missing.append(fact)
    return missing


def key_fact_recall(answer: str, reference: str) -> float | None:
    """Share of the reference's key facts (see :func:`key_facts`) that the answer states.

    A quantity is stated when the answer contains a key fact of the same kind,
    value and unit; a reference number without a unit is matched by the same
    value with any unit or none ("300" in "创业板代码以300开头" is stated by
    "300开头" and by "300 shares"). A term is stated when it occurs in the
    normalised answer, at ASCII word boundaries where the term begins or ends
    with a letter or digit (so "ETF" is not found in "ETFS"). None when the
    reference has no key facts.
    """
    facts = key_facts(reference)
    if not facts:
        return None
    return 1.0 - len(missing_key_facts(answer, reference)) / len(facts)


_CURRENCY_PREFIXES: dict[str, str] = {
    "hk$": "hkd",
    "us$": "usd",
    "¥": "元",
    "$": "usd",
    "rmb": "元",
    "cny": "元",
    "hkd": "hkd",
    "usd": "usd",
}
_MULTIPLIERS: dict[str, Decimal] = {
    "千万": Decimal(10_000_000),
    "百万": Decimal(1_000_000),
    "万": Decimal(10_000),
    "亿": Decimal(100_000_000),
    "千": Decimal(1_000),
    "thousand": Decimal(1_000),
    "million": Decimal(1_000_000),
    "billion": Decimal(1_000_000_000),
}
# Surface unit (case-folded) -> canonical unit; "‰" and "bp" are rescaled to "%" below.
_UNITS: dict[str, str] = {
    "%": "%",
    "percent": "%",
    "per cent": "%",
    "‰": "‰",
    "bps": "bp",
    "bp": "bp",
    "基点": "bp",
    "元": "元",
    "块钱": "元",
    "块": "元",
    "人民币": "元",
    "yuan": "元",
    "rmb": "元",
    "cny": "元",
    "港元": "hkd",
    "港币": "hkd",
    "hkd": "hkd",
    "美元": "usd",
    "usd": "usd",
    "股": "股",
    "shares": "股",
    "share": "股",
    "手": "手",
    "lots": "手",
    "lot": "手",
    "个交易日": "交易日",
    "交易日": "交易日",
    "trading days": "交易日",
    "trading day": "交易日",
    "个工作日": "工作日",
    "工作日": "工作日",
    "business days": "工作日",
    "business day": "工作日",
    "working days": "工作日",
    "working day": "工作日",
    "自然日": "天",
    "天": "天",
    "calendar days": "天",
    "days": "天",
    "day": "天",
    "个小时": "小时",
    "小时": "小时",
    "hours": "小时",
    "hour": "小时",
    "分钟": "分钟",
    "minutes": "分钟",
    "minute": "分钟",
    "秒": "秒",
    "seconds": "秒",
    "second": "秒",
    "个月": "个月",
    "months": "个月",
    "month": "个月",
    "周岁": "岁",
    "岁": "岁",
    "years old": "岁",
    "年": "年",
    "years": "年",
    "year": "年",
    "周": "周",
    "weeks": "周",
    "week": "周",
    "倍": "倍",
    "times": "倍",
    "次": "次",
    "日": "日",
    "月": "月",
    "笔": "笔",
    "户": "户",
    "只": "只",
    "张": "张",
    "份": "份",
    "位": "位",
    "个": "个",
}


def _alternation(words: Iterable[str]) -> str:
    # Longest first, so "个交易日" wins over "日" and "trading days" over "days".
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_QUANTITY = re.compile(
    rf"""
    (?P<date>(?<![0-9])(?P<year>\d{{4}})(?:[-/.](?P<m1>\d{{1,2}})[-/.](?P<d1>\d{{1,2}})(?![0-9])
        |年(?P<m2>\d{{1,2}})月(?P<d2>\d{{1,2}})[日号]))
    |(?P<time>(?P<daypart>上午|早上|中午|下午|晚上|傍晚)?
        (?<![0-9:.])(?P<hour>\d{{1,2}})
        (?::(?P<minute>\d{{2}})(?![0-9])(?:\s?(?P<ampm>am|pm)(?![a-z]))?
         |[点时](?:(?P<cminute>\d{{1,2}})分|(?P<halfhour>半))?))
    |(?P<settlement>(?<![a-z])t\s?\+\s?(?P<days>\d+))
    |(?P<number>(?<![0-9a-z.])(?:(?P<currency>{_alternation(_CURRENCY_PREFIXES)})\s?)?
        (?P<digits>\d+(?:,\d{{3}})*(?:\.\d+)?)(?![0-9])
        (?:\s?(?P<multiplier>{_alternation(_MULTIPLIERS)})(?![a-z]))?
        (?:\s?(?P<unit>{_alternation(_UNITS)})(?![a-z]))?)
    """,
    re.VERBOSE,
)


def _quantities(text: str) -> list[KeyFact]:
    # A Chinese comma between numbers ("5，100") must not read as a thousands separator.
    prepared = unicodedata.normalize("NFKC", text.replace("，", "、")).casefold()
    prepared = " ".join(prepared.split())
    facts: list[KeyFact] = []
    for match in _QUANTITY.finditer(prepared):
        fact = _quantity(match)
        if fact is not None:
            facts.append(fact)
    return facts


def _quantity(match: re.Match[str]) -> KeyFact | None:
    span = match.group(0).strip()
    if match.group("date"):
        month = match.group("m1") or match.group("m2")
        day = match.group("d1") or match.group("d2")
        return KeyFact("date", span, f"{match.group('year')}-{int(month):02d}-{int(day):02d}")
    if match.group("time"):
        hour = int(match.group("hour"))
        minute = match.group("minute") or match.group("cminute") or "0"
        if match.group("halfhour"):
            minute = "30"
        daypart = match.group("daypart")
        afternoon = match.group("ampm") == "pm" or daypart in ("下午", "晚上", "傍晚")
        if afternoon and hour < 12:
            hour += 12
        if hour > 24 or int(minute) > 59:
            return None
        return KeyFact("time", span, f"{hour}:{int(minute):02d}")
    if match.group("settlement"):
        return KeyFact("settlement", span, f"T+{int(match.group('days'))}")
    value = Decimal(match.group("digits").replace(",", ""))
    multiplier = match.group("multiplier")
    if multiplier:
        value *= _MULTIPLIERS[multiplier]
    surface_unit = match.group("unit")
    unit = _UNITS[surface_unit] if surface_unit else ""
    if not unit and match.group("currency"):
        unit = _CURRENCY_PREFIXES[match.group("currency")]
    if unit == "‰":
        value, unit = value / 10, "%"
    elif unit == "bp":
        value, unit = value / 100, "%"
    return KeyFact("number", span, format(value.normalize(), "f"), unit)


_QUOTED_TERM = re.compile(
    r"《([^《》]{1,30})》|「([^「」]{1,30})」|『([^『』]{1,30})』|【([^【】]{1,30})】"
    r'|“([^“”]{1,30})”|"([^"]{1,30})"'
)
_ACRONYM = re.compile(r"(?<![A-Za-z0-9])[A-Z][A-Z0-9&]*[A-Z0-9](?![A-Za-z0-9])")
_SHARE_CLASS = re.compile(r"(?<![A-Za-z0-9])[ABH]股")
_CAPITALISED = r"(?:[A-Z][a-z]+|[A-Z]{2,})"
_NAME = re.compile(
    rf"(?<![A-Za-z]){_CAPITALISED}(?:\s(?:of|and|for|the)\s{_CAPITALISED}|\s{_CAPITALISED})+"
    r"(?![A-Za-z])"
)
# Times of day and currency codes: the quantity they belong to is the fact, not the code.
_NOT_ACRONYMS = frozenset({"AM", "PM", "OK", "HK", "US", "RMB", "CNY", "HKD", "USD"})
# Capitalised only because they open a sentence; dropped from the front of a name.
# fmt: off
_LEADING_FUNCTION_WORDS = frozenset({
    "a", "an", "the", "if", "in", "on", "at", "to", "for", "of", "and", "or", "but", "as", "by",
    "from", "with", "your", "our", "my", "you", "we", "i", "it", "this", "that", "these",
    "those", "please", "yes", "no", "after", "before", "when", "while", "during", "once",
    "each", "every", "all", "any", "some", "most", "more", "less", "also", "then", "so"
})
# fmt: on


def _terms(text: str) -> list[KeyFact]:
    text = unicodedata.normalize("NFKC", text)
    found: list[tuple[int, str]] = []
    for match in _QUOTED_TERM.finditer(text):
        term = next(g for g in match.groups() if g is not None).strip()
        if term:
            found.append((match.start(), term))
    for match in _ACRONYM.finditer(text):
        word = match.group(0)
        if sum(c.isupper() for c in word) >= 2 and word not in _NOT_ACRONYMS:
            found.append((match.start(), word))
    found.extend((m.start(), m.group(0)) for m in _SHARE_CLASS.finditer(text))
    for match in _NAME.finditer(text):
        words = match.group(0).split()
        start = match.start()
        while words and words[0].casefold() in _LEADING_FUNCTION_WORDS:
            start += len(words[0]) + 1
            words = words[1:]
        if len(words) >= 2:
            found.append((start, " ".join(words)))
    found.sort(key=lambda item: item[0])
    return [KeyFact("term", term, fold(term)) for _, term in found]


def _term_in(term: str, normalised_text: str) -> bool:
    left = r"(?<![a-z0-9])" if term[:1].isascii() and term[:1].isalnum() else ""
    right = r"(?![a-z0-9])" if term[-1:].isascii() and term[-1:].isalnum() else ""
    return re.search(left + re.escape(term) + right, normalised_text) is not None
