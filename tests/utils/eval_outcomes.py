"""A case outcome as the eval runner records it, for tests of what is computed from outcomes."""

from __future__ import annotations

from typing import Any

from evals.runner import CaseOutcome


def case_outcome(case_id: str, **fields: Any) -> CaseOutcome:
    """A passing answer to a ``fees`` question, 10 ms, nothing else judged; ``fields`` override."""
    values: dict[str, Any] = {
        "question": f"question {case_id}",
        "answer": f"answer {case_id}",
        "action": "answer",
        "predicted_intent": "fees",
        "expected_intent": "fees",
        "ranked_sources": [],
        "cited_sources": [],
        "expected_sources": [],
        "escalated": False,
        "expect_escalation": None,
        "must_include_ok": None,
        "must_not_include_ok": None,
        "key_fact_recall": None,
        "similarity": None,
        "groundedness": None,
        "violations": [],
        "turn_latency_ms": [10.0],
        "passed": True,
        "score": 1.0,
    }
    return CaseOutcome(id=case_id, **(values | fields))
