"""Due times that hosts with different clocks can share: "now" and "later" by the database's clock.

Several `serve` and `worker` processes on PostgreSQL may run on hosts whose clocks disagree (an NTP
daemon that died, a VM resumed from a snapshot). The worker already compares due times and leases with
the database's `now()` (`delivery/outbox.py`), but that is only half of it: a due time *written* from a
host's clock carries the host's error with it. A web host ten minutes fast would make every lead it
accepts wait ten minutes; a worker an hour slow would write retries that are due at once, and hammer a
failing CRM with no back-off at all.

So every due time is written against the same clock it is compared with:

- `due_now(conn, now)`: "due at once", as the earlier of the caller's `now` and the database's. It is
  never later than either clock, so the delivery is due for the worker that reads the database's clock
  and for a test's worker that runs on a fake one alike. Its order among other deliveries moves by the
  skew at most, which is harmless.
- `due_after(delay)`: the database's `now()` plus a delay, for a retry.
- `earliest(now, db_now)`: the same as `due_now`, in Python, for rows inserted in bulk, where the
  database's time was read once in the same transaction (`records/submissions.routes_and_wake`).

On SQLite the database lives on the host that writes it, so there is one clock and the caller's `now`
is used as it is.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from frontdesk.db.tables import TS


def _on_postgres(conn: Any) -> bool:
    return bool(conn.dialect.name == "postgresql")


def due_now(conn: Any, now: dt.datetime) -> sa.ColumnElement[dt.datetime]:
    """An UPDATE's value for "due at once": the earlier of `now` and the database's clock."""
    if _on_postgres(conn):
        return sa.func.least(sa.literal(now, TS), sa.func.now(), type_=TS)
    return sa.literal(now, TS)


def due_after(delay: sa.BindParameter[dt.timedelta]) -> sa.ColumnElement[dt.datetime]:
    """The database's now plus `delay` (PostgreSQL only; a NULL delay gives NULL)."""
    return sa.type_coerce(sa.func.now() + delay, TS)


def earliest(now: dt.datetime, db_now: dt.datetime | None) -> dt.datetime:
    """`now`, or the database's now if that is earlier (None: one clock, SQLite)."""
    return now if db_now is None else min(now, db_now)
