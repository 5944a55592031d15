"""The marketing reports: where leads and applications come from (Sources), and which pages bring them
(Pages). Read-only aggregate queries, one GROUP BY each, over indexed columns only.

Sources counts submissions by the source, medium and campaign of their first or their latest touch (the
`first_*` / `last_*` columns, covered by `ix_submissions_first_touch` / `_last_touch`, which hold them in
GROUP BY order so a year's rows are counted as read, not sorted first; SQLite's planner is told to use
them, as it would otherwise take the narrower time range and sort). Pages joins three
aggregates by path: views (`page_views`, daily rows), leads and applications whose first touch landed on
the page (`first_landing`, covered by `ix_submissions_landing`), and feedback (`vote_days`). Spam is left
out everywhere. Days are UTC days, like the page-view and feedback counters. `bench/reports.py` holds
these to 200 ms at 100,000 submissions and 10 million views.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.db import tables
from frontdesk.records import page_views, votes

sub = tables.submissions
TOUCHES = ("first", "last")
KINDS = ("lead", "application")
DIRECT = "(direct)"


def _submissions(conn: AsyncConnection, index: str) -> Any:
    """`FROM submissions`, naming the index to SQLite's planner (which would rather take the time range)."""
    return sa.text(f"submissions INDEXED BY {index}" if conn.dialect.name == "sqlite" else "submissions")


def _col(name: str, type_: Any = None) -> Any:
    """A column of `_submissions(...)` (a text FROM: columns by name, with their types for binding)."""
    return sa.literal_column(name, type_ if type_ is not None else sub.c[name].type)


def _in_range(low: dt.datetime, high: dt.datetime) -> Any:
    return sa.and_(
        _col("spam").is_(False), _col("kind").in_(KINDS), _col("created_at") >= low, _col("created_at") < high
    )


@dataclass(frozen=True)
class SourceRow:
    source: str
    medium: str
    campaign: str
    leads: int
    applications: int

    @property
    def total(self) -> int:
        return self.leads + self.applications


def _per_kind() -> tuple[Any, Any]:
    kind = _col("kind")
    return tuple(sa.func.sum(sa.case((kind == k, 1), else_=0)) for k in KINDS)  # type: ignore[return-value]


@dataclass(frozen=True)
class Sources:
    rows: list[SourceRow]  # most first; the first `limit` when one was given
    leads: int  # in the whole range, not only in `rows`
    applications: int


async def sources(
    conn: AsyncConnection, start: dt.date, end: dt.date, touch: str, *, limit: int | None = None
) -> Sources:
    """Leads and applications per (source, medium, campaign) of the chosen touch, most first, and in all."""
    if touch not in TOUCHES:
        raise ValueError(f"touch must be one of {TOUCHES}")
    low, high = votes.day_bounds(start, end)
    source, medium, campaign = (_col(f"{touch}_{n}") for n in ("source", "medium", "campaign"))
    leads, applications = _per_kind()
    total = sa.func.count().label("total")
    query = (
        sa.select(
            source, medium, campaign, leads, applications, total,
            # The range's totals, summed over every group by the database as it goes (also past the limit).
            sa.func.sum(leads).over(), sa.func.sum(applications).over(),
        )
        .select_from(_submissions(conn, f"ix_submissions_{touch}_touch"))
        .where(_in_range(low, high))
        .group_by(source, medium, campaign)
        .order_by(total.desc(), source, medium, campaign)
    )  # fmt: skip
    rows = (await conn.execute(query.limit(limit) if limit is not None else query)).all()
    found = [SourceRow(s or DIRECT, m, c, int(a), int(b)) for s, m, c, a, b, *_ in rows]
    return Sources(found, int(rows[0][6]) if rows else 0, int(rows[0][7]) if rows else 0)


@dataclass(frozen=True)
class PageRow:
    path: str
    views: int
    leads: int
    applications: int
    helpful: int
    not_helpful: int

    @property
    def started(self) -> int:
        return self.leads + self.applications

    @property
    def conversion(self) -> float | None:
        """Leads and applications that landed here per view, as a fraction; None without views."""
        return self.started / self.views if self.views else None

    @property
    def votes(self) -> int:
        return self.helpful + self.not_helpful

    @property
    def helpful_share(self) -> float | None:
        return self.helpful / self.votes if self.votes else None


async def pages(conn: AsyncConnection, start: dt.date, end: dt.date) -> list[PageRow]:
    """Per page: views, leads and applications whose first touch landed there, and feedback; most viewed first."""
    viewed = await page_views.by_path(conn, start, end)
    low, high = votes.day_bounds(start, end)
    started: dict[str, list[int]] = {}
    landing = _col("first_landing")
    rows = await conn.execute(
        sa.select(landing, *_per_kind())
        .select_from(_submissions(conn, "ix_submissions_landing"))
        .where(_in_range(low, high))
        .group_by(landing)
    )
    for path, leads, applications in rows:
        if path:  # "" is a direct visit: no landing page recorded
            started[path] = [int(leads), int(applications)]
    feedback = {t.page: (t.yes, t.no) for t in await votes.tallies(conn, start, end)}
    out = []
    for path in viewed.keys() | started.keys() | feedback.keys():
        leads, apps = started.get(path, (0, 0))
        yes, no = feedback.get(path, (0, 0))
        out.append(PageRow(path, viewed.get(path, 0), leads, apps, yes, no))
    return sorted(out, key=lambda r: (-r.views, -r.started, r.path))
