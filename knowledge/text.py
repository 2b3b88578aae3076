"""The text forms comparisons share, so that two parts never disagree on "the same text".

:func:`fold` is the form for equality (a question seen before, a phrase in an answer);
:func:`join_han` undoes the spaces investors type between Chinese words ("稳 赚") before
patterns are matched; :func:`chinese_number` reads the numbers investors write in characters
("二十万", "七十二岁"). Language detection, and what counts as a Chinese character, live in
:mod:`text.language`.

The forms and why they differ. Text compared for equality goes through :func:`fold`; the
other forms each keep something :func:`fold` throws away, or throw away more, on purpose:

- ``assistant.turn_caches.question_key``: lower case, one space, closing punctuation
  dropped, so "创业板怎么开通？" and "创业板怎么开通" share a cached answer.
- ``intents.rules._normalise`` (the safety rules): only full-width ASCII and the ideographic
  space folded, whitespace collapsed; no NFKC, because the rules are pinned on text otherwise
  as typed (NFKC would turn "…" into "..." and "①" into "1"), and case is the patterns' own.
- ``intents.flow_engine.normalise`` (slot extractors): NFKC, lower case, trimmed, inner
  spaces kept, so that words and numbers are matched as typed.
- ``assistant.compliance._normalise`` (the guard's patterns): NFKC, zero-width characters
  out and :func:`join_han`, so obfuscation cannot slip a phrase past the rules; case kept,
  because an upper-case word is how a ticker is told from an English word.
- ``assistant.compliance._compact``: NFKC and every space out, so a disclaimer is found in
  a reply however the reply was wrapped.
- ``assistant.llm._normalise``: every space out, the curly apostrophe straightened, case
  folded, so the prompt's not-found sentence is recognised give or take punctuation.
- ``assistant.pii``'s ASCII view: full-width ASCII to ASCII one character for one, so the
  offsets found in the view mask the original text.
"""

from __future__ import annotations

import re
import unicodedata

from text.language import CJK_CHARACTERS

_SPACE_BETWEEN_HAN = re.compile(rf"(?<=[{CJK_CHARACTERS}])\s+(?=[{CJK_CHARACTERS}])")


def fold(text: str) -> str:
    """NFKC (full-width to ASCII), case-folded, runs of whitespace as one space, trimmed:
    "ＥＴＦ  Fees " and "etf fees" fold to one form. The form for equality; the forms for
    pattern matching keep more of the text (see the module docstring)."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def join_han(text: str) -> str:
    """``text`` with the whitespace between two Chinese characters taken out."""
    return _SPACE_BETWEEN_HAN.sub("", text)


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_CN_DIGITS |= {"七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
CHINESE_NUMBER = r"[零〇一二两三四五六七八九十百千]+"
AMOUNT_UNITS = {"万": 10_000, "w": 10_000, "千": 1_000, "k": 1_000}
"""What a sum typed with a unit after it is multiplied by ("5万", "3w", "20k")."""


def chinese_number(text: str) -> int | None:
    """The value of a number written in characters below ten thousand ("十七", "二十",
    "两百", "一千五百"), or None when ``text`` is not one."""
    if not text or any(c not in _CN_DIGITS and c not in _CN_UNITS for c in text):
        return None
    total, digit = 0, None
    for char in text:
        if char in _CN_DIGITS:
            if digit and _CN_DIGITS[char]:
                return None  # two digits in a row ("二三") is not a number
            digit = _CN_DIGITS[char]
            continue
        unit = _CN_UNITS[char]
        total += (1 if digit is None else digit) * unit
        digit = None
    return total + (digit or 0)
