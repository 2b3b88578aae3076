"""The shared text forms: folding for equality, Chinese words typed apart joined, numbers in
characters read."""

from __future__ import annotations

import pytest

from knowledge.text import chinese_number, fold, join_han


def test_full_width_case_and_spacing_fold_to_one_form() -> None:
    assert fold("ＥＴＦ  Fees ") == fold("etf fees") == "etf fees"
    assert fold("创业板\u3000怎么开通") == "创业板 怎么开通"


def test_folding_keeps_what_differs_in_meaning() -> None:
    assert fold("创业板怎么开通") != fold("科创板怎么开通")
    assert fold("fee") != fold("fees")


def test_spaces_between_chinese_characters_are_taken_out_and_others_kept() -> None:
    assert join_han("稳 赚  不 赔") == "稳赚不赔"
    assert join_han("买 ETF 基金") == "买 ETF 基金"
    assert join_han("fees and 佣金") == "fees and 佣金"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("五", 5),
        ("十", 10),
        ("十七", 17),
        ("二十", 20),
        ("七十二", 72),
        ("两百", 200),
        ("一百零五", 105),
        ("一千五百", 1500),
        ("零", 0),
    ],
)
def test_numbers_written_in_characters_are_read(text: str, value: int) -> None:
    assert chinese_number(text) == value


@pytest.mark.parametrize("text", ["", "二三", "十万", "abc", "百分"])
def test_what_is_not_a_number_in_characters_reads_as_none(text: str) -> None:
    assert chinese_number(text) is None
