"""The audit log: who did what, and when, in the staff area and from the CLI.

`record(conn, ...)` is the one writer, used by the staff views, the CLI, privacy requests and delivery
operations alike. It always runs in the transaction of the change it describes (the view or command opens
one `db.write()` for both), so the log can neither claim something that was rolled back nor miss something
that happened.

Every action it writes is in `ACTIONS`, with the label `/staff/audit` shows and filters by; writing an
action that is not listed is a `ValueError`, so a new action cannot be written without a label, nor be
impossible to filter for. Entries are never updated or deleted by the application; `/staff/audit` shows
them to admins. Targets name people only where staff already see them (a staff account's email); an
erased person is named only by a keyed hash of their address.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.db import tables
from frontdesk.db.tables import Row

a = tables.audit

ACTIONS = {
    "login.ok": "Signed in",
    "login.failed": "Failed sign-in",
    "login.locked": "Sign-in paused for an address",
    "logout": "Signed out",
    "delivery.replay": "Replayed a delivery",
    "delivery.replay_failed": "Replayed failed deliveries",
    "endpoint.add": "Added a webhook endpoint",
    "endpoint.pause": "Paused an endpoint",
    "endpoint.disable": "Disabled an endpoint",
    "endpoint.resume": "Resumed an endpoint",
    "endpoint.rotate": "Rotated an endpoint's secret",
    "endpoint.remove": "Removed an endpoint",
    "endpoint.test": "Sent a test event",
    "feedback.export": "Exported feedback",
    "submissions.export": "Exported leads and applications",
    "report.export": "Exported a report",
    "api.read": "Read submissions through the API",
    "api_token.create": "Made an API token",
    "api_token.revoke": "Revoked an API token",
    "feedback.triage": "Triaged a comment",
    "file.download": "Downloaded a file",
    "spam.release": "Marked as not spam",
    "staff.add": "Added a staff account",
    "staff.disable": "Disabled a staff account",
    "staff.enable": "Enabled a staff account",
    "staff.set_password": "Set a password",
    "staff.unlock": "Lifted sign-in pauses",
    "staff.mail": "Chose which emails to get",
    "comment.approve": "Approved a comment",
    "comment.spam": "Marked a comment as spam",
    "comment.delete": "Deleted a comment",
    "erase": "Erased a person's data",
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
) -> int:
    """Append one entry, inside the caller's write transaction; returns its id."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action: {action!r}")
    result = await conn.execute(
        a.insert()
        .values(
            at=at, actor=_clip(actor, 320) or "?", action=action, target=_clip(target, 300), detail=_clip(detail, 500)
        )
        .returning(a.c.id)
    )
    return int(result.scalar_one())


async def entries(conn: AsyncConnection, *, action: str | None = None, limit: int = 100, offset: int = 0) -> list[Row]:
    """The newest entries first."""
    query = sa.select(a).order_by(a.c.at.desc(), a.c.id.desc()).limit(limit).offset(offset)
    if action:
        query = query.where(a.c.action == action)
    return list(await conn.execute(query))
