"""The dialogue policy: one investor turn in, one reply (and what to do) out.

Order of decisions, each able to end the turn:

1. the compliance guard reads the message (personal data masked before it is stored); a
   scam the investor describes gets a warning about *that* scam and a person;
2. an escalated conversation waits for its agent;
3. attempts to rewrite the assistant's rules ("忽略之前的指令", "admin mode") are declined and
   flagged; money missing from an account, or a loss the investor puts down to us, goes to
   a person at once with intake alongside; strong anger goes to a person; using someone
   else's identity or account (实名制) is refused, and a flow under way waits;
4. an active flow gets the message if it fits what the flow asked; a message that clearly
   asks something else interrupts the flow, which is suspended and offered again afterwards;
5. the intent decides: a person, a complaint (in any wording: intake), a flow, small talk,
   a refusal to give investment advice, or an answer from knowledge (:mod:`assistant.answering`:
   only when an entry answers this question, else an honest "I don't know" and a person);
6. too many turns the bot could not answer escalate;
7. every outgoing text passes the guard (no promises, no recommendations, the disclaimer on
   investment answers).

The replies to a scam and to a complaint are made in :mod:`assistant.trouble_turns`.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from assistant.account_turns import account_question, account_reply
from assistant.accounts import AccountSystem
from assistant.answering import Answerer, AnswerStream, EmbedAhead, Retrieve
from assistant.answers import GroundedComposer
from assistant.compliance import ComplianceGuard
from assistant.context import Topic, follows_answer
from assistant.dialogue_models import (
    Action,
    BotReply,
    ConversationState,
    EscalationReason,
    FlowTurn,
    IntentRef,
    Language,
    Speaker,
    Turn,
)
from assistant.escalation import EscalationPolicy
from assistant.flows.context import FlowContext
from assistant.flows.permission_eligibility import PERMISSION_ELIGIBILITY, with_conditions
from assistant.flows.runner import FlowRunner, interrupts, wants_flow
from assistant.incoming_signals import IncomingFindings, fraud_signals
from assistant.knowledge_replies import KnowledgeReplies
from assistant.message_reading import (
    asks_for_an_exception,
    asks_if_a_bot,
    asks_to_go_on,
    is_complaint,
    is_small_talk,
    names_own_account,
    wants_a_person,
    without_courtesy,
)
from assistant.replies import Replies
from assistant.scam_warnings import (
    back_about_the_scam,
    scam_warned_about,
)
from assistant.templates import PERSON_OPTION, template
from assistant.trouble_turns import TroubleTurns
from intents.catalogue import Intent, IntentCatalogue
from intents.classifier import IntentClassifier
from intents.prediction import IntentPrediction
from knowledge.lexicon import Lexicon, bundled_lexicon
from text.language import reply_language

if TYPE_CHECKING:  # LangChain and openai load only when an LLM is configured
    from assistant.llm import LlmComposer

__all__ = ["AnswerStream", "DialoguePolicy", "FlowTurn", "Retrieve"]

INJECTION_FLAG = "prompt_injection"
ACCOUNT_OPENING = "account_opening"
FLOW_CONFIDENCE = 0.8
"""How sure the classifier must be of a flow's intent to start it on a wish alone: "我想下周去
营业部办点业务 需不需要预约" wishes something, but not to open an account (0.21)."""


class DialoguePolicy:
    """Decides every bot turn. Build once per process; ``respond`` is safe to call concurrently
    for different conversations."""

    def __init__(
        self,
        *,
        classifier: IntentClassifier,
        catalogue: IntentCatalogue,
        retrieve: Retrieve,
        guard: ComplianceGuard,
        flows: FlowRunner,
        composer: GroundedComposer | None = None,
        escalation: EscalationPolicy | None = None,
        llm: LlmComposer | None = None,
        lexicon: Lexicon | None = None,
        accounts: AccountSystem | None = None,
        embed_ahead: EmbedAhead | None = None,
    ) -> None:
        """``accounts``: the brokerage's account system, for questions about the investor's
        own account; without it such questions are answered from knowledge. ``embed_ahead``:
        see :class:`~assistant.answering.Answerer`."""
        self.classifier = classifier
        self.catalogue = catalogue
        self.retrieve = retrieve
        self.guard = guard
        self.flows = flows
        self.lexicon = lexicon or bundled_lexicon()
        self.composer = composer or GroundedComposer(lexicon=self.lexicon)
        self.escalation = escalation or EscalationPolicy()
        self.replies = Replies(self.guard, self.escalation)
        self.accounts = accounts
        self.answerer = Answerer(
            retrieve=retrieve,
            composer=self.composer,
            lexicon=self.lexicon,
            llm=llm,
            embed_ahead=embed_ahead,
        )
        self.knowledge = KnowledgeReplies(
            answerer=self.answerer,
            replies=self.replies,
            catalogue=catalogue,
            lexicon=self.lexicon,
            escalation=self.escalation,
            guard=guard,
        )
        self.troubles = TroubleTurns(
            knowledge=self.knowledge,
            composer=self.composer,
            replies=self.replies,
            flows=flows,
            catalogue=catalogue,
            escalation=self.escalation,
        )
        self._observers: tuple[Callable[[BotReply], None], ...] = ()

    def observed_by(self, observer: Callable[[BotReply], None]) -> DialoguePolicy:
        """This policy, also handing every reply to ``observer`` (the server's metrics).

        A shallow copy, so an assistant shared by several apps keeps its own policy as it was.
        """
        observed = copy.copy(self)
        observed._observers = (*self._observers, observer)
        return observed

    @property
    def llm(self) -> LlmComposer | None:
        """The LLM that writes answers from passages, or None for grounded answers only."""
        return self.answerer.llm

    @llm.setter
    def llm(self, llm: LlmComposer | None) -> None:
        self.answerer.llm = llm

    async def respond(
        self,
        state: ConversationState,
        text: str,
        *,
        stream: AnswerStream | None = None,
        flow_context: FlowContext | None = None,
    ) -> BotReply:
        """Decide the reply to ``text`` and update ``state`` (turns, flow, flags, topic).

        With an LLM configured and a ``stream`` given, the model's answer is
        passed to ``stream`` piece by piece as well. ``flow_context`` is what a flow
        may touch for this conversation's turn (where a complaint ticket is filed);
        without it a complaint goes to a person to be filed by hand.
        """
        started = time.perf_counter()
        findings = self.guard.inspect_incoming(text)
        masked = findings.masked_text
        previous = state.language if state.turns else None
        language: Language = "zh" if reply_language(masked, previous) == "zh" else "en"
        state.language = language
        asked = without_courtesy(masked)  # the transcript keeps the greeting and the thanks
        if state.flow is None and not state.escalated:
            await asyncio.to_thread(self.answerer.embed_readings, state, asked)
        prediction = await asyncio.to_thread(self.classifier.predict, asked)
        state.turns.append(Turn(speaker=Speaker.INVESTOR, text=masked, intent=prediction.name))
        reply = await self._decide(
            state, asked, language, prediction, findings, stream, flow_context
        )
        reply = self.replies.guarded(reply)
        reply.latency_ms = round((time.perf_counter() - started) * 1000, 2)
        state.turns.append(Turn(speaker=Speaker.BOT, text=reply.text, intent=prediction.name))
        if reply.escalation is not None:
            state.escalated = True
        for observer in self._observers:
            observer(reply)
        return reply

    async def _decide(
        self,
        state: ConversationState,
        text: str,
        language: Language,
        prediction: IntentPrediction,
        findings: IncomingFindings,
        stream: AnswerStream | None = None,
        flow_context: FlowContext | None = None,
    ) -> BotReply:
        intent = IntentRef(name=prediction.name, confidence=round(prediction.confidence, 4))
        scam = findings.fraud_signals or (
            prediction.name == "fraud_report" and prediction.source == "rule"
        )
        warned = scam_warned_about(state)
        if warned and back_about_the_scam(text) and not findings.fraud_signals:
            # "我已经转了2万进去了", "可他知道我身份证后四位" after the warning: that scam again.
            told = f"{warned} {text}"
            return await self.troubles.scam(state, told, language, intent, fraud_signals(told))
        if scam:
            return await self.troubles.scam(state, text, language, intent, findings.fraud_signals)
        if state.escalated:
            return self.replies.said("escalated_waiting", language, intent, action=Action.ESCALATE)
        if findings.prompt_injection:
            state.flags.add(INJECTION_FLAG)
            return self.replies.said("injection_declined", language, intent, flags=[INJECTION_FLAG])
        if (urgent := self.replies.at_once(state, text, language, intent, findings)) is not None:
            return urgent
        if asks_if_a_bot(text):
            person = [PERSON_OPTION[language]]
            return self.replies.said("who_am_i", language, intent, quick_replies=person)

        if (
            ruled := await self.knowledge.by_rule(state, text, language, intent, findings)
        ) is not None:
            # "用我妈身份证开", "测的时候选激进点", "能给我降到万一吗": a rule's; a flow waits.
            pending = self.flows.resume_prompt(state.flow, language) if state.flow else None
            return Replies.then(ruled, pending)
        if state.flow is not None:
            flow_turn = await self.flows.advance(state, text, language, flow_context)
            if flow_turn is not None and not interrupts(prediction, state.flow, self.catalogue):
                return self.replies.from_flow(state, flow_turn, language, intent)
            if flow_turn is None and asks_to_go_on(text):
                # "行 那接着弄吧" after a question in between: the pending question again.
                resume = self.flows.resume_prompt(state.flow, language)
                return self.replies.from_flow(state, resume, language, intent)
            state.suspended_flow, state.flow = state.flow, None
        elif asks_to_go_on(text) and (back := await self._go_back(state, language, flow_context)):
            return back

        reply = await self._by_intent(
            state, text, language, prediction, intent, findings.advice_request, stream, flow_context
        )
        if state.suspended_flow is not None and reply.escalation is None and state.flow is None:
            # Answered the interruption; now pick the flow up where it stopped.
            resume = self.flows.resume_prompt(state.suspended_flow, language)
            reply = Replies.then(reply, resume)
            state.flow = resume.state or state.suspended_flow
            state.suspended_flow = None
        return reply

    async def _go_back(
        self, state: ConversationState, language: Language, flow_context: FlowContext | None
    ) -> BotReply | None:
        """On "好 继续开通吧" with no flow under way, the last thing the investor wanted to do:
        its flow where it can run, else (a guest's permission check) its answer again."""
        asked = [t for t in state.turns[:-1] if t.speaker is Speaker.INVESTOR]
        for turn in reversed(asked):
            spec = self.catalogue.get(turn.intent or "")
            if spec is None or spec.handler != "flow" or not spec.flow:
                continue
            intent = IntentRef(name=spec.name, confidence=1.0)
            if self.flows.can_run(spec.flow, state):
                flow_turn = await self.flows.start(
                    spec.flow, state, turn.text, language, flow_context
                )
                return self.replies.from_flow(state, flow_turn, language, intent)
            reply = await self.knowledge.reply(state, turn.text, language, intent, False)
            if not reply.sources:
                return None
            reply.text = f"{template('back_to_topic', language)}\n{reply.text}"
            return reply
        return None

    async def _by_intent(
        self,
        state: ConversationState,
        text: str,
        language: Language,
        prediction: IntentPrediction,
        intent: IntentRef,
        advice_request: bool,
        stream: AnswerStream | None = None,
        flow_context: FlowContext | None = None,
    ) -> BotReply:
        spec = self.catalogue.get(prediction.name)
        handler = spec.handler if spec else "out_of_scope"
        if (
            prediction.source != "rule"
            and asks_for_an_exception(text)
            and self._about_a_permission(state, spec)
        ):
            # "能不能通融一下 我朋友说找客户经理能搞定": suitability is nobody's to bend.
            return self.replies.said(
                "no_exceptions", language, intent, flags=["exception_declined"]
            )
        if prediction.name == "human_agent":
            return await self._person_asked(state, text, language, intent, prediction)
        if is_complaint(prediction, text, self.lexicon):
            return await self.troubles.complaint(
                state, text, language, intent, flow_context, prediction
            )
        if self.accounts is not None and (asked := account_question(state, text, self.lexicon)):
            if state.investor_id is None and (
                guest := await self._for_a_guest(state, text, language, intent, stream)
            ):
                return guest
            return await account_reply(
                self.accounts,
                state,
                asked,
                language,
                intent,
                lexicon=self.lexicon,
                escalation=self.escalation,
            )
        if prediction.name == "fraud_report":
            # No scam described (that was handled first): a question about fraud or
            # security, such as "will you sell my data?", is answered from knowledge.
            return await self.knowledge.reply(state, text, language, intent, False, stream)
        if handler == "escalate":
            return self.replies.escalate(
                state,
                language,
                intent,
                EscalationReason.REQUESTED,
                "handoff",
                priority=spec.priority if spec else None,
            )
        if (
            handler == "flow"
            and spec is not None
            and spec.flow
            and (
                prediction.source == "rule"
                or (wants_flow(spec.flow, text) and prediction.confidence >= FLOW_CONFIDENCE)
            )
            and self.flows.can_run(spec.flow, state)
            and not (spec.flow == ACCOUNT_OPENING and names_own_account(self.lexicon, text))
        ):
            flow_turn = await self.flows.start(spec.flow, state, text, language, flow_context)
            if flow_turn.completed:
                # Done in one turn (a permission checked): what the investor says next ("my
                # avg asset 大概 45w") is read against it.
                state.topic = Topic.of(text, self.lexicon, intent=intent.name)
            return self.replies.from_flow(state, flow_turn, language, intent)
        if handler == "smalltalk" and (prediction.source == "rule" or is_small_talk(text)):
            state.low_confidence_streak = 0
            name = (
                prediction.name
                if prediction.name in {"greeting", "thanks", "goodbye"}
                else "greeting"
            )
            return self.replies.said(name, language, intent)
        if advice_request:
            return self.replies.said("no_advice", language, intent, flags=["advice_declined"])
        # A "complaint" not taken as one ("我跟我老婆吵架了") is a trouble that is not ours; but
        # a few words after an answer ("那尾盘呢", "不参与会怎样") follow it up, whatever the
        # classifier made of them.
        off_topic = (
            handler in ("out_of_scope", "smalltalk")
            or prediction.out_of_scope
            or prediction.name == "complaint"
        ) and not follows_answer(state, text, self.lexicon)
        reply = await self.knowledge.reply(state, text, language, intent, off_topic, stream)
        if (
            spec is not None
            and spec.flow == PERMISSION_ELIGIBILITY
            and self.composer.answers_from_entry(reply)
        ):
            reply.text = with_conditions(reply.text, text, language)
        return reply

    async def _for_a_guest(
        self,
        state: ConversationState,
        text: str,
        language: Language,
        intent: IntentRef,
        stream: AnswerStream | None,
    ) -> BotReply | None:
        """A guest has no account to read: "为啥转出提示超出可取金额" or "can I deposit USD into my
        account" is answered by the entry that answers it, with the way to see their own
        records, and an entry that hands the matter to a person ("账户司法冻结了") is given as
        it is (the colleague checks who they are); ``None`` when no entry does either, and
        signing in is the reply."""
        reply = await self.knowledge.reply(state, text, language, intent, False, stream)
        if reply.escalation is not None and reply.sources:
            return reply
        if self.composer.answers_from_entry(reply):
            reply.text = f"{reply.text}\n{template('sign_in_for_own', language)}"
            return reply
        return None

    async def _person_asked(
        self,
        state: ConversationState,
        text: str,
        language: Language,
        intent: IntentRef,
        prediction: IntentPrediction,
    ) -> BotReply:
        """A person, when the investor asks for one; when only the classifier thinks so,
        "官方客服电话是多少" or "会不会把我的信息卖给别人" names the service without asking for a
        person, and an entry that surely answers is the better reply."""
        if prediction.source != "rule":
            if not wants_a_person(prediction, text):
                return await self.knowledge.reply(state, text, language, intent, False)
            if (
                sure := await self.knowledge.surely_answered(state, text, language, intent)
            ) is not None:
                return sure
        return self.replies.escalate(state, language, intent, EscalationReason.REQUESTED, "handoff")

    def _about_a_permission(self, state: ConversationState, spec: Intent | None) -> bool:
        """Whether the turn, or the topic it continues, is about opening a trading permission."""
        topic = self.catalogue.get(state.topic.intent or "") if state.topic else None
        return any(s is not None and s.flow == PERMISSION_ELIGIBILITY for s in (spec, topic))
