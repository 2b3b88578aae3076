"""Staff accounts and console sessions in SQL; part of the SQL store
(:mod:`assistant.persistence.sql`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from assistant.persistence.database import Database, new_id
from assistant.persistence.records import StaffAccount, StaffRole, StaffSession
from assistant.persistence.repositories import ConflictError, NotFoundError
from assistant.persistence.tables import staff_accounts, staff_sessions


class SqlStaffRepository:
    """Staff accounts and their console sessions."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        username: str,
        display_name: str,
        password_hash: str,
        *,
        role: StaffRole = StaffRole.AGENT,
        demo: bool = False,
    ) -> StaffAccount:
        """Raises :class:`ConflictError` (a StorageError) when the username is taken."""
        account = StaffAccount(
            id=new_id(),
            username=username,
            display_name=display_name,
            password_hash=password_hash,
            role=role,
            demo=demo,
            created_at=self._db.clock(),
        )

        async def work(connection: AsyncConnection) -> None:
            await connection.execute(insert(staff_accounts).values(account.model_dump()))

        try:
            await self._db.write(work)
        except ConflictError as exc:
            raise ConflictError(f"username {username!r} is taken") from exc
        return account

    async def by_username(self, username: str) -> StaffAccount | None:
        return await self._one(staff_accounts.c.username == username)

    async def get(self, staff_id: str) -> StaffAccount | None:
        return await self._one(staff_accounts.c.id == staff_id)

    async def all(self) -> list[StaffAccount]:
        async def work(connection: AsyncConnection) -> list[StaffAccount]:
            query = select(staff_accounts).order_by(staff_accounts.c.username)
            rows = await connection.execute(query)
            return [StaffAccount.model_validate(row._mapping) for row in rows]

        return await self._db.read(work)

    async def set_password(self, staff_id: str, password_hash: str) -> None:
        await self._update(staff_id, password_hash=password_hash)

    async def update(
        self,
        staff_id: str,
        *,
        role: StaffRole | None = None,
        active: bool | None = None,
        demo: bool | None = None,
    ) -> StaffAccount:
        changes = {"role": role, "active": active, "demo": demo}
        await self._update(staff_id, **{k: v for k, v in changes.items() if v is not None})
        account = await self.get(staff_id)
        if account is None:
            raise NotFoundError(f"no staff account {staff_id!r}")
        return account

    async def _update(self, staff_id: str, **values: Any) -> None:
        async def work(connection: AsyncConnection) -> None:
            statement = update(staff_accounts).where(staff_accounts.c.id == staff_id)
            if (await connection.execute(statement.values(**values))).rowcount != 1:
                raise NotFoundError(f"no staff account {staff_id!r}")

        await self._db.write(work)

    async def start_session(self, session: StaffSession) -> None:
        async def work(connection: AsyncConnection) -> None:
            await connection.execute(insert(staff_sessions).values(session.model_dump()))

        await self._db.write(work)

    async def session(self, token_hash: str) -> StaffSession | None:
        """The session with this token hash, expired or not: the caller checks
        ``expires_at`` (and may end it)."""

        async def work(connection: AsyncConnection) -> StaffSession | None:
            query = select(staff_sessions).where(staff_sessions.c.token_hash == token_hash)
            row = (await connection.execute(query)).first()
            return StaffSession.model_validate(row._mapping) if row else None

        return await self._db.read(work)

    async def end_session(self, token_hash: str) -> None:
        """Forget the session; ending one that does not exist is not an error."""

        async def work(connection: AsyncConnection) -> None:
            await connection.execute(
                staff_sessions.delete().where(staff_sessions.c.token_hash == token_hash)
            )

        await self._db.write(work)

    async def _one(self, condition: Any) -> StaffAccount | None:
        async def work(connection: AsyncConnection) -> StaffAccount | None:
            row = (await connection.execute(select(staff_accounts).where(condition))).first()
            return StaffAccount.model_validate(row._mapping) if row else None

        return await self._db.read(work)
