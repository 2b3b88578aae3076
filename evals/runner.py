"""Run evaluation cases through the real assistant and score the replies.

Each case gets a fresh conversation and goes through ``DialoguePolicy.respond``,
the code path the websocket uses, turn by turn. The last reply is scored;
escalation counts if any turn escalated.

Besides the scores, an outcome keeps what a curator needs to act on a failure
(the passages retrieved for the last message, the phrases and key facts the
answer missed). Intent-only cases, such as a public benchmark's, skip that
retrieval and the groundedness of the answer, so that thousands of them stay cheap.

With an LLM judge configured, :func:`judge_outcomes` adds its faithfulness and
relevance verdicts (``evals.judge``) after the cases have run, so judging never
adds to the turn latencies measured.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from assistant.assembly import Assistant
from assistant.dialogue_models import ConversationState
from evals import metrics
from evals.cases import EvalCase
from evals.judge import CaseJudgment, LlmJudge
from evals.key_facts import key_fact_recall, missing_key_facts
from intents.catalogue import OUT_OF_SCOPE_INTENT

OUT_OF_SCOPE = OUT_OF_SCOPE_INTENT  # what the summary counts as out of scope, split files' oos rows
GROUNDED_AT = 0.85  # E5 cosine from which a passage supports an answer sentence
PASSAGE_EXCERPT = 300  # characters of each retrieved passage kept for the report


class PassageView(BaseModel):
    """A passage retrieved for a case's last message, as the report shows it."""

    id: str
    title: str
    source: str
    score: float
    confidence: float
    excerpt: str


class CaseOutcome(BaseModel):
    """What happened to one case, kept for the report and for case-by-case comparison."""

    id: str
    question: str
    answer: str
    action: str
    predicted_intent: str | None
    expected_intent: str | None
    ranked_sources: list[str]
    cited_sources: list[str]
    expected_sources: list[str]
    escalated: bool
    expect_escalation: bool | None
    must_include_ok: bool | None
    must_not_include_ok: bool | None
    key_fact_recall: float | None
    similarity: float | None
    groundedness: float | None
    violations: list[str]
    turn_latency_ms: list[float]
    tags: list[str] = Field(default_factory=list)
    passed: bool
    score: float | None
    confidence: float | None = Field(None, description="intent confidence of the last turn")
    escalation_reason: str | None = None
    passages: list[PassageView] = Field(default_factory=list)
    must_include_missing: list[str] = Field(default_factory=list)
    must_not_include_found: list[str] = Field(default_factory=list)
    missing_key_facts: list[str] = Field(default_factory=list)
    lang: str | None = None
    split: str = "dev"
    judgment: CaseJudgment | None = Field(
        None, description="the LLM judge's verdicts; None when no judge ran or nothing to judge"
    )


async def run_case(bot: Assistant, case: EvalCase) -> CaseOutcome:
    """Play the case's turns in a fresh conversation and score the last reply."""
    state = ConversationState(conversation_id=f"eval-{case.id}-{uuid.uuid4().hex[:6]}")
    latencies: list[float] = []
    escalated = False
    reply = None
    escalation_reason = None
    for text in case.user_turns:
        started = time.perf_counter()
        reply = await bot.policy.respond(state, text)
        latencies.append((time.perf_counter() - started) * 1000)
        escalated = escalated or reply.escalate
        if reply.escalation is not None:
            escalation_reason = str(reply.escalation.reason)
    assert reply is not None  # a case has at least one turn
    last = case.user_turns[-1]
    intent_only = _intent_only(case)
    retrieved = [] if intent_only else bot.retriever.search(last, k=5)
    ranked = [p.unit.id for p in retrieved] if case.expected_sources else []
    answer = reply.text
    similarity = groundedness = None
    if case.reference_answer:
        vectors = bot.kb.embedder.encode_passages([answer, case.reference_answer])
        similarity = float(vectors[0] @ vectors[1])
    if reply.sources and not intent_only:
        passages = [u.text for u in bot.kb.units([s.id for s in reply.sources]).values()]
        sentences = metrics.split_sentences(answer)
        groundedness = metrics.groundedness(
            sentences, passages, _similarity(bot, [*sentences, *passages]), threshold=GROUNDED_AT
        )
    found = metrics.phrases_found(answer, case.must_include)
    outcome = CaseOutcome(
        id=case.id,
        question=" / ".join(case.user_turns),
        answer=answer,
        action=reply.action.value,
        predicted_intent=reply.intent.name if reply.intent else None,
        expected_intent=case.expected_intent,
        ranked_sources=ranked,
        cited_sources=[s.id for s in reply.sources],
        expected_sources=case.expected_sources,
        escalated=escalated,
        expect_escalation=case.expect_escalation,
        must_include_ok=metrics.includes_all(answer, case.must_include)
        if case.must_include
        else None,
        must_not_include_ok=(
            metrics.includes_none(answer, case.must_not_include) if case.must_not_include else None
        ),
        key_fact_recall=(
            key_fact_recall(answer, case.reference_answer) if case.reference_answer else None
        ),
        similarity=similarity,
        groundedness=groundedness,
        violations=[v.kind for v in bot.guard.violations(answer)],
        turn_latency_ms=[round(x, 2) for x in latencies],
        tags=case.tags,
        passed=False,
        score=None,
        confidence=reply.intent.confidence if reply.intent else None,
        escalation_reason=escalation_reason,
        passages=[
            PassageView(
                id=p.unit.id,
                title=p.unit.title,
                source=p.unit.source,
                score=round(p.score, 4),
                confidence=round(p.confidence, 4),
                excerpt=p.unit.text[:PASSAGE_EXCERPT],
            )
            for p in retrieved
        ],
        must_include_missing=[p for p in case.must_include if p not in found],
        must_not_include_found=metrics.phrases_found(answer, case.must_not_include),
        missing_key_facts=(
            [f.text for f in missing_key_facts(answer, case.reference_answer)]
            if case.reference_answer
            else []
        ),
        lang=case.lang,
        split=case.split,
    )
    checks = list(case_checks(outcome).values())
    return outcome.model_copy(update={"passed": all(checks), "score": sum(checks) / len(checks)})


def case_checks(outcome: CaseOutcome) -> dict[str, bool]:
    """Whether a case met each of its checks, by name, always in this order; a check the
    case does not ask for (no expected intent, no phrases, ...) counts as met.

    The one definition of a case's pass/fail: the runner's ``passed`` and ``score`` and the
    report's failed checks both come from it.
    """
    return {
        "intent": outcome.expected_intent is None
        or outcome.predicted_intent == outcome.expected_intent,
        "escalation": outcome.expect_escalation is None
        or outcome.escalated == outcome.expect_escalation,
        "must include": outcome.must_include_ok is not False,
        "must not include": outcome.must_not_include_ok is not False,
        "compliance": not outcome.violations,
        "sources": not outcome.expected_sources
        or bool(set(outcome.ranked_sources[:5]) & set(outcome.expected_sources)),
    }


def judgeable(outcome: CaseOutcome) -> bool:
    """Whether the judge sees this case: an answer that cites a source it can be checked against.

    Clarifying questions, flow prompts, escalations and "not found" replies
    state nothing from the knowledge base, so faithfulness means nothing there.
    """
    return outcome.action == "answer" and bool(outcome.cited_sources)


async def judge_outcomes(
    bot: Assistant,
    judge: LlmJudge,
    cases: Sequence[EvalCase],
    outcomes: Sequence[CaseOutcome],
    *,
    on_judged: Callable[[], None] | None = None,
) -> list[CaseOutcome]:
    """``outcomes`` (in the order of ``cases``) with the judge's verdicts on every judgeable answer.

    The judge reads the whole texts of the passages the answer cites, then of
    the others retrieved for the last message: what the answer could have been
    written from. Answers are judged concurrently, as the judge allows.
    """

    async def judged(case: EvalCase, outcome: CaseOutcome) -> CaseOutcome:
        if not judgeable(outcome):
            return outcome
        ids = list(dict.fromkeys([*outcome.cited_sources, *(p.id for p in outcome.passages)]))
        units = bot.kb.units(ids)
        passages = [units[i].text for i in ids if i in units]
        verdict = await judge.judge(case.user_turns, outcome.answer, passages)
        if on_judged is not None:
            on_judged()
        return outcome.model_copy(update={"judgment": verdict})

    return list(await asyncio.gather(*(judged(c, o) for c, o in zip(cases, outcomes, strict=True))))


def _intent_only(case: EvalCase) -> bool:
    """Judged on the intent alone: no sources, answer phrases, reference or escalation."""
    return case.expected_intent is not None and not (
        case.expected_sources
        or case.reference_answer
        or case.must_include
        or case.must_not_include
        or case.expect_escalation is not None
    )


def _similarity(bot: Assistant, texts: Sequence[str]) -> Callable[[str, str], float]:
    """Cosine between any two of ``texts``, all embedded in one batch up front."""
    unique = list(dict.fromkeys(texts))
    vectors = dict(zip(unique, bot.kb.embedder.encode_passages(unique), strict=True))

    def similarity(sentence: str, passage: str) -> float:
        return float(np.dot(vectors[sentence], vectors[passage]))

    return similarity


def summarise(outcomes: Sequence[CaseOutcome]) -> dict[str, float | None]:
    """Flat metric names (``area.metric``) as the thresholds file uses them."""
    with_intent = [o for o in outcomes if o.expected_intent]
    gold = [o.expected_intent or "" for o in with_intent]
    predicted = [o.predicted_intent or OUT_OF_SCOPE for o in with_intent]
    oos = metrics.out_of_scope_scores(gold, predicted, oos_label=OUT_OF_SCOPE)
    with_sources = [o for o in outcomes if o.expected_sources]
    rankings = [o.ranked_sources for o in with_sources]
    relevant = [set(o.expected_sources) for o in with_sources]
    with_escalation = [o for o in outcomes if o.expect_escalation is not None]
    escalation = metrics.precision_recall(
        [bool(o.expect_escalation) for o in with_escalation], [o.escalated for o in with_escalation]
    )
    latency = metrics.latency_summary([ms for o in outcomes for ms in o.turn_latency_ms])
    cited = [o for o in outcomes if o.cited_sources and o.expected_sources]
    return {
        "cases": float(len(outcomes)),
        "pass_rate": _mean([1.0 if o.passed else 0.0 for o in outcomes]),
        "intent.accuracy": metrics.accuracy(gold, predicted),
        "intent.macro_f1": metrics.macro_f1(gold, predicted),
        # Refusing an in-scope question counts as wrong; None when every case is out of scope.
        "intent.in_scope_accuracy": metrics.in_scope_accuracy(
            gold, predicted, oos_label=OUT_OF_SCOPE
        ),
        "intent.oos_precision": oos.precision,
        "intent.oos_recall": oos.recall,
        "retrieval.hit_at_1": metrics.mean_hit_at_k(rankings, relevant, 1),
        "retrieval.hit_at_5": metrics.mean_hit_at_k(rankings, relevant, 5),
        "retrieval.mrr": metrics.mean_reciprocal_rank(rankings, relevant, 5),
        "retrieval.ndcg_at_5": metrics.mean_ndcg_at_k(rankings, relevant, 5),
        "answer.must_include_rate": _rate(o.must_include_ok for o in outcomes),
        "answer.must_not_include_rate": _rate(o.must_not_include_ok for o in outcomes),
        "answer.key_fact_recall": _mean([o.key_fact_recall for o in outcomes]),
        "answer.semantic_similarity": _mean([o.similarity for o in outcomes]),
        "answer.groundedness": _mean([o.groundedness for o in outcomes]),
        "answer.citation_accuracy": _mean(
            [
                len(set(o.cited_sources) & set(o.expected_sources)) / len(o.cited_sources)
                for o in cited
            ]
        ),
        "escalation.precision": escalation.precision,
        "escalation.recall": escalation.recall,
        "compliance.violations": float(sum(len(o.violations) for o in outcomes)),
        "latency.p50_ms": latency.p50 if latency else None,
        "latency.p95_ms": latency.p95 if latency else None,
    }


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _rate(flags: Any) -> float | None:
    return _mean([None if f is None else (1.0 if f else 0.0) for f in flags])
