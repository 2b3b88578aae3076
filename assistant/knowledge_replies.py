"""A question put to the knowledge base, turned into the investor's reply.

:class:`KnowledgeReplies` takes what :class:`~assistant.answering.Answerer` composed and makes
it a :class:`~assistant.dialogue_models.BotReply`: the answer with its sources when an entry
answers; an honest "not known" with a person offered when none does; a polite decline for a
question that is off topic (or, in a conversation about our business, "not known" again); the
scam warning again for an investor who argues with it; a person after an entry that says one
takes over; a live quote declined whatever the intent. The dialogue policy
(:mod:`assistant.dialogue`) decides when a turn is such a question.
"""

from __future__ import annotations

from assistant.answering import Answerer, AnswerStream
from assistant.answers import without_polarity_lead
from assistant.compliance import ComplianceGuard
from assistant.context import about_our_business
from assistant.dialogue_models import (
    Action,
    BotReply,
    ConversationState,
    EscalationReason,
    IntentRef,
    Language,
)
from assistant.escalation import EscalationPolicy
from assistant.incoming_signals import IncomingFindings, fraud_signals
from assistant.message_reading import asks_for_a_quote, names_our_business
from assistant.replies import Replies
from assistant.scam_warnings import plain_reminder, scam_reply, scam_warned_about
from assistant.templates import PERSON_OPTION, template
from intents.catalogue import IntentCatalogue
from knowledge.lexicon import Lexicon

LENDING_FLAG = "account_lending_declined"
COACHING_FLAG = "assessment_coaching_declined"
COMMISSION_FLAG = "commission_negotiation"


class KnowledgeReplies:
    """Replies from knowledge; stateless between turns, shared by concurrent conversations."""

    def __init__(
        self,
        *,
        answerer: Answerer,
        replies: Replies,
        catalogue: IntentCatalogue,
        lexicon: Lexicon,
        escalation: EscalationPolicy,
        guard: ComplianceGuard,
    ) -> None:
        self.answerer = answerer
        self.replies = replies
        self.catalogue = catalogue
        self.lexicon = lexicon
        self.escalation = escalation
        self.guard = guard

    async def by_rule(
        self,
        state: ConversationState,
        text: str,
        language: Language,
        intent: IntentRef,
        findings: IncomingFindings,
    ) -> BotReply | None:
        """What a rule settles, whatever is asked around it: someone else's identity or
        account (实名制), help answering the risk assessment riskier than true (适当性), a lower
        commission asked for (agreed with the broker: how to ask, and a person); else None."""
        if findings.account_lending:
            return await self.settled_by_rule(
                state, text, language, intent, "no_account_lending", LENDING_FLAG
            )
        if findings.assessment_coaching:
            return await self.settled_by_rule(
                state, text, language, intent, "no_assessment_coaching", COACHING_FLAG
            )
        if findings.lower_commission:
            return self.replies.said(
                "commission_negotiable",
                language,
                intent,
                flags=[COMMISSION_FLAG],
                quick_replies=[PERSON_OPTION[language]],
            )
        return None

    async def surely_answered(
        self, state: ConversationState, text: str, language: Language, intent: IntentRef
    ) -> BotReply | None:
        """The knowledge base's reply when an entry surely answers (or hands over by itself),
        for a message the classifier alone took for something else; ``None`` otherwise, the
        turn then counted as nothing unanswered."""
        streak = state.low_confidence_streak
        reply = await self.reply(state, text, language, intent, False)
        if reply.escalation or self.answerer.composer.surely_answers(reply):
            return reply
        state.low_confidence_streak = streak
        return None

    async def settled_by_rule(
        self,
        state: ConversationState,
        text: str,
        language: Language,
        intent: IntentRef,
        rule: str,
        flag: str,
    ) -> BotReply:
        """For a question a rule settles ("用我妈身份证开户行不行": no, 实名制): the entry that
        surely answers it, which says more, else the rule's own words (template ``rule``)."""
        reply = await self.reply(state, text, language, intent, False)
        if self.answerer.composer.surely_answers(reply):
            return reply
        return self.replies.said(rule, language, intent, flags=[flag])

    async def look_alike(
        self,
        state: ConversationState,
        text: str,
        language: Language,
        intent: IntentRef,
        *,
        caller: bool,
    ) -> BotReply:
        """For a message that names a scam but describes none: the entry that answers it, or
        what we never do; a person offered, no alarm. ``caller``: someone who said they were
        from us asked for nothing ("95开头的号码 说是你们的 提醒我风险测评快过期了 是真的吗"):
        how to tell, then the entry on what they called about, its bare yes or no (to its
        own question, not to "是真的吗") left out."""
        answered = await self.reply(state, text, language, intent, False)
        if not self.answerer.composer.answers_from_entry(answered):
            reminder = template("caller_check", language) if caller else plain_reminder(language)
            answered = BotReply(
                text=reminder,
                language=language,
                action=Action.ANSWER,
                intent=intent,
                flags=["scam_reminder"],
            )
        elif caller:
            answered.text = "\n".join(
                (template("caller_check", language), without_polarity_lead(answered.text))
            )
        answered.quick_replies = [PERSON_OPTION[language]]
        return answered

    async def reply(
        self,
        state: ConversationState,
        text: str,
        language: Language,
        intent: IntentRef,
        off_topic: bool,
        stream: AnswerStream | None = None,
    ) -> BotReply:
        """An answer from knowledge when an entry answers; otherwise say so honestly."""
        if asks_for_a_quote(text):  # whatever intent it was given: no entry holds one
            return self.replies.live_quote(state, language, intent)
        spec = self.catalogue.get(intent.name)
        scam = scam_warned_about(state)
        earlier = state.topic  # the answer below puts its own topic in its place
        answered = await self.answerer.answer(
            state,
            text,
            language,
            category=spec.name if spec else None,
            stream=stream,
            strict=off_topic and not names_our_business(self.lexicon, text),
        )
        composed, about = answered.composed, answered.question
        if not composed.confident and off_topic and not names_our_business(self.lexicon, about):
            if scam is not None:
                # "但是他前几次推的都涨了啊" after a scam warning argues with it: warn again.
                signals = fraud_signals(scam)
                return scam_reply(state, scam, language, intent, signals, self.escalation)
            # A conversation that began as a grievance against us ("光说抱歉有啥用 能不能赔"
            # after the app froze) is ours too, whatever its topic.
            ours = about_our_business(earlier, self.lexicon) or any(
                turn.intent == "complaint" for turn in state.turns[:-1]
            )
            return self.replies.declined(
                state, language, intent, about, self.lexicon, in_our_conversation=ours
            )
        if composed.gap:
            return self.replies.miss(
                state,
                language,
                intent,
                composed.text,
                ["knowledge_gap"],
                quick_replies=composed.quick_replies,
            )
        if composed.action is Action.ANSWER:
            state.low_confidence_streak = 0
        if composed.handoff:
            # The entry explains what happens, and a person takes it from there.
            decision = self.escalation.decide(
                state, EscalationReason.FLOW_NEEDS_HUMAN, intent=intent.name
            )
            return BotReply(
                text=f"{composed.text}\n{template('handoff_after_answer', language)}",
                language=language,
                action=Action.ESCALATE,
                intent=intent,
                sources=composed.sources,
                escalation=decision,
                flags=["handoff_entry"],
            )
        reply = BotReply(
            text=composed.text,
            language=language,
            action=composed.action,
            intent=intent,
            sources=composed.sources,
            quick_replies=composed.quick_replies,
        )
        if answered.followup is not None:
            reply.flags.append(f"followup_{answered.followup.reason}")
        top = answered.passages[0] if answered.passages else None
        if composed.action is Action.ANSWER and self.guard.is_investment_related(
            composed.text, top.unit.category if top and top.unit.category else None
        ):
            reply.flags.append("investment_related")
        return reply
