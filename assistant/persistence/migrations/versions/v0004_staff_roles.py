"""Staff roles (agent, supervisor, admin) and the development demo account's marker.

Existing accounts become agents: nobody gains a right by upgrading. Give a first
administrator their role with ``assistant staff role USERNAME admin``. The demo account
``make run`` created before this revision (``agent1``, display name 客服小安) is marked
as the demo account, so it stops working in production like the ones created after.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff_accounts") as batch:
        batch.add_column(
            sa.Column("role", sa.String(length=16), nullable=False, server_default="agent")
        )
        batch.add_column(sa.Column("demo", sa.Boolean(), nullable=False, server_default=sa.false()))
    staff = sa.table(
        "staff_accounts",
        sa.column("username", sa.String),
        sa.column("display_name", sa.String),
        sa.column("demo", sa.Boolean),
    )
    op.execute(
        staff.update()
        .where(staff.c.username == "agent1", staff.c.display_name == "客服小安")
        .values(demo=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("staff_accounts") as batch:
        batch.drop_column("demo")
        batch.drop_column("role")
