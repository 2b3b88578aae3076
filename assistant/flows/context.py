"""What a flow may touch for the turn in progress, handed to the engine with every step.

The flows are built once and shared by every conversation, so anything bound to one
conversation (where its complaint ticket is filed) comes in with the step, as a
:class:`FlowContext`, and reaches ``on_complete`` as ``FlowAnswers.context``. A step
without one (the CLI's ``ask``, the evaluation) touches nothing outside the flow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class TicketSink(Protocol):
    """Where complaint tickets are filed (the ticket store, a CRM)."""

    async def open_ticket(
        self, category: str, description: str, contact: str, priority: int
    ) -> str:
        """File a ticket and return its id.

        Raises :class:`assistant.flows.TicketStoreUnavailableError` when the store cannot
        take it.
        """
        ...


@dataclass(frozen=True)
class FlowContext:
    """What the flows may use for this turn; ``None`` fields are not available."""

    tickets: TicketSink | None = None


def context_of(context: object | None) -> FlowContext:
    """The :class:`FlowContext` a step was given, or an empty one."""
    return context if isinstance(context, FlowContext) else FlowContext()
