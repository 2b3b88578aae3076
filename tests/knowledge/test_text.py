"""The shared text forms: folding for equality, and Chinese words typed apart joined."""

from __future__ import annotations

from knowledge.text import fold, join_han


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
