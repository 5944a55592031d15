"""sign-in failures per account and source (throttling instead of locking accounts)

Revision ID: 0004
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_failures",
        sa.Column("account", sa.String(length=320), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("pauses", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paused_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("account", "source", name=op.f("pk_sign_in_failures")),
    )
    # Accounts are no longer locked for everyone; a lock set by the old rule is lifted.
    op.execute("UPDATE staff SET failed = 0, locked_until = NULL")


def downgrade() -> None:
    op.drop_table("sign_in_failures")
