"""Page view counters: views per path and UTC day, added in batches, summed per path for a date range.

The counting happens in memory (`pagecache/counter.py`); this module only stores what a batch counted,
adding it to the day's row, and reads totals for the Pages report. No row identifies anyone: a path, a
day and a number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.db import tables, upsert_insert

pv = tables.page_views
CHUNK = 500  # rows per INSERT: well under SQLite's limit on bound parameters


async def add(conn: AsyncConnection, counts: Mapping[tuple[dt.date, str], int]) -> None:
    """Add each (day, path)'s count to its row, creating the rows that are new."""
    if not counts:
        return
    insert = upsert_insert(conn)
    rows = [{"day": day, "path": path[:300], "views": n} for (day, path), n in sorted(counts.items())]
    for start in range(0, len(rows), CHUNK):
        stmt = insert(pv).values(rows[start : start + CHUNK])
        await conn.execute(
            stmt.on_conflict_do_update(index_elements=["day", "path"], set_={"views": pv.c.views + stmt.excluded.views})
        )


async def by_path(conn: AsyncConnection, start: dt.date, end: dt.date) -> dict[str, int]:
    """Views per path from `start` to `end`, both days included."""
    rows = await conn.execute(
        sa.select(pv.c.path, sa.func.sum(pv.c.views)).where(pv.c.day >= start, pv.c.day <= end).group_by(pv.c.path)
    )
    return {path: int(n) for path, n in rows}
