"""Production quality: what real conversations say about the assistant, for curators.

:func:`build_quality_report` is a pure function over the records the service
stores (conversations, per-turn records, feedback); :func:`quality_report`
reads them from a :class:`~assistant.persistence.repositories.ConversationRepository`,
adds what an agent answered to each example question, and returns the same
:class:`QualityReport`, which the CLI prints and the console API returns.
Definitions, over a window ``[since, until)``:

* **engaged conversation**: started in the window, with at least one recorded
  turn in it (a widget opened and never used is not a conversation to contain).
* **containment**: the share of engaged conversations no person took over:
  never escalated (no ``escalated_at``, no turn with an escalation reason) and
  not waiting for or held by an agent. **Escalation rate** is the rest; its
  reasons come from the conversation (or, failing that, its last escalating turn).
* **CSAT**: the latest 1–5 score of each conversation (a re-rating replaces
  the first); mean, count, and the share of 4s and 5s. **Thumbs**: the latest
  thumbs of each rated reply.
* **questions needing attention**: a turn the assistant did not answer well:
  out of scope or no intent, escalated for low confidence, asked to clarify,
  an answer from a knowledge intent that found no source (when the knowledge
  intents are given), or an intent confidence under ``low_confidence``. They
  are clustered by meaning (:mod:`assistant.question_clusters`) so the report
  shows what to add to the knowledge base, biggest gap first.

Curators turn those questions into FAQ drafts with :mod:`assistant.faq_drafts`.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
from pydantic import BaseModel, Field

from assistant.errors import AssistantError
from assistant.persistence.records import (
    Conversation,
    ConversationStatus,
    Event,
    EventKind,
    Feedback,
    TurnRecord,
)
from assistant.persistence.repositories import ConversationRepository
from assistant.proactive.outcomes import PushOutcomes
from assistant.question_clusters import (
    CLUSTER_SIMILARITY,
    Attention,
    Embed,
    QuestionCluster,
    QuestionExample,
    cluster_questions,
)
from intents.catalogue import IntentCatalogue
from knowledge.freshness import FreshnessReport

OUT_OF_SCOPE = "out_of_scope"
LOW_CONFIDENCE = 0.5
"""Intent confidence under which an answered turn is flagged as uncertain."""
MAX_WINDOW = timedelta(days=3660)
"""The longest report window (about ten years): longer ones are refused, not overflowed."""


class QualityError(AssistantError):
    """Root of the refusals of this module; ``code`` and ``http_status`` go to the client."""

    code = "quality_error"
    http_status = 422


class InvalidWindowError(QualityError):
    """The report window is not a count and a unit (``7d``), or is too long."""

    code = "invalid_window"


class CountShare(BaseModel):
    """A name with how often it occurred and its share of the total."""

    name: str
    count: int
    share: float


class Satisfaction(BaseModel):
    """CSAT: 1–5 scores, the latest per conversation."""

    responses: int
    mean_score: float | None
    satisfied_share: float | None = Field(description="share of scores 4 or 5")


class Thumbs(BaseModel):
    """Thumbs on individual replies, the latest per reply."""

    up: int
    down: int
    up_share: float | None


class QualityReport(BaseModel):
    """Production quality over a time window; see the module docstring for each definition."""

    since: datetime
    until: datetime
    conversations: int = Field(description="conversations started in the window")
    engaged_conversations: int
    contained: int
    containment_rate: float | None
    escalated: int
    escalation_rate: float | None
    escalation_reasons: list[CountShare]
    turns: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    csat: Satisfaction
    thumbs: Thumbs
    top_intents: list[CountShare]
    attention_turns: int = Field(description="turns the assistant did not answer well")
    attention_rate: float | None
    clusters: list[QuestionCluster]
    stale_knowledge: FreshnessReport | None = Field(
        None,
        description="FAQ entries past their review date (review_by, else updated_at plus the "
        "default age); None when the report was built without the knowledge base",
    )
    pushes: PushOutcomes | None = Field(
        None, description="proactive pushes: delivered, followed, quick replies, muted"
    )


def parse_window(text: str) -> timedelta:
    """``30m``, ``12h``, ``7d`` or ``2w`` as a duration (at most :data:`MAX_WINDOW`)."""
    units = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    value, unit = text[:-1].strip(), text[-1:].lower()
    if unit not in units or not value.isdigit() or int(value) < 1:
        raise InvalidWindowError(
            f"window {text!r} is not a count and a unit, such as 30m, 12h, 7d or 2w"
        )
    if int(value) > MAX_WINDOW / timedelta(**{units[unit]: 1}):
        raise InvalidWindowError(f"window {text!r} is longer than {MAX_WINDOW.days} days")
    return timedelta(**{units[unit]: int(value)})


def knowledge_intents(catalogue: IntentCatalogue) -> set[str]:
    """The intents answered from the knowledge base: an answer of theirs needs a source."""
    return {intent.name for intent in catalogue.intents if intent.handler == "knowledge"}


def attention_reason(
    turn: TurnRecord,
    *,
    low_confidence: float = LOW_CONFIDENCE,
    knowledge_intents: Collection[str] | None = None,
) -> Attention | None:
    """Why a turn needs a curator's attention, or None when it was answered with confidence.

    A turn escalated for any reason but low confidence (a request for a person,
    a complaint, fraud) is the policy working, not a gap in the knowledge base.
    """
    if turn.escalation_reason is not None:
        return "low_confidence_handoff" if turn.escalation_reason == "low_confidence" else None
    if turn.intent is None or turn.intent == OUT_OF_SCOPE:
        return "out_of_scope"
    if turn.action == "clarify":
        return "clarify"
    if (
        turn.action == "answer"
        and knowledge_intents is not None
        and turn.intent in knowledge_intents
        and not turn.sources
    ):
        return "no_source"
    if turn.confidence is not None and turn.confidence < low_confidence:
        return "uncertain"
    return None


def build_quality_report(
    conversations: Sequence[Conversation],
    turns: Sequence[TurnRecord],
    feedback: Sequence[Feedback],
    *,
    since: datetime,
    until: datetime,
    embed: Embed | None = None,
    low_confidence: float = LOW_CONFIDENCE,
    knowledge_intents: Collection[str] | None = None,
    similarity: float = CLUSTER_SIMILARITY,
    top: int = 10,
    stale_knowledge: FreshnessReport | None = None,
) -> QualityReport:
    """The report for records in ``[since, until)`` (records outside are ignored).

    ``embed`` clusters the questions needing attention by meaning; without it
    only identical questions (after normalising case, width and spaces) group.
    The examples carry no agent replies: those are in the events, which
    :func:`quality_report` reads.
    """
    conversations = [c for c in conversations if since <= c.created_at < until]
    turns = [t for t in turns if since <= t.created_at < until]
    feedback = sorted(
        (f for f in feedback if since <= f.created_at < until), key=lambda f: f.created_at
    )
    turns_by_conversation: dict[str, list[TurnRecord]] = {}
    for turn in turns:
        turns_by_conversation.setdefault(turn.conversation_id, []).append(turn)
    engaged = [c for c in conversations if c.id in turns_by_conversation]
    reasons: Counter[str] = Counter()
    for conversation in engaged:
        reason = _escalation_reason(conversation, turns_by_conversation[conversation.id])
        if reason is not None:
            reasons[reason] += 1
    escalated = sum(reasons.values())

    scores: dict[str, int] = {}
    thumbs: dict[tuple[str, int | None], str] = {}
    for item in feedback:  # oldest first, so the latest wins
        if item.score is not None:
            scores[item.conversation_id] = item.score
        if item.thumbs in ("up", "down"):
            thumbs[(item.conversation_id, item.seq)] = item.thumbs
    thumbs_up = sum(t == "up" for t in thumbs.values())

    needing: list[QuestionExample] = []
    for turn in turns:
        reason = attention_reason(
            turn, low_confidence=low_confidence, knowledge_intents=knowledge_intents
        )
        if reason is not None:
            needing.append(
                QuestionExample(
                    question=turn.question,
                    conversation_id=turn.conversation_id,
                    seq=turn.seq,
                    intent=turn.intent,
                    confidence=turn.confidence,
                    reason=reason,
                )
            )
    p50 = p95 = None
    if turns:
        # Linear interpolation between neighbours, as the evaluation reports compute them.
        p50, p95 = (float(v) for v in np.percentile([t.latency_ms for t in turns], [50, 95]))
    return QualityReport(
        since=since,
        until=until,
        conversations=len(conversations),
        engaged_conversations=len(engaged),
        contained=len(engaged) - escalated,
        containment_rate=_share(len(engaged) - escalated, len(engaged)),
        escalated=escalated,
        escalation_rate=_share(escalated, len(engaged)),
        escalation_reasons=_ranked(reasons, escalated, len(reasons)),
        turns=len(turns),
        latency_p50_ms=p50,
        latency_p95_ms=p95,
        csat=Satisfaction(
            responses=len(scores),
            mean_score=sum(scores.values()) / len(scores) if scores else None,
            satisfied_share=_share(sum(s >= 4 for s in scores.values()), len(scores)),
        ),
        thumbs=Thumbs(
            up=thumbs_up, down=len(thumbs) - thumbs_up, up_share=_share(thumbs_up, len(thumbs))
        ),
        top_intents=_ranked(Counter(t.intent or "(none)" for t in turns), len(turns), top),
        attention_turns=len(needing),
        attention_rate=_share(len(needing), len(turns)),
        clusters=cluster_questions(needing, embed, similarity=similarity)[:top],
        stale_knowledge=stale_knowledge,
    )


async def quality_report(
    repository: ConversationRepository,
    *,
    since: datetime,
    until: datetime | None = None,
    embed: Embed | None = None,
    low_confidence: float = LOW_CONFIDENCE,
    knowledge_intents: Collection[str] | None = None,
    similarity: float = CLUSTER_SIMILARITY,
    top: int = 10,
    stale_knowledge: FreshnessReport | None = None,
) -> QualityReport:
    """Read the window's records from storage and build the report (``until`` defaults to now).

    The building, question embeddings included, runs in a worker thread. Each
    example of the clusters shown then gets the agent's reply to it, read from
    its conversation, so a curator can draft an FAQ entry from it.

    Storage errors (:class:`~assistant.persistence.repositories.StorageError`)
    pass through for the caller to map.
    """
    end = until or datetime.now(UTC)
    conversations = await repository.conversations_since(since)
    turns = await repository.turns_since(since)
    feedback = await repository.feedback_since(since)
    # Embedding the questions is CPU work: keep it off the event loop.
    report = await asyncio.to_thread(
        build_quality_report,
        conversations,
        turns,
        feedback,
        since=since,
        until=end,
        embed=embed,
        low_confidence=low_confidence,
        knowledge_intents=knowledge_intents,
        similarity=similarity,
        top=top,
        stale_knowledge=stale_knowledge,
    )
    # The report is this call's own: its examples are filled in place.
    examples = [e for cluster in report.clusters for e in cluster.examples]
    for conversation_id in dict.fromkeys(e.conversation_id for e in examples):
        ordered = await repository.events_after(conversation_id, 0)
        for example in examples:
            if example.conversation_id == conversation_id:
                question = question_at(ordered, example.seq)
                answer = agent_answer(ordered, question.seq) if question else []
                example.agent_reply = "\n".join(answer) or None
    return report


def _escalation_reason(conversation: Conversation, turns: Sequence[TurnRecord]) -> str | None:
    turn_reasons = [t.escalation_reason for t in turns if t.escalation_reason]
    handed_over = (
        conversation.escalated_at is not None
        or conversation.escalation_reason is not None
        or conversation.status in (ConversationStatus.QUEUED, ConversationStatus.AGENT)
        or bool(turn_reasons)
    )
    if not handed_over:
        return None
    return conversation.escalation_reason or (turn_reasons[-1] if turn_reasons else "unknown")


def unanswered_question_seqs(
    events: Sequence[Event], turns: Sequence[TurnRecord], low_confidence: float
) -> set[int]:
    """Seqs of investor messages whose reply's turn record needs attention."""
    flagged_replies = {
        t.seq for t in turns if attention_reason(t, low_confidence=low_confidence) is not None
    }
    seqs: set[int] = set()
    last_question: int | None = None
    for event in events:
        if event.kind is EventKind.INVESTOR_MESSAGE:
            last_question = event.seq
        elif (
            event.kind is EventKind.REPLY
            and event.seq in flagged_replies
            and last_question is not None
        ):
            seqs.add(last_question)
    return seqs


def question_at(ordered: Sequence[Event], seq: int) -> Event | None:
    """The investor message at ``seq``, or the latest one before it."""
    candidates = [
        e
        for e in ordered
        if e.kind is EventKind.INVESTOR_MESSAGE and event_text(e) and e.seq <= seq
    ]
    return candidates[-1] if candidates else None


def agent_answer(ordered: Sequence[Event], question_seq: int) -> list[str]:
    """The agent messages after the question, up to the investor's next message after them."""
    replies: list[str] = []
    for event in ordered:
        if event.seq <= question_seq:
            continue
        if event.kind is EventKind.INVESTOR_MESSAGE and replies:
            break
        if event.kind is EventKind.AGENT_MESSAGE and event_text(event):
            replies.append(event_text(event))
    return replies


def event_text(event: Event) -> str:
    return str(event.payload.get("text") or "").strip()


def _ranked(counts: Counter[str], total: int, top: int) -> list[CountShare]:
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]
    return [CountShare(name=name, count=n, share=n / total) for name, n in ordered]


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None
