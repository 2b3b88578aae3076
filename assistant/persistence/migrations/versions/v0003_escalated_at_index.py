"""An index on conversations.escalated_at: the wait investors are told about reads the
recent escalations by it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-14
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_conversations_escalated_at", "conversations", ["escalated_at"])


def downgrade() -> None:
    op.drop_index("ix_conversations_escalated_at", table_name="conversations")
