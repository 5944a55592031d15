"""first and latest touch columns on submissions, page view counters, API tokens

Revision ID: 0005b
Revises: 0005a
Create Date: 2026-12-02

Submissions gain the source, medium, campaign and landing path of their first and latest touch (for the
Sources and Pages reports, with covering indexes); `page_views` holds views per path and day;
`api_tokens` the hashed bearer tokens of the read-only API. The
attribution JSON of rows stored before this migration (one touch, flat `utm_*` keys) is rewritten into the
new shape, that touch being both the first and the latest, so every reader knows one shape only.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

revision = "0005b"
down_revision = "0005a"
branch_labels = None
depends_on = None

TOUCH_COLUMNS = (("source", 100), ("medium", 100), ("campaign", 150), ("landing", 300))
BATCH = 500


def _touch(old: dict[str, Any]) -> dict[str, Any] | None:
    """The one touch an attribution of the old shape recorded, in the new shape; None for a direct visit."""
    text = {k: v if isinstance(v, str) else "" for k, v in old.items()}
    if not any(text.get(k) for k in ("utm_source", "utm_medium", "utm_campaign", "referrer", "landing_page")):
        return None
    source, medium = text.get("utm_source", ""), text.get("utm_medium", "")
    if not source and text.get("referrer"):
        try:
            host = urlsplit(text["referrer"]).hostname or ""
        except ValueError:
            host = ""
        source, medium = host.removeprefix("www."), medium or ("referral" if host else "")
    return {
        "source": source[:100],
        "medium": medium[:100],
        "campaign": text.get("utm_campaign", "")[:150],
        "term": text.get("utm_term", ""),
        "content": text.get("utm_content", ""),
        "referrer": text.get("referrer", ""),
        "landing_page": text.get("landing_page", ""),
        "at": text.get("first_seen", ""),
        "click_ids": {},
    }


def _landing_path(page: str) -> str:
    return page.split("?", 1)[0].split("#", 1)[0][:300]


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        for touch in ("first", "last"):
            for name, size in TOUCH_COLUMNS:
                batch.add_column(
                    sa.Column(f"{touch}_{name}", sa.String(length=size), nullable=False, server_default="")
                )
    op.create_index(
        "ix_submissions_first_touch",
        "submissions",
        ["spam", "first_source", "first_medium", "first_campaign", "kind", "created_at"],
    )
    op.create_index(
        "ix_submissions_last_touch",
        "submissions",
        ["spam", "last_source", "last_medium", "last_campaign", "kind", "created_at"],
    )
    op.create_index("ix_submissions_landing", "submissions", ["spam", "first_landing", "kind", "created_at"])
    op.create_table(
        "page_views",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("day", "path", name=op.f("pk_page_views")),
    )
    op.create_index("ix_page_views_path_day_views", "page_views", ["path", "day", "views"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )

    submissions = sa.table(
        "submissions",
        sa.column("id", sa.String),
        sa.column("attribution", sa.JSON),
        *(sa.column(f"{t}_{n}", sa.String) for t in ("first", "last") for n, _ in TOUCH_COLUMNS),
    )
    conn = op.get_bind()
    after = ""
    while True:
        rows = conn.execute(
            sa.select(submissions.c.id, submissions.c.attribution)
            .where(submissions.c.id > after, submissions.c.attribution.is_not(None))
            .order_by(submissions.c.id)
            .limit(BATCH)
        ).all()
        for row in rows:
            old = row.attribution
            if not isinstance(old, dict) or "first_touch" in old:
                continue
            one = _touch(old)
            new = {"first_touch": one, "last_touch": one, "form_page": old.get("form_page", ""),
                   "sent_from": old.get("sent_from", "")}  # fmt: skip
            values: dict[str, Any] = {"attribution": new}
            if one is not None:
                for t in ("first", "last"):
                    values.update({f"{t}_source": one["source"], f"{t}_medium": one["medium"],
                                   f"{t}_campaign": one["campaign"],
                                   f"{t}_landing": _landing_path(one["landing_page"])})  # fmt: skip
            conn.execute(submissions.update().where(submissions.c.id == row.id).values(**values))
        if len(rows) < BATCH:
            break
        after = rows[-1].id


def downgrade() -> None:
    op.drop_table("api_tokens")
    op.drop_index("ix_page_views_path_day_views", table_name="page_views")
    op.drop_table("page_views")
    op.drop_index("ix_submissions_landing", table_name="submissions")
    op.drop_index("ix_submissions_last_touch", table_name="submissions")
    op.drop_index("ix_submissions_first_touch", table_name="submissions")
    with op.batch_alter_table("submissions") as batch:
        for touch in ("first", "last"):
            for name, _size in TOUCH_COLUMNS:
                batch.drop_column(f"{touch}_{name}")
