"""Tickets: opened on escalation or by the complaint flow, with an SLA by priority, and a
history entry for every step a person takes on the conversation."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from assistant.conversations.core import ConversationCore
from assistant.conversations.errors import StorageBusyError
from assistant.dialogue_models import EscalationDecision, EscalationReason
from assistant.flows import TicketStoreUnavailableError
from assistant.persistence.records import Conversation, StaffAccount, Ticket, TicketStatus
from assistant.persistence.repositories import StorageError
from assistant.pii import mask_pii
from assistant.queue_waits import QueueWaits
from assistant.settings import Settings

OPEN_TICKETS = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS)


class ComplaintFiler(Protocol):
    async def open_complaint_ticket(
        self, turn: TurnInProgress, *, category: str, description: str, contact: str, priority: int
    ) -> str: ...


@dataclass
class TurnInProgress:
    """One conversation's turn, as the complaint flow's :class:`assistant.flows.TicketSink`:
    the service hands it to the dialogue policy in the turn's
    :class:`assistant.flows.FlowContext`, and the ticket it files is remembered here so
    that the turn's escalation reuses it."""

    service: ComplaintFiler
    conversation_id: str
    investor_id: str
    ticket_id: str | None = None

    async def open_ticket(
        self, category: str, description: str, contact: str, priority: int
    ) -> str:
        return await self.service.open_complaint_ticket(
            self, category=category, description=description, contact=contact, priority=priority
        )


class Tickets:
    """Opens tickets and writes their history."""

    def __init__(self, core: ConversationCore, settings: Settings) -> None:
        self.core = core
        self.settings = settings

    async def escalate(
        self, conversation: Conversation, decision: EscalationDecision, ticket_id: str | None
    ) -> None:
        """Queue the conversation for a person, with a ticket (the turn's own, if it filed
        one), and tell the console and the investor."""
        core = self.core
        reason = decision.reason.value
        async with core.storage():
            await core.store.conversations.escalate(
                conversation.id, reason, decision.priority, decision.summary
            )
            if ticket_id is not None:
                await core.store.tickets.update(
                    ticket_id, actor="bot", action="escalated", detail=reason
                )
        if ticket_id is None:
            await self.open(
                conversation_id=conversation.id,
                investor_id=conversation.investor_id,
                kind="escalation",
                category=reason,
                priority=decision.priority,
                reason=reason,
                summary=decision.summary,
            )
        await core.queue_changed()
        await QueueWaits(core.store, core.publish, core.clock).announce(conversation.id)

    async def open_complaint_ticket(
        self, turn: TurnInProgress, *, category: str, description: str, contact: str, priority: int
    ) -> str:
        """File the complaint flow's ticket for the conversation of ``turn``.

        The same complaint still open in this conversation is not filed twice: a turn the
        sweep runs again after its reply was lost comes back here with the same words.
        """
        summary = f"{mask_pii(description)[:500]} (contact by {contact})"
        try:
            same = [
                ticket
                for ticket in await self.core.store.tickets.for_conversation(turn.conversation_id)
                if ticket.kind == "complaint"
                and ticket.status in OPEN_TICKETS
                and ticket.summary == summary
            ]
            ticket = (
                same[0]
                if same
                else await self.open(
                    conversation_id=turn.conversation_id,
                    investor_id=turn.investor_id,
                    kind="complaint",
                    category=category,
                    priority=priority,
                    reason=EscalationReason.COMPLAINT.value,
                    summary=summary,
                )
            )
        except (StorageError, StorageBusyError) as exc:
            raise TicketStoreUnavailableError(str(exc)) from exc
        turn.ticket_id = ticket.id
        return ticket.id

    def sla_due(self, priority: int, opened_at: datetime) -> datetime:
        """When a ticket of ``priority`` must have been taken care of."""
        if priority >= 85:
            minutes = self.settings.sla_urgent_minutes
        elif priority >= 70:
            minutes = self.settings.sla_high_minutes
        else:
            minutes = self.settings.sla_normal_minutes
        return opened_at + timedelta(minutes=minutes)

    async def open(
        self,
        *,
        conversation_id: str,
        investor_id: str,
        kind: str,
        category: str,
        priority: int,
        reason: str,
        summary: str,
    ) -> Ticket:
        now = self.core.clock()
        ticket = Ticket(
            id=f"TK-{now:%Y%m%d}-{secrets.token_hex(3).upper()}",
            conversation_id=conversation_id,
            investor_id=investor_id,
            kind=kind,
            category=category,
            status=TicketStatus.OPEN,
            priority=priority,
            reason=reason,
            summary=summary,
            sla_due_at=self.sla_due(priority, now),
            created_at=now,
            updated_at=now,
        )
        async with self.core.storage():
            return await self.core.store.tickets.open(ticket, actor="bot")

    async def record(
        self,
        conversation_id: str,
        staff: StaffAccount,
        action: str,
        *,
        status: TicketStatus | None = None,
        assignee_id: str | None = None,
        detail: str = "",
    ) -> None:
        """A step a person took, in the history of the conversation's open tickets."""
        store = self.core.store
        async with self.core.storage():
            for ticket in await store.tickets.for_conversation(conversation_id):
                if ticket.status in OPEN_TICKETS:
                    await store.tickets.update(
                        ticket.id,
                        actor=staff.username,
                        action=action,
                        status=status,
                        assignee_id=assignee_id,
                        detail=detail,
                    )
