"""Tickets in SQL, with their history; part of the SQL store (:mod:`assistant.persistence.sql`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from assistant.persistence.database import Database
from assistant.persistence.records import Ticket, TicketEvent, TicketStatus
from assistant.persistence.repositories import NotFoundError
from assistant.persistence.tables import ticket_events, tickets


def _ticket(row: Row[Any]) -> Ticket:
    return Ticket.model_validate(row._mapping)


class SqlTicketRepository:
    """Tickets and their history."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def open(self, ticket: Ticket, actor: str) -> Ticket:
        """Raises :class:`ConflictError` when the id is taken or the conversation unknown."""

        async def work(connection: AsyncConnection) -> None:
            await connection.execute(insert(tickets).values(ticket.model_dump()))
            await connection.execute(
                insert(ticket_events).values(
                    ticket_id=ticket.id,
                    actor=actor,
                    action="opened",
                    detail=ticket.reason,
                    created_at=ticket.created_at,
                )
            )

        await self._db.write(work)
        return ticket

    async def get(self, ticket_id: str) -> Ticket | None:
        async def work(connection: AsyncConnection) -> Ticket | None:
            row = (
                await connection.execute(select(tickets).where(tickets.c.id == ticket_id))
            ).first()
            return _ticket(row) if row else None

        return await self._db.read(work)

    async def for_conversation(self, conversation_id: str) -> list[Ticket]:
        """The conversation's tickets, oldest first."""
        query = (
            select(tickets)
            .where(tickets.c.conversation_id == conversation_id)
            .order_by(tickets.c.created_at)
        )
        return await self._list(query)

    async def by_status(self, status: TicketStatus | None = None) -> list[Ticket]:
        """Tickets (all when ``status`` is None), most urgent first: priority, then SLA."""
        query = select(tickets).order_by(
            tickets.c.priority.desc(), tickets.c.sla_due_at, tickets.c.created_at
        )
        if status is not None:
            query = query.where(tickets.c.status == status.value)
        return await self._list(query)

    async def update(
        self,
        ticket_id: str,
        *,
        actor: str,
        action: str,
        status: TicketStatus | None = None,
        assignee_id: str | None = None,
        detail: str = "",
    ) -> Ticket:
        """Raises :class:`NotFoundError` for an unknown ticket (and writes nothing)."""
        now = self._db.clock()
        values: dict[str, Any] = {"updated_at": now}
        if status is not None:
            values["status"] = status.value
        if assignee_id is not None:
            values["assignee_id"] = assignee_id

        async def work(connection: AsyncConnection) -> Ticket:
            statement = (
                update(tickets)
                .where(tickets.c.id == ticket_id)
                .values(values)
                .returning(*tickets.c)
            )
            row = (await connection.execute(statement)).first()
            if row is None:
                raise NotFoundError(f"no ticket {ticket_id!r}")
            await connection.execute(
                insert(ticket_events).values(
                    ticket_id=ticket_id, actor=actor, action=action, detail=detail, created_at=now
                )
            )
            return _ticket(row)

        return await self._db.write(work)

    async def history(self, ticket_id: str) -> list[TicketEvent]:
        """The ticket's history, oldest first."""
        query = (
            select(*[ticket_events.c[name] for name in TicketEvent.model_fields])
            .where(ticket_events.c.ticket_id == ticket_id)
            .order_by(ticket_events.c.created_at, ticket_events.c.id)
        )

        async def work(connection: AsyncConnection) -> list[TicketEvent]:
            rows = await connection.execute(query)
            return [TicketEvent.model_validate(row._mapping) for row in rows]

        return await self._db.read(work)

    async def _list(self, query: Any) -> list[Ticket]:
        async def work(connection: AsyncConnection) -> list[Ticket]:
            return [_ticket(row) for row in await connection.execute(query)]

        return await self._db.read(work)
