"""Language detection good enough to pick a reply language: Chinese or English."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def detect_language(text: str) -> str:
    """``"zh"`` when Chinese characters carry the sentence, else ``"en"``.

    A Latin word counts as two characters, so "创业板 permission 怎么开" is
    Chinese while "what is 创业板 permission" is English.
    """
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN_WORD.findall(text))
    if cjk == 0:
        return "en"
    return "zh" if cjk >= 2 * latin else "en"


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None
