"""Metric definitions, checked on small cases whose answers are worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import f1_score

from evals.errors import MetricInputError
from evals.metrics import (
    BinaryScores,
    Confusion,
    accuracy,
    confusion_pairs,
    groundedness,
    hit_at_k,
    in_scope_accuracy,
    includes_all,
    includes_none,
    latency_summary,
    macro_f1,
    mean_hit_at_k,
    mean_ndcg_at_k,
    mean_reciprocal_rank,
    ndcg_at_k,
    out_of_scope_scores,
    per_label_scores,
    percentile,
    phrases_found,
    precision_recall,
    reciprocal_rank,
    sentence_support,
    split_sentences,
)

# Intent classification

# Three classes, six examples:
#   gold: cat cat dog dog fish fish
#   pred: cat dog dog dog cat  fish
# cat:  TP 1 (#0), FP 1 (#4), FN 1 (#1) -> F1 = 2·1 / (2·1 + 1 + 1) = 1/2
# dog:  TP 2 (#2, #3), FP 1 (#1), FN 0  -> F1 = 2·2 / (2·2 + 1 + 0) = 4/5
# fish: TP 1 (#5), FP 0, FN 1 (#4)      -> F1 = 2·1 / (2·1 + 0 + 1) = 2/3
# macro-F1 = (1/2 + 4/5 + 2/3) / 3 = (15 + 24 + 20) / 90 = 59/90 ≈ 0.6556
# accuracy = 4 right (#0, #2, #3, #5) / 6 = 2/3
TOY_GOLD = ["cat", "cat", "dog", "dog", "fish", "fish"]
TOY_PRED = ["cat", "dog", "dog", "dog", "cat", "fish"]


def test_accuracy_is_the_share_of_exact_matches() -> None:
    assert accuracy(TOY_GOLD, TOY_PRED) == pytest.approx(2 / 3)


def test_accuracy_of_no_cases_is_undefined_not_zero() -> None:
    assert accuracy([], []) is None


def test_parallel_inputs_of_different_lengths_are_rejected() -> None:
    with pytest.raises(MetricInputError, match="differ in length: 2 and 1"):
        accuracy(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="differ in length"):  # also a ValueError
        macro_f1(["a"], [])


def test_macro_f1_on_the_toy_example() -> None:
    assert macro_f1(TOY_GOLD, TOY_PRED) == pytest.approx(59 / 90)


def test_per_label_scores_on_the_toy_example() -> None:
    scores = per_label_scores(TOY_GOLD, TOY_PRED)

    assert list(scores) == ["cat", "dog", "fish"]
    assert scores["dog"] == BinaryScores(
        precision=2 / 3, recall=1.0, f1=0.8, true_positives=2, false_positives=1, false_negatives=0
    )
    assert scores["fish"].precision == 1.0
    assert scores["fish"].recall == pytest.approx(1 / 2)


def test_macro_f1_counts_a_label_that_is_only_predicted_as_zero() -> None:
    # gold a a, pred a b. Labels {a, b}:
    # a: TP 1, FP 0, FN 1 -> F1 = 2/3;  b: TP 0, FP 1, FN 0 -> F1 = 0
    # macro = (2/3 + 0) / 2 = 1/3 (averaging over gold labels only would give 2/3)
    assert macro_f1(["a", "a"], ["a", "b"]) == pytest.approx(1 / 3)


def test_macro_f1_agrees_with_scikit_learn_on_the_union_of_labels() -> None:
    gold = ["a", "b", "c", "a", "b", "c", "a", "d"]
    pred = ["a", "c", "c", "b", "b", "a", "a", "e"]

    expected = f1_score(gold, pred, average="macro", zero_division=0)

    assert macro_f1(gold, pred) == pytest.approx(expected)


def test_macro_f1_is_one_when_all_correct_and_undefined_without_cases() -> None:
    assert macro_f1(["a", "b", "a"], ["a", "b", "a"]) == 1.0
    assert macro_f1([], []) is None


def test_confusion_pairs_lists_the_most_frequent_mistakes_first() -> None:
    gold = ["a", "a", "a", "b", "b", "c", "c"]
    pred = ["b", "b", "c", "a", "a", "c", "c"]

    # (a, b) and (b, a) both occur twice: ties go by gold label. (c, c) is correct, not listed.
    assert confusion_pairs(gold, pred) == [
        Confusion("a", "b", 2),
        Confusion("b", "a", 2),
        Confusion("a", "c", 1),
    ]
    assert confusion_pairs(gold, pred, top=1) == [("a", "b", 2)]
    assert confusion_pairs(["a"], ["a"]) == []


def test_out_of_scope_scores_treat_out_of_scope_as_the_positive_class() -> None:
    gold = ["out_of_scope", "out_of_scope", "out_of_scope", "fees", "hours"]
    pred = ["out_of_scope", "fees", "hours", "out_of_scope", "hours"]
    # TP 1 (#0), FP 1 (#3), FN 2 (#1, #2): P = 1/2, R = 1/3, F1 = 2 / (2 + 1 + 2) = 0.4

    scores = out_of_scope_scores(gold, pred)

    assert scores.precision == pytest.approx(1 / 2)
    assert scores.recall == pytest.approx(1 / 3)
    assert scores.f1 == pytest.approx(0.4)


def test_out_of_scope_scores_are_undefined_when_no_case_is_out_of_scope() -> None:
    scores = out_of_scope_scores(["fees"], ["fees"])

    assert (scores.precision, scores.recall, scores.f1) == (None, None, None)


def test_out_of_scope_label_is_configurable() -> None:
    assert out_of_scope_scores(["oos", "a"], ["oos", "oos"], oos_label="oos").precision == 0.5


def test_in_scope_accuracy_ignores_out_of_scope_gold_and_punishes_false_refusals() -> None:
    gold = ["out_of_scope", "fees", "fees", "hours"]
    pred = ["fees", "fees", "out_of_scope", "hours"]
    # In scope: (fees, fees) right, (fees, out_of_scope) wrong, (hours, hours) right -> 2/3

    assert in_scope_accuracy(gold, pred) == pytest.approx(2 / 3)
    assert in_scope_accuracy(["out_of_scope"], ["fees"]) is None


# Retrieval


def test_hit_at_k_looks_only_at_the_first_k_ids() -> None:
    ranked = ["d1", "d2", "d3"]

    assert hit_at_k(ranked, {"d3"}, k=2) == 0.0
    assert hit_at_k(ranked, {"d3"}, k=3) == 1.0
    assert hit_at_k(ranked, ["d9", "d1"], k=1) == 1.0


def test_retrieval_metrics_are_undefined_without_relevant_ids() -> None:
    assert hit_at_k(["d1"], set(), k=5) is None
    assert reciprocal_rank(["d1"], []) is None
    assert ndcg_at_k(["d1"], set(), k=5) is None


def test_k_below_one_is_rejected() -> None:
    with pytest.raises(MetricInputError, match="k must be 1 or more"):
        hit_at_k(["d1"], {"d1"}, k=0)
    with pytest.raises(MetricInputError):
        ndcg_at_k(["d1"], {"d1"}, k=0)


def test_reciprocal_rank_is_one_over_the_rank_of_the_first_relevant_id() -> None:
    assert reciprocal_rank(["x", "y", "r", "s"], {"r", "s"}) == pytest.approx(1 / 3)
    assert reciprocal_rank(["x", "y", "r"], {"r"}, k=2) == 0.0
    assert reciprocal_rank(["x", "y"], {"r"}) == 0.0
    assert reciprocal_rank([], {"r"}) == 0.0


def test_ndcg_with_binary_relevance_and_log2_discount() -> None:
    # Relevant ids at ranks 2 and 4 of 4; three relevant ids exist.
    # DCG@4  = 1/log2(3) + 1/log2(5)          = 0.6309 + 0.4307 = 1.0616
    # IDCG@4 = 1/log2(2) + 1/log2(3) + 1/log2(4) = 1 + 0.6309 + 0.5 = 2.1309 (min(3, 4) = 3 terms)
    # nDCG@4 = 1.0616 / 2.1309 ≈ 0.4982
    ndcg = ndcg_at_k(["x", "r1", "y", "r2"], {"r1", "r2", "r3"}, k=4)

    assert ndcg == pytest.approx(0.4982, abs=1e-4)
    assert ndcg == pytest.approx(
        (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3) + 1 / math.log2(4))
    )


def test_ideal_dcg_is_capped_at_k_so_a_perfect_top_k_scores_one() -> None:
    # Three relevant ids but k = 2: the ideal ranking can only show two of them.
    assert ndcg_at_k(["r1", "r2", "x"], {"r1", "r2", "r3"}, k=2) == pytest.approx(1.0)


def test_a_repeated_id_earns_credit_only_once() -> None:
    # DCG@2 = 1/log2(2) = 1 (the repeat at rank 2 earns nothing);
    # IDCG@2 = 1 + 1/log2(3) = 1.6309 -> 0.6131
    assert ndcg_at_k(["r", "r"], {"r", "s"}, k=2) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert ndcg_at_k(["r", "r"], {"r"}, k=2) == 1.0  # not 1.63


def test_mean_retrieval_metrics_skip_queries_without_expected_ids() -> None:
    rankings = [["a", "b"], ["c"], ["x", "d"]]
    relevant: list[set[str]] = [{"a"}, set(), {"d"}]

    # Query 2 has no expected ids and is left out of every mean.
    assert mean_hit_at_k(rankings, relevant, k=1) == pytest.approx((1 + 0) / 2)
    assert mean_reciprocal_rank(rankings, relevant) == pytest.approx((1 + 1 / 2) / 2)
    assert mean_ndcg_at_k(rankings, relevant, k=2) == pytest.approx((1 + 1 / math.log2(3)) / 2)


def test_mean_retrieval_metrics_are_undefined_when_no_query_has_expected_ids() -> None:
    assert mean_hit_at_k([["a"]], [set()], k=5) is None
    assert mean_reciprocal_rank([], []) is None
    assert mean_ndcg_at_k([], [], k=5) is None


# Answers: phrases


def test_phrases_match_across_width_case_and_spacing() -> None:
    answer = "场内ＥＴＦ  的 交易时间\n与股票相同。Settles  T+1."

    assert phrases_found(answer, ["etf", "etf 的", "settles t+1", "T+0"]) == [
        "etf",
        "etf 的",
        "settles t+1",
    ]
    assert includes_all(answer, ["ETF", "交易时间"])
    assert not includes_all(answer, ["ETF", "T+0"])


def test_forbidden_phrases_are_matched_as_substrings() -> None:
    assert not includes_none("Returns are guaranteed.", ["guarantee"])
    assert includes_none("本产品不承诺收益", ["保本", "稳赚"])


def test_no_phrases_means_nothing_to_violate() -> None:
    assert includes_all("anything", [])
    assert includes_none("anything", [])


# Answers: sentences and groundedness


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        (
            "您好。请问有什么可以帮您？我想开户！好的；请先下载App",
            ["您好。", "请问有什么可以帮您？", "我想开户！", "好的；", "请先下载App"],
        ),
        (
            "The fee is 0.05%. See example.com! Is it T+1? Yes",
            ["The fee is 0.05%.", "See example.com!", "Is it T+1?", "Yes"],
        ),
        ("可以吗?我想买ETF.谢谢", ["可以吗?", "我想买ETF.", "谢谢"]),
        ("他说“好的。”然后走了。", ["他说“好的。”", "然后走了。"]),
        ("Bring ID, e.g. a passport. Then wait", ["Bring ID, e.g. a passport.", "Then wait"]),
        ("Steps:\n1. Open the app\n2. Tap login.", ["Steps:", "1. Open the app", "2. Tap login."]),
        ("  \n ", []),
    ],
)
def test_split_sentences(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


SCORES = {
    ("s1", "p1"): 0.9,
    ("s1", "p2"): 0.1,
    ("s2", "p1"): 0.3,
    ("s2", "p2"): 0.75,
    ("s3", "p1"): 0.1,
    ("s3", "p2"): 0.2,
}


def table_similarity(sentence: str, passage: str) -> float:
    return SCORES[(sentence, passage)]


def test_groundedness_is_the_share_of_sentences_some_passage_supports() -> None:
    sentences, passages = ["s1", "s2", "s3"], ["p1", "p2"]

    # Best scores: s1 0.9, s2 0.75, s3 0.2.
    assert groundedness(sentences, passages, table_similarity, threshold=0.7) == pytest.approx(
        2 / 3
    )
    assert groundedness(sentences, passages, table_similarity, threshold=0.8) == pytest.approx(
        1 / 3
    )
    assert groundedness(sentences, passages, table_similarity, threshold=0.75) == pytest.approx(
        2 / 3
    )


def test_groundedness_edge_cases() -> None:
    assert groundedness([], ["p1"], table_similarity, threshold=0.5) is None
    assert groundedness(["s1"], [], table_similarity, threshold=0.5) == 0.0


def test_sentence_support_stops_at_the_first_supporting_passage() -> None:
    calls: list[tuple[str, str]] = []

    def recording(sentence: str, passage: str) -> float:
        calls.append((sentence, passage))
        return table_similarity(sentence, passage)

    assert sentence_support(["s1", "s3"], ["p1", "p2"], recording, threshold=0.7) == [True, False]
    assert calls == [("s1", "p1"), ("s3", "p1"), ("s3", "p2")]


# Escalation


def test_escalation_precision_and_recall() -> None:
    gold = [True, True, False, False, False]
    pred = [True, True, True, True, False]
    # TP 2, FP 2, FN 0: P = 1/2, R = 1, F1 = 4 / (4 + 2) = 2/3

    scores = precision_recall(gold, pred)

    assert (scores.precision, scores.recall) == (0.5, 1.0)
    assert scores.f1 == pytest.approx(2 / 3)


def test_an_assistant_that_never_escalates_has_zero_recall_and_undefined_precision() -> None:
    scores = precision_recall([True, False], [False, False])

    assert scores.precision is None
    assert scores.recall == 0.0
    assert scores.f1 == 0.0


# Latency


def test_percentile_interpolates_linearly_between_ranks() -> None:
    # Sorted 15 20 35 40 50; q = 40 sits at position 4 · 0.4 = 1.6: 20 + 0.6 · (35 - 20) = 29
    assert percentile([50, 15, 40, 20, 35], 40) == pytest.approx(29.0)
    assert percentile([50, 15, 40, 20, 35], 0) == 15
    assert percentile([50, 15, 40, 20, 35], 100) == 50
    assert percentile([7.0], 95) == 7.0


@pytest.mark.parametrize("q", [0, 1, 25, 50, 90, 95, 99, 100])
def test_percentile_agrees_with_numpy_default(q: float) -> None:
    values = list(np.random.default_rng(7).exponential(300, size=37))

    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def test_percentile_edge_cases() -> None:
    assert percentile([], 50) is None
    with pytest.raises(MetricInputError, match=r"within 0\.\.100"):
        percentile([1.0], 101)
    with pytest.raises(MetricInputError):
        percentile([1.0], math.nan)


def test_latency_summary() -> None:
    # Positions: p50 at 1.5 -> 250; p95 at 2.85 -> 300 + 0.85 · 100 = 385
    summary = latency_summary([400, 100, 300, 200])

    assert summary is not None
    assert (summary.count, summary.mean, summary.p50, summary.max) == (4, 250.0, 250.0, 400)
    assert summary.p95 == pytest.approx(385.0)
    assert latency_summary([]) is None
