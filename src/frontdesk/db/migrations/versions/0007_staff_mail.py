"""staff accounts choose their emails: the weekly digest (opt in) and delivery alerts (opt out)

Revision ID: 0007
Revises: 0006c
Create Date: 2026-12-02

Until now the digest went only to FRONTDESK_DIGEST_TO and alerts to FRONTDESK_ALERT_TO or every admin,
with no say for the people receiving them. Each account now has two choices, made on `/staff/account`:
`mail_digest` (off until the person asks for it) and `mail_alerts` (on, as before, until an admin opts
out). Existing accounts keep what they got.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("mail_digest", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("mail_alerts", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("mail_alerts")
        batch.drop_column("mail_digest")
