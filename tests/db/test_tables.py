"""The UTC column type: every stored time comes back timezone-aware and in UTC, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from frontdesk.db import Database, tables
from support import run


def test_times_come_back_aware_and_in_utc(database_url):
    a = tables.audit
    eastern = dt.timezone(dt.timedelta(hours=-5))
    noon_eastern = dt.datetime(2026, 11, 20, 12, 0, tzinfo=eastern)

    async def go() -> list[dt.datetime]:
        db = Database(database_url)
        try:
            async with db.write() as conn:
                await conn.execute(a.insert().values(at=noon_eastern, actor="t", action="logout"))
                await conn.execute(a.insert().values(at=dt.datetime(2026, 11, 20, 17, 0), actor="t", action="logout"))
            async with db.read() as conn:
                rows = [r.at for r in await conn.execute(sa.select(a.c.at).order_by(a.c.id))]
                rows.append((await conn.execute(sa.select(sa.func.min(a.c.at)))).scalar_one())
                return rows
        finally:
            await db.dispose()

    stored_eastern, stored_naive, oldest = run(go())
    assert stored_eastern == noon_eastern and stored_eastern.tzinfo == dt.UTC  # 17:00 UTC
    assert stored_naive == dt.datetime(2026, 11, 20, 17, 0, tzinfo=dt.UTC)  # a naive time is taken as UTC
    assert oldest.tzinfo == dt.UTC  # aggregates too
