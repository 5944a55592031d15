"""Read-only queries over submissions for the staff pages: counts, search, one record, spam.

Writes go through the modules that own them (`records.submissions.release_spam`,
`records.deliveries.replay`, ...); this module only reads, and returns rows.
Searching is by email: submissions keep the address lower-cased in their own
indexed column, so a search never has to look inside the JSON data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.db import tables
from frontdesk.db.tables import Row
from frontdesk.records import mail

sub = tables.submissions
dlv = tables.deliveries
PERSON_KINDS = ("lead", "application")


async def counts_since(conn: AsyncConnection, kinds: tuple[str, ...], since: dt.datetime) -> dict[str, int]:
    """How many submissions of each kind (spam left out) were made at or after `since`."""
    rows = await conn.execute(
        sa.select(sub.c.kind, sa.func.count())
        .where(sub.c.kind.in_(kinds), sub.c.created_at >= since, sub.c.spam.is_(False))
        .group_by(sub.c.kind)
    )
    return dict.fromkeys(kinds, 0) | {kind: int(n) for kind, n in rows}


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _delivery_state() -> Any:
    # The state of the submission's newest delivery: one per lead or application in practice.
    return (
        sa.select(dlv.c.state)
        .where(dlv.c.submission_id == sub.c.id)
        .order_by(dlv.c.created_at.desc())
        .limit(1)
        .scalar_subquery()
    )


async def search(
    conn: AsyncConnection, *, kind: str | None, email: str, limit: int, offset: int
) -> tuple[list[Row], int]:
    """Leads and applications (not spam), newest first, optionally by kind and part of the email or a reference."""
    condition = sa.and_(sub.c.kind.in_((kind,) if kind else PERSON_KINDS), sub.c.spam.is_(False))
    if email:
        matches: sa.ColumnElement[bool] = sub.c.email.like(f"%{_like_escape(email.lower())}%", escape="\\")
        prefix = mail.id_prefix(email) if "@" not in email else None
        if prefix is not None:  # a reference number (FD-XXXX-XXXX) names the start of the submission's id
            matches = sa.or_(matches, sub.c.id.like(f"{prefix[:8]}-{prefix[8:]}%"))
        condition = sa.and_(condition, matches)
    total = (await conn.execute(sa.select(sa.func.count()).select_from(sub).where(condition))).scalar_one()
    rows = await conn.execute(
        sa.select(
            sub.c.id, sub.c.kind, sub.c.created_at, sub.c.email, sub.c.data, sub.c.erased_at,
            _delivery_state().label("delivery_state"),
        )
        .where(condition)
        .order_by(sub.c.created_at.desc(), sub.c.id)
        .limit(limit)
        .offset(offset)
    )  # fmt: skip
    return list(rows), int(total)


@dataclass(frozen=True)
class Record:
    submission: Row
    deliveries: list[Row]
    uploads: list[Row]


async def record(conn: AsyncConnection, submission_id: str) -> Record | None:
    row = (await conn.execute(sa.select(sub).where(sub.c.id == submission_id))).first()
    if row is None:
        return None
    deliveries = list(
        await conn.execute(sa.select(dlv).where(dlv.c.submission_id == submission_id).order_by(dlv.c.created_at))
    )
    up = tables.uploads
    uploads = list(
        await conn.execute(
            sa.select(up).where(up.c.submission_id == submission_id, up.c.erased_at.is_(None)).order_by(up.c.created_at)
        )
    )
    return Record(row, deliveries, uploads)


async def spam(conn: AsyncConnection, *, limit: int, offset: int) -> tuple[list[Row], int]:
    """Submissions held as spam, newest first."""
    condition = sub.c.spam.is_(True)
    total = (await conn.execute(sa.select(sa.func.count()).select_from(sub).where(condition))).scalar_one()
    rows = await conn.execute(
        sa.select(sub.c.id, sub.c.kind, sub.c.created_at, sub.c.email, sub.c.data, sub.c.spam_reason)
        .where(condition)
        .order_by(sub.c.created_at.desc(), sub.c.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total)


async def upload(conn: AsyncConnection, upload_id: str) -> Row | None:
    up = tables.uploads
    return (await conn.execute(sa.select(up).where(up.c.id == upload_id, up.c.erased_at.is_(None)))).first()
