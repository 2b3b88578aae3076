"""The conversation service as the transports, the app and the tests know it: one object
whose methods hand each call to the part that owns it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from assistant.accounts import AccountSystem
from assistant.compliance import ComplianceGuard
from assistant.conversations.core import ConversationCore
from assistant.conversations.desk import Desk, DeskDetail
from assistant.conversations.investors import Investors
from assistant.conversations.presence import ConnectListener, Presence
from assistant.conversations.tickets import Tickets, TurnInProgress
from assistant.conversations.turns import Turns
from assistant.dialogue import DialoguePolicy
from assistant.dialogue_models import Language
from assistant.persistence.records import Conversation, Event, StaffAccount
from assistant.persistence.repositories import Store
from assistant.settings import Settings
from channels.bus import Bus, Message
from channels.protocol import Ack, QueueItem


class ConversationService:
    """Conversations for investors, agents and proactive pushes, over one store and bus."""

    def __init__(
        self,
        *,
        store: Store,
        bus: Bus,
        policy: DialoguePolicy,
        guard: ComplianceGuard,
        accounts: AccountSystem,
        settings: Settings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.bus = bus
        self.policy = policy
        self.guard = guard
        self.accounts = accounts
        self.settings = settings
        self.clock = clock
        self.core = ConversationCore(store=store, bus=bus, clock=clock)
        self.tickets = Tickets(self.core, settings)
        self.investors = Investors(self.core)
        self.turns = Turns(self.core, self.tickets, policy, guard)
        self.desk = Desk(self.core, self.tickets, guard, accounts)
        self.presence = Presence(self.core, self.investors)

    # investors ---------------------------------------------------------------------

    async def open_conversation(
        self,
        investor_id: str,
        conversation_id: str | None = None,
        *,
        last_seq: int = 0,
        language: str | None = None,
    ) -> Conversation:
        return await self.investors.open_conversation(
            investor_id, conversation_id, last_seq=last_seq, language=language
        )

    async def owned(self, investor_id: str, conversation_id: str) -> Conversation:
        return await self.core.owned(investor_id, conversation_id)

    async def transcript(
        self, investor_id: str, conversation_id: str, after_seq: int = 0
    ) -> list[Message]:
        return await self.investors.transcript(investor_id, conversation_id, after_seq)

    async def frames_after(self, conversation_id: str, after_seq: int) -> list[Message]:
        return await self.investors.frames_after(conversation_id, after_seq)

    async def feedback(
        self,
        investor_id: str,
        conversation_id: str,
        *,
        seq: int | None = None,
        thumbs: str | None = None,
        score: int | None = None,
        comment: str | None = None,
    ) -> None:
        await self.investors.feedback(
            investor_id, conversation_id, seq=seq, thumbs=thumbs, score=score, comment=comment
        )

    # turns -------------------------------------------------------------------------

    async def accept(
        self, investor_id: str, conversation_id: str, client_msg_id: str, text: str
    ) -> Ack:
        return await self.turns.accept(investor_id, conversation_id, client_msg_id, text)

    async def answer(self, conversation_id: str, text: str, ack: Ack) -> list[Message]:
        return await self.turns.answer(conversation_id, text, ack)

    def answer_in_background(self, conversation_id: str, text: str, ack: Ack) -> None:
        self.turns.answer_in_background(conversation_id, text, ack)

    async def answer_pending(self, older_than_s: float, limit: int = 50) -> int:
        return await self.turns.answer_pending(older_than_s, limit)

    # presence, typing and pushes ---------------------------------------------------

    def on_investor_connected(self, callback: ConnectListener) -> None:
        self.presence.on_investor_connected(callback)

    def is_connected(self, investor_id: str) -> bool:
        return self.presence.is_connected(investor_id)

    def online_investors(self) -> list[str]:
        return self.presence.online_investors()

    def investor_connected(self, investor_id: str) -> None:
        self.presence.investor_connected(investor_id)

    def investor_disconnected(self, investor_id: str) -> None:
        self.presence.investor_disconnected(investor_id)

    async def investor_typing(self, investor_id: str, conversation_id: str) -> None:
        await self.presence.investor_typing(investor_id, conversation_id)

    async def agent_typing(self, staff_id: str, conversation_id: str) -> None:
        await self.presence.agent_typing(staff_id, conversation_id)

    async def deliver_push(
        self,
        investor_id: str,
        content: Callable[[Language], Mapping[str, Any]],
        *,
        dedupe_key: str,
    ) -> tuple[str, int | None]:
        return await self.presence.deliver_push(investor_id, content, dedupe_key=dedupe_key)

    async def push_opened(self, investor_id: str, conversation_id: str, seq: int) -> bool:
        return await self.presence.push_opened(investor_id, conversation_id, seq)

    # staff desk --------------------------------------------------------------------

    async def queue(self) -> list[QueueItem]:
        return await self.desk.queue()

    async def detail(self, conversation_id: str) -> DeskDetail:
        return await self.desk.detail(conversation_id)

    async def claim(self, staff: StaffAccount, conversation_id: str) -> Conversation:
        return await self.desk.claim(staff, conversation_id)

    async def agent_message(self, staff: StaffAccount, conversation_id: str, text: str) -> Event:
        return await self.desk.agent_message(staff, conversation_id, text)

    async def note(self, staff: StaffAccount, conversation_id: str, text: str) -> Event:
        return await self.desk.note(staff, conversation_id, text)

    async def resolve(self, staff: StaffAccount, conversation_id: str) -> Conversation:
        return await self.desk.resolve(staff, conversation_id)

    async def hand_back(self, staff: StaffAccount, conversation_id: str) -> Conversation:
        return await self.desk.hand_back(staff, conversation_id)

    async def agent_name(self, staff_id: str | None) -> str | None:
        return await self.core.agent_name(staff_id)

    # tickets -----------------------------------------------------------------------

    async def open_complaint_ticket(
        self, turn: TurnInProgress, *, category: str, description: str, contact: str, priority: int
    ) -> str:
        return await self.tickets.open_complaint_ticket(
            turn, category=category, description=description, contact=contact, priority=priority
        )

    def sla_due(self, priority: int, opened_at: datetime) -> datetime:
        return self.tickets.sla_due(priority, opened_at)

    # plumbing ----------------------------------------------------------------------

    async def publish(self, topic: str, message: Message) -> None:
        await self.core.publish(topic, message)

    async def close(self, timeout_s: float = 10.0) -> None:
        """Let running turns finish (up to ``timeout_s``), then cancel the rest."""
        await self.core.tasks.close(timeout_s)
