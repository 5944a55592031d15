"""Time: the one `Clock` type and `utcnow()`.

Everything that needs "now" receives a `Clock` (a function returning an aware UTC datetime) instead of
calling `datetime.now()` itself. That is what lets a test build a site with a clock it moves by hand, so
session timeouts, form time traps, retry schedules and job expiry can be tested without waiting.
Stored times come back aware too: the `UTCDateTime` column type in `db/tables.py` sees to that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    """The current time, timezone-aware, in UTC: the production clock."""
    return dt.datetime.now(dt.UTC)


def start_of_day(day: dt.date) -> dt.datetime:
    """00:00 UTC on `day`, the instant a UTC calendar day begins."""
    return dt.datetime.combine(day, dt.time(), dt.UTC)
