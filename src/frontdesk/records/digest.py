"""The weekly digest's figures, and the claim that makes it go out once a week, whatever the workers.

The digest covers one complete week, Monday 00:00 to the next in the site's time zone (`site.yaml`
`timezone`), so an agency in Chicago gets its own Monday-to-Sunday, not one that ends on Sunday at 6 pm.
Such a week is 167 or 169 hours long when the clocks change, which is why weeks are found from local
dates (`weeks`), never by subtracting seven days from a moment. It holds leads, applications and feedback
(spam left out) against the week before, and the pages whose "helpful" share fell most; votes are
counted per UTC day, so those shares may take in a few hours either side of the week.

It goes to FRONTDESK_DIGEST_TO and to every staff account that asked for it on `/staff/account`
(`recipients`). Which week was last sent is stored as the `since` of the `alerts` row (`digest`, `weekly`), so the
schedule survives restarts, and `claim` is a guarded UPDATE (or the row's first INSERT), so with several
workers exactly one sends each week. Every function takes a connection; the caller owns the transaction.
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


# Two claims for weeks this close are the same week seen from two time zones (the site's changed, or an
# upgrade from UTC weeks): never send it twice. Real weeks start at least 167 hours apart.
SAME_WEEK = dt.timedelta(days=1)


def week_start(now: dt.datetime, zone: dt.tzinfo = dt.UTC) -> dt.datetime:
    """Monday 00:00 in `zone` of the week `now` falls in, as a UTC moment."""
    day = now.astimezone(zone).date()
    monday = day - dt.timedelta(days=day.weekday())
    return dt.datetime.combine(monday, dt.time(), zone).astimezone(dt.UTC)


@dataclass(frozen=True)
class Weeks:
    """The last complete week in the site's zone, and the one before it, as UTC moments."""

    before: dt.datetime  # start of the week before
    start: dt.datetime  # start of the last complete week
    end: dt.datetime  # its end: the start of the week `now` is in
    first_day: dt.date  # the local Monday of the last complete week
    last_day: dt.date  # and its Sunday


def weeks(now: dt.datetime, zone: dt.tzinfo = dt.UTC) -> Weeks:
    end = week_start(now, zone)
    start = week_start(end - dt.timedelta(hours=1), zone)
    before = week_start(start - dt.timedelta(hours=1), zone)
    first = start.astimezone(zone).date()
    return Weeks(before, start, end, first, first + dt.timedelta(days=6))


async def recipients(conn: AsyncConnection, fixed: tuple[str, ...]) -> list[str]:
    """FRONTDESK_DIGEST_TO's addresses and every active staff account that asked for the digest, once each."""
    st = tables.staff
    query = sa.select(st.c.email).where(st.c.mail_digest.is_(True), st.c.disabled.is_(False)).order_by(st.c.email)
    chosen = list((await conn.execute(query)).scalars())
    seen: set[str] = set()
    out: list[str] = []
    for address in (*fixed, *chosen):
        if address.lower() not in seen:
            seen.add(address.lower())
            out.append(address)
    return out


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


async def helpful_drops(conn: AsyncConnection, day: dt.date, limit: int = 5) -> list[Drop]:
    """The pages whose helpful share fell most from the week before `day` to the week from it."""
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
    taken = await conn.execute(a.update().where(where, a.c.since < week - SAME_WEEK).values(since=week, sent_at=now))
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
