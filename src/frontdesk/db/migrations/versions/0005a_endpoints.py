"""webhook endpoints: several destinations, each with secrets, an event filter, a pace and a state

Revision ID: 0005a
Revises: 0004
Create Date: 2026-12-02

Deliveries gain `endpoint_id` (no foreign key: removing an endpoint keeps its deliveries' history) and the
`cancelled` state. Existing deliveries keep `endpoint_id` NULL ("unrouted"); the endpoint that
FRONTDESK_CRM_WEBHOOK_URL/_SECRET describe adopts them when a worker first starts, together with a pause
row that `endpoint_pauses` held for that URL (`records.endpoints.sync_env`), so an upgrade sends what
waited to the same CRM as before. The due index becomes a partial index over pending rows only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005a"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "endpoints",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secrets", sa.JSON(), nullable=False),
        sa.Column("events", sa.String(length=500), nullable=False),
        sa.Column("rate_limit", sa.Float(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("state_reason", sa.String(length=500), nullable=True),
        sa.Column("state_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=12), nullable=False, server_default="admin"),
        sa.Column("breaker_failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("breaker_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_endpoints")),
        sa.UniqueConstraint("name", name=op.f("uq_endpoints_name")),
    )
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("endpoint_id", sa.String(length=40), nullable=True))
        batch.drop_index("ix_deliveries_due")
    op.create_index(
        "ix_deliveries_due",
        "deliveries",
        ["endpoint_id", "next_attempt_at"],
        sqlite_where=sa.text("state = 'pending'"),
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_index("ix_deliveries_state_created", "deliveries", ["state", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_state_created", table_name="deliveries")
    op.drop_index("ix_deliveries_due", table_name="deliveries")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("endpoint_id")
    op.create_index("ix_deliveries_due", "deliveries", ["state", "next_attempt_at"])
    op.drop_table("endpoints")
