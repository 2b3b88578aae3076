"""The text forms comparisons share, so that two parts never disagree on "the same text".

:func:`fold` is the form for equality (a question seen before, a phrase in an answer);
:func:`join_han` undoes the spaces investors type between Chinese words ("稳 赚") before
patterns are matched. Language detection, and what counts as a
Chinese character, live in :mod:`text.language`.
"""

from __future__ import annotations

import re
import unicodedata

from text.language import CJK_CHARACTERS

_SPACE_BETWEEN_HAN = re.compile(rf"(?<=[{CJK_CHARACTERS}])\s+(?=[{CJK_CHARACTERS}])")


def fold(text: str) -> str:
    """NFKC (full-width to ASCII), case-folded, runs of whitespace as one space, trimmed:
    "ＥＴＦ  Fees " and "etf fees" fold to one form."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def join_han(text: str) -> str:
    """``text`` with the whitespace between two Chinese characters taken out."""
    return _SPACE_BETWEEN_HAN.sub("", text)
