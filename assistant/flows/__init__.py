"""The brokerage's four multi-turn flows, on the declarative engine in ``intents.flow_engine``.

* ``account_opening``: what an investor needs before opening an account,
  what is missing, a suitability hint, and a watch-list screening of the name;
* ``permission_eligibility``: whether the investor's account meets the
  threshold for ChiNext, STAR, BSE, margin, Stock Connect or convertible
  bonds, and exactly what is missing. It only explains: nothing is ever
  opened from here;
* ``complaint``: category, description and contact preference, then a ticket
  and a hand-over to a person;
* ``password_reset``: the secure reset path; it never asks for, and refuses
  to take, a password, verification code or full ID number.

Each flow is a module of the same name: its slot readers, its wording and a
function that returns its :class:`~intents.flow_engine.FlowDefinition`. What they
share lives beside them:

* ``rules``: age limits, product labels, the risk level each product needs
  and :data:`PERMISSION_RULES`;
* ``guards``: :func:`find_secret` and the guards that refuse secrets;
* ``wording``: bulleted lists and quick replies made from a label table;
* ``runner``: :func:`build_flows`, :class:`BrokerageFlows` and
  :func:`escalation_for`. A new flow is registered in :func:`build_flows`.

Async completion: the eligibility check and the complaint ticket need I/O
(``AccountSystem``, ``TicketSink``), so their ``on_complete`` is a coroutine
function and :meth:`intents.flow_engine.FlowEngine.step` awaits it. The other two
complete synchronously through the same engine. What a flow may touch for one
conversation's turn (where its ticket goes) comes with each step as a
:class:`~assistant.flows.context.FlowContext`.

Hand-overs come back from the engine as an ``intents.flow_engine.Handoff`` (intents
cannot import the assistant's types); :func:`escalation_for` turns one into
the conversation's :class:`EscalationDecision`. :class:`BrokerageFlows` wraps
engine and definitions for the dialogue policy (its ``FlowRunner``).

Risk levels come from the one suitability table, :mod:`assistant.suitability`;
:data:`PERMISSION_RULES` adds what a permission needs beyond a risk level
(assets, trading experience).
"""

from assistant.flows.complaint import COMPLAINT_PRIORITY, TicketStoreUnavailableError
from assistant.flows.context import FlowContext, TicketSink
from assistant.flows.guards import find_secret
from assistant.flows.rules import PERMISSION_RULES, Product, read_board, required_risk_level
from assistant.flows.runner import BrokerageFlows, build_flows, escalation_for

__all__ = [
    "COMPLAINT_PRIORITY",
    "PERMISSION_RULES",
    "BrokerageFlows",
    "FlowContext",
    "Product",
    "TicketSink",
    "TicketStoreUnavailableError",
    "build_flows",
    "escalation_for",
    "find_secret",
    "read_board",
    "required_risk_level",
]
