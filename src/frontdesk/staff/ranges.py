"""Date ranges for the feedback pages: 7, 30 or 90 days up to today, or custom dates.

Days are UTC calendar days, the same days the `vote_days` counters are kept
in. A range is inclusive at both ends: "7d" is today and the six days before.
Bad input (an unknown preset, a malformed date, from after to, a range longer
than `MAX_DAYS`) is a `RangeError` whose message the page shows with a 400.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

PRESETS = {"7d": 7, "30d": 30, "90d": 90}
DEFAULT = "30d"
MAX_DAYS = 366
# Dates staff may ask for. Far-off ones are refused rather than computed with: 9999-12-31 plus one day
# overflows Python's calendar, and no vote or delivery is that old or that new.
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)


class RangeError(ValueError):
    """The requested date range cannot be used; the message says why."""


@dataclass(frozen=True)
class DayRange:
    key: str  # 7d | 30d | 90d | custom
    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        if self.key in PRESETS:
            return f"last {PRESETS[self.key]} days ({self.start:%b %-d} – {self.end:%b %-d, %Y})"
        return f"{self.start:%b %-d, %Y} – {self.end:%b %-d, %Y}"

    def query(self) -> dict[str, str]:
        """The query parameters that reproduce this range."""
        if self.key == "custom":
            return {"range": "custom", "from": self.start.isoformat(), "to": self.end.isoformat()}
        return {"range": self.key}


def preset(key: str, today: dt.date) -> DayRange:
    return DayRange(key, today - dt.timedelta(days=PRESETS[key] - 1), today)


def parse_day(value: str, name: str) -> dt.date:
    """A `YYYY-MM-DD` date between EARLIEST and LATEST, or `RangeError` naming the field."""
    text = value.strip()
    try:
        day = dt.date.fromisoformat(text) if len(text) == 10 and text.isascii() else None
    except ValueError:
        day = None
    if day is None:
        raise RangeError(f"Give the {name} date as YYYY-MM-DD.")
    if not EARLIEST <= day <= LATEST:
        raise RangeError(f"Give a {name} date between {EARLIEST.year} and {LATEST.year}.")
    return day


def parse(params: Mapping[str, str], today: dt.date) -> DayRange:
    key = params.get("range") or DEFAULT
    if key in PRESETS:
        return preset(key, today)
    if key != "custom":
        raise RangeError("Choose a range of 7d, 30d, 90d or custom.")
    start = parse_day(params.get("from", ""), "from")
    end = parse_day(params.get("to", ""), "to")
    if start > end:
        raise RangeError("The from date must be on or before the to date.")
    if (end - start).days + 1 > MAX_DAYS:
        raise RangeError(f"Choose a range of at most {MAX_DAYS} days.")
    return DayRange("custom", start, end)
