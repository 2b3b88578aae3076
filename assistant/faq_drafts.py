"""FAQ drafts from real conversations: a question the assistant did not answer well and the
agent's reply to it (or a curator's own answer), for a curator to review.

:func:`draft_faq` turns such a question and its answer into a :class:`FaqDraft`;
:func:`draft_from_conversation` does it for a stored conversation; :func:`append_drafts`
appends drafts to a CSV sheet that ``assistant ingest`` accepts once a curator has reviewed it.
Which questions need one is :mod:`assistant.quality`'s report.
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from assistant.persistence.records import Event, EventKind, TurnRecord
from assistant.persistence.repositories import ConversationRepository
from assistant.quality import (
    LOW_CONFIDENCE,
    OUT_OF_SCOPE,
    QualityError,
    agent_answer,
    event_text,
    question_at,
    unanswered_question_seqs,
)
from knowledge.loaders import csv_safe_cell
from knowledge.private_files import private_file
from knowledge.text import fold
from text.language import detect_language

DRAFT_COLUMNS = ("question", "answer", "similar_questions", "category", "lang")
"""The drafts sheet's header: the FAQ columns ``assistant ingest`` reads."""

# Two curators drafting at once must not both write a header into a new sheet.
_SHEET_LOCK = threading.Lock()


class NothingToDraftError(QualityError):
    """The conversation holds no question, or no answer to it, to draft an FAQ entry from."""

    code = "nothing_to_draft"


class DraftSourceNotFoundError(QualityError):
    """No conversation with the id a draft names."""

    code = "not_found"
    http_status = 404


class DraftSheetError(QualityError):
    """The drafts sheet exists with other columns, so rows would land under the wrong ones."""

    code = "drafts_sheet_mismatch"
    http_status = 409


class FaqDraft(BaseModel):
    """A FAQ entry drafted from a real question and an agent's reply, for a curator to review."""

    question: str
    answer: str
    similar_questions: list[str] = Field(default_factory=list)
    category: str = ""
    lang: str = ""


def draft_faq(
    events: Sequence[Event],
    turns: Sequence[TurnRecord] = (),
    *,
    seq: int | None = None,
    answer: str | None = None,
    category: str | None = None,
    also_asked: Sequence[str] = (),
    low_confidence: float = LOW_CONFIDENCE,
) -> FaqDraft:
    """A FAQ draft from one conversation: an investor's question and the agent's reply.

    The question is the investor message at ``seq``, or the latest one before
    it when ``seq`` names a reply. Without ``seq`` it is the first message, before
    the first agent message, that the assistant did not answer well (per its
    turn record, :func:`attention_reason`), else the last message before the
    agent's first reply. The answer is every agent message after the question
    up to the investor's next message after them, unless ``answer`` (a
    curator's own) is given; then no agent need have replied. The investor's
    other unanswered messages between the question and the agent's reply become
    similar questions, followed by ``also_asked`` (say, the rest of its
    cluster), each once. ``category`` defaults to the intent recognised for the
    question, unless out of scope.
    """
    ordered = sorted(events, key=lambda e: e.seq)
    asked = [e for e in ordered if e.kind is EventKind.INVESTOR_MESSAGE and event_text(e)]
    first_agent = next(
        (e.seq for e in ordered if e.kind is EventKind.AGENT_MESSAGE and event_text(e)), None
    )
    own_answer = (answer or "").strip()
    if first_agent is None and not own_answer:
        raise NothingToDraftError("no agent replied in this conversation: nothing to draft from")
    unanswered = unanswered_question_seqs(ordered, turns, low_confidence)
    if seq is not None:
        found = question_at(ordered, seq)
        if found is None:
            raise NothingToDraftError(f"no investor message at or before seq {seq}")
        question = found
    else:
        before_agent = [e for e in asked if first_agent is None or e.seq < first_agent]
        if not before_agent:
            raise NothingToDraftError("the agent spoke before the investor asked anything")
        flagged = [e for e in before_agent if e.seq in unanswered]
        question = flagged[0] if flagged else before_agent[-1]
    replies = agent_answer(ordered, question.seq)
    if not replies and not own_answer:
        raise NothingToDraftError(f"no agent message answers the question at seq {question.seq}")
    answer_starts = next(
        (
            e.seq
            for e in ordered
            if e.seq > question.seq and e.kind is EventKind.AGENT_MESSAGE and event_text(e)
        ),
        None,
    )
    in_transcript = [
        event_text(e)
        for e in asked
        if answer_starts is not None
        and question.seq < e.seq < answer_starts
        and e.seq in unanswered
    ]
    similar: dict[str, str] = {fold(event_text(question)): ""}
    for text in (*in_transcript, *(q.strip() for q in also_asked)):
        if text:
            similar.setdefault(fold(text), text)
    reply_turns = [t for t in turns if t.seq > question.seq]
    turn = min(reply_turns, key=lambda t: t.seq) if reply_turns else None
    if category is None:
        category = turn.intent if turn and turn.intent and turn.intent != OUT_OF_SCOPE else ""
    return FaqDraft(
        question=event_text(question),
        answer=own_answer or "\n".join(replies),
        similar_questions=[text for text in similar.values() if text],
        category=category,
        lang=turn.language if turn else detect_language(event_text(question)),
    )


async def draft_from_conversation(
    repository: ConversationRepository,
    conversation_id: str,
    *,
    seq: int | None = None,
    answer: str | None = None,
    category: str | None = None,
    also_asked: Sequence[str] = (),
    low_confidence: float = LOW_CONFIDENCE,
) -> FaqDraft:
    """:func:`draft_faq` over a stored conversation (its events and turn records)."""
    conversation = await repository.get(conversation_id)
    if conversation is None:
        raise DraftSourceNotFoundError(f"no conversation {conversation_id!r}")
    events = await repository.events_after(conversation_id, 0)
    turns = [
        t
        for t in await repository.turns_since(conversation.created_at)
        if t.conversation_id == conversation_id
    ]
    return draft_faq(
        events,
        turns,
        seq=seq,
        answer=answer,
        category=category,
        also_asked=also_asked,
        low_confidence=low_confidence,
    )


def append_drafts(path: str | Path, drafts: Sequence[FaqDraft]) -> Path:
    """Append drafts to a CSV sheet (header written when the file is new or empty).

    Similar questions are joined with ``|``, as FAQ sheets write them. A cell that
    a spreadsheet would run as a formula is neutralised (:func:`csv_safe_cell`;
    ``assistant ingest`` reads it back as written). The file is this user's only
    (0600). An existing file must have the drafts header, so rows never land under
    the wrong columns.
    """
    path = Path(path)
    with _SHEET_LOCK:
        fresh = not path.exists() or path.stat().st_size == 0
        if not fresh:
            with path.open(encoding="utf-8-sig", newline="") as stream:
                header = next(csv.reader(stream), [])
            if tuple(header) != DRAFT_COLUMNS:
                raise DraftSheetError(
                    f"{path}: header is {','.join(header)}; expected {','.join(DRAFT_COLUMNS)}"
                )
        private_file(path)
        with path.open("a", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            if fresh:
                writer.writerow(DRAFT_COLUMNS)
            for draft in drafts:
                cells = [
                    draft.question,
                    draft.answer,
                    "|".join(q.replace("|", "/") for q in draft.similar_questions),
                    draft.category,
                    draft.lang,
                ]
                # Investors and agents wrote these words; the curator opens them in Excel.
                writer.writerow([csv_safe_cell(cell) for cell in cells])
    return path
