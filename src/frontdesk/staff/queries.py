"""Read-only queries over submissions for the staff pages: counts, search, one record, spam.

Writes go through the modules that own them (`records.submissions.release_spam`,
`records.deliveries.replay`, ...); this module only reads, and returns rows.
The list of leads and applications is filtered by `staff.filters.Filters`: the email is matched in its own
lower-cased column, name and message inside the JSON data, sources in the touch columns.
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
from frontdesk.staff.filters import Filters

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


def _condition(f: Filters) -> Any:
    """The WHERE clause of a filtered list of leads and applications."""
    parts: list[Any] = [
        sub.c.kind.in_((f.kind,) if f.kind else PERSON_KINDS),
        sub.c.spam.is_(f.state == "held"),  # held deliveries are those of submissions held as spam
    ]
    start, end = f.bounds()
    if start is not None:
        parts.append(sub.c.created_at >= start)
    if end is not None:
        parts.append(sub.c.created_at < end)
    for key in ("office", "interest"):
        if value := getattr(f, key):
            parts.append(sub.c.data[key].as_string() == value)
    if f.job:
        parts.append(sub.c.data[("job", "slug")].as_string() == f.job)
    if f.source:
        first, last = sa.func.lower(sub.c.first_source), sa.func.lower(sub.c.last_source)
        parts.append(sa.or_(first == f.source, last == f.source))
    if f.state and f.state != "held":
        parts.append(_delivery_state() == f.state)
    if f.q:
        pattern = f"%{_like_escape(f.q.lower())}%"
        matches = [
            sub.c.email.like(pattern, escape="\\"),
            *(
                sa.func.lower(sub.c.data[key].as_string()).like(pattern, escape="\\")
                for key in ("name", "message", "cover_letter")
            ),
        ]
        prefix = mail.id_prefix(f.q) if "@" not in f.q else None
        if prefix is not None:  # a reference number (FD-XXXX-XXXX) names the start of the submission's id
            matches.append(sub.c.id.like(f"{prefix[:8]}-{prefix[8:]}%"))
        parts.append(sa.or_(*matches))
    return sa.and_(*parts)


LIST_COLUMNS = (
    sub.c.id, sub.c.kind, sub.c.created_at, sub.c.email, sub.c.data, sub.c.erased_at,
    *(sub.c[f"{t}_{n}"] for t in ("first", "last") for n, _ in tables.TOUCH_COLUMNS),
)  # fmt: skip


async def search(conn: AsyncConnection, f: Filters, *, limit: int, offset: int) -> tuple[list[Row], int]:
    """Leads and applications matching the filters, newest first, and how many match in all."""
    condition = _condition(f)
    total = (await conn.execute(sa.select(sa.func.count()).select_from(sub).where(condition))).scalar_one()
    rows = await conn.execute(
        sa.select(*LIST_COLUMNS, _delivery_state().label("delivery_state"))
        .where(condition)
        .order_by(sub.c.created_at.desc(), sub.c.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total)


async def search_after(
    conn: AsyncConnection, f: Filters, *, after: tuple[dt.datetime, str] | None, limit: int
) -> list[Row]:
    """The next `limit` matches after (created_at, id) in the list's order: an export's or a cursor's batch."""
    condition = _condition(f)
    if after is not None:
        at, sid = after
        condition = sa.and_(condition, sa.or_(sub.c.created_at < at, sa.and_(sub.c.created_at == at, sub.c.id > sid)))
    rows = await conn.execute(
        sa.select(*LIST_COLUMNS, _delivery_state().label("delivery_state"))
        .where(condition)
        .order_by(sub.c.created_at.desc(), sub.c.id)
        .limit(limit)
    )
    return list(rows)


async def oldest_first(
    conn: AsyncConnection, f: Filters, *, after: tuple[dt.datetime, str] | None, until: dt.datetime, limit: int
) -> list[Row]:
    """The API's pages: matches in the order they arrived, after (created_at, id), made before `until`."""
    condition = sa.and_(_condition(f), sub.c.created_at < until)
    if after is not None:
        at, sid = after
        condition = sa.and_(condition, sa.or_(sub.c.created_at > at, sa.and_(sub.c.created_at == at, sub.c.id > sid)))
    rows = await conn.execute(
        sa.select(*LIST_COLUMNS, sub.c.consent, sub.c.attribution, _delivery_state().label("delivery_state"))
        .where(condition)
        .order_by(sub.c.created_at, sub.c.id)
        .limit(limit)
    )
    return list(rows)


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
