"""The scenario evaluation: the route a reply took, and the summary over utterances."""

from __future__ import annotations

from assistant.dialogue_models import (
    Action,
    BotReply,
    EscalationDecision,
    EscalationReason,
    SourceRef,
)
from evals.scenarios import ScenarioOutcome, summarise, taken_route


def _reply(**fields) -> BotReply:
    return BotReply(text="t", language="zh", action=fields.pop("action", Action.ANSWER), **fields)


def test_the_route_is_read_from_what_the_reply_did() -> None:
    source = SourceRef(id="zh-1", source="faq.csv", title="t", score=1.0, confidence=0.9)
    handoff = EscalationDecision(reason=EscalationReason.REQUESTED, priority=60, summary="s")
    assert taken_route(_reply(sources=[source])) == "faq"
    assert taken_route(_reply(action=Action.CLARIFY, sources=[source])) == "faq"
    assert taken_route(_reply(action=Action.FLOW)) == "flow"
    assert taken_route(_reply(flags=["flow_completed"])) == "flow"
    assert taken_route(_reply(flags=["account_transfers"])) == "account"
    assert taken_route(_reply(action=Action.ESCALATE, escalation=handoff)) == "handoff"
    assert taken_route(_reply(flags=["not_answered", "knowledge_gap"])) == "none"


def _outcome(route: str, taken: str, **extra) -> ScenarioOutcome:
    return ScenarioOutcome(
        scenario=f"c.{route}",
        category="c",
        text="q",
        lang="zh",
        split="heldout",
        route=route,  # type: ignore[arg-type]
        taken=taken,  # type: ignore[arg-type]
        right_route=route == taken,
        **extra,
    )


def test_the_summary_counts_routes_hits_and_account_answers() -> None:
    summary = summarise(
        [
            _outcome("faq", "faq", hit_at_1=True),
            _outcome("faq", "none", hit_at_1=False),
            _outcome("account", "account", account_ok=True),
            _outcome("handoff", "faq"),
        ]
    )
    assert summary.right_route == 0.5
    assert summary.faq_hit_at_1 == 0.5 and summary.account_ok == 1.0
    assert summary.confusions == {"faq -> none": 1, "handoff -> faq": 1}
