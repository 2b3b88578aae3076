"""The answerability ablation: labelled dev questions and how a variant is scored."""

from __future__ import annotations

from evals.answerability import LabelledQuestion, labelled_questions, score_variant
from knowledge.retrieval import HybridRetriever


def test_the_dev_questions_come_with_what_answers_them() -> None:
    questions = labelled_questions()
    origins = {q.origin for q in questions}
    assert origins == {"retrieval", "cases", "dialogues"}
    answerable = [q for q in questions if q.answers]
    assert len(answerable) > 300 and len(questions) - len(answerable) > 40
    assert all(q.text.strip() for q in questions)


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
