"""Language detection good enough to pick a reply language: Chinese or English.

The one definition of "a Chinese character" (:data:`CJK_CHARACTERS`) lives here; a pattern
that must match Chinese text builds its character class from it rather than spelling out a
Unicode range of its own (``tests/test_architecture.py`` checks it).
"""

from __future__ import annotations

import re

CJK_CHARACTERS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
"""The body of a regular-expression character class: CJK Unified Ideographs, Extension A and
the compatibility ideographs."""

_CJK = re.compile(f"[{CJK_CHARACTERS}]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Pinyin initials (kh, rg, zq) are how Chinese investors abbreviate; English words have vowels.
_ENGLISH_WORD = re.compile(r"[A-Za-z]*[AEIOUYaeiouy][A-Za-z]*")


def detect_language(text: str) -> str:
    """``"zh"`` when Chinese characters carry the sentence, else ``"en"``.

    A Latin word counts as two characters, so "创业板 permission 怎么开" is
    Chinese while "what is 创业板 permission" is English.
    """
    cjk = count_cjk(text)
    latin = len(_LATIN_WORD.findall(text))
    if cjk == 0:
        return "en"
    return "zh" if cjk >= 2 * latin else "en"


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds at least one Chinese character."""
    return _CJK.search(text) is not None


def count_cjk(text: str) -> int:
    """How many Chinese characters ``text`` holds."""
    return len(_CJK.findall(text))


# A message needs this many Latin words, and no Chinese, to switch a Chinese conversation to
# English: "35", "C3", "ok" or a name ("Li Ming") answer in the language already spoken.
_WORDS_TO_SWITCH = 3


def reply_language(text: str, previous: str | None) -> str:
    """The language to answer ``text`` in, given the conversation's language so far.

    Chinese characters carry the sentence as in :func:`detect_language`, except that in a
    Chinese conversation a message mixing in English words ("ok 那 payment deadline 是几点",
    "my avg asset 大概 45w") stays Chinese unless the English words outnumber the Chinese
    characters two to one: that is how Chinese investors write. A message with
    neither Chinese nor English words (a number, a risk level, pinyin initials such as
    "rg", a one-word "ok") or with only a name's worth of words keeps ``previous``, and
    opens a conversation in Chinese.
    """
    if has_cjk(text):
        if previous == "zh" and not _english_led(text):
            return "zh"
        return detect_language(text)
    english = sum(1 for word in _LATIN_WORD.findall(text) if _ENGLISH_WORD.fullmatch(word))
    if previous is None:
        return "en" if english else "zh"
    if english >= _WORDS_TO_SWITCH:
        return "en"
    return previous


def _english_led(text: str) -> bool:
    """Whether English words carry a mixed message: at least two for every Chinese character."""
    return len(_LATIN_WORD.findall(text)) >= 2 * count_cjk(text)
