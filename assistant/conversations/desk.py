"""The staff desk: the queue, one conversation's detail, and what an agent does with a
conversation (claim, reply, note, resolve, hand back), each an event in the transcript and
a step in the ticket's history."""

from __future__ import annotations

import logging
from datetime import datetime

from pydantic import BaseModel

from assistant.accounts import AccountSystem
from assistant.compliance import BLOCKING_KINDS, ComplianceGuard
from assistant.conversations import frames
from assistant.conversations.core import ConversationCore
from assistant.conversations.errors import (
    AlreadyClaimedError,
    ComplianceBlockedError,
    NotHolderError,
    NotQueuedError,
)
from assistant.conversations.tickets import OPEN_TICKETS, Tickets
from assistant.persistence.records import (
    Conversation,
    ConversationStatus,
    Event,
    EventKind,
    StaffAccount,
    Ticket,
    TicketStatus,
)
from assistant.pii import mask_pii
from channels.protocol import QueueItem, StaffEvent
from channels.topics import STAFF_TOPIC

logger = logging.getLogger(__name__)


class Holding(BaseModel):
    """One position in an investor's account, as the console shows it."""

    code: str
    name: str
    quantity: int


class ProfileView(BaseModel):
    """What the console shows of the investor beside the transcript."""

    investor_id: str
    name: str
    risk_level: str | None
    permissions: list[str]
    holdings: list[Holding]


class DeskDetail(BaseModel):
    """One conversation as the desk reads it: the record, the transcript with notes, the
    investor's profile (``None`` when the account system does not know them) and the
    tickets."""

    conversation: Conversation
    events: list[StaffEvent]
    profile: ProfileView | None
    tickets: list[Ticket]


class Desk:
    """What the agent console reads and does."""

    def __init__(
        self,
        core: ConversationCore,
        tickets: Tickets,
        guard: ComplianceGuard,
        accounts: AccountSystem,
    ) -> None:
        self.core = core
        self.tickets = tickets
        self.guard = guard
        self.accounts = accounts

    async def queue(self) -> list[QueueItem]:
        """Waiting and held conversations, most urgent first, as the console lists them."""
        core = self.core
        async with core.storage():
            conversations = await core.store.conversations.queue()
        now = core.clock()
        items = []
        for conversation in conversations:
            since = conversation.escalated_at or conversation.updated_at
            items.append(
                QueueItem(
                    conversation_id=conversation.id,
                    investor_id=conversation.investor_id,
                    status=conversation.status.value,
                    priority=conversation.priority,
                    reason=conversation.escalation_reason,
                    summary=conversation.summary,
                    escalated_at=_iso(conversation.escalated_at),
                    waiting_s=round(max(0.0, (now - since).total_seconds()), 1),
                    agent_id=conversation.agent_id,
                    agent_name=await core.agent_name(conversation.agent_id),
                    language=conversation.language,
                    last_message=await self._last_investor_text(conversation),
                )
            )
        return items

    async def detail(self, conversation_id: str) -> DeskDetail:
        """Everything the console shows for one conversation, notes included."""
        core = self.core
        conversation = await core.get(conversation_id)
        async with core.storage():
            events = await core.store.conversations.events_after(
                conversation_id, 0, include_notes=True
            )
            tickets = await core.store.tickets.for_conversation(conversation_id)
        profile = await self.accounts.profile(conversation.investor_id)
        return DeskDetail(
            conversation=conversation,
            events=[frames.staff_event(event) for event in events],
            profile=None
            if profile is None
            else ProfileView(
                investor_id=profile.investor_id,
                name=profile.name,
                risk_level=profile.risk_level,
                permissions=sorted(profile.permissions),
                holdings=[
                    Holding(code=holding.code, name=holding.name, quantity=holding.quantity)
                    for holding in profile.holdings
                ],
            ),
            tickets=tickets,
        )

    async def claim(self, staff: StaffAccount, conversation_id: str) -> Conversation:
        """Take a queued conversation; exactly one of several simultaneous claimers wins."""
        core = self.core
        async with core.locks.hold(conversation_id):
            await core.get(conversation_id)
            async with core.storage():
                won = await core.store.conversations.claim(conversation_id, staff.id)
            current = await core.get(conversation_id)
            if not won:
                if current.status is ConversationStatus.AGENT and current.agent_id == staff.id:
                    return current
                if current.status is ConversationStatus.AGENT:
                    raise AlreadyClaimedError("another agent has already taken this conversation")
                raise NotQueuedError("this conversation is not waiting for an agent")
            await core.append_and_publish(
                current, EventKind.AGENT_JOINED, {"agent_name": staff.display_name}
            )
            await self.tickets.record(
                conversation_id,
                staff,
                "claimed",
                status=TicketStatus.IN_PROGRESS,
                assignee_id=staff.id,
            )
        await core.queue_changed()
        return current

    async def agent_message(self, staff: StaffAccount, conversation_id: str, text: str) -> Event:
        """An agent's reply to the investor (personal data masked, as everywhere).

        People are held to the bot's rules: a reply that promises returns or recommends a
        trade is refused (:class:`ComplianceBlockedError`), and the attempt goes into the
        ticket's history for compliance review.
        """
        conversation = await self._held(staff, conversation_id)
        blocking = [v for v in self.guard.violations(text) if v.kind in BLOCKING_KINDS]
        if blocking:
            details = [{"kind": v.kind, "evidence": mask_pii(v.evidence)} for v in blocking]
            listed = "; ".join(f"{d['kind']}: “{d['evidence']}”" for d in details)
            await self.tickets.record(
                conversation_id, staff, "reply_blocked", detail=f"compliance: {listed}"
            )
            logger.warning("agent %s reply blocked by compliance: %s", staff.username, listed)
            raise ComplianceBlockedError(
                f"not sent: the reply promises returns or recommends a trade ({listed}); "
                "rephrase it",
                details,
            )
        event = await self.core.append_and_publish(
            conversation,
            EventKind.AGENT_MESSAGE,
            {"agent_name": staff.display_name, "text": mask_pii(text)},
        )
        await self.tickets.record(conversation_id, staff, "replied")
        return event

    async def note(self, staff: StaffAccount, conversation_id: str, text: str) -> Event:
        """An internal note: in the console and the ticket history, never to the investor."""
        core = self.core
        await self._held(staff, conversation_id)
        masked = mask_pii(text)
        async with core.storage():
            event = await core.store.conversations.append(
                conversation_id,
                EventKind.NOTE,
                {"author": staff.display_name, "text": masked},
            )
        await core.publish(STAFF_TOPIC, frames.staff_notice(conversation_id, event))
        await self.tickets.record(conversation_id, staff, "note", detail=masked[:500])
        return event

    async def resolve(self, staff: StaffAccount, conversation_id: str) -> Conversation:
        """Close the conversation, ask the investor for a rating, resolve its tickets."""
        core = self.core
        async with core.locks.hold(conversation_id):
            conversation = await self._held(staff, conversation_id)
            await self._release(staff, conversation_id, ConversationStatus.RESOLVED)
            await core.append_and_publish(
                conversation,
                EventKind.AGENT_LEFT,
                {"agent_name": staff.display_name, "outcome": "resolved"},
            )
            await core.append_and_publish(conversation, EventKind.RATING_REQUEST, {})
            await self.tickets.record(
                conversation_id, staff, "resolved", status=TicketStatus.RESOLVED
            )
            current = await core.get(conversation_id)
        await core.queue_changed()
        return current

    async def hand_back(self, staff: StaffAccount, conversation_id: str) -> Conversation:
        """Give the conversation back to the bot, which answers the next message."""
        core = self.core
        store = core.store
        async with core.locks.hold(conversation_id):
            conversation = await self._held(staff, conversation_id)
            await self._release(staff, conversation_id, ConversationStatus.BOT)
            state = core.state_of(conversation)
            state.escalated = False
            state.low_confidence_streak = 0
            async with core.storage():
                await store.conversations.save_state(
                    conversation_id,
                    state.model_dump(mode="json"),
                    state.language,
                    sorted(state.flags),
                )
            await core.append_and_publish(
                conversation,
                EventKind.AGENT_LEFT,
                {"agent_name": staff.display_name, "outcome": "handed_back"},
            )
            async with core.storage():
                tickets = await store.tickets.for_conversation(conversation_id)
                for ticket in tickets:
                    if ticket.status in OPEN_TICKETS:
                        # An escalation ends with the hand-back; a complaint is still open.
                        await store.tickets.update(
                            ticket.id,
                            actor=staff.username,
                            action="handed_back",
                            status=TicketStatus.RESOLVED if ticket.kind == "escalation" else None,
                        )
            current = await core.get(conversation_id)
        await core.queue_changed()
        return current

    async def _held(self, staff: StaffAccount, conversation_id: str) -> Conversation:
        conversation = await self.core.get(conversation_id)
        if conversation.status is not ConversationStatus.AGENT or conversation.agent_id != staff.id:
            raise NotHolderError("you do not hold this conversation; claim it first")
        return conversation

    async def _release(
        self, staff: StaffAccount, conversation_id: str, status: ConversationStatus
    ) -> None:
        async with self.core.storage():
            released = await self.core.store.conversations.release(
                conversation_id, staff.id, status
            )
        if not released:
            raise NotHolderError("you no longer hold this conversation")

    async def _last_investor_text(self, conversation: Conversation) -> str | None:
        async with self.core.storage():
            recent = await self.core.store.conversations.events_after(
                conversation.id, max(0, conversation.last_seq - 10)
            )
        for event in reversed(recent):
            if event.kind is EventKind.INVESTOR_MESSAGE:
                return str(event.payload.get("text", ""))
        return None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
