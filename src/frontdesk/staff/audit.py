"""The audit log: who did what, and when, in the staff area and from the CLI.

Entries are written for sign-ins (and failed ones), sign-outs, replays,
endpoint resumes, exports, file downloads, spam decisions, comment triage and
account changes. Where the staff code makes the change itself (sign-ins,
triage, account changes) the entry is written in the same transaction
(`record(conn, ...)`), so the log can neither claim something that was rolled
back nor miss something that happened. Where a shared module owns the change
in its own transaction (`deliveries.replay`, `submissions.release_spam`), the
entry is written right after it succeeds. Entries are never updated or
deleted by the application; `/staff/audit` shows them to admins.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk import tables
from frontdesk.tables import Row

a = tables.audit

ACTIONS = {
    "login.ok": "Signed in",
    "login.failed": "Failed sign-in",
    "login.locked": "Account locked",
    "logout": "Signed out",
    "delivery.replay": "Replayed a delivery",
    "delivery.replay_failed": "Replayed failed deliveries",
    "endpoint.resume": "Resumed an endpoint",
    "feedback.export": "Exported feedback",
    "feedback.triage": "Triaged a comment",
    "file.download": "Downloaded a file",
    "spam.release": "Marked as not spam",
    "staff.add": "Added a staff account",
    "staff.disable": "Disabled a staff account",
    "staff.enable": "Enabled a staff account",
    "staff.set_password": "Set a password",
    "comment.approve": "Approved a comment",
    "comment.spam": "Marked a comment as spam",
    "comment.delete": "Deleted a comment",
}


def _clip(value: str | None, size: int) -> str | None:
    return None if value is None else value[:size]


async def record(
    conn: AsyncConnection,
    *,
    at: dt.datetime,
    actor: str,
    action: str,
    target: str | None = None,
    detail: str | None = None,
) -> None:
    """Append one entry, inside the caller's write transaction."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action: {action!r}")
    await conn.execute(
        a.insert().values(
            at=at, actor=_clip(actor, 320) or "?", action=action, target=_clip(target, 300), detail=_clip(detail, 500)
        )
    )


async def entries(conn: AsyncConnection, *, action: str | None = None, limit: int = 100, offset: int = 0) -> list[Row]:
    """The newest entries first."""
    query = sa.select(a).order_by(a.c.at.desc(), a.c.id.desc()).limit(limit).offset(offset)
    if action:
        query = query.where(a.c.action == action)
    return list(await conn.execute(query))
