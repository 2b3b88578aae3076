"""The database schema as SQLAlchemy Core tables, the same on SQLite and PostgreSQL.

The Alembic migrations under ``migrations/versions`` build exactly this schema; a test
compares the two on both backends, so a change here needs a new revision.

Portable choices: enums are plain strings (no database enum types to migrate), JSON is
``JSONB`` on PostgreSQL and ``JSON`` text on SQLite, and every timestamp goes through
:class:`UtcDateTime`, so Python sees timezone-aware UTC datetimes on both.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

# Deterministic constraint names, so migrations and both backends agree on them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

ID_LENGTH = 64


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that goes in and comes out as timezone-aware UTC.

    SQLite keeps datetimes as naive text, so values are converted to UTC before they are
    stored (text comparison then orders them correctly) and marked UTC when read back.
    Naive datetimes are refused: they are a bug in the caller, not a time zone.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"timezone-aware datetime required, got naive {value.isoformat()}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _json() -> TypeEngine[Any]:
    return JSON().with_variant(JSONB(), "postgresql")


def _serial() -> TypeEngine[int]:
    """A 64-bit autoincrement key; SQLite only autoincrements ``INTEGER PRIMARY KEY``."""
    return BigInteger().with_variant(Integer(), "sqlite")


def _id(name: str, *args: Any, **kwargs: Any) -> Column[str]:
    return Column(name, String(ID_LENGTH), *args, **kwargs)


staff_accounts = Table(
    "staff_accounts",
    metadata,
    _id("id", primary_key=True),
    Column("username", String(64), nullable=False),
    Column("display_name", String(128), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("role", String(16), nullable=False, server_default="agent"),
    Column("demo", Boolean, nullable=False, server_default=false()),
    UniqueConstraint("username"),
)

staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("token_hash", String(128), primary_key=True),
    _id("staff_id", ForeignKey("staff_accounts.id", ondelete="CASCADE"), nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index(None, "staff_id"),
)

# agent_id / assignee_id are deliberately not foreign keys: ticket history and reports keep
# naming a staff member after the account is gone, and other systems may assign tickets.
conversations = Table(
    "conversations",
    metadata,
    _id("id", primary_key=True),
    _id("investor_id", nullable=False),
    Column("status", String(16), nullable=False),
    Column("language", String(16), nullable=False),
    Column("last_seq", Integer, nullable=False),
    Column("state", _json(), nullable=False),
    Column("escalation_reason", String(255)),
    Column("priority", Integer, nullable=False),
    Column("summary", Text),
    Column("escalated_at", UtcDateTime),
    _id("agent_id"),
    Column("flags", _json(), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index(None, "investor_id", "created_at"),
    Index(None, "status"),
    Index(None, "created_at"),
    Index(None, "escalated_at"),
)

events = Table(
    "events",
    metadata,
    _id("conversation_id", ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("client_msg_id", String(128)),
    Column("payload", _json(), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("conversation_id", "seq"),
    # NULLs are distinct on both backends, so only real client ids collide.
    UniqueConstraint("conversation_id", "client_msg_id"),
)

turns = Table(
    "turns",
    metadata,
    Column("id", _serial(), primary_key=True, autoincrement=True),
    _id("conversation_id", ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("question", Text, nullable=False),
    Column("language", String(16), nullable=False),
    Column("intent", String(128)),
    Column("confidence", Float),
    Column("action", String(64), nullable=False),
    Column("sources", _json(), nullable=False),
    Column("top_score", Float),
    Column("escalation_reason", String(255)),
    Column("latency_ms", Float, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "created_at"),
    Index(None, "conversation_id"),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", _serial(), primary_key=True, autoincrement=True),
    _id("conversation_id", ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer),
    Column("thumbs", String(8)),
    Column("score", Integer),
    Column("comment", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "created_at"),
    Index(None, "conversation_id"),
)

tickets = Table(
    "tickets",
    metadata,
    _id("id", primary_key=True),
    _id("conversation_id", ForeignKey("conversations.id", ondelete="SET NULL")),
    _id("investor_id"),
    Column("kind", String(32), nullable=False),
    Column("category", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("reason", String(255), nullable=False),
    Column("summary", Text, nullable=False),
    Column("sla_due_at", UtcDateTime, nullable=False),
    _id("assignee_id"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index(None, "status"),
    Index(None, "conversation_id"),
)

ticket_events = Table(
    "ticket_events",
    metadata,
    Column("id", _serial(), primary_key=True, autoincrement=True),
    _id("ticket_id", ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("detail", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "ticket_id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", _serial(), primary_key=True, autoincrement=True),
    _id("investor_id", nullable=False),
    Column("dedupe_key", String(255), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("payload", _json(), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("not_before", UtcDateTime),
    Column("expires_at", UtcDateTime),
    Column("delivered_at", UtcDateTime),
    _id("conversation_id", ForeignKey("conversations.id", ondelete="SET NULL")),
    # First seen in the widget's open chat panel (the widget's ``opened`` frame).
    Column("opened_at", UtcDateTime),
    UniqueConstraint("investor_id", "dedupe_key"),
    Index(None, "investor_id", "delivered_at"),
)

# Kinds of proactive suggestion an investor asked not to see again (from the widget).
push_mutes = Table(
    "push_mutes",
    metadata,
    _id("investor_id", primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("muted_at", UtcDateTime, nullable=False),
)

# Investor messages that were acknowledged but not yet handled (answered by the bot, or
# shown to the agent who holds the conversation). A row is written with the message and
# removed with the reply, in the same transactions, so a turn that failed after the ack
# (a database outage, a crashed process) is found again and answered.
pending_turns = Table(
    "pending_turns",
    metadata,
    _id("conversation_id", ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
    Column("client_msg_id", String(128), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("lease_until", UtcDateTime),
    PrimaryKeyConstraint("conversation_id", "client_msg_id"),
    Index(None, "created_at"),
)
