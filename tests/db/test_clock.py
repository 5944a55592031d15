"""Due times by the database's clock (db/clock.py): never later than either the caller's or the database's."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from frontdesk.db import Database
from frontdesk.db.clock import due_after, due_now, earliest
from support import run

HOUR = dt.timedelta(hours=1)


def test_due_now_is_the_earlier_clock(database_url):
    async def go() -> tuple[dt.datetime, dt.datetime, dt.datetime, dt.datetime | None]:
        db = Database(database_url)
        try:
            async with db.read() as conn:
                real = dt.datetime.now(dt.UTC)
                fast = (await conn.execute(sa.select(due_now(conn, real + HOUR)))).scalar_one()
                slow = (await conn.execute(sa.select(due_now(conn, real - HOUR)))).scalar_one()
                later = None
                if conn.dialect.name == "postgresql":
                    delay = sa.literal(dt.timedelta(seconds=30), sa.Interval)
                    later = (await conn.execute(sa.select(due_after(delay)))).scalar_one()
            return real, fast, slow, later
        finally:
            await db.dispose()

    real, fast, slow, later = run(go())
    assert slow == real - HOUR  # the caller's clock is behind: its time is the earlier
    if database_url.startswith("postgresql"):
        assert abs(fast - real) < dt.timedelta(seconds=5)  # a fast host's "now" is the database's
        assert later is not None and dt.timedelta(seconds=25) < later - real < dt.timedelta(seconds=35)
    else:
        assert fast == real + HOUR  # SQLite: one host, one clock, taken as it is


def test_earliest():
    now = dt.datetime(2026, 12, 2, 12, tzinfo=dt.UTC)
    assert earliest(now, None) == now
    assert earliest(now, now - HOUR) == now - HOUR
    assert earliest(now, now + HOUR) == now
