"""The bot's own replies, beside the decisions that choose them: a template, a hand-off to a
person, a turn it could not answer, a flow's step, and every outgoing text through the guard.

:class:`~assistant.dialogue.DialoguePolicy` decides *which* reply a turn gets; :class:`Replies`
makes it, so the escalation policy's decision, the low-confidence streak and the compliance
guard are applied the same way whatever path the turn took.
"""

from __future__ import annotations

from assistant.compliance import ComplianceGuard
from assistant.dialogue_models import (
    Action,
    BotReply,
    ConversationState,
    EscalationReason,
    FlowTurn,
    IntentRef,
    Language,
)
from assistant.escalation import EscalationPolicy
from assistant.incoming_signals import IncomingFindings
from assistant.message_reading import asks_for_a_quote, outside_product
from assistant.templates import PERSON_OPTION, template
from knowledge.lexicon import Lexicon

URGENT_PRIORITY = 90
"""Escalation priority of what cannot wait: someone else in the account, money gone."""


class Replies:
    """Makes the replies of one dialogue policy (its guard and escalation rules)."""

    def __init__(self, guard: ComplianceGuard, escalation: EscalationPolicy) -> None:
        self.guard = guard
        self.escalation = escalation

    def said(
        self,
        name: str,
        language: Language,
        intent: IntentRef,
        *,
        action: Action = Action.ANSWER,
        flags: list[str] | None = None,
        quick_replies: list[str] | None = None,
    ) -> BotReply:
        """A reply in the bot's own words: the template ``name``."""
        return BotReply(
            text=template(name, language),
            language=language,
            action=action,
            intent=intent,
            flags=flags or [],
            quick_replies=quick_replies or [],
        )

    def miss(
        self,
        state: ConversationState,
        language: Language,
        intent: IntentRef,
        text: str,
        flags: list[str],
        *,
        quick_replies: list[str] | None = None,
    ) -> BotReply:
        """A turn the bot could not answer; enough of them in a row escalate."""
        state.low_confidence_streak += 1
        if self.escalation.too_many_misses(state):
            return self.escalate(
                state, language, intent, EscalationReason.LOW_CONFIDENCE, "handoff_low_confidence"
            )
        return BotReply(
            text=text,
            language=language,
            action=Action.ANSWER,
            intent=intent,
            flags=["not_answered", *flags],
            quick_replies=quick_replies or [],
        )

    def declined(
        self,
        state: ConversationState,
        language: Language,
        intent: IntentRef,
        about: str,
        lexicon: Lexicon,
        *,
        in_our_conversation: bool = False,
    ) -> BotReply:
        """Nothing answers ``about`` and it is not our business: a decline that offers nothing,
        saying plainly when it names something a brokerage does not offer, and where the app
        shows a live price asked for. ``in_our_conversation``: it comes in a conversation
        about our business ("更新了还是不行 苹果" after the app's loading trouble), so it is
        ours all the same, whatever the classifier made of its few words: not known, said
        so, and a person offered."""
        outside = outside_product(lexicon, about)
        if outside:
            text = template("not_offered", language).format(product=outside)
        elif asks_for_a_quote(about):
            text = template("quote_in_app", language)
        elif in_our_conversation:
            person = [PERSON_OPTION[language]]
            text = template("not_known", language)
            return self.miss(state, language, intent, text, ["knowledge_gap"], quick_replies=person)
        else:
            text = template("out_of_scope", language)
        return self.miss(state, language, intent, text, ["out_of_scope"])

    def live_quote(
        self, state: ConversationState, language: Language, intent: IntentRef
    ) -> BotReply:
        """A live price or index level asked for ("创业板指现在多少点了", which the ChiNext
        price-limit entry is near to): where the app shows it."""
        return self.miss(
            state, language, intent, template("quote_in_app", language), ["live_quote"]
        )

    def from_flow(
        self, state: ConversationState, turn: FlowTurn, language: Language, intent: IntentRef
    ) -> BotReply:
        """The reply for a flow's step; the conversation's flow becomes where it now stands."""
        state.flow = turn.state
        if turn.escalation is not None:
            state.flow = None
            return BotReply(
                text=turn.reply,
                language=language,
                action=Action.ESCALATE,
                intent=intent,
                escalation=turn.escalation,
            )
        state.low_confidence_streak = 0
        reply = BotReply(
            text=turn.reply,
            language=language,
            action=Action.ANSWER if turn.completed else Action.FLOW,
            intent=intent,
            quick_replies=turn.quick_replies,
            # A flow can finish on its first turn (an eligibility check from the account).
            flags=["flow_completed"] if turn.completed else [],
        )
        if turn.completed and self.guard.is_investment_related(turn.reply, intent.name):
            reply.flags.append("investment_related")
        return reply

    def escalate(
        self,
        state: ConversationState,
        language: Language,
        intent: IntentRef,
        reason: EscalationReason,
        template_name: str,
        *,
        flags: list[str] | None = None,
        priority: int | None = None,
    ) -> BotReply:
        """A hand-off to a person, in the words of template ``template_name``."""
        decision = self.escalation.decide(state, reason, intent=intent.name, priority=priority)
        return BotReply(
            text=template(template_name, language),
            language=language,
            action=Action.ESCALATE,
            intent=intent,
            escalation=decision,
            flags=flags or [],
        )

    @staticmethod
    def then(reply: BotReply, pending: FlowTurn | None) -> BotReply:
        """``reply``, then the question a flow waits on (its buttons in place of the reply's)."""
        if pending is not None:
            reply.text = f"{reply.text}\n\n{pending.reply}"
            reply.quick_replies = pending.quick_replies or reply.quick_replies
        return reply

    def at_once(
        self,
        state: ConversationState,
        text: str,
        language: Language,
        intent: IntentRef,
        findings: IncomingFindings,
    ) -> BotReply | None:
        """A person now, for what no answer can settle: someone else in the account, money
        gone or lost through the firm, the app stuck while the investor must trade, an angry
        investor, or a chase-up; else ``None``."""
        if findings.account_taken_over:
            # Someone else is in the account: lock it down now, and a person at once.
            return self.escalate(
                state,
                language,
                intent,
                EscalationReason.COMPLAINT,
                "urgent_account",
                priority=URGENT_PRIORITY,
                flags=["account_taken_over"],
            )
        if findings.stuck_while_trading and not findings.missing_money:
            return self.escalate(
                state,
                language,
                intent,
                EscalationReason.COMPLAINT,
                "urgent_stuck",
                priority=URGENT_PRIORITY,
                flags=["stuck_while_trading"],
            )
        if findings.missing_money or findings.firm_caused_loss:
            return self.escalate(
                state,
                language,
                intent,
                EscalationReason.COMPLAINT,
                "urgent_loss",
                priority=URGENT_PRIORITY,
                flags=["missing_money" if findings.missing_money else "firm_caused_loss"],
            )
        if self.escalation.is_angry(text):
            return self.escalate(
                state, language, intent, EscalationReason.NEGATIVE_SENTIMENT, "handoff_angry"
            )
        if findings.chase_up:
            # A second intake for something nobody answered the first time would be a third
            # contact: a person takes it now, with the history in front of them.
            return self.escalate(
                state,
                language,
                intent,
                EscalationReason.COMPLAINT,
                "handoff_chase_up",
                flags=["chase_up"],
            )
        return None

    def guarded(self, reply: BotReply) -> BotReply:
        """``reply`` as it may go out: past the compliance guard, disclaimer added where due."""
        investment = "investment_related" in reply.flags or "advice_declined" in reply.flags
        guarded = self.guard.check_outgoing(
            reply.text, reply.language, investment_related=investment
        )
        reply.text = guarded.text
        if guarded.disclaimer_added:
            reply.flags.append("disclaimer")
        if guarded.blocked:
            reply.flags.append("blocked_by_guard")
            reply.sources = []
        return reply
