"""Filters for the lead and application list, its CSV export (and anything else that lists submissions).

One parser for all of them, so the list on screen and the file exported from it always agree: kind, a
date range (days in the site's time zone, as the list shows them), office, job, interest, source (first
or latest touch), delivery state, and a text search over name, email and message. Each value is checked
and bounded here; anything out of range is a `FilterError` whose message the view returns with a 400.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, fields

from frontdesk.staff import ranges

KINDS = ("lead", "application")
STATES = ("pending", "delivered", "failed", "held")
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
MAX_TEXT = 200
MAX_SOURCE = 100


class FilterError(ValueError):
    """A filter value that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Filters:
    kind: str = ""
    start: dt.date | None = None  # inclusive, a day in the site's zone
    end: dt.date | None = None  # inclusive
    office: str = ""
    job: str = ""
    interest: str = ""
    source: str = ""
    state: str = ""
    q: str = ""
    timezone: str = "UTC"

    def query(self) -> dict[str, str]:
        """The query parameters that reproduce these filters (empty ones left out)."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "timezone" or not value:
                continue
            key = {"start": "from", "end": "to"}.get(f.name, f.name)
            out[key] = value.isoformat() if isinstance(value, dt.date) else str(value)
        return out

    def described(self) -> str:
        """The filters for the audit log: the search text left out (it may be a person's name or address)."""
        shown = {k: ("(text)" if k == "q" else v) for k, v in self.query().items()}
        return ", ".join(f"{k}={v}" for k, v in shown.items()) or "no filters"

    def bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The UTC instants the day range covers: [start of `start`, start of the day after `end`)."""
        zone = zoneinfo.ZoneInfo(self.timezone)

        def midnight(day: dt.date) -> dt.datetime:
            return dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)

        return (
            midnight(self.start) if self.start else None,
            midnight(self.end + dt.timedelta(days=1)) if self.end else None,
        )


def _text(params: Mapping[str, str], name: str, cap: int) -> str:
    value = (params.get(name) or "").strip()
    if len(value) > cap:
        raise FilterError(f"The {name} filter may be at most {cap} characters.")
    if any(not ch.isprintable() for ch in value):
        raise FilterError(f"The {name} filter may not contain control characters.")
    return value


def _choice(params: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    value = params.get(name) or ""
    if value and value not in allowed:
        raise FilterError(f"Unknown {name}: choose one of {', '.join(allowed)}.")
    return value


def _slug(params: Mapping[str, str], name: str) -> str:
    value = params.get(name) or ""
    if value and not SLUG.fullmatch(value):
        raise FilterError(f"Give the {name} as its slug (lower-case letters, digits and dashes).")
    return value


def _day(params: Mapping[str, str], name: str) -> dt.date | None:
    try:
        return ranges.parse_day(params[name], name) if params.get(name) else None
    except ranges.RangeError as exc:
        raise FilterError(str(exc)) from None


def parse(params: Mapping[str, str], *, timezone: str = "UTC") -> Filters:
    start, end = _day(params, "from"), _day(params, "to")
    if start and end and start > end:
        raise FilterError("The from date must be on or before the to date.")
    return Filters(
        kind=_choice(params, "kind", KINDS),
        start=start,
        end=end,
        office=_slug(params, "office"),
        job=_slug(params, "job"),
        interest=_slug(params, "interest"),
        source=_text(params, "source", MAX_SOURCE).lower(),
        state=_choice(params, "state", STATES),
        q=_text(params, "q", MAX_TEXT) or _text(params, "email", MAX_TEXT),  # email=: the list's older links
        timezone=timezone,
    )
