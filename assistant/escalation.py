"""When to hand a conversation to a person, how urgently, and what to tell them."""

from __future__ import annotations

import re

from assistant.dialogue_models import (
    ConversationState,
    EscalationDecision,
    EscalationReason,
    Speaker,
)

PRIORITY: dict[EscalationReason, int] = {
    EscalationReason.FRAUD: 90,
    EscalationReason.COMPLAINT: 80,
    EscalationReason.FLOW_NEEDS_HUMAN: 75,
    EscalationReason.NEGATIVE_SENTIMENT: 70,
    EscalationReason.REQUESTED: 60,
    EscalationReason.LOW_CONFIDENCE: 40,
}

REASON_LABELS: dict[str, dict[EscalationReason, str]] = {
    "zh": {
        EscalationReason.FRAUD: "疑似诈骗",
        EscalationReason.COMPLAINT: "投诉",
        EscalationReason.FLOW_NEEDS_HUMAN: "业务需人工",
        EscalationReason.NEGATIVE_SENTIMENT: "情绪激动",
        EscalationReason.REQUESTED: "主动要求人工",
        EscalationReason.LOW_CONFIDENCE: "未能解答",
    },
    "en": {
        EscalationReason.FRAUD: "Possible fraud",
        EscalationReason.COMPLAINT: "Complaint",
        EscalationReason.FLOW_NEEDS_HUMAN: "Needs staff",
        EscalationReason.NEGATIVE_SENTIMENT: "Upset",
        EscalationReason.REQUESTED: "Asked for a person",
        EscalationReason.LOW_CONFIDENCE: "Not answered",
    },
}
"""What the staff console shows for each reason, in each of its languages (``zh``, ``en``);
sent with the signed-in agent (``/api/console/login``, ``/api/console/me``)."""


# Strong, unambiguous anger; a single mild word ("慢") is not enough.
_ANGER = re.compile(
    r"(垃圾|破系统|破软件|气死|太差劲|什么玩意|坑人|骗人|忍无可忍|投诉你们|滚|无语死|烂透|"
    r"\bterrible\b|\buseless\b|\bworst\b|\bridiculous\b|\bfed up\b|\bunacceptable\b|"
    r"\bangry\b|\bfurious\b|\bscam(?:med)?\b|wtf)",
    re.IGNORECASE,
)
_SHOUTING = re.compile(r"[!！]{3,}|[?？]{3,}")


def negative_sentiment(text: str) -> float:
    """A score in [0, 1]: anger words count most, repeated exclamation marks add."""
    score = 0.6 * min(2, len(_ANGER.findall(text))) / 2 + (0.4 if _SHOUTING.search(text) else 0.0)
    if re.search(r"[A-Z]{6,}", text):  # SHOUTING IN CAPITALS
        score += 0.2
    return min(1.0, score)


class EscalationPolicy:
    """The escalation rules; the thresholds are settings."""

    def __init__(self, *, low_confidence_turns: int = 2, anger_threshold: float = 0.6) -> None:
        self.low_confidence_turns = low_confidence_turns
        self.anger_threshold = anger_threshold

    def decide(
        self,
        state: ConversationState,
        reason: EscalationReason,
        *,
        intent: str | None = None,
        priority: int | None = None,
    ) -> EscalationDecision:
        return EscalationDecision(
            reason=reason,
            priority=priority if priority is not None else PRIORITY[reason],
            summary=summarise(state, reason, intent),
        )

    def is_angry(self, text: str) -> bool:
        return negative_sentiment(text) >= self.anger_threshold

    def too_many_misses(self, state: ConversationState) -> bool:
        return state.low_confidence_streak >= self.low_confidence_turns


def summarise(state: ConversationState, reason: EscalationReason, intent: str | None) -> str:
    """A short hand-over note: why, what the investor wants, the last few turns."""
    investor_turns = [t.text for t in state.turns if t.speaker is Speaker.INVESTOR]
    lines = [f"reason: {reason.value}"]
    if intent:
        lines.append(f"intent: {intent}")
    if state.flow:
        filled = ", ".join(f"{k}={v}" for k, v in state.flow.slots.items()) or "-"
        lines.append(f"flow: {state.flow.name} ({filled})")
    if state.flags:
        lines.append(f"flags: {', '.join(sorted(state.flags))}")
    if investor_turns:
        lines.append(f"first question: {investor_turns[0][:120]}")
        recent = investor_turns[-3:]
        lines.append("recent: " + " / ".join(t[:80] for t in recent))
    lines.append(f"turns: {len(state.turns)}")
    return "\n".join(lines)
