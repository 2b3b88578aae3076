"""Evaluation metrics: plain functions on plain lists.

Conventions shared by every function here:

* A metric that is undefined for its input (no cases, no relevant ids, a 0/0
  ratio) returns ``None``, never 0.0 or NaN, so that "not measured" can never
  pass for "perfect" or "terrible". The regression gate treats a missing metric
  as a failure.
* Parallel inputs (gold and predicted labels, rankings and relevant ids) must
  have equal lengths; otherwise :class:`~evals.errors.MetricInputError` (also a
  ``ValueError``) is raised, as it is for a ``k`` below 1 or a percentile
  outside 0..100.
* Text comparisons normalise both sides the same way: Unicode NFKC (full-width
  letters, digits and punctuation become their ASCII forms), case folding, and
  runs of whitespace collapsed to one space.

Nothing here computes embeddings: groundedness takes the similarity function
as an argument, and the runner injects one backed by the product's embedder.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, NamedTuple

from evals.errors import MetricInputError
from knowledge.text import fold

Similarity = Callable[[str, str], float]
"""Scores how well a passage supports a sentence; higher means more support."""


@dataclass(frozen=True)
class BinaryScores:
    """Precision, recall and F1 of one positive class, with the counts behind them.

    ``precision`` is None when nothing was predicted positive, ``recall`` is None
    when nothing is positive in gold, and ``f1`` (computed as
    ``2·TP / (2·TP + FP + FN)``, equal to the harmonic mean wherever both are
    defined) is None only when neither gold nor prediction has a positive.
    """

    precision: float | None
    recall: float | None
    f1: float | None
    true_positives: int
    false_positives: int
    false_negatives: int


class Confusion(NamedTuple):
    """How often cases of one gold label were predicted as another label."""

    gold: str
    predicted: str
    occurrences: int


@dataclass(frozen=True)
class LatencySummary:
    """Distribution of response times in milliseconds."""

    count: int
    mean: float
    p50: float
    p95: float
    max: float


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float | None:
    """Share of cases whose predicted label equals the gold label; None when there are no cases."""
    _same_length(gold, predicted)
    if not gold:
        return None
    return sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)


def per_label_scores(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, BinaryScores]:
    """One-vs-rest precision/recall/F1 for every label in gold ∪ predicted, sorted by label."""
    _same_length(gold, predicted)
    labels = sorted(set(gold) | set(predicted))
    return {
        label: _binary_scores(
            [g == label for g in gold],
            [p == label for p in predicted],
        )
        for label in labels
    }


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float | None:
    """Unweighted mean of per-label F1 over every label in gold ∪ predicted.

    A label that is only predicted (never gold) counts with F1 = 0, and so does
    a gold label that is never predicted: both are mistakes the average should
    show. This is scikit-learn's ``f1_score(average="macro")`` with its default
    ``labels`` (the union) and ``zero_division=0``. None when there are no cases.
    """
    scores = per_label_scores(gold, predicted)
    if not scores:
        return None
    # Every label is in gold or predicted, so 2·TP + FP + FN > 0 and f1 is defined.
    return sum(s.f1 or 0.0 for s in scores.values()) / len(scores)


def confusion_pairs(
    gold: Sequence[str], predicted: Sequence[str], top: int = 10
) -> list[Confusion]:
    """The ``top`` most frequent (gold, predicted, count) mistakes, most frequent first.

    Only off-diagonal pairs (gold ≠ predicted) are counted. Ties are broken by
    gold label, then predicted label, so the order is stable between runs.
    """
    _same_length(gold, predicted)
    if top < 0:
        raise MetricInputError(f"top must be 0 or more, got {top}")
    counts = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [Confusion(g, p, n) for (g, p), n in ordered[:top]]


def out_of_scope_scores(
    gold: Sequence[str], predicted: Sequence[str], oos_label: str = "out_of_scope"
) -> BinaryScores:
    """Precision, recall and F1 of the out-of-scope class, treated as the positive class."""
    _same_length(gold, predicted)
    return _binary_scores([g == oos_label for g in gold], [p == oos_label for p in predicted])


def in_scope_accuracy(
    gold: Sequence[str], predicted: Sequence[str], oos_label: str = "out_of_scope"
) -> float | None:
    """Accuracy over the cases whose gold label is not out-of-scope.

    Predicting out-of-scope for an in-scope case counts as wrong. None when
    every case is out-of-scope (or there are none).
    """
    _same_length(gold, predicted)
    kept = [(g, p) for g, p in zip(gold, predicted, strict=True) if g != oos_label]
    return accuracy([g for g, _ in kept], [p for _, p in kept])


#
# Retrieval. Per query: ``ranked`` is the retriever's ids, best first; ``relevant`` the
# expected ids. An id repeated in ``ranked`` (several chunks of one FAQ mapped to
# the FAQ id) counts only where it first appears: the repeat still takes up a
# slot the user sees, but cannot earn credit twice.


def hit_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float | None:
    """1.0 if a relevant id is among the first ``k`` ranked ids, else 0.0; None if none given."""
    _check_k(k)
    if not relevant:
        return None
    return 1.0 if any(doc in relevant for doc in ranked[:k]) else 0.0


def reciprocal_rank(
    ranked: Sequence[str], relevant: Collection[str], k: int | None = None
) -> float | None:
    """1 / rank (1-based) of the first relevant id, 0.0 if none is found.

    With ``k``, only the first ``k`` ranked ids are searched (MRR@k). None without relevant ids.
    """
    if k is not None:
        _check_k(k)
    if not relevant:
        return None
    window = ranked if k is None else ranked[:k]
    for rank, doc in enumerate(window, start=1):
        if doc in relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float | None:
    """Normalised discounted cumulative gain at ``k`` with binary relevance.

    ``DCG@k = Σ_{i=1..k} rel_i / log2(i + 1)`` where ``rel_i`` is 1 if the id at
    rank i is relevant (and not a repeat of an earlier id), else 0.
    ``IDCG@k = Σ_{i=1..min(|relevant|, k)} 1 / log2(i + 1)``, the DCG of a ranking
    that puts every relevant id first. ``nDCG@k = DCG@k / IDCG@k``, in [0, 1].
    None without relevant ids.
    """
    _check_k(k)
    relevant_ids = set(relevant)
    if not relevant_ids:
        return None
    seen: set[str] = set()
    dcg = 0.0
    for rank, doc in enumerate(ranked[:k], start=1):
        if doc in relevant_ids and doc not in seen:
            dcg += 1.0 / math.log2(rank + 1)
        seen.add(doc)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(relevant_ids), k) + 1))
    return dcg / ideal


def mean_hit_at_k(
    rankings: Sequence[Sequence[str]], relevant: Sequence[Collection[str]], k: int
) -> float | None:
    """Mean of :func:`hit_at_k` over queries that have relevant ids; None if none has."""
    _same_length(rankings, relevant)
    return _mean_defined(hit_at_k(r, rel, k) for r, rel in zip(rankings, relevant, strict=True))


def mean_reciprocal_rank(
    rankings: Sequence[Sequence[str]], relevant: Sequence[Collection[str]], k: int | None = None
) -> float | None:
    """MRR: mean of :func:`reciprocal_rank` over queries with relevant ids; None if none has."""
    _same_length(rankings, relevant)
    return _mean_defined(
        reciprocal_rank(r, rel, k) for r, rel in zip(rankings, relevant, strict=True)
    )


def mean_ndcg_at_k(
    rankings: Sequence[Sequence[str]], relevant: Sequence[Collection[str]], k: int
) -> float | None:
    """Mean of :func:`ndcg_at_k` over queries that have relevant ids; None if none has."""
    _same_length(rankings, relevant)
    return _mean_defined(ndcg_at_k(r, rel, k) for r, rel in zip(rankings, relevant, strict=True))


def phrases_found(answer: str, phrases: Iterable[str]) -> list[str]:
    """The phrases (as given) that occur in the answer as normalised substrings.

    Substring, not word, matching: "guarantee" is found in "guaranteed", which
    is what a forbidden-phrase check wants.
    """
    text = fold(answer)
    return [phrase for phrase in phrases if fold(phrase) in text]


def includes_all(answer: str, phrases: Sequence[str]) -> bool:
    """Whether every phrase occurs in the answer (see :func:`phrases_found`); True for none."""
    return len(phrases_found(answer, phrases)) == len(phrases)


def includes_none(answer: str, phrases: Sequence[str]) -> bool:
    """Whether no phrase occurs in the answer (see :func:`phrases_found`); True for no phrases."""
    return not phrases_found(answer, phrases)


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


_ABBREVIATIONS = frozenset(
    {"e.g", "i.e", "etc", "mr", "ms", "mrs", "dr", "no", "vs", "approx", "u.s", "u.k"}
)
_SENTENCE_END = re.compile(
    r"[。！？；]+[”’」』）)\]\"']*"  # Chinese marks end a sentence wherever they stand
    r"|[.!?;]+[”’」』）)\]\"']*(?=\s|$|[^\x00-\x7f])"  # ASCII ones only before a space, end or CJK
    r"|\n"
)
_LIST_MARKER = re.compile(r"(?:^|\n)\s*\d{1,2}$")


def split_sentences(text: str) -> list[str]:
    """Split Chinese, English or mixed text into sentences, stripped, none empty.

    A sentence ends after ``。！？；`` (anywhere), after ``. ! ? ;`` when followed
    by whitespace, the end of the text or a non-ASCII character (so ``0.05%``
    and ``example.com`` stay whole), and at a line break. Closing quotes and
    brackets stay with the sentence they close. A period does not end a
    sentence after a common abbreviation (``e.g.``, ``etc.``, ``No.``) or after
    a list number at the start of a line (``1. Open the app``).
    """
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.group(0).startswith(".") and _period_is_not_an_end(text, match.start()):
            continue
        sentences.append(text[start : match.end()])
        start = match.end()
    sentences.append(text[start:])
    return [s.strip() for s in sentences if s.strip()]


def _period_is_not_an_end(text: str, index: int) -> bool:
    before = text[:index]
    word = before.rsplit(None, 1)[-1].casefold() if before.strip() else ""
    return word in _ABBREVIATIONS or _LIST_MARKER.search(before) is not None


def sentence_support(
    answer_sentences: Sequence[str],
    passages: Sequence[str],
    similarity: Similarity,
    *,
    threshold: float,
) -> list[bool]:
    """For each sentence, whether some passage scores at least ``threshold`` against it.

    Stops scoring a sentence at the first supporting passage, since ``similarity``
    is usually an embedding call.
    """
    return [
        any(similarity(sentence, passage) >= threshold for passage in passages)
        for sentence in answer_sentences
    ]


def groundedness(
    answer_sentences: Sequence[str],
    passages: Sequence[str],
    similarity: Similarity,
    *,
    threshold: float,
) -> float | None:
    """Share of answer sentences supported by at least one passage.

    A sentence is supported when ``similarity(sentence, passage) >= threshold``
    for some passage; with no passages nothing is supported. The threshold
    belongs to the similarity function (a cosine of 0.8 means something different
    for each embedder), so it has no default. None when there are no sentences.
    """
    if not answer_sentences:
        return None
    support = sentence_support(answer_sentences, passages, similarity, threshold=threshold)
    return sum(support) / len(support)


def precision_recall(gold: Sequence[bool], predicted: Sequence[bool]) -> BinaryScores:
    """Precision, recall and F1 of escalating (True is the positive class)."""
    _same_length(gold, predicted)
    return _binary_scores(gold, predicted)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100) with linear interpolation, as ``numpy.percentile``.

    The sorted values sit at positions 0..n-1; the percentile is at position
    ``(n - 1) · q / 100``, interpolated between its neighbours. None for no values.
    """
    if not 0 <= q <= 100:
        raise MetricInputError(f"percentile must be within 0..100, got {q}")
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    fraction = position - below
    return ordered[below] + (ordered[above] - ordered[below]) * fraction


def latency_summary(ms_values: Sequence[float]) -> LatencySummary | None:
    """Count, mean, median (p50), p95 and maximum of response times; None for no values."""
    if not ms_values:
        return None
    p50 = percentile(ms_values, 50)
    p95 = percentile(ms_values, 95)
    assert p50 is not None and p95 is not None  # values is not empty
    return LatencySummary(
        count=len(ms_values),
        mean=sum(ms_values) / len(ms_values),
        p50=p50,
        p95=p95,
        max=max(ms_values),
    )


def _binary_scores(gold: Sequence[bool], predicted: Sequence[bool]) -> BinaryScores:
    pairs = list(zip(gold, predicted, strict=True))
    tp = sum(g and p for g, p in pairs)
    fp = sum(p and not g for g, p in pairs)
    fn = sum(g and not p for g, p in pairs)
    return BinaryScores(
        precision=tp / (tp + fp) if tp + fp else None,
        recall=tp / (tp + fn) if tp + fn else None,
        f1=2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None,
        true_positives=tp,
        false_positives=fp,
        false_negatives=fn,
    )


def _mean_defined(values: Iterable[float | None]) -> float | None:
    defined = [v for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None


def _same_length(first: Sequence[object], second: Sequence[object]) -> None:
    if len(first) != len(second):
        raise MetricInputError(f"inputs differ in length: {len(first)} and {len(second)}")


def _check_k(k: int) -> None:
    if k < 1:
        raise MetricInputError(f"k must be 1 or more, got {k}")
