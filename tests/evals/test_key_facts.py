"""Key facts: what counts as one, and how many of a reference's facts an answer states."""

from __future__ import annotations

import pytest

from evals.key_facts import KeyFact, key_fact_recall, key_facts, missing_key_facts


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("佣金0.05%", KeyFact("number", "0.05%", "0.05", "%")),
        ("佣金0.050%", KeyFact("number", "0.050%", "0.05", "%")),
        ("佣金万分之五即5‰", KeyFact("number", "5‰", "0.5", "%")),
        ("最低5元", KeyFact("number", "5元", "5", "元")),
        ("资产需满10万元", KeyFact("number", "10万元", "100000", "元")),
        ("at least 100,000 yuan", KeyFact("number", "100,000 yuan", "100000", "元")),
        ("minimum RMB 5", KeyFact("number", "rmb 5", "5", "元")),
        ("需要3个交易日", KeyFact("number", "3个交易日", "3", "交易日")),
        ("takes 3 trading days", KeyFact("number", "3 trading days", "3", "交易日")),
        ("9:30开盘", KeyFact("time", "9:30", "9:30", "")),
        ("opens at 09:30", KeyFact("time", "09:30", "9:30", "")),
        ("closes at 3:00 pm", KeyFact("time", "3:00 pm", "15:00", "")),
        ("下午3点收盘", KeyFact("time", "下午3点", "15:00", "")),
        ("9点半开盘", KeyFact("time", "9点半", "9:30", "")),
        ("T+2交收", KeyFact("settlement", "t+2", "T+2", "")),
        ("settles T + 1", KeyFact("settlement", "t + 1", "T+1", "")),
        ("2024年1月5日起", KeyFact("date", "2024年1月5日", "2024-01-05", "")),
        ("from 2024/1/5", KeyFact("date", "2024/1/5", "2024-01-05", "")),
        ("请阅读《风险揭示书》", KeyFact("term", "风险揭示书", "风险揭示书", "")),
        ("开通「科创板」权限", KeyFact("term", "科创板", "科创板", "")),
        ("场内ETF", KeyFact("term", "ETF", "etf", "")),
        ("买卖A股", KeyFact("term", "A股", "a股", "")),
        (
            "listed on the Shanghai Stock Exchange",
            KeyFact("term", "Shanghai Stock Exchange", "shanghai stock exchange", ""),
        ),
    ],
)
def test_key_fact_kinds(text: str, fact: KeyFact) -> None:
    assert key_facts(text) == [fact]


def test_plain_words_and_glued_digits_are_not_key_facts() -> None:
    # Unmarked Chinese terms, capitalised sentence starts, AM/PM and model-like tokens:
    # only the time is a fact.
    text = "科创板需要开通权限。If you agree, come at 9:30 AM. Use v2 or A50."

    assert key_facts(text) == [KeyFact("time", "9:30 am", "9:30", "")]


def test_full_width_digits_and_signs_are_read_as_ascii() -> None:
    assert key_facts("佣金０.０５％，Ｔ＋１交收") == [
        KeyFact("number", "0.05%", "0.05", "%"),
        KeyFact("settlement", "t+1", "T+1", ""),
    ]


def test_a_chinese_comma_between_numbers_is_not_a_thousands_separator() -> None:
    # "5，100股" lists two numbers; "1,000股" is one thousand shares.
    assert [(f.value, f.unit) for f in key_facts("分别是5，100股和1,000股")] == [
        ("5", ""),
        ("100", "股"),
        ("1000", "股"),
    ]


def test_key_fact_recall_counts_the_reference_facts_the_answer_states() -> None:
    reference = "佣金0.05%，最低5元，9:30开盘，T+1交收。"  # 4 facts: 0.05%, 5元, 9:30, T+1
    answer = "佣金为0.05%，T+1到账，开盘时间09:30。"  # states 3 of them; the 5元 minimum is missing

    assert key_fact_recall(answer, reference) == pytest.approx(3 / 4)
    assert [f.text for f in missing_key_facts(answer, reference)] == ["5元"]


def test_equivalent_forms_of_a_fact_match() -> None:
    assert key_fact_recall("需要100,000元", "需要10万元") == 1.0
    assert key_fact_recall("closes at 15:00", "下午3点收盘") == 1.0
    assert key_fact_recall("0.050% commission", "佣金0.05%") == 1.0
    assert key_fact_recall("3 trading days", "3个交易日") == 1.0


def test_a_number_is_not_found_inside_another_or_with_another_unit() -> None:
    assert key_fact_recall("佣金0.5%", "佣金5%") == 0.0  # a substring test would say 1.0
    assert key_fact_recall("最少5股", "最少5元") == 0.0
    assert key_fact_recall("T+1", "T+2") == 0.0


def test_a_reference_number_without_unit_is_matched_by_that_number_with_any_unit() -> None:
    assert key_fact_recall("300开头的股票", "创业板代码以300开头") == 1.0
    assert key_fact_recall("at least 300 shares", "代码300") == 1.0


def test_terms_match_case_insensitively_at_word_boundaries() -> None:
    reference = "请签署《风险揭示书》，了解ETF规则。"

    assert key_fact_recall("签风险揭示书, 看看etf", reference) == 1.0
    assert key_fact_recall("签风险揭示书, 看看ETFS", reference) == pytest.approx(1 / 2)


def test_key_fact_recall_is_undefined_when_the_reference_has_no_key_facts() -> None:
    assert key_fact_recall("anything", "请联系客服。") is None
