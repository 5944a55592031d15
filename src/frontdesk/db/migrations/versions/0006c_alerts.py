"""admin alerts: one row per endpoint and condition, so an alert goes out once an hour at most

Revision ID: 0006c
Revises: 0005b
Create Date: 2026-12-02

`alerts` remembers, per endpoint and condition (a dead letter, a pause, a breaker open too long, the oldest
pending delivery too old), when it began, when admins were last told and whether they are owed a
"resolved" email (delivery/alerts.py). Nothing else changes; emails themselves are deliveries.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006c"
down_revision = "0005b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("endpoint_id", sa.String(length=40), nullable=False),
        sa.Column("condition", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notified", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_count", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("endpoint_id", "condition", name=op.f("pk_alerts")),
    )


def downgrade() -> None:
    op.drop_table("alerts")
