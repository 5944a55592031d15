"""What admins are alerted about: each webhook endpoint's conditions, and the memory of what they were told.

A condition is one of `CONDITIONS`, seen per endpoint (the `mail` endpoint is left out: its dead letters are
mostly addresses that bounce, and an alert about mail could not be mailed anyway):

- `dead_letter`: it has failed deliveries (kept, waiting for a person to replay them);
- `paused`: it answered 410 Gone, or staff paused it; its deliveries wait;
- `breaker`: its breaker is open (`retries.BREAKER_THRESHOLD` failures in a row);
- `stale`: its oldest pending delivery is older than FRONTDESK_ALERT_PENDING_MINUTES.

The `alerts` table remembers per endpoint and condition when it began, whether admins were told (and so are
owed a "resolved" email) and when the last alert went out. The worker's evaluation (`delivery/alerts.py`)
claims each email with a guarded UPDATE before sending it, so several workers send it once. Every function
takes a connection; the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.db import tables
from frontdesk.db.tables import Row
from frontdesk.records.mail import MAIL_ENDPOINT_ID

CONDITIONS = ("dead_letter", "paused", "breaker", "stale")
Key = tuple[str, str]  # (endpoint id, condition)

a = tables.alerts
d = tables.deliveries
e = tables.endpoints


@dataclass(frozen=True)
class Seen:
    endpoint: str  # its name
    detail: str  # one line for the email
    count: int = 0  # dead letters


async def seen(
    conn: AsyncConnection, *, now: dt.datetime, stale_after: dt.timedelta, threshold: int
) -> dict[Key, Seen]:
    """Every condition that holds now, by endpoint and condition."""
    found: dict[Key, Seen] = {}
    names: dict[str, str] = {}
    for row in await conn.execute(
        sa.select(e.c.id, e.c.name, e.c.state, e.c.state_reason, e.c.breaker_failures).where(e.c.id != MAIL_ENDPOINT_ID)
    ):
        names[row.id] = row.name
        if row.state == "paused":
            found[(row.id, "paused")] = Seen(row.name, f"paused: {row.state_reason or 'by hand'}")
        if row.breaker_failures >= threshold:
            found[(row.id, "breaker")] = Seen(row.name, f"{row.breaker_failures} failed attempts in a row")
    per_endpoint = (
        sa.select(d.c.endpoint_id, d.c.state, sa.func.count().label("n"), sa.func.min(d.c.created_at).label("oldest"))
        .where(d.c.state.in_(("failed", "pending")), d.c.endpoint_id.in_(list(names)))
        .group_by(d.c.endpoint_id, d.c.state)
    )
    for row in await conn.execute(per_endpoint):
        name = names[row.endpoint_id]
        if row.state == "failed":
            found[(row.endpoint_id, "dead_letter")] = Seen(name, f"{row.n} failed deliveries kept", row.n)
        elif row.oldest is not None and row.oldest <= now - stale_after:
            minutes = int((now - row.oldest).total_seconds() // 60)
            found[(row.endpoint_id, "stale")] = Seen(name, f"{row.n} pending, the oldest for {minutes} minutes")
    return found


async def remembered(conn: AsyncConnection) -> dict[Key, Row]:
    return {(r.endpoint_id, r.condition): r for r in await conn.execute(sa.select(a))}


async def admin_addresses(conn: AsyncConnection) -> list[str]:
    """The active admin accounts' addresses, but for those who opted out (FRONTDESK_ALERT_TO overrides them)."""
    s = tables.staff
    query = (
        sa.select(s.c.email)
        .where(s.c.role == "admin", s.c.disabled.is_(False), s.c.mail_alerts.is_(True))
        .order_by(s.c.email)
    )
    return list((await conn.execute(query)).scalars())


async def begin(conn: AsyncConnection, key: Key, *, now: dt.datetime) -> None:
    """The condition started (again): remember since when; nothing is owed yet."""
    endpoint_id, condition = key
    updated = await conn.execute(
        a.update()
        .where(a.c.endpoint_id == endpoint_id, a.c.condition == condition, a.c.active.is_(False))
        .values(active=True, since=now, notified=False, failed_count=0)
    )
    if updated.rowcount == 0:
        exists = await conn.execute(
            sa.select(a.c.active).where(a.c.endpoint_id == endpoint_id, a.c.condition == condition)
        )
        if exists.first() is None:
            await conn.execute(
                a.insert().values(endpoint_id=endpoint_id, condition=condition, active=True, since=now, notified=False)
            )


async def claim_alert(conn: AsyncConnection, key: Key, *, count: int, now: dt.datetime, quiet: dt.timedelta) -> bool:
    """Take the right to send this alert: none went out for this key within `quiet`. False: another did."""
    endpoint_id, condition = key
    result = await conn.execute(
        a.update()
        .where(
            a.c.endpoint_id == endpoint_id,
            a.c.condition == condition,
            a.c.active.is_(True),
            sa.or_(a.c.notified.is_(False), a.c.failed_count < count),
            sa.or_(a.c.sent_at.is_(None), a.c.sent_at <= now - quiet),
        )
        .values(notified=True, sent_at=now, failed_count=count)
    )
    return result.rowcount == 1


async def claim_resolved(conn: AsyncConnection, key: Key) -> bool:
    """The condition cleared: take the right to send "resolved" (True only if admins had been told)."""
    endpoint_id, condition = key
    where = sa.and_(a.c.endpoint_id == endpoint_id, a.c.condition == condition, a.c.active.is_(True))
    told = await conn.execute(a.update().where(where, a.c.notified.is_(True)).values(active=False, notified=False))
    if told.rowcount == 1:
        return True
    await conn.execute(a.update().where(where).values(active=False))
    return False


async def unclaim(
    conn: AsyncConnection, key: Key, *, notified: bool, sent_at: dt.datetime | None, count: int, resolved: bool
) -> None:
    """The email could not be sent: put the row back as it was, so the next evaluation tries again."""
    endpoint_id, condition = key
    values = {"notified": notified, "sent_at": sent_at, "failed_count": count}
    if resolved:
        values["active"] = True
    await conn.execute(a.update().where(a.c.endpoint_id == endpoint_id, a.c.condition == condition).values(**values))
