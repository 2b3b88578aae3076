"""Turns about something gone wrong: a scam the investor describes, a complaint.

:mod:`assistant.dialogue` decides that a turn is one; :class:`TroubleTurns` makes the reply.
A scam described gets the warning for *that* scam, or, asked about only, the firm's own entry
on it; a complaint gets intake (with the entry that explains the grievance before it, where
one surely does), or the entry that fixes a problem the classifier alone took for a
complaint (:meth:`~assistant.knowledge_replies.KnowledgeReplies.surely_answered` says whether
one does).
"""

from __future__ import annotations

from assistant.answers import GroundedComposer
from assistant.dialogue_models import (
    BotReply,
    ConversationState,
    EscalationReason,
    IntentRef,
    Language,
)
from assistant.escalation import EscalationPolicy
from assistant.flows.context import FlowContext
from assistant.flows.runner import FlowRunner
from assistant.incoming_signals import voices_grievance
from assistant.knowledge_replies import KnowledgeReplies
from assistant.message_reading import asks_how_to_fix
from assistant.replies import Replies
from assistant.scam_warnings import (
    as_warning,
    money_or_secrets_lost,
    scam_reply,
    scam_warned_about,
)
from intents.catalogue import IntentCatalogue
from intents.prediction import IntentPrediction
from intents.scams import FraudSignal

LOOK_ALIKE = {FraudSignal.IMPERSONATION}
"""Signals that alone describe no scam: a genuine reminder call says it is from us too."""


class TroubleTurns:
    """The dialogue policy's replies to scams and complaints."""

    def __init__(
        self,
        *,
        knowledge: KnowledgeReplies,
        composer: GroundedComposer,
        replies: Replies,
        flows: FlowRunner,
        catalogue: IntentCatalogue,
        escalation: EscalationPolicy,
    ) -> None:
        self.knowledge = knowledge
        self.composer = composer
        self.replies = replies
        self.flows = flows
        self.catalogue = catalogue
        self.escalation = escalation

    async def scam(
        self,
        state: ConversationState,
        text: str,
        language: Language,
        intent: IntentRef,
        signals: list[str],
    ) -> BotReply:
        """The warning for a scam described; one only asked about ("有个老师拉我进群带炒股 靠谱吗")
        is answered from the firm's own entry on it where one surely answers."""
        alone = set(signals) <= LOOK_ALIKE and not scam_warned_about(state)
        if alone and not money_or_secrets_lost(text):
            # Only the word for a scam ("你们会不会把我的信息卖给骗子") or a caller who says they
            # are from us asking for nothing ("说是你们营业部的 提醒我风险测评过期了 是真的吗"):
            # the entry that answers, or what we never do; a person offered, no alarm.
            caller = FraudSignal.IMPERSONATION.value in signals
            return await self.knowledge.look_alike(state, text, language, intent, caller=caller)
        warned = scam_reply(state, text, language, intent, signals, self.escalation)
        if warned.escalation is not None:
            return warned
        scam_topic = state.topic
        answered = await self.knowledge.reply(state, text, language, intent, False)
        state.topic = scam_topic  # still the scam: arguing with the answer is warned again
        return as_warning(answered, signals) if self.composer.surely_answers(answered) else warned

    async def complaint(
        self,
        state: ConversationState,
        text: str,
        language: Language,
        intent: IntentRef,
        flow_context: FlowContext | None,
        prediction: IntentPrediction,
    ) -> BotReply:
        """Complaint intake when the flow can run, else straight to a person; a problem the
        investor asks help with ("我的手机系统太老了 装你们app提示不支持 咋办"), taken for a
        complaint by the classifier alone, gets the entry that surely answers it instead, and
        a grievance an entry surely explains gets that entry before the intake."""
        fixable = (
            prediction.source != "rule" and asks_how_to_fix(text) and not voices_grievance(text)
        )
        spec = self.catalogue.get("complaint")
        intake_runs = spec is not None and spec.flow and self.flows.can_run(spec.flow, state)
        # One search serves both: the answer instead of the intake, or before it.
        explained = (
            await self.knowledge.surely_answered(state, text, language, intent)
            if fixable or intake_runs
            else None
        )
        if fixable and explained is not None:
            return explained
        if spec is not None and spec.flow and intake_runs:
            flow_turn = await self.flows.start(spec.flow, state, text, language, flow_context)
            intake = self.replies.from_flow(state, flow_turn, language, intent)
            if explained is not None and explained.escalation is None:
                # "扣了5块 这不是坑人吗": the rule behind the grievance, then the intake.
                intake.text, intake.sources = (
                    f"{explained.text}\n\n{intake.text}",
                    explained.sources,
                )
            return intake
        return self.replies.escalate(state, language, intent, EscalationReason.COMPLAINT, "handoff")
