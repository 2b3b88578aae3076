"""The blind dialogue set: loading, playing, labelling what rules can, counting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.dialogues import (
    Dialogue,
    DialogueRecord,
    Grade,
    TurnRecord,
    load_dialogues,
    load_grades,
    mechanical_label,
    run_dialogues,
    summarise,
)
from evals.errors import CaseFileError

SHIPPED = Path(__file__).resolve().parents[2] / "evals" / "data" / "dialogues.jsonl"


def _turn(**overrides) -> TurnRecord:
    values = {
        "text": "q",
        "expect": "answer",
        "good_reply": "",
        "must_mention": [],
        "must_not": [],
        "reply": "r",
        "action": "answer",
        "language": "zh",
        "intent": None,
        "intent_confidence": None,
        "sources": [],
        "source_titles": [],
        "quick_replies": [],
        "flags": [],
        "escalation_reason": None,
        "escalation_priority": None,
    }
    return TurnRecord(**(values | overrides))


def test_the_shipped_blind_set_has_the_size_and_mix_it_promises() -> None:
    dialogues = load_dialogues(SHIPPED)
    assert len(dialogues) >= 200
    assert sum(d.multi_turn for d in dialogues) >= 30
    heldout = [d for d in dialogues if d.split == "heldout"]
    assert len(heldout) >= 100 and sum(d.multi_turn for d in heldout) >= 15
    assert {d.lang for d in dialogues} == {"zh", "en", "mixed"}


def test_a_bad_line_is_reported_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    good = {"id": "x", "lang": "zh", "category": "c", "turns": [{"text": "t", "expect": "answer"}]}
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "lang": "fr"}) + "\n", "utf-8")
    with pytest.raises(CaseFileError, match="line 2"):
        load_dialogues(path)


def test_a_forbidden_phrase_is_wrong_whatever_else() -> None:
    label, _ = mechanical_label(_turn(expect="complaint", must_not=["110"], reply="请拨打110"))
    assert label == "wrong"


def test_a_requested_hand_off_that_happens_is_good() -> None:
    assert mechanical_label(_turn(expect="handoff", escalation_reason="requested_human"))[0] == (
        "good_handoff"
    )
    assert mechanical_label(_turn(expect="handoff"))[0] == "wrong"


def test_answering_an_off_topic_message_from_an_entry_is_wrong() -> None:
    assert mechanical_label(_turn(expect="decline", sources=["zh-0001"]))[0] == "wrong"


def test_whether_an_answer_is_right_is_left_to_a_reader() -> None:
    assert mechanical_label(_turn(expect="answer", sources=["zh-0001"]))[0] is None


def test_summary_counts_readers_grades_over_mechanical_ones() -> None:
    records = [
        DialogueRecord(
            id="a",
            lang="zh",
            category="c",
            split="dev",
            investor="anonymous",
            turns=[_turn(mechanical="wrong"), _turn()],
        ),
        DialogueRecord(
            id="b",
            lang="zh",
            category="c",
            split="dev",
            investor="anonymous",
            turns=[_turn()],
        ),
    ]
    grades = {
        "a": Grade(
            turns=["resolved", "good_handoff"], covered=[True, False], nearest_entry=[False, False]
        ),
        "b": Grade(turns=["wrong"], covered=[False], nearest_entry=[True]),
    }
    summary = summarise(records, grades)
    assert summary.turn_labels["resolved"] == 1 and summary.turn_labels["wrong"] == 1
    assert summary.resolved_or_good_handoff == pytest.approx(2 / 3, abs=1e-3)
    assert summary.multi_turn == 1 and summary.multi_turn_fully_resolved == 1.0
    assert summary.uncovered_turns == 2 and summary.uncovered_nearest_entry == 0.5
    assert summary.covered_turns == 1 and summary.covered_needless_handoff == 0.0


async def test_turns_after_a_hand_off_are_played_with_the_assistant_again(
    sample_kb, tmp_path: Path
) -> None:
    # The cases' later turns are written as if a colleague handed the chat back (RUBRIC §4.6).
    from assistant.assembly import build_assistant
    from assistant.settings import Settings

    bot = build_assistant(Settings(state_dir=tmp_path), kb_dir=sample_kb.directory)
    dialogue = Dialogue.model_validate(
        {
            "id": "t-1",
            "lang": "zh",
            "category": "human_request",
            "turns": [
                {"text": "转人工", "expect": "handoff"},
                {"text": "卖股票印花税多少", "expect": "answer"},
            ],
        }
    )
    try:
        (record,) = await run_dialogues(bot, [dialogue])
    finally:
        bot.close()
    handoff, question = record.turns
    assert handoff.action == "escalate"
    assert question.action == "answer" and question.sources
    assert "0.05%" in question.reply


def test_the_further_blind_conversations_load_as_development_cases() -> None:
    more = load_dialogues(SHIPPED.with_name("dialogues_more_dev.jsonl"))
    assert len(more) >= 80 and all(d.split == "dev" for d in more)
    assert not {d.id for d in more} & {d.id for d in load_dialogues(SHIPPED)}


@pytest.mark.parametrize(
    ("cases", "graded"),
    [
        ("dialogues_fresh_dev.jsonl", "dialogue_grades_fresh_dev.json"),
        ("dialogues_fresh2_dev.jsonl", "dialogue_grades_fresh2_dev.json"),
        ("dialogues_fresh3_dev.jsonl", "dialogue_grades_fresh3_dev.json"),
        ("dialogues_fresh4_dev.jsonl", "dialogue_grades_fresh4_dev.json"),
        ("dialogues_fresh5_dev.jsonl", "dialogue_grades_fresh5_dev.json"),
        ("dialogues_fresh6_dev.jsonl", "dialogue_grades_fresh6_dev.json"),
    ],
)
def test_the_fresh_blind_conversations_load_with_a_grade_for_every_turn(
    cases: str, graded: str
) -> None:
    fresh = load_dialogues(SHIPPED.with_name(cases))
    assert len(fresh) >= 50 and all(d.split == "dev" for d in fresh)
    others = [
        dialogue
        for name in (
            "dialogues.jsonl",
            "dialogues_more_dev.jsonl",
            "dialogues_fresh_dev.jsonl",
            "dialogues_fresh2_dev.jsonl",
            "dialogues_fresh3_dev.jsonl",
            "dialogues_fresh4_dev.jsonl",
            "dialogues_fresh5_dev.jsonl",
            "dialogues_fresh6_dev.jsonl",
        )
        if name != cases
        for dialogue in load_dialogues(SHIPPED.with_name(name))
    ]
    assert not {d.id for d in fresh} & {d.id for d in others}
    grades = load_grades(SHIPPED.with_name(graded))
    assert all(len(grades[d.id].turns) == len(d.turns) for d in fresh)
