"""The reply language follows the investor, not the script of a number or a name."""

from __future__ import annotations

import pytest

from knowledge.language import reply_language


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
    ],
)
def test_reply_language(text: str, previous: str | None, language: str) -> None:
    assert reply_language(text, previous) == language
