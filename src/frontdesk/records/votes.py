"""Votes: "Was this information helpful?" answers, their daily counters, and the tallies staff read.

One vote per visitor per page: a second vote from the same visitor replaces
the first. Alongside each vote the `vote_days` counters are updated in the same
transaction (the old vote's day is decremented, today's incremented), so the
staff tallies sum a few hundred small rows per page instead of scanning
millions of votes, and can never drift from the votes themselves.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.clock import start_of_day
from frontdesk.db import tables, upsert_insert
from frontdesk.db.tables import Row

REASONS = {
    "hard-to-understand": "Hard to understand",
    "incorrect": "Incorrect or out of date",
    "missing": "Missing information",
    "other": "Other",
}


@dataclass(frozen=True)
class VoteResult:
    replaced: bool  # the visitor had voted on this page before
    previous_helpful: bool | None


async def _bump(conn: AsyncConnection, page: str, day: dt.date, helpful: bool, delta: int) -> None:
    insert = upsert_insert(conn)
    column = "yes" if helpful else "no"
    stmt = insert(tables.vote_days).values(
        page=page, day=day, yes=max(delta, 0) if helpful else 0, no=0 if helpful else max(delta, 0)
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["page", "day"],
        set_={column: getattr(tables.vote_days.c, column) + delta},
    )
    await conn.execute(stmt)


async def record_vote(
    conn: AsyncConnection,
    *,
    page: str,
    visitor: str,
    helpful: bool,
    reason: str | None,
    comment: str | None,
    now: dt.datetime,
    submission_id: str | None = None,
) -> VoteResult:
    """Insert or replace one visitor's vote on one page, and keep the daily counters exact.

    Call inside a write transaction, e.g. from `submissions.accept(extra=...)`.
    """
    v = tables.votes
    row = {
        "page": page,
        "visitor": visitor,
        "helpful": helpful,
        "reason": reason,
        "comment": comment,
        "submission_id": submission_id,
        "created_at": now,
        "updated_at": now,
    }
    # Insert-or-nothing first: a first vote (the common case) costs one statement, and two first votes
    # racing from one visitor cannot both insert; the loser becomes a replacement below.
    insert = upsert_insert(conn)
    inserted = await conn.execute(insert(v).values(**row).on_conflict_do_nothing(index_elements=["page", "visitor"]))
    if inserted.rowcount == 1:
        await _bump(conn, page, now.date(), helpful, 1)
        return VoteResult(False, None)
    query = sa.select(v.c.id, v.c.helpful, v.c.updated_at).where(v.c.page == page, v.c.visitor == visitor)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    old = (await conn.execute(query)).one()
    old_day = old.updated_at.date()  # UTC: vote_days are UTC calendar days
    await _bump(conn, page, old_day, old.helpful, -1)
    await conn.execute(
        v.update()
        .where(v.c.id == old.id)
        .values(
            helpful=helpful,
            reason=reason,
            comment=comment,
            submission_id=submission_id,
            updated_at=now,
            triage="new",
        )
    )
    await _bump(conn, page, now.date(), helpful, 1)
    return VoteResult(True, old.helpful)


# ---------------------------------------------------------------------------
# Reading feedback: tallies, ranking, trends, reasons, comments and triage.
#
# Tallies and trends read only `vote_days` (a few hundred small rows per page
# and year), never `votes`, so they cost the same with ten votes or ten
# million. A vote counts on the UTC day it was last cast: a replaced vote
# moves from its old day to the new one, exactly as `record_vote` moves the
# counters. Reasons and comments are per-page detail and read `votes` through
# the (page, updated_at) index, one page at a time.
# ---------------------------------------------------------------------------

TRIAGE = {
    "new": "New",
    "in_progress": "In progress",
    "resolved": "Resolved",
    "dismissed": "Dismissed",
}

# 95% confidence: the z-score of a two-sided 95% interval.
WILSON_Z = 1.959964


def wilson_bounds(yes: int, total: int, z: float = WILSON_Z) -> tuple[float, float]:
    """The Wilson score interval for the share of "yes" among `total` votes.

    Sorting by the lower bound ranks pages by how helpful they are *at least*,
    given the evidence: 2 of 2 votes gives 0.34, while 190 of 200 gives 0.91,
    so a page with two votes cannot outrank a well-attested one. The upper
    bound does the same for "how helpful at most", which is what picks the
    weakest pages without crowning a page that got one unlucky "no".
    """
    if total <= 0:
        return 0.0, 0.0
    p = yes / total
    z2 = z * z
    centre = p + z2 / (2 * total)
    spread = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total))
    denominator = 1 + z2 / total
    return max(0.0, (centre - spread) / denominator), min(1.0, (centre + spread) / denominator)


@dataclass(frozen=True)
class PageTally:
    page: str
    yes: int
    no: int

    @property
    def total(self) -> int:
        return self.yes + self.no

    @property
    def helpful_pct(self) -> float | None:
        return 100.0 * self.yes / self.total if self.total else None

    # Cached: sorting 500 pages asks for the rank thousands of times. (cached_property writes straight into
    # the instance __dict__, which a frozen dataclass allows.)
    @functools.cached_property
    def bounds(self) -> tuple[float, float]:
        return wilson_bounds(self.yes, self.total)

    @property
    def rank(self) -> float:
        """The Wilson lower bound: the confidence-aware helpfulness."""
        return self.bounds[0]

    @property
    def upper(self) -> float:
        return self.bounds[1]


@dataclass(frozen=True)
class DayCount:
    day: dt.date
    yes: int
    no: int

    @property
    def total(self) -> int:
        return self.yes + self.no


def day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00 UTC, the day after end 00:00 UTC): the instants of an inclusive day range."""
    return start_of_day(start), start_of_day(end + dt.timedelta(days=1))


async def tallies(conn: AsyncConnection, start: dt.date, end: dt.date) -> list[PageTally]:
    """Yes and no per page for the inclusive day range, from the daily counters only."""
    vd = tables.vote_days
    query = (
        sa.select(vd.c.page, sa.func.sum(vd.c.yes), sa.func.sum(vd.c.no))
        .where(vd.c.day >= start, vd.c.day <= end)
        .group_by(vd.c.page)
    )
    rows = await conn.execute(query)
    return [PageTally(page, int(yes or 0), int(no or 0)) for page, yes, no in rows if (yes or 0) + (no or 0) > 0]


async def totals(conn: AsyncConnection, start: dt.date, end: dt.date) -> tuple[int, int]:
    """All pages together: (yes, no) in the inclusive day range."""
    vd = tables.vote_days
    row = (
        await conn.execute(sa.select(sa.func.sum(vd.c.yes), sa.func.sum(vd.c.no)).where(vd.c.day.between(start, end)))
    ).one()
    return int(row[0] or 0), int(row[1] or 0)


async def trend(conn: AsyncConnection, page: str, start: dt.date, end: dt.date) -> list[DayCount]:
    """One entry per day of the range (days without votes count zero), oldest first."""
    vd = tables.vote_days
    rows = await conn.execute(
        sa.select(vd.c.day, vd.c.yes, vd.c.no).where(vd.c.page == page, vd.c.day >= start, vd.c.day <= end)
    )
    by_day = {_as_date(day): (yes, no) for day, yes, no in rows}
    days = []
    day = start
    while day <= end:
        yes, no = by_day.get(day, (0, 0))
        days.append(DayCount(day, yes, no))
        day += dt.timedelta(days=1)
    return days


def _as_date(value: dt.date | str) -> dt.date:
    # Some drivers hand a Date column back as text in aggregate queries.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


async def reasons(conn: AsyncConnection, page: str, start: dt.date, end: dt.date) -> list[tuple[str, int]]:
    """The reasons given with "no" votes on one page, most frequent first; None becomes "none given"."""
    v = tables.votes
    since, until = day_bounds(start, end)
    rows = await conn.execute(
        sa.select(v.c.reason, sa.func.count())
        .where(v.c.page == page, v.c.updated_at >= since, v.c.updated_at < until, v.c.helpful.is_(False))
        .group_by(v.c.reason)
    )
    counted = [(reason or "", int(n)) for reason, n in rows]
    return sorted(counted, key=lambda item: (-item[1], item[0]))


async def comments(
    conn: AsyncConnection,
    page: str,
    start: dt.date,
    end: dt.date,
    *,
    triage: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Row], int]:
    """The votes on one page that carry a comment, newest first, and how many there are in all."""
    v = tables.votes
    since, until = day_bounds(start, end)
    condition = sa.and_(v.c.page == page, v.c.updated_at >= since, v.c.updated_at < until, v.c.comment.is_not(None))
    if triage:
        condition = sa.and_(condition, v.c.triage == triage)
    total = (await conn.execute(sa.select(sa.func.count()).select_from(v).where(condition))).scalar_one()
    rows = await conn.execute(
        sa.select(v.c.id, v.c.helpful, v.c.reason, v.c.comment, v.c.triage, v.c.updated_at)
        .where(condition)
        .order_by(v.c.updated_at.desc(), v.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total)


async def set_triage(conn: AsyncConnection, vote_id: int, status: str) -> str | None:
    """Set a comment's triage status. Returns the vote's page, or None if there is no such comment."""
    if status not in TRIAGE:
        raise ValueError(f"unknown triage status: {status!r}")
    v = tables.votes
    page = (
        await conn.execute(sa.select(v.c.page).where(v.c.id == vote_id, v.c.comment.is_not(None)))
    ).scalar_one_or_none()
    if page is not None:
        await conn.execute(v.update().where(v.c.id == vote_id).values(triage=status))
    return page


async def votes_in_range(
    conn: AsyncConnection,
    start: dt.date,
    end: dt.date,
    *,
    page: str | None = None,
    after_id: int = 0,
    limit: int = 1000,
) -> list[Row]:
    """One batch of the votes last cast in the range, by id (keyset paging, for exports of any size).

    The visitor id is left out on purpose: an export needs the answers, not a
    way to link them to a browser.
    """
    v = tables.votes
    since, until = day_bounds(start, end)
    condition = sa.and_(v.c.updated_at >= since, v.c.updated_at < until, v.c.id > after_id)
    if page is not None:
        condition = sa.and_(condition, v.c.page == page)
    rows = await conn.execute(
        sa.select(v.c.id, v.c.page, v.c.helpful, v.c.reason, v.c.comment, v.c.triage, v.c.created_at, v.c.updated_at)
        .where(condition)
        .order_by(v.c.id)
        .limit(limit)
    )
    return list(rows)
