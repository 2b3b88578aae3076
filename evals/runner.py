"""Run evaluation cases through the real assistant and score the replies.

Each case gets a fresh conversation and goes through ``DialoguePolicy.respond``,
the code path the websocket uses, turn by turn. The last reply is scored;
escalation counts if any turn escalated.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from assistant.conversation import ConversationState
from assistant.service import Assistant
from evals import metrics
from evals.cases import EvalCase

OUT_OF_SCOPE = "out_of_scope"
GROUNDED_AT = 0.85  # E5 cosine from which a passage supports an answer sentence


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


async def run_case(bot: Assistant, case: EvalCase) -> CaseOutcome:
    state = ConversationState(conversation_id=f"eval-{case.id}-{uuid.uuid4().hex[:6]}")
    latencies: list[float] = []
    escalated = False
    reply = None
    for text in case.user_turns:
        started = time.perf_counter()
        reply = await bot.policy.respond(state, text)
        latencies.append((time.perf_counter() - started) * 1000)
        escalated = escalated or reply.escalate
    assert reply is not None  # a case has at least one turn
    last = case.user_turns[-1]
    ranked = [p.unit.id for p in bot.retriever.search(last, k=5)] if case.expected_sources else []
    answer = reply.text
    similarity = groundedness = None
    if case.reference_answer:
        vectors = bot.kb.embedder.encode_passages([answer, case.reference_answer])
        similarity = float(vectors[0] @ vectors[1])
    if reply.sources:
        passages = [u.text for u in bot.kb.units([s.id for s in reply.sources]).values()]
        groundedness = metrics.groundedness(
            metrics.split_sentences(answer), passages, _similarity(bot), threshold=GROUNDED_AT
        )
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
            metrics.key_fact_recall(answer, case.reference_answer)
            if case.reference_answer
            else None
        ),
        similarity=similarity,
        groundedness=groundedness,
        violations=[v.kind for v in bot.guard.violations(answer)],
        turn_latency_ms=[round(x, 2) for x in latencies],
        tags=case.tags,
        passed=False,
        score=None,
    )
    checks = [
        outcome.expected_intent is None or outcome.predicted_intent == outcome.expected_intent,
        outcome.expect_escalation is None or outcome.escalated == outcome.expect_escalation,
        outcome.must_include_ok is not False,
        outcome.must_not_include_ok is not False,
        not outcome.violations,
        not outcome.expected_sources or bool(set(ranked[:5]) & set(outcome.expected_sources)),
    ]
    return outcome.model_copy(update={"passed": all(checks), "score": sum(checks) / len(checks)})


def _similarity(bot: Assistant) -> Callable[[str, str], float]:
    def similarity(sentence: str, passage: str) -> float:
        vectors = bot.kb.embedder.encode_passages([sentence, passage])
        return float(np.dot(vectors[0], vectors[1]))

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
