"""The brokerage flows put together and run for the dialogue policy.

:func:`build_flows` keys every flow by the name the intent catalogue uses;
:class:`BrokerageFlows` is the policy's ``FlowRunner``; :func:`escalation_for`
turns an engine :class:`~intents.flow_engine.Handoff` into the conversation's
:class:`~assistant.dialogue_models.EscalationDecision`; :func:`interrupts` says when an
intent takes the investor out of a flow under way, and :func:`wants_flow` when a message asks
to go through a flow rather than asks about its subject.
"""

from __future__ import annotations

from typing import Protocol

from assistant.accounts import AccountSystem
from assistant.dialogue_models import (
    ConversationState,
    EscalationDecision,
    EscalationReason,
    FlowState,
    FlowTurn,
    Language,
)
from assistant.flows.account_opening import account_opening_flow
from assistant.flows.complaint import complaint_flow
from assistant.flows.context import FlowContext
from assistant.flows.password_reset import password_reset_flow
from assistant.flows.permission_eligibility import (
    PERMISSION_ELIGIBILITY,
    asks_own_eligibility,
    permission_eligibility_flow,
)
from assistant.message_reading import wants_to_act
from assistant.watchlist import WatchList
from intents.catalogue import IntentCatalogue
from intents.flow_engine import FlowDefinition, FlowEngine, FlowStep
from intents.prediction import IntentPrediction


def build_flows(accounts: AccountSystem, watchlist: WatchList) -> dict[str, FlowDefinition]:
    """Every brokerage flow, keyed by the ``flow`` name the intent catalogue uses."""
    flows = (
        account_opening_flow(watchlist),
        permission_eligibility_flow(accounts),
        complaint_flow(),
        password_reset_flow(),
    )
    return {flow.name: flow for flow in flows}


def escalation_for(step: FlowStep) -> EscalationDecision | None:
    """The conversation's escalation for a step that handed over, else ``None``."""
    if step.handoff is None:
        return None
    return EscalationDecision(
        reason=EscalationReason(step.handoff.reason),
        priority=step.handoff.priority,
        summary=step.handoff.summary,
    )


def wants_flow(name: str, text: str) -> bool:
    """Whether ``text`` asks to go through flow ``name`` rather than asks about its subject:
    a wish to act ("帮我开通创业板", "I want to open an account"), or, for the permission
    check, whether this investor may apply ("我能开科创板吗", "do i qualify for margin")."""
    return wants_to_act(text) or (name == PERMISSION_ELIGIBILITY and asks_own_eligibility(text))


def interrupts(prediction: IntentPrediction, flow: FlowState, catalogue: IntentCatalogue) -> bool:
    """Whether ``prediction`` takes the investor out of ``flow``: only a safety rule (a person,
    a complaint, fraud) overrides an answer the flow accepts.

    Short slot answers ("服务", "25") are poor input for the classifier, so
    its guess must not pull the investor out of a flow that understood them.
    """
    if prediction.source != "rule":
        return False
    spec = catalogue.get(prediction.name)
    return spec is None or spec.flow != flow.name


class FlowRunner(Protocol):
    """The multi-turn flows, as the policy sees them (see :mod:`assistant.flows`)."""

    def can_run(self, name: str, conversation: ConversationState) -> bool:
        """Whether the flow exists and makes sense for this conversation."""
        ...

    async def start(
        self,
        name: str,
        conversation: ConversationState,
        text: str,
        language: Language,
        context: FlowContext | None = None,
    ) -> FlowTurn: ...

    async def advance(
        self,
        conversation: ConversationState,
        text: str,
        language: Language,
        context: FlowContext | None = None,
    ) -> FlowTurn | None:
        """The next step of the active flow, or None if the text does not answer its question."""
        ...

    def resume_prompt(self, flow: FlowState, language: Language) -> FlowTurn: ...


class BrokerageFlows:
    """The brokerage flows as the dialogue policy runs them (its :class:`FlowRunner`).

    :meth:`advance` returns ``None`` when the message answers nothing the
    flow could use, so the policy can treat it as a question of its own and
    resume the flow afterwards; cancels, late states and secrets always go
    to the flow.
    """

    def __init__(
        self,
        *,
        accounts: AccountSystem,
        watchlist: WatchList,
        engine: FlowEngine | None = None,
    ) -> None:
        self.definitions = build_flows(accounts, watchlist)
        self._engine = engine or FlowEngine()

    # An eligibility check reads the investor's account; an anonymous visitor
    # asking "what does ChiNext need?" is better served by the cited FAQ answer.
    NEEDS_INVESTOR = frozenset({PERMISSION_ELIGIBILITY})

    def can_run(self, name: str, conversation: ConversationState) -> bool:
        if name not in self.definitions:
            return False
        return conversation.investor_id is not None or name not in self.NEEDS_INVESTOR

    async def start(
        self,
        name: str,
        conversation: ConversationState,
        text: str,
        language: Language,
        context: FlowContext | None = None,
    ) -> FlowTurn:
        step = await self._engine.step(
            self.definitions[name],
            None,
            text,
            language,
            investor_id=conversation.investor_id,
            context=context,
        )
        return _turn(step)

    async def advance(
        self,
        conversation: ConversationState,
        text: str,
        language: Language,
        context: FlowContext | None = None,
    ) -> FlowTurn | None:
        state = conversation.flow
        if state is None or state.name not in self.definitions:
            return None
        definition = self.definitions[state.name]
        if not self._engine.accepts(definition, state, text):
            return None
        step = await self._engine.step(
            definition, state, text, language, investor_id=conversation.investor_id, context=context
        )
        return _turn(step)

    def resume_prompt(self, flow: FlowState, language: Language) -> FlowTurn:
        return _turn(self._engine.resume(self.definitions[flow.name], flow, language))


def _turn(step: FlowStep) -> FlowTurn:
    return FlowTurn(
        reply=step.reply,
        quick_replies=step.quick_replies,
        state=step.state,
        escalation=escalation_for(step),
        completed=step.state is None,
    )
