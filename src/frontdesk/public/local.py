"""Local details, written the way the office's own locale writes them: hours, dates, pay, counts and plurals.

Babel holds the rules (CLDR), so nothing here guesses: `en_US` gets "8:00 AM – 5:00 PM", `en_GB`
"08:00–17:00"; pay in dollars reads "$16–$18 an hour", and "1 opening matches" is singular by the
locale's plural rules rather than by `n == 1`. The words around the numbers are English, like the rest of
the site; the numbers, dates, times and currencies follow the locale.

Everything here is a pure function of its arguments, so cached pages (the same bytes for every visitor
for a whole day) can use it. What depends on the moment, "open now" or "opens at 8:00 AM", is not
here: a cached page cannot say it truthfully, so the page carries the schedule (`schedule_data`) and
`site.js` works the status out in the visitor's browser, in the office's time zone.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from babel import Locale
from babel.dates import format_date, format_interval, format_time, get_timezone, get_timezone_name
from babel.numbers import format_currency, format_decimal

from frontdesk.content.models import WEEKDAYS, Hours, Salary, SpecialHours

# How often a salary is paid, in the words a job ad uses ("$16–$18 an hour").
PER = {"HOUR": "an hour", "DAY": "a day", "WEEK": "a week", "MONTH": "a month", "YEAR": "a year"}


@functools.lru_cache(maxsize=32)
def _locale(name: str) -> Locale:
    return Locale.parse(name)


def twelve_hour(locale: str) -> bool:
    """Does this locale write times on a 12-hour clock?"""
    pattern = _locale(locale).time_formats["short"].pattern
    return "h" in pattern or "K" in pattern


def _time(text: str) -> dt.time:
    hours, minutes = (int(p) for p in text.split(":"))
    return dt.time(0, 0) if hours == 24 else dt.time(hours, minutes)


def time_text(text: str, locale: str) -> str:
    """'17:00' in the locale's own short form ("5:00 PM", "17:00"); 24:00 is midnight."""
    return str(format_time(_time(text), "short", locale=locale))


def span_text(opens: str, closes: str, locale: str) -> str:
    """'08:00', '17:00' -> "8:00 AM – 5:00 PM" (en_US), "08:00–17:00" (en_GB)."""
    if closes == "24:00":
        return f"{time_text(opens, locale)} – {time_text(closes, locale)}"
    skeleton = "hm" if twelve_hour(locale) else "Hm"
    return str(format_interval(_time(opens), _time(closes), skeleton, locale=locale))


def spans_text(spans: Sequence[tuple[str, str]], locale: str) -> str:
    return ", ".join(span_text(a, b, locale) for a, b in spans) if spans else "Closed"


def weekday_name(day: str, locale: str) -> str:
    return str(_locale(locale).days["format"]["wide"][WEEKDAYS.index(day)])


def hours_rows(hours: Hours, locale: str) -> list[tuple[str, str, str]]:
    """(weekday key, weekday name, hours text) for each day of the week."""
    return [(day, weekday_name(day, locale), spans_text(hours.spans(day), locale)) for day in WEEKDAYS]


def upcoming(special: Iterable[SpecialHours], day: dt.date, *, days: int = 45) -> list[SpecialHours]:
    """The special days from `day` on, for the next `days` days, in date order."""
    last = day + dt.timedelta(days=days)
    return sorted((s for s in special if day <= s.date <= last), key=lambda s: s.date)


def long_date(value: dt.date, locale: str) -> str:
    """November 2, 2026 (en_US); 2 November 2026 (en_GB)."""
    return str(format_date(value, "long", locale=locale))


def day_date(value: dt.date, locale: str) -> str:
    """Thursday, November 26 (en_US)."""
    return str(format_date(value, "EEEE, MMMM d", locale=locale))


def zone_name(timezone: str, locale: str) -> str:
    """America/Chicago -> "Central Time"."""
    return str(get_timezone_name(get_timezone(timezone), locale=locale))


def money(amount: float, currency: str, locale: str) -> str:
    """$16, $16.50, $52,000 (en_US); 3.000 € (de_DE): the locale's own pattern, without cents when there are none."""
    if float(amount).is_integer():
        pattern = re.sub(r"\.0+", "", str(_locale(locale).currency_formats["standard"].pattern))
        return str(format_currency(amount, currency, locale=locale, format=pattern, currency_digits=False))
    return str(format_currency(amount, currency, locale=locale))


def pay(salary: Salary, locale: str) -> str:
    """ "$16–$18 an hour", "$52,000–$68,000 a year", or one figure when min and max agree."""
    low, high = money(salary.min, salary.currency, locale), money(salary.max, salary.currency, locale)
    amount = low if salary.min == salary.max else f"{low}–{high}"
    return f"{amount} {PER[salary.unit]}"


def number(value: float, locale: str, *, decimals: int = 0) -> str:
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return str(format_decimal(value, format=pattern, locale=locale))


def plural(count: int, one: str, other: str, locale: str) -> str:
    """`one` or `other` by the locale's plural rules, with `{n}` replaced by the count ("1 opening matches")."""
    form = _locale(locale).plural_form(count)
    return (one if form == "one" else other).replace("{n}", number(count, locale))


def percent(value: float | None, locale: str = "en_US") -> str:
    """A share already in percent (92.31) as staff pages show every share: one decimal, "92.3%"; "–" for none."""
    if value is None:
        return "–"
    return number(value, locale, decimals=1) + "%"


def schedule_data(hours: Hours, special: Iterable[SpecialHours], timezone: str, locale: str) -> str:
    """The weekly and special hours as JSON, for site.js to say "open now" in the visitor's browser."""
    data = {
        "tz": timezone,
        "locale": locale.replace("_", "-"),
        "week": [hours.spans(day) for day in WEEKDAYS],  # Monday first
        "special": {s.date.isoformat(): s.spans() for s in special},
    }
    return json.dumps(data, separators=(",", ":"))


def utc_offset(day: dt.date, timezone: str, at: dt.time = dt.time(23, 59, 59)) -> str:
    """The zone's UTC offset at that moment, as ISO 8601 wants it ("-06:00")."""
    aware = dt.datetime.combine(day, at, tzinfo=get_timezone(timezone))
    offset = aware.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def template_helpers() -> dict[str, Callable[..., Any]]:
    """The functions templates call; each takes the locale to write in (the site's or the office's)."""
    return {
        "long_date": long_date,
        "day_date": day_date,
        "pay": pay,
        "plural": plural,
        "number": number,
        "percent": percent,
        "hours_rows": hours_rows,
        "spans_text": spans_text,
        "zone_name": zone_name,
        "upcoming_special": upcoming,
        "schedule_data": schedule_data,
    }
