"""The answerability ablation: labelled dev questions and how a variant is scored."""

from __future__ import annotations

from evals.answerability import LabelledQuestion, labelled_questions, score_variant
from knowledge.retrieval import HybridRetriever


def test_the_dev_questions_come_with_what_answers_them() -> None:
    questions = labelled_questions()
    origins = {q.origin for q in questions}
    assert origins == {"retrieval", "cases", "dialogues", "scenarios"}
    answerable = [q for q in questions if q.answers]
    # Unanswerable: the cases' out-of-scope questions and the dialogue questions no entry answers
    # (33 since their coverage was rechecked against the grown knowledge base on 2026-12-07).
    assert len(answerable) > 900 and len(questions) - len(answerable) > 30
    assert all(q.text.strip() for q in questions)


def test_a_scenario_utterance_is_labelled_with_its_scenarios_entries(tmp_path) -> None:
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "boards.yaml").write_text(
        """category: boards
title_zh: 板块
title_en: Boards
scenarios:
  - id: boards.chinext_rules
    title_zh: 创业板规则
    title_en: ChiNext rules
    description: what ChiNext's trading rules are
    route: faq
    entries: [zh-0101]
    intent: trading_rules
    priority: common
  - id: boards.open_chinext
    title_zh: 开通创业板
    title_en: Open ChiNext
    description: the investor wants ChiNext trading
    route: flow
    flow: permission_chinext
    intent: permission_chinext
    priority: common
""",
        "utf-8",
    )
    data = tmp_path / "data"
    data.mkdir()
    for name in ("retrieval.jsonl", "cases.jsonl", "dialogues.jsonl"):
        (data / name).write_text("", "utf-8")
    (data / "dialogue_grades_dev.json").write_text("{}", "utf-8")
    (data / "scenario_utterances.jsonl").write_text(
        '{"scenario": "boards.chinext_rules", "text": "创业板涨跌幅多少", "lang": "zh", "split": "dev"}\n'
        '{"scenario": "boards.chinext_rules", "text": "cyb limit?", "lang": "en", "split": "heldout"}\n'
        '{"scenario": "boards.open_chinext", "text": "我要开创业板", "lang": "zh", "split": "dev"}\n',
        "utf-8",
    )
    (question,) = labelled_questions(data, scenarios)
    assert question == LabelledQuestion("创业板涨跌幅多少", frozenset({"zh-0101"}), "scenarios")


def test_a_variant_is_scored_on_right_wrong_and_unanswered(sample_kb) -> None:
    retriever = HybridRetriever(sample_kb)
    questions = [
        LabelledQuestion("创业板开通要什么条件", frozenset({"zh-0101", "zh-0070"}), "test"),
        LabelledQuestion("创业板开通要什么条件", frozenset({"zh-9999"}), "test"),
        LabelledQuestion("帮我写一首诗", frozenset(), "test"),
    ]
    score = score_variant("test", retriever, questions, answer_at=0.3, clarify_at=0.2)
    assert (score.answerable, score.unanswerable) == (2, 1)
    assert score.top1 == 0.5
    assert score.answered_right == 0.5 and score.answered_wrong == 0.5
    assert score.unanswerable_answered == 0.0
