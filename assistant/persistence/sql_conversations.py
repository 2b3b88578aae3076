"""Conversations in SQL: their sequenced events, pending turns, turn records and feedback.

Part of the SQL store (:mod:`assistant.persistence.sql`); sequence numbers come from a
conditional ``UPDATE ... RETURNING`` on the conversation row, which also locks it until the
event is inserted.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Insert, Row, and_, case, delete, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from assistant.persistence.database import Database, new_id
from assistant.persistence.records import (
    Conversation,
    ConversationStatus,
    Event,
    EventKind,
    Feedback,
    PendingTurn,
    TurnRecord,
)
from assistant.persistence.repositories import DuplicateMessageError, NotFoundError
from assistant.persistence.tables import conversations, events, pending_turns, turns
from assistant.persistence.tables import feedback as feedback_table


def _conversation(row: Row[Any]) -> Conversation:
    return Conversation.model_validate(row._mapping)


def _event(row: Row[Any]) -> Event:
    return Event.model_validate(row._mapping)


def _delete_pending(conversation_id: str, client_msg_id: str) -> Any:
    return delete(pending_turns).where(
        pending_turns.c.conversation_id == conversation_id,
        pending_turns.c.client_msg_id == client_msg_id,
    )


class SqlConversationRepository:
    """Conversations, their sequenced events, turn records and feedback."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, investor_id: str, language: str) -> Conversation:
        now = self._db.clock()
        conversation = Conversation(
            id=new_id(), investor_id=investor_id, language=language, created_at=now, updated_at=now
        )

        async def work(connection: AsyncConnection) -> None:
            await connection.execute(insert(conversations).values(conversation.model_dump()))

        await self._db.write(work)
        return conversation

    async def get(self, conversation_id: str) -> Conversation | None:
        async def work(connection: AsyncConnection) -> Conversation | None:
            query = select(conversations).where(conversations.c.id == conversation_id)
            row = (await connection.execute(query)).first()
            return _conversation(row) if row else None

        return await self._db.read(work)

    async def latest_open(self, investor_id: str) -> Conversation | None:
        async def work(connection: AsyncConnection) -> Conversation | None:
            query = (
                select(conversations)
                .where(
                    conversations.c.investor_id == investor_id,
                    conversations.c.status != ConversationStatus.RESOLVED.value,
                )
                .order_by(conversations.c.created_at.desc())
                .limit(1)
            )
            row = (await connection.execute(query)).first()
            return _conversation(row) if row else None

        return await self._db.read(work)

    async def save_state(
        self, conversation_id: str, state: dict[str, Any], language: str, flags: Sequence[str]
    ) -> None:
        values = {
            "state": state,
            "language": language,
            "flags": list(flags),
            "updated_at": self._db.clock(),
        }
        await self._update(conversation_id, values)

    async def escalate(
        self, conversation_id: str, reason: str, priority: int, summary: str
    ) -> Conversation:
        """QUEUED with this reason, priority and summary. ``escalated_at`` becomes now, except
        when the conversation is already waiting: then it keeps its place in the queue."""
        now = self._db.clock()
        already_waiting = and_(
            conversations.c.status == ConversationStatus.QUEUED.value,
            conversations.c.escalated_at.is_not(None),
        )
        values = {
            "status": ConversationStatus.QUEUED.value,
            "escalation_reason": reason,
            "priority": priority,
            "summary": summary,
            "escalated_at": case(
                (already_waiting, conversations.c.escalated_at),
                else_=literal(now, conversations.c.escalated_at.type),
            ),
            "agent_id": None,
            "updated_at": now,
        }
        return await self._update(conversation_id, values)

    async def claim(self, conversation_id: str, staff_id: str) -> bool:
        values = {
            "status": ConversationStatus.AGENT.value,
            "agent_id": staff_id,
            "updated_at": self._db.clock(),
        }
        condition = conversations.c.status == ConversationStatus.QUEUED.value
        return await self._update_if(conversation_id, condition, values)

    async def release(
        self, conversation_id: str, staff_id: str, status: ConversationStatus
    ) -> bool:
        """AGENT (held by ``staff_id``) -> BOT or RESOLVED; the agent is cleared either way
        (ticket history keeps who did what). ``status`` other than BOT/RESOLVED is a bug:
        ValueError."""
        if status not in (ConversationStatus.BOT, ConversationStatus.RESOLVED):
            raise ValueError(f"a released conversation goes to bot or resolved, not {status}")
        values = {"status": status.value, "agent_id": None, "updated_at": self._db.clock()}
        condition = and_(
            conversations.c.status == ConversationStatus.AGENT.value,
            conversations.c.agent_id == staff_id,
        )
        return await self._update_if(conversation_id, condition, values)

    async def append(
        self,
        conversation_id: str,
        kind: EventKind,
        payload: dict[str, Any],
        client_msg_id: str | None = None,
        *,
        awaits_turn: bool = False,
    ) -> Event:
        """The next seq comes from ``UPDATE ... SET last_seq = last_seq + 1 RETURNING``,
        which also holds the conversation row until the event is committed, so concurrent
        appends (any process) queue up and the sequence has no gaps. A duplicate client
        message id rolls the increment back and raises with the stored event."""
        if awaits_turn and client_msg_id is None:
            raise ValueError("a message that awaits a turn needs its client message id")

        async def work(connection: AsyncConnection) -> Event:
            event = await self._append(connection, conversation_id, kind, payload, client_msg_id)
            if awaits_turn:
                pending = PendingTurn(
                    conversation_id=conversation_id,
                    client_msg_id=str(client_msg_id),
                    seq=event.seq,
                    created_at=event.created_at,
                )
                await connection.execute(insert(pending_turns).values(pending.model_dump()))
            return event

        return await self._db.write(work)

    async def complete_turn(
        self,
        conversation_id: str,
        reply_to: str,
        payload: dict[str, Any],
        *,
        state: dict[str, Any],
        language: str,
        flags: Sequence[str],
        record: Callable[[Event], TurnRecord],
    ) -> Event:
        """The reply's client id is ``reply/<reply_to>`` ("/" is never in an investor's
        client id), so a second answer to the same message is a duplicate, whoever tries."""

        async def work(connection: AsyncConnection) -> Event:
            event = await self._append(
                connection, conversation_id, EventKind.REPLY, payload, f"reply/{reply_to}"
            )
            values = {"state": state, "language": language, "flags": list(flags)}
            await connection.execute(
                update(conversations).where(conversations.c.id == conversation_id).values(values)
            )
            await connection.execute(insert(turns).values(record(event).model_dump()))
            await connection.execute(_delete_pending(conversation_id, reply_to))
            return event

        return await self._db.write(work)

    async def settle_turn(self, conversation_id: str, client_msg_id: str) -> None:
        async def work(connection: AsyncConnection) -> None:
            await connection.execute(_delete_pending(conversation_id, client_msg_id))

        await self._db.write(work)

    async def lease_pending_turns(
        self,
        older_than: datetime,
        lease_s: float,
        limit: int,
        *,
        skip: Collection[tuple[str, str]] = (),
    ) -> list[tuple[PendingTurn, Event]]:
        """The candidates' messages are read first, then each turn is taken with a
        conditional update (the lease is still free), so two sweepers racing over the same
        rows never both get one."""
        now = self._db.clock()
        free = or_(pending_turns.c.lease_until.is_(None), pending_turns.c.lease_until <= now)
        candidates = (
            select(events)
            .join(
                pending_turns,
                and_(
                    pending_turns.c.conversation_id == events.c.conversation_id,
                    pending_turns.c.seq == events.c.seq,
                ),
            )
            .where(pending_turns.c.created_at <= older_than, free)
            .order_by(pending_turns.c.created_at)
            .limit(limit)
        )
        lease_until = now + timedelta(seconds=lease_s)

        async def work(connection: AsyncConnection) -> list[tuple[PendingTurn, Event]]:
            leased: list[tuple[PendingTurn, Event]] = []
            for message in [_event(row) for row in await connection.execute(candidates)]:
                if (message.conversation_id, message.client_msg_id) in skip:
                    continue
                take = (
                    update(pending_turns)
                    .where(
                        pending_turns.c.conversation_id == message.conversation_id,
                        pending_turns.c.client_msg_id == message.client_msg_id,
                        free,
                    )
                    .values(lease_until=lease_until, attempts=pending_turns.c.attempts + 1)
                    .returning(*pending_turns.c)
                )
                row = (await connection.execute(take)).first()
                if row is not None:
                    leased.append((PendingTurn.model_validate(row._mapping), message))
            return leased

        return await self._db.write(work)

    async def pending_turns(self, conversation_id: str) -> list[PendingTurn]:
        query = (
            select(pending_turns)
            .where(pending_turns.c.conversation_id == conversation_id)
            .order_by(pending_turns.c.seq)
        )

        async def work(connection: AsyncConnection) -> list[PendingTurn]:
            rows = await connection.execute(query)
            return [PendingTurn.model_validate(row._mapping) for row in rows]

        return await self._db.read(work)

    async def _append(
        self,
        connection: AsyncConnection,
        conversation_id: str,
        kind: EventKind,
        payload: dict[str, Any],
        client_msg_id: str | None,
    ) -> Event:
        now = self._db.clock()
        bump = (
            update(conversations)
            .where(conversations.c.id == conversation_id)
            .values(last_seq=conversations.c.last_seq + 1, updated_at=now)
            .returning(conversations.c.last_seq)
        )
        seq = (await connection.execute(bump)).scalar_one_or_none()
        if seq is None:
            raise NotFoundError(f"no conversation {conversation_id!r}")
        if client_msg_id is not None:
            existing = (
                await connection.execute(
                    select(events).where(
                        events.c.conversation_id == conversation_id,
                        events.c.client_msg_id == client_msg_id,
                    )
                )
            ).first()
            if existing is not None:
                raise DuplicateMessageError(_event(existing))
        event = Event(
            conversation_id=conversation_id,
            seq=seq,
            kind=kind,
            client_msg_id=client_msg_id,
            payload=payload,
            created_at=now,
        )
        await connection.execute(insert(events).values(event.model_dump()))
        return event

    async def events_after(
        self, conversation_id: str, seq: int, *, include_notes: bool = False
    ) -> list[Event]:
        """Events with a seq above ``seq``, in order; notes only when asked for."""
        query = select(events).where(
            events.c.conversation_id == conversation_id, events.c.seq > seq
        )
        if not include_notes:
            query = query.where(events.c.kind != EventKind.NOTE.value)

        async def work(connection: AsyncConnection) -> list[Event]:
            rows = await connection.execute(query.order_by(events.c.seq))
            return [_event(row) for row in rows]

        return await self._db.read(work)

    async def queue(self) -> list[Conversation]:
        """QUEUED and AGENT conversations: highest priority first, then longest waiting."""
        query = (
            select(conversations)
            .where(
                conversations.c.status.in_(
                    [ConversationStatus.QUEUED.value, ConversationStatus.AGENT.value]
                )
            )
            .order_by(
                conversations.c.priority.desc(),
                conversations.c.escalated_at.asc().nulls_last(),
                conversations.c.created_at.asc(),
            )
        )

        async def work(connection: AsyncConnection) -> list[Conversation]:
            return [_conversation(row) for row in await connection.execute(query)]

        return await self._db.read(work)

    async def claim_waits(self, since: datetime, limit: int = 200) -> list[float]:
        joined_at = func.min(events.c.created_at)
        query = (
            select(conversations.c.escalated_at, joined_at.label("joined_at"))
            .select_from(conversations.join(events, events.c.conversation_id == conversations.c.id))
            .where(
                conversations.c.escalated_at >= since,
                events.c.kind == EventKind.AGENT_JOINED.value,
                events.c.created_at >= conversations.c.escalated_at,
            )
            .group_by(conversations.c.id, conversations.c.escalated_at)
            .order_by(conversations.c.escalated_at.desc())
            .limit(limit)
        )

        async def work(connection: AsyncConnection) -> list[float]:
            rows = await connection.execute(query)
            # min() keeps the column's type: both come back as aware UTC datetimes.
            return [(row.joined_at - row.escalated_at).total_seconds() for row in rows]

        return await self._db.read(work)

    async def record_turn(self, turn: TurnRecord) -> None:
        await self._insert(insert(turns).values(turn.model_dump()))

    async def turns_since(self, since: datetime) -> list[TurnRecord]:
        """Turn records created at or after ``since``, oldest first."""
        query = (
            select(*[turns.c[name] for name in TurnRecord.model_fields])
            .where(turns.c.created_at >= since)
            .order_by(turns.c.created_at, turns.c.id)
        )

        async def work(connection: AsyncConnection) -> list[TurnRecord]:
            rows = await connection.execute(query)
            return [TurnRecord.model_validate(row._mapping) for row in rows]

        return await self._db.read(work)

    async def add_feedback(self, feedback: Feedback) -> None:
        await self._insert(insert(feedback_table).values(feedback.model_dump()))

    async def feedback_since(self, since: datetime) -> list[Feedback]:
        """Feedback given at or after ``since``, oldest first."""
        query = (
            select(*[feedback_table.c[name] for name in Feedback.model_fields])
            .where(feedback_table.c.created_at >= since)
            .order_by(feedback_table.c.created_at, feedback_table.c.id)
        )

        async def work(connection: AsyncConnection) -> list[Feedback]:
            rows = await connection.execute(query)
            return [Feedback.model_validate(row._mapping) for row in rows]

        return await self._db.read(work)

    async def conversations_since(self, since: datetime) -> list[Conversation]:
        """Conversations started at or after ``since``, oldest first."""
        query = (
            select(conversations)
            .where(conversations.c.created_at >= since)
            .order_by(conversations.c.created_at)
        )

        async def work(connection: AsyncConnection) -> list[Conversation]:
            return [_conversation(row) for row in await connection.execute(query)]

        return await self._db.read(work)

    async def _insert(self, statement: Insert) -> None:
        async def work(connection: AsyncConnection) -> None:
            await connection.execute(statement)

        await self._db.write(work)

    async def _update(self, conversation_id: str, values: dict[str, Any]) -> Conversation:
        async def work(connection: AsyncConnection) -> Conversation:
            statement = (
                update(conversations)
                .where(conversations.c.id == conversation_id)
                .values(values)
                .returning(*conversations.c)
            )
            row = (await connection.execute(statement)).first()
            if row is None:
                raise NotFoundError(f"no conversation {conversation_id!r}")
            return _conversation(row)

        return await self._db.write(work)

    async def _update_if(
        self, conversation_id: str, condition: Any, values: dict[str, Any]
    ) -> bool:
        async def work(connection: AsyncConnection) -> bool:
            statement = (
                update(conversations)
                .where(conversations.c.id == conversation_id, condition)
                .values(values)
            )
            return (await connection.execute(statement)).rowcount == 1

        return await self._db.write(work)
