"""The dialogue policy: one investor turn in, one reply (and what to do) out.

Order of decisions, each able to end the turn:

1. the compliance guard reads the message (personal data masked before it is
   stored; fraud patterns flag the conversation and escalate at once);
2. an escalated conversation waits for its agent;
3. an active flow gets the message if it fits what the flow asked; a message
   that clearly asks something else interrupts the flow, which is suspended
   and offered again afterwards;
4. the intent decides: escalate, run a flow, small talk, out of scope, or
   answer from knowledge (grounded, with a clarifying question when unsure);
5. strong anger or too many turns the bot could not answer escalate;
6. every outgoing text passes the guard (no promises, no recommendations,
   the disclaimer on investment answers).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from assistant.answers import ComposedAnswer, GroundedComposer
from assistant.compliance import ComplianceGuard
from assistant.conversation import (
    Action,
    BotReply,
    ConversationState,
    EscalationDecision,
    EscalationReason,
    FlowState,
    IntentRef,
    Language,
    Speaker,
    Turn,
)
from assistant.escalation import EscalationPolicy
from assistant.templates import template
from intents.catalogue import IntentCatalogue
from intents.classifier import IntentClassifier
from intents.prediction import IntentPrediction
from knowledge.documents import RetrievedPassage
from knowledge.language import detect_language

if TYPE_CHECKING:  # LangChain and openai load only when an LLM is configured
    from assistant.llm import LlmComposer

FRAUD_FLAG = "fraud_suspected"
# "I want to / help me ..." starts a flow; a plain question about the topic gets the FAQ answer.
_WISH = re.compile(
    r"(我想|我要|想要|打算|帮我|给我开|我需要|\bi want\b|\bi'?d like\b|\bi would like\b|"
    r"\bhelp me\b|\bi need to\b)",
    re.IGNORECASE,
)


def wants_to_act(text: str) -> bool:
    """Whether the investor asks to *do* something rather than asks about it."""
    return _WISH.search(text) is not None


# Rules and the model may name an intent the catalogue files under another handler;
# these always escalate.
_ESCALATING_INTENTS = {
    "human_agent": EscalationReason.REQUESTED,
    "fraud_report": EscalationReason.FRAUD,
}


@dataclass(frozen=True)
class FlowTurn:
    """What a flow said and where it stands after one message."""

    reply: str
    quick_replies: list[str]
    state: FlowState | None
    escalation: EscalationDecision | None = None
    completed: bool = False


class FlowRunner(Protocol):
    """The multi-turn flows, as the policy sees them (see :mod:`assistant.flows`)."""

    def can_run(self, name: str, conversation: ConversationState) -> bool:
        """Whether the flow exists and makes sense for this conversation."""
        ...

    async def start(
        self, name: str, conversation: ConversationState, text: str, language: Language
    ) -> FlowTurn: ...

    async def advance(
        self, conversation: ConversationState, text: str, language: Language
    ) -> FlowTurn | None:
        """The next step of the active flow, or None if the text does not answer its question."""
        ...

    def resume_prompt(self, flow: FlowState, language: Language) -> FlowTurn: ...


Retrieve = Callable[[str], list[RetrievedPassage]]


class AnswerStream(Protocol):
    """Receives an LLM answer while the model writes it (a channel shows it as it grows).

    The whole reply still comes back from :meth:`DialoguePolicy.respond` and is
    the one that counts: it has passed the compliance guard, which the pieces
    have not. ``reset`` means drop what was shown: the model failed part-way
    and the grounded answer follows instead.
    """

    async def chunk(self, delta: str) -> None: ...

    async def reset(self) -> None: ...


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
    ) -> None:
        self.classifier = classifier
        self.catalogue = catalogue
        self.retrieve = retrieve
        self.guard = guard
        self.flows = flows
        self.composer = composer or GroundedComposer()
        self.escalation = escalation or EscalationPolicy()
        self.llm = llm

    async def respond(
        self, state: ConversationState, text: str, *, stream: AnswerStream | None = None
    ) -> BotReply:
        """Decide the reply to ``text`` and update ``state`` (turns, flow, flags).

        With an LLM configured and a ``stream`` given, the model's answer is
        passed to ``stream`` piece by piece as well.
        """
        started = time.perf_counter()
        findings = self.guard.inspect_incoming(text)
        masked = findings.masked_text
        language: Language = "zh" if detect_language(masked) == "zh" else "en"
        state.language = language
        prediction = await asyncio.to_thread(self.classifier.predict, masked)
        state.turns.append(Turn(speaker=Speaker.INVESTOR, text=masked, intent=prediction.name))
        reply = await self._decide(
            state,
            masked,
            language,
            prediction,
            findings.fraud_signals,
            findings.advice_request,
            stream,
        )
        reply = self._guard_outgoing(reply)
        reply.latency_ms = round((time.perf_counter() - started) * 1000, 2)
        state.turns.append(Turn(speaker=Speaker.BOT, text=reply.text, intent=prediction.name))
        if reply.escalation is not None:
            state.escalated = True
        return reply

    async def _decide(
        self,
        state: ConversationState,
        text: str,
        language: Language,
        prediction: IntentPrediction,
        fraud_signals: list[str],
        advice_request: bool,
        stream: AnswerStream | None = None,
    ) -> BotReply:
        intent = IntentRef(name=prediction.name, confidence=round(prediction.confidence, 4))
        if fraud_signals or prediction.name == "fraud_report":
            state.flags.add(FRAUD_FLAG)
            return self._escalate(
                state,
                language,
                intent,
                EscalationReason.FRAUD,
                "fraud_warning",
                flags=["fraud_warning", *fraud_signals],
            )
        if state.escalated:
            return BotReply(
                text=template("escalated_waiting", language),
                language=language,
                action=Action.ESCALATE,
                intent=intent,
            )
        if self.escalation.is_angry(text):
            return self._escalate(
                state, language, intent, EscalationReason.NEGATIVE_SENTIMENT, "handoff_angry"
            )

        if state.flow is not None:
            flow_turn = await self.flows.advance(state, text, language)
            if flow_turn is not None and not self._interrupts(prediction, state.flow):
                return self._from_flow(state, flow_turn, language, intent)
            state.suspended_flow, state.flow = state.flow, None

        reply = await self._by_intent(
            state, text, language, prediction, intent, advice_request, stream
        )
        if state.suspended_flow is not None and reply.escalation is None and state.flow is None:
            # Answered the interruption; now pick the flow up where it stopped.
            resume = self.flows.resume_prompt(state.suspended_flow, language)
            reply.text = f"{reply.text}\n\n{resume.reply}"
            reply.quick_replies = reply.quick_replies or resume.quick_replies
            state.flow = resume.state or state.suspended_flow
            state.suspended_flow = None
        return reply

    def _interrupts(self, prediction: IntentPrediction, flow: FlowState) -> bool:
        """Only a safety rule (a person, a complaint, fraud) overrides an answer the flow accepts.

        Short slot answers ("服务", "25") are poor input for the classifier, so
        its guess must not pull the investor out of a flow that understood them.
        """
        if prediction.source != "rule":
            return False
        spec = self.catalogue.get(prediction.name)
        return spec is None or spec.flow != flow.name

    async def _by_intent(
        self,
        state: ConversationState,
        text: str,
        language: Language,
        prediction: IntentPrediction,
        intent: IntentRef,
        advice_request: bool,
        stream: AnswerStream | None = None,
    ) -> BotReply:
        spec = self.catalogue.get(prediction.name)
        handler = spec.handler if spec else "out_of_scope"
        if prediction.name in _ESCALATING_INTENTS:
            return self._escalate(
                state, language, intent, _ESCALATING_INTENTS[prediction.name], "handoff"
            )
        if handler == "escalate":
            return self._escalate(
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
            and (prediction.source == "rule" or wants_to_act(text))
            and self.flows.can_run(spec.flow, state)
        ):
            flow_turn = await self.flows.start(spec.flow, state, text, language)
            return self._from_flow(state, flow_turn, language, intent)
        if handler == "smalltalk":
            state.low_confidence_streak = 0
            name = (
                prediction.name
                if prediction.name in {"greeting", "thanks", "goodbye"}
                else "greeting"
            )
            return BotReply(
                text=template(name, language),
                language=language,
                action=Action.ANSWER,
                intent=intent,
            )
        if advice_request:
            return BotReply(
                text=template("no_advice", language),
                language=language,
                action=Action.ANSWER,
                intent=intent,
                flags=["advice_declined"],
            )
        if handler == "out_of_scope" or prediction.out_of_scope:
            # The catalogue cannot list every topic; a confident FAQ match overrules it.
            passages = await asyncio.to_thread(self.retrieve, text)
            if passages and passages[0].confidence >= self.composer.answer_at:
                return self._grounded(state, passages, language, intent, None)
            return self._miss(state, language, intent, template("out_of_scope", language))
        return await self._answer(
            state, text, language, intent, spec.name if spec else None, stream
        )

    async def _answer(
        self,
        state: ConversationState,
        text: str,
        language: Language,
        intent: IntentRef,
        category: str | None,
        stream: AnswerStream | None = None,
    ) -> BotReply:
        passages = await asyncio.to_thread(self.retrieve, text)
        drafted: ComposedAnswer | None = None
        if self.llm is not None and stream is not None:
            drafted = await self._stream_llm(self.llm, text, passages, language, stream)
        elif self.llm is not None:
            drafted = await self.llm.compose(text, passages, language)
        return self._grounded(state, passages, language, intent, category, drafted)

    async def _stream_llm(
        self,
        llm: LlmComposer,
        text: str,
        passages: list[RetrievedPassage],
        language: Language,
        stream: AnswerStream,
    ) -> ComposedAnswer | None:
        """The LLM's answer, shown piece by piece; ``None`` (after a reset) to answer grounded."""
        from assistant.llm import LlmUnavailableError  # loaded only with an LLM configured

        pieces: list[str] = []
        try:
            async for piece in llm.stream(text, passages, language):
                pieces.append(piece)
                await stream.chunk(piece)
        except LlmUnavailableError:
            if pieces:
                await stream.reset()
            return None
        return llm.finish("".join(pieces), passages, language)

    def _grounded(
        self,
        state: ConversationState,
        passages: list[RetrievedPassage],
        language: Language,
        intent: IntentRef,
        category: str | None,
        drafted: ComposedAnswer | None = None,
    ) -> BotReply:
        """Reply from passages: the LLM's draft when it gave one, else the grounded mode."""
        composed = drafted or self.composer.compose(passages, language)
        if not composed.confident and composed.action is Action.ANSWER:
            return self._miss(state, language, intent, composed.text)
        if composed.action is Action.ANSWER:
            state.low_confidence_streak = 0
        reply = BotReply(
            text=composed.text,
            language=language,
            action=composed.action,
            intent=intent,
            sources=composed.sources,
            quick_replies=composed.quick_replies,
        )
        if composed.action is Action.ANSWER and self.guard.is_investment_related(
            composed.text, passages[0].unit.category if passages else category
        ):
            reply.flags.append("investment_related")
        return reply

    def _miss(
        self, state: ConversationState, language: Language, intent: IntentRef, text: str
    ) -> BotReply:
        """A turn the bot could not answer; enough of them in a row escalate."""
        state.low_confidence_streak += 1
        if self.escalation.too_many_misses(state):
            return self._escalate(
                state, language, intent, EscalationReason.LOW_CONFIDENCE, "handoff_low_confidence"
            )
        return BotReply(
            text=text,
            language=language,
            action=Action.ANSWER,
            intent=intent,
            flags=["not_answered"],
        )

    def _from_flow(
        self, state: ConversationState, turn: FlowTurn, language: Language, intent: IntentRef
    ) -> BotReply:
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
        )
        if turn.completed and self.guard.is_investment_related(turn.reply, intent.name):
            reply.flags.append("investment_related")
        return reply

    def _escalate(
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
        decision = self.escalation.decide(state, reason, intent=intent.name, priority=priority)
        return BotReply(
            text=template(template_name, language),
            language=language,
            action=Action.ESCALATE,
            intent=intent,
            escalation=decision,
            flags=flags or [],
        )

    def _guard_outgoing(self, reply: BotReply) -> BotReply:
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
