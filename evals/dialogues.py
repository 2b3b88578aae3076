"""Conversations graded turn by turn: the blind set of investor dialogues.

A dialogue file (``evals/data/dialogues.jsonl``) holds conversations written by someone who
had not read the knowledge base or the intent catalogue, as investors type them. Every
investor turn says what a good reply does (``expect``, ``good_reply``) and, where facts
decide it, what it must and must not say. :func:`run_dialogues` plays each conversation
through the dialogue policy (the channels' code path) and records every reply;
:func:`mechanical_label` grades the turns that a rule can grade honestly (a hand-off that
was asked for, a decline with no source, a must-mention fact missing); the rest are graded
by a person (or a second reader) against ``evals/data/RUBRIC.md`` into a grades file, and
:func:`summarise` counts both. Labels per turn:

* ``resolved``: the reply does what ``good_reply`` says, facts right;
* ``partial``: on topic and not wrong, but incomplete or roundabout;
* ``wrong``: an answer to another question (the nearest entry), wrong facts, a fraud alarm
  on a non-scam, a missed complaint;
* ``good_handoff``: an honest "I don't know" with a person offered, or a hand-off, where
  that is right;
* ``needless_handoff``: the same where the knowledge base answers it;
* ``unsafe``: a promise of returns, a stock tip, asking for a secret, leaking data.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field, ValidationError

from evals.errors import CaseFileError, LineProblem
from evals.metrics import phrases_found

if TYPE_CHECKING:
    from assistant.assembly import Assistant

Expect = Literal[
    "answer",
    "answer_or_handoff",
    "handoff",
    "complaint",
    "fraud_warning",
    "ask",
    "flow",
    "account",
    "decline",
    "smalltalk",
]
Label = Literal["resolved", "partial", "wrong", "good_handoff", "needless_handoff", "unsafe"]
LABELS: tuple[Label, ...] = (
    "resolved",
    "partial",
    "wrong",
    "good_handoff",
    "needless_handoff",
    "unsafe",
)
SIGNED_IN_INVESTOR = "INV-1001"


class DialogueTurn(BaseModel):
    text: str
    expect: Expect
    good_reply: str = ""
    must_mention: list[str] = Field(default_factory=list)
    must_not: list[str] = Field(default_factory=list)


class Dialogue(BaseModel):
    id: str
    lang: Literal["zh", "en", "mixed"]
    category: str
    turns: list[DialogueTurn] = Field(min_length=1)
    investor: Literal["signed_in", "anonymous"] = "anonymous"
    split: Literal["dev", "heldout"] = "dev"

    @property
    def multi_turn(self) -> bool:
        return len(self.turns) > 1


class TurnRecord(BaseModel):
    """One investor turn and what the assistant did with it."""

    text: str
    expect: Expect
    good_reply: str
    must_mention: list[str]
    must_not: list[str]
    reply: str
    action: str
    language: str
    intent: str | None
    intent_confidence: float | None
    sources: list[str]
    source_titles: list[str]
    quick_replies: list[str]
    flags: list[str]
    escalation_reason: str | None
    escalation_priority: int | None
    mechanical: Label | None = None
    mechanical_reason: str = ""


class DialogueRecord(BaseModel):
    id: str
    lang: str
    category: str
    split: str
    investor: str
    turns: list[TurnRecord]


def load_dialogues(path: Path, split: str | None = None) -> list[Dialogue]:
    """Read a dialogue file; every bad line is named in one :class:`CaseFileError`."""
    dialogues: list[Dialogue] = []
    problems: list[LineProblem] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            dialogue = Dialogue.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            problems.append(LineProblem(number, str(exc).splitlines()[0]))
            continue
        if dialogue.id in seen:
            problems.append(LineProblem(number, f"duplicate id {dialogue.id!r}"))
        seen.add(dialogue.id)
        dialogues.append(dialogue)
    if problems:
        raise CaseFileError(path, problems)
    return [d for d in dialogues if split in (None, "all", d.split)]


async def run_dialogues(
    bot: Assistant,
    dialogues: Sequence[Dialogue],
    *,
    on_dialogue: Callable[[], None] = lambda: None,
) -> list[DialogueRecord]:
    """Play every dialogue in a fresh conversation and record each reply; ``on_dialogue`` is
    called after each dialogue."""
    from assistant.dialogue_models import ConversationState

    records: list[DialogueRecord] = []
    for dialogue in dialogues:
        state = ConversationState(
            conversation_id=f"dialogue-{dialogue.id}-{uuid.uuid4().hex[:6]}",
            investor_id=SIGNED_IN_INVESTOR if dialogue.investor == "signed_in" else None,
        )
        turns: list[TurnRecord] = []
        for turn in dialogue.turns:
            reply = await bot.policy.respond(state, turn.text)
            record = TurnRecord(
                text=turn.text,
                expect=turn.expect,
                good_reply=turn.good_reply,
                must_mention=turn.must_mention,
                must_not=turn.must_not,
                reply=reply.text,
                action=reply.action.value,
                language=reply.language,
                intent=reply.intent.name if reply.intent else None,
                intent_confidence=reply.intent.confidence if reply.intent else None,
                sources=[s.id for s in reply.sources],
                source_titles=[s.title for s in reply.sources],
                quick_replies=reply.quick_replies,
                flags=reply.flags,
                escalation_reason=reply.escalation.reason.value if reply.escalation else None,
                escalation_priority=reply.escalation.priority if reply.escalation else None,
            )
            label, reason = mechanical_label(record)
            turns.append(
                record.model_copy(update={"mechanical": label, "mechanical_reason": reason})
            )
            if state.escalated:
                # The cases' later turns are written as if the chat went on with the assistant
                # (evals/data/RUBRIC.md §4.6): a colleague hands the conversation back, as the
                # console's hand-back does, and the next message is the assistant's again.
                state.escalated = False
                state.low_confidence_streak = 0
        records.append(
            DialogueRecord(
                id=dialogue.id,
                lang=dialogue.lang,
                category=dialogue.category,
                split=dialogue.split,
                investor=dialogue.investor,
                turns=turns,
            )
        )
        on_dialogue()
    return records


def _declined(turn: TurnRecord) -> bool:
    return (
        turn.action in ("answer", "clarify") and not turn.sources and turn.escalation_reason is None
    )


def mechanical_label(turn: TurnRecord) -> tuple[Label | None, str]:
    """The label a rule can give honestly, with why; ``(None, "")`` when a reader must judge.

    Only the clear-cut outcomes: a forbidden phrase said, a hand-off that was asked for and
    happened, a decline with no source, a complaint taken in, a required fact missing from an
    answer that claims one. Whether an answer is *right* is left to the reader.
    """
    said = phrases_found(turn.reply, turn.must_not)
    if said:
        return "wrong", f"said what it must not: {said}"
    escalated = turn.escalation_reason is not None
    if turn.expect == "handoff":
        if escalated:
            return "good_handoff", "handed over as asked"
        return "wrong", "no hand-off"
    if turn.expect == "complaint":
        if turn.intent == "complaint" and (escalated or turn.action == "flow"):
            return "resolved", "complaint intake or hand-off"
        return None, ""
    if turn.expect == "decline":
        if turn.sources:
            return "wrong", "answered from an entry instead of declining"
        if _declined(turn):
            return None, ""  # a reader checks the wording is a polite refusal
        return None, ""
    if turn.expect == "smalltalk" and _declined(turn) and not escalated:
        return "resolved", "small talk, no entry"
    missing = [
        m for m in turn.must_mention if m not in phrases_found(turn.reply, turn.must_mention)
    ]
    if turn.expect == "answer" and turn.sources and missing:
        return None, f"missing {missing}"
    return None, ""


class Grade(BaseModel):
    """A reader's labels for one dialogue, one per turn."""

    turns: list[Label]
    covered: list[bool | None] = Field(
        default_factory=list,
        description="per turn: does the knowledge base answer it (None: not a knowledge turn)",
    )
    nearest_entry: list[bool] = Field(
        default_factory=list,
        description="per turn: answered with an entry that does not answer it",
    )
    covering_entries: list[list[str]] = Field(
        default_factory=list, description="per turn: the entries that answer it"
    )
    note: str = ""


def load_grades(path: Path) -> dict[str, Grade]:
    raw = json.loads(path.read_text("utf-8"))
    return {key: Grade.model_validate(value) for key, value in raw.items()}


class DialogueSummary(BaseModel):
    dialogues: int
    turns: int
    turn_labels: dict[str, int]
    turn_rates: dict[str, float]
    resolved_or_good_handoff: float
    multi_turn: int
    multi_turn_fully_resolved: float | None
    uncovered_turns: int
    uncovered_nearest_entry: float | None
    covered_turns: int
    covered_needless_handoff: float | None
    ungraded_turns: int


def final_labels(record: DialogueRecord, grade: Grade | None) -> list[Label | None]:
    """A reader's label where there is one, else the mechanical one."""
    labels: list[Label | None] = []
    for index, turn in enumerate(record.turns):
        if grade is not None and index < len(grade.turns):
            labels.append(grade.turns[index])
        else:
            labels.append(turn.mechanical)
    return labels


def summarise(
    records: Sequence[DialogueRecord], grades: Mapping[str, Grade] | None = None
) -> DialogueSummary:
    """Counts and rates over every turn, and multi-turn dialogues fully resolved."""
    grades = grades or {}
    counts: Counter[str] = Counter()
    ungraded = 0
    multi = multi_ok = 0
    uncovered = uncovered_nearest = covered = covered_needless = 0
    for record in records:
        grade = grades.get(record.id)
        labels = final_labels(record, grade)
        for index, label in enumerate(labels):
            if label is None:
                ungraded += 1
                continue
            counts[label] += 1
            if (
                grade is not None
                and index < len(grade.covered)
                and grade.covered[index] is not None
            ):
                if grade.covered[index]:
                    covered += 1
                    covered_needless += label == "needless_handoff"
                else:
                    uncovered += 1
                    nearest = index < len(grade.nearest_entry) and grade.nearest_entry[index]
                    uncovered_nearest += bool(nearest)
        if len(record.turns) > 1:
            multi += 1
            multi_ok += all(label in ("resolved", "good_handoff") for label in labels)
    graded = sum(counts.values())
    return DialogueSummary(
        dialogues=len(records),
        turns=sum(len(r.turns) for r in records),
        turn_labels={label: counts[label] for label in LABELS},
        turn_rates={label: round(counts[label] / graded, 4) if graded else 0.0 for label in LABELS},
        resolved_or_good_handoff=round((counts["resolved"] + counts["good_handoff"]) / graded, 4)
        if graded
        else 0.0,
        multi_turn=multi,
        multi_turn_fully_resolved=round(multi_ok / multi, 4) if multi else None,
        uncovered_turns=uncovered,
        uncovered_nearest_entry=round(uncovered_nearest / uncovered, 4) if uncovered else None,
        covered_turns=covered,
        covered_needless_handoff=round(covered_needless / covered, 4) if covered else None,
        ungraded_turns=ungraded,
    )


def save_records(records: Sequence[DialogueRecord], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps([r.model_dump() for r in records], ensure_ascii=False, indent=1) + "\n",
        "utf-8",
    )


def load_records(path: Path) -> list[DialogueRecord]:
    return [DialogueRecord.model_validate(r) for r in json.loads(path.read_text("utf-8"))]
