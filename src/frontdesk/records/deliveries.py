"""Deliveries as staff and operators see them: counts, listings, replay, pause and resume.

A delivery is one webhook message (its id is the `webhook-id`). Its states::

    pending ──(2xx)──> delivered
       │ └─(error, attempts left)──> pending again, next_attempt_at later   ("retrying": attempts > 0)
       └──(error, schedule exhausted)──> failed        (a dead letter: kept, never deleted)
    held ──(staff: not spam)──> pending                  (spam is stored but never sent)
    pending/held ──(submission erased, endpoint removed)──> cancelled   (not a failure; never replayed)

The worker (`delivery/outbox.py`) moves deliveries forward; this module holds the operations people
perform on them, shared by the CLI and the staff pages. Pauses live on the endpoint (`records/endpoints.py`);
`pause_endpoint`/`resume_endpoint` find it by name or URL.
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
from frontdesk.db.clock import due_now
from frontdesk.db.tables import Row

STATES = ("pending", "delivered", "failed", "held", "cancelled")
d = tables.deliveries
e = tables.endpoints


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


def _requeue_values(conn: AsyncConnection, now: dt.datetime) -> dict[str, Any]:
    # A replay starts the retry schedule afresh; the attempt log keeps the history.
    return {
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": due_now(conn, now),
        "lease_until": None,
        "lease_owner": None,
    }


async def replay(conn: AsyncConnection, delivery_id: str, *, now: dt.datetime) -> bool:
    """Requeue one failed (or delivered) delivery. False if it does not exist, is held, cancelled or erased."""
    result = await conn.execute(
        d.update()
        .where(d.c.id == delivery_id, d.c.state.in_(("failed", "delivered")), _not_erased())
        .values(**_requeue_values(conn, now))
    )
    return result.rowcount == 1


def _not_erased() -> sa.ColumnElement[bool]:
    """Replaying an erased submission would send its receiver an empty stub: never."""
    s = tables.submissions
    return ~sa.exists().where(s.c.id == d.c.submission_id, s.c.erased_at.is_not(None))


async def replay_failed(
    conn: AsyncConnection, *, since: dt.datetime, until: dt.datetime | None = None, now: dt.datetime
) -> int:
    """Requeue every failed delivery created in [since, until). Returns how many."""
    condition = sa.and_(d.c.state == "failed", d.c.created_at >= since, _not_erased())
    if until is not None:
        condition = sa.and_(condition, d.c.created_at < until)
    result = await conn.execute(d.update().where(condition).values(**_requeue_values(conn, now)))
    return result.rowcount


async def paused_endpoints(conn: AsyncConnection) -> list[Row]:
    """Paused endpoints as `endpoint` (the URL), `name`, `paused_at`, `reason`."""
    query = sa.select(
        e.c.url.label("endpoint"),
        e.c.name,
        sa.func.coalesce(e.c.state_at, e.c.created_at).label("paused_at"),
        sa.func.coalesce(e.c.state_reason, "paused").label("reason"),
    ).where(e.c.state == "paused")
    return list(await conn.execute(query.order_by(e.c.name)))


def _named(endpoint: str) -> sa.ColumnElement[bool]:
    return sa.or_(e.c.url == endpoint, e.c.name == endpoint)


async def pause_endpoint(conn: AsyncConnection, endpoint: str, *, reason: str, now: dt.datetime) -> None:
    """Pause the active endpoint(s) with this URL or name; their deliveries wait."""
    await conn.execute(
        e.update()
        .where(_named(endpoint), e.c.state == "active")
        .values(state="paused", state_reason=reason[:500], state_at=now)
    )


async def resume_endpoint(conn: AsyncConnection, endpoint: str, *, now: dt.datetime) -> bool:
    """Lift the pause of the endpoint(s) with this URL or name and make their waiting deliveries due now."""
    ids = list((await conn.execute(sa.select(e.c.id).where(_named(endpoint), e.c.state == "paused"))).scalars())
    if not ids:
        return False
    await conn.execute(
        e.update()
        .where(e.c.id.in_(ids))
        .values(state="active", state_reason=None, state_at=now, breaker_failures=0, breaker_until=None)
    )
    await conn.execute(
        d.update().where(d.c.endpoint_id.in_(ids), d.c.state == "pending").values(next_attempt_at=due_now(conn, now))
    )
    return True


PRUNE_BATCH = 500


def prune_statements(before: dt.datetime) -> tuple[sa.Delete, sa.Delete]:
    """Delete one batch of deliveries DELIVERED before `before`, their attempts first.

    Failed, pending, held and cancelled deliveries are never pruned: a dead letter waits for a person, and
    the others are not finished. Synchronous statements, for the worker's own bookkeeping transaction.
    """
    batch = (
        sa.select(d.c.id)
        .where(d.c.state == "delivered", d.c.delivered_at < before)
        .order_by(d.c.delivered_at, d.c.id)
        .limit(PRUNE_BATCH)
        .scalar_subquery()
    )
    a = tables.delivery_attempts
    return a.delete().where(a.c.delivery_id.in_(batch)), d.delete().where(d.c.id.in_(batch))


@dataclass(frozen=True)
class Queue:
    """What waits for one endpoint (`endpoint` is its name, or "unrouted")."""

    endpoint: str
    depth: int
    oldest_pending_at: dt.datetime | None


async def queues(conn: AsyncConnection) -> list[Queue]:
    """Pending deliveries per endpoint, with the oldest one's creation time (for /metrics)."""
    rows = await conn.execute(
        sa.select(d.c.endpoint_id, sa.func.count(), sa.func.min(d.c.created_at))
        .where(d.c.state == "pending")
        .group_by(d.c.endpoint_id)
    )
    names = dict((await conn.execute(sa.select(e.c.id, e.c.name))).all())
    found = {names.get(eid, "unrouted" if eid is None else "removed"): (n, oldest) for eid, n, oldest in rows}
    for name in names.values():
        found.setdefault(name, (0, None))
    return [Queue(name, n, oldest) for name, (n, oldest) in sorted(found.items())]
