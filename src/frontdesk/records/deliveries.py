"""Deliveries as staff and operators see them: counts, listings, replay, pause and resume.

A delivery is one webhook message (its id is the `webhook-id`). Its states::

    pending ──(2xx)──> delivered
       │ └─(error, attempts left)──> pending again, next_attempt_at later   ("retrying": attempts > 0)
       └──(error, schedule exhausted)──> failed        (a dead letter: kept, never deleted)
    held ──(staff: not spam)──> pending                  (spam is stored but never sent)

The worker (`delivery/outbox.py`) moves deliveries forward; this module holds the operations people
perform on them, shared by the CLI and the staff pages, and the statements both share (`pause_statement`).
Every function takes a connection: the view or command owns the transaction, and writes its audit entry
in it. Replaying keeps the same `webhook-id` and body, so a receiver that already processed a message can
recognise it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.db import tables
from frontdesk.db.tables import Row

STATES = ("pending", "delivered", "failed", "held")
d = tables.deliveries
p = tables.endpoint_pauses


@dataclass(frozen=True)
class Stats:
    counts: dict[str, int]  # by state, every state present
    retrying: int  # pending deliveries that have failed at least once
    oldest_pending_at: dt.datetime | None

    def oldest_pending_age(self, now: dt.datetime) -> float | None:
        if self.oldest_pending_at is None:
            return None
        return max(0.0, (now - self.oldest_pending_at).total_seconds())


async def stats(conn: AsyncConnection) -> Stats:
    rows = await conn.execute(sa.select(d.c.state, sa.func.count()).group_by(d.c.state))
    counts = dict.fromkeys(STATES, 0) | {state: n for state, n in rows}
    retrying = (
        await conn.execute(sa.select(sa.func.count()).select_from(d).where(d.c.state == "pending", d.c.attempts > 0))
    ).scalar_one()
    oldest = (await conn.execute(sa.select(sa.func.min(d.c.created_at)).where(d.c.state == "pending"))).scalar()
    return Stats(counts, retrying, oldest)


async def listing(
    conn: AsyncConnection,
    *,
    state: str | None = None,
    event_type: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Row]:
    query = sa.select(d).order_by(d.c.created_at.desc(), d.c.id.desc()).limit(limit).offset(offset)
    if state == "retrying":
        query = query.where(d.c.state == "pending", d.c.attempts > 0)
    elif state:
        query = query.where(d.c.state == state)
    if event_type:
        query = query.where(d.c.event_type == event_type)
    return list(await conn.execute(query))


async def recent_failures(conn: AsyncConnection, limit: int = 10) -> list[Row]:
    return await listing(conn, state="failed", limit=limit)


async def get(conn: AsyncConnection, delivery_id: str) -> Row | None:
    return (await conn.execute(sa.select(d).where(d.c.id == delivery_id))).first()


async def attempts(conn: AsyncConnection, delivery_id: str) -> list[Row]:
    a = tables.delivery_attempts
    return list(await conn.execute(sa.select(a).where(a.c.delivery_id == delivery_id).order_by(a.c.at, a.c.id)))


def _requeue_values(now: dt.datetime) -> dict[str, Any]:
    # A replay starts the retry schedule afresh; the attempt log keeps the history.
    return {"state": "pending", "attempts": 0, "next_attempt_at": now, "lease_until": None, "lease_owner": None}


async def replay(conn: AsyncConnection, delivery_id: str, *, now: dt.datetime) -> bool:
    """Requeue one failed (or delivered) delivery. Returns False if it does not exist or is held as spam."""
    result = await conn.execute(
        d.update().where(d.c.id == delivery_id, d.c.state.in_(("failed", "delivered"))).values(**_requeue_values(now))
    )
    return result.rowcount == 1


async def replay_failed(
    conn: AsyncConnection, *, since: dt.datetime, until: dt.datetime | None = None, now: dt.datetime
) -> int:
    """Requeue every failed delivery created in [since, until). Returns how many."""
    condition = sa.and_(d.c.state == "failed", d.c.created_at >= since)
    if until is not None:
        condition = sa.and_(condition, d.c.created_at < until)
    result = await conn.execute(d.update().where(condition).values(**_requeue_values(now)))
    return result.rowcount


async def paused_endpoints(conn: AsyncConnection) -> list[Row]:
    return list(await conn.execute(sa.select(p)))


def pause_statement(endpoint: str, *, reason: str, now: dt.datetime) -> sa.Insert:
    """Pause `endpoint` unless it is paused already: one insert-or-nothing statement.

    The worker runs it in its own bookkeeping transaction (a synchronous connection), the staff pages and
    tests through `pause_endpoint`: both the same SQL.
    """
    row = sa.select(
        sa.literal(endpoint, sa.String).label("endpoint"),
        sa.literal(now, tables.TS).label("paused_at"),
        sa.literal(reason[:500], sa.String).label("reason"),
    ).where(~sa.exists().where(p.c.endpoint == endpoint))
    return p.insert().from_select(["endpoint", "paused_at", "reason"], row)


async def pause_endpoint(conn: AsyncConnection, endpoint: str, *, reason: str, now: dt.datetime) -> None:
    await conn.execute(pause_statement(endpoint, reason=reason, now=now))


async def resume_endpoint(conn: AsyncConnection, endpoint: str, *, now: dt.datetime) -> bool:
    """Lift a pause (set after the endpoint answered 410) and make waiting deliveries due now."""
    result = await conn.execute(p.delete().where(p.c.endpoint == endpoint))
    if result.rowcount:
        await conn.execute(d.update().where(d.c.state == "pending").values(next_attempt_at=now))
    return result.rowcount == 1
