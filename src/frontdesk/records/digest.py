"""The weekly digest's figures, and the claim that makes it go out once a week, whatever the workers.

The digest covers one complete week, Monday 00:00 UTC to the next: leads, applications and feedback
(spam left out) against the week before, and the pages whose "helpful" share fell most. Which week was
last sent is stored as the `since` of the `alerts` row (`digest`, `weekly`), so the schedule survives
restarts, and `claim` is a guarded UPDATE (or the row's first INSERT), so with several workers exactly one
sends each week. Every function takes a connection; the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.db import tables
from frontdesk.records import votes

KEY = ("digest", "weekly")  # its row in `alerts`
KINDS = ("lead", "application", "feedback")
MIN_VOTES = 5  # a page needs this many votes in each week for its share to count
a = tables.alerts
s = tables.submissions


def week_start(now: dt.datetime) -> dt.datetime:
    """Monday 00:00 UTC of the week `now` falls in."""
    day = now.astimezone(dt.UTC).date()
    monday = day - dt.timedelta(days=day.weekday())
    return dt.datetime.combine(monday, dt.time(), dt.UTC)


async def counts(conn: AsyncConnection, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    query = (
        sa.select(s.c.kind, sa.func.count())
        .where(s.c.created_at >= start, s.c.created_at < end, s.c.spam.is_(False), s.c.kind.in_(KINDS))
        .group_by(s.c.kind)
    )
    return dict.fromkeys(KINDS, 0) | {kind: int(n) for kind, n in await conn.execute(query)}


@dataclass(frozen=True)
class Drop:
    page: str
    before: float  # helpful share in %, the week before
    after: float  # and in the week


async def helpful_drops(conn: AsyncConnection, start: dt.datetime, limit: int = 5) -> list[Drop]:
    """The pages whose helpful share fell most from the week before `start` to the week from it."""
    day = start.date()
    before = {t.page: t for t in await votes.tallies(conn, day - dt.timedelta(days=7), day - dt.timedelta(days=1))}
    after = await votes.tallies(conn, day, day + dt.timedelta(days=6))
    drops = []
    for t in after:
        prior = before.get(t.page)
        if prior is None or t.total < MIN_VOTES or prior.total < MIN_VOTES:
            continue
        if t.helpful_pct is not None and prior.helpful_pct is not None and t.helpful_pct < prior.helpful_pct:
            drops.append(Drop(t.page, prior.helpful_pct, t.helpful_pct))
    return sorted(drops, key=lambda d: d.after - d.before)[:limit]


async def claim(conn: AsyncConnection, week: dt.datetime, *, now: dt.datetime) -> bool:
    """Take the right to send the digest of the week starting `week`; False if it was sent (or taken)."""
    where = sa.and_(a.c.endpoint_id == KEY[0], a.c.condition == KEY[1])
    taken = await conn.execute(a.update().where(where, a.c.since < week).values(since=week, sent_at=now))
    if taken.rowcount == 1:
        return True
    if (await conn.execute(sa.select(a.c.since).where(where))).first() is not None:
        return False
    await conn.execute(
        a.insert().values(endpoint_id=KEY[0], condition=KEY[1], active=False, since=week, notified=True, sent_at=now)
    )
    return True  # a concurrent first INSERT fails on the primary key, and that worker's transaction with it


async def unclaim(conn: AsyncConnection, week: dt.datetime) -> None:
    """The digest could not be sent: the next check tries again."""
    where = sa.and_(a.c.endpoint_id == KEY[0], a.c.condition == KEY[1], a.c.since == week)
    await conn.execute(a.update().where(where).values(since=week - dt.timedelta(days=7)))
