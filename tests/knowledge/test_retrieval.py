"""Hybrid retrieval over the shipped sample knowledge base."""

from __future__ import annotations

from datetime import date

from knowledge.index import SearchFilters
from knowledge.retrieval import HybridRetriever


def test_chinese_paraphrase_finds_the_faq_entry(sample_kb) -> None:
    results = HybridRetriever(sample_kb).search("密码忘了登不上去交易咋办", k=5)
    assert results[0].unit.category == "password_reset"
    assert results[0].unit.kind.value == "faq"


def test_english_question_finds_a_chinese_only_entry(sample_kb) -> None:
    results = HybridRetriever(sample_kb).search(
        "What do I need to trade convertible bonds?", k=5, filters=SearchFilters(lang=["zh"])
    )
    top = results[0].unit
    # Two Chinese entries state what convertible-bond trading requires; either answers.
    assert "可转债" in top.title
    assert "10万" in top.text and "24个月" in top.text


def test_english_question_finds_a_chinese_only_entry_without_being_told_to(sample_kb) -> None:
    # One query over all languages misses it: E5 prefers English vectors for English text.
    results = HybridRetriever(sample_kb).search("what's the interest rate on margin financing", k=5)
    assert "zh-0129" in [r.unit.id for r in results]
    assert {r.unit.lang for r in results} == {"zh", "en"}


def test_chinese_question_finds_english_entries_when_asked_for_them(sample_kb) -> None:
    results = HybridRetriever(sample_kb).search(
        "印花税是多少", k=3, filters=SearchFilters(lang=["en"])
    )
    assert {r.unit.lang for r in results} == {"en"}
    assert any("stamp duty" in r.unit.title.lower() for r in results)


def test_keyword_mode_matches_exact_brokerage_terms_and_synonyms(sample_kb) -> None:
    keyword = HybridRetriever(sample_kb, mode="keyword")
    assert keyword.search("两融", k=3)[0].unit.category == "permission_margin"
    assert keyword.search("港股通", k=3)[0].unit.category in {"permission_stock_connect", "fees"}


def test_filters_restrict_category_product_and_freshness(sample_kb) -> None:
    retriever = HybridRetriever(sample_kb)
    only_ipo = retriever.search("开户", k=5, filters=SearchFilters(category=["ipo_subscription"]))
    assert only_ipo and {r.unit.category for r in only_ipo} == {"ipo_subscription"}
    fresh = retriever.search(
        "新股申购", k=10, filters=SearchFilters(updated_since=date(2026, 6, 1))
    )
    assert fresh and all(r.unit.updated_at and r.unit.updated_at >= date(2026, 6, 1) for r in fresh)
    chinext = retriever.search("permission", k=5, filters=SearchFilters(product=["chinext"]))
    assert chinext and {r.unit.product for r in chinext} == {"chinext"}


def test_documents_are_found_with_their_heading_path(sample_kb) -> None:
    results = HybridRetriever(sample_kb).search("融资融券强制平仓的风险", k=5)
    chunks = [r for r in results if r.unit.kind.value == "chunk"]
    assert chunks, "the margin risk disclosure document is among the results"
    assert chunks[0].unit.source.startswith("docs/")
    assert chunks[0].unit.heading_path


def test_confidence_is_a_probability_and_higher_for_a_real_match(sample_kb) -> None:
    retriever = HybridRetriever(sample_kb)
    good = retriever.search("新股中签以后怎么缴款", k=3)
    off_topic = retriever.search("明天北京会下雨吗", k=3)
    assert all(0.0 <= r.confidence <= 1.0 for r in good + off_topic)
    assert good[0].confidence > off_topic[0].confidence
    assert good[0].confidence >= good[1].confidence


def test_scores_are_ranked_and_evidence_is_reported(sample_kb) -> None:
    results = HybridRetriever(sample_kb).search("创业板开通条件", k=5)
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True)
    assert results[0].dense_score is not None and results[0].keyword_score is not None
    assert results[0].matched in results[0].unit.questions


def test_rrf_fusion_also_ranks_sensibly(sample_kb) -> None:
    results = HybridRetriever(sample_kb, fusion="rrf").search("打新中签了什么时候交钱", k=3)
    assert results[0].unit.category == "ipo_subscription"


def test_empty_query_returns_nothing(sample_kb) -> None:
    assert HybridRetriever(sample_kb).search("   ") == []


def test_an_answer_in_the_other_language_gives_way_to_its_twin_in_the_askers(sample_kb) -> None:
    from knowledge.retrieval import in_asked_language

    retriever = HybridRetriever(sample_kb, rerank_depth=40)
    results = retriever.explain("今天买的股票今天能卖吗", k=40)
    by_id = {passage.unit.id: (passage, evidence) for passage, evidence in results}
    english, chinese = by_id["en-0018"], by_id["zh-0056"]
    english = (english[0].model_copy(update={"confidence": 0.9}), english[1])
    chinese = (chinese[0].model_copy(update={"confidence": 0.1}), chinese[1])
    other = next(pair for pair in results if pair[0].unit.id not in ("en-0018", "zh-0056"))
    alike = {"en-0018": frozenset({"zh-0056"}), "zh-0056": frozenset({"en-0018"})}

    ranked = in_asked_language([english, other, chinese], "zh", alike)
    assert [p.unit.id for p, _ in ranked] == ["zh-0056", other[0].unit.id]
    assert ranked[0][0].confidence == 0.9, "the twin answers as surely as the entry it replaces"
    # Without a twin among the candidates, or for an English question, nothing moves.
    assert in_asked_language([english, other], "zh", alike) == [english, other]
    assert in_asked_language([english, other, chinese], "en", alike)[0] == english
    assert in_asked_language([english, other, chinese], "zh", {})[0] == english


def test_a_twin_after_the_entry_in_the_askers_language_is_dropped(sample_kb) -> None:
    from knowledge.retrieval import in_asked_language

    results = HybridRetriever(sample_kb, rerank_depth=40).explain("今天买的股票今天能卖吗", k=40)
    by_id = {passage.unit.id: (passage, evidence) for passage, evidence in results}
    english, chinese = by_id["en-0018"], by_id["zh-0056"]
    other = next(pair for pair in results if pair[0].unit.id not in ("en-0018", "zh-0056"))
    alike = {"en-0018": frozenset({"zh-0056"}), "zh-0056": frozenset({"en-0018"})}

    # "what r the trading hours for a shares": the English entry first and its Chinese twin
    # second read as a choice between two answers; the twin says the same again.
    ranked = in_asked_language([english, chinese, other], "en", alike)
    assert [p.unit.id for p, _ in ranked] == ["en-0018", other[0].unit.id]
    assert in_asked_language([english, chinese, other], "en", {}) == [english, chinese, other]
