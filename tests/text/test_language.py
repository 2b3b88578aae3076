"""The reply language follows the investor, not the script of a number or a name."""

from __future__ import annotations

import pytest

from text.language import count_cjk, detect_language, has_cjk, reply_language


@pytest.mark.parametrize(
    ("text", "previous", "language"),
    [
        ("35", "zh", "zh"),
        ("C3", "zh", "zh"),
        ("Li Ming", "zh", "zh"),
        ("ok", "en", "en"),
        ("how do I open an account", "zh", "en"),
        ("我想开户", "en", "zh"),
        ("rg rg rg", None, "zh"),  # pinyin initials open a Chinese conversation
        ("kh", None, "zh"),
        ("hi", None, "en"),
        ("what is 创业板 permission", None, "en"),
        ("ok 那 payment deadline 是几点", "zh", "zh"),  # code-mixing in a Chinese chat
        ("my avg asset 大概 45w", "zh", "zh"),
        ("ok 那 payment deadline 是几点", None, "en"),
        ("still not working, 我要 complain", "zh", "en"),  # English carries it
        ("那 convertible bond 也是 T+1 吗", "en", "zh"),
    ],
)
def test_reply_language(text: str, previous: str | None, language: str) -> None:
    assert reply_language(text, previous) == language


def test_every_block_of_chinese_characters_counts_as_chinese() -> None:
    # Unified ideographs, Extension A (㐀) and a compatibility ideograph (豈).
    assert count_cjk("开户㐀豈 ok") == 4
    assert has_cjk("㐀") and has_cjk("豈") and not has_cjk("ＥＴＦ fees")


def test_a_chinese_sentence_with_an_english_term_stays_chinese() -> None:
    assert detect_language("创业板 permission 怎么开") == "zh"
    assert detect_language("what is 创业板 permission") == "en"
