"""Local details in the office's locale (Babel): hours, pay, dates, plurals, zone offsets, the open-now data."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from frontdesk.content.models import Hours, Salary, SpecialHours
from frontdesk.public import local

NNBSP, THIN = "\u202f", "\u2009"


def test_hours_follow_the_locale():
    assert local.span_text("08:00", "17:00", "en_US") == f"8:00{NNBSP}AM{THIN}–{THIN}5:00{NNBSP}PM"
    assert local.span_text("08:00", "17:00", "en_GB") == "08:00–17:00"
    assert local.span_text("07:30", "12:00", "de_DE").startswith("07:30")
    assert local.spans_text([], "en_US") == "Closed"
    assert local.twelve_hour("en_US") and not local.twelve_hour("en_GB")
    rows = local.hours_rows(Hours(monday="08:00-12:00, 13:00-17:00"), "en_US")
    # CLDR writes "1:00 – 5:00 PM" when both ends share the PM
    assert rows[0] == ("monday", "Monday", f"8:00{NNBSP}AM{THIN}–{THIN}12:00{NNBSP}PM, 1:00{THIN}–{THIN}5:00{NNBSP}PM")
    assert rows[6] == ("sunday", "Sunday", "Closed")


@pytest.mark.parametrize(
    ("salary", "locale", "text"),
    [
        (Salary(currency="USD", min=16, max=18, unit="HOUR"), "en_US", "$16–$18 an hour"),
        (Salary(currency="USD", min=52000, max=68000, unit="YEAR"), "en_US", "$52,000–$68,000 a year"),
        (Salary(currency="USD", min=16.5, max=18.25, unit="HOUR"), "en_US", "$16.50–$18.25 an hour"),
        (Salary(currency="USD", min=20, max=20, unit="HOUR"), "en_US", "$20 an hour"),
        (Salary(currency="EUR", min=3000, max=3500, unit="MONTH"), "de_DE", "3.000\xa0€–3.500\xa0€ a month"),
    ],
)
def test_pay_reads_like_a_job_ad(salary, locale, text):
    assert local.pay(salary, locale) == text


def test_plurals_follow_the_locales_rules():
    one, other = "{n} opening matches your filters", "{n} openings match your filters"
    assert local.plural(1, one, other, "en_US") == "1 opening matches your filters"
    assert local.plural(0, one, other, "en_US") == "0 openings match your filters"
    assert local.plural(1200, one, other, "en_US") == "1,200 openings match your filters"


def test_dates_and_zones():
    assert local.long_date(dt.date(2026, 11, 2), "en_US") == "November 2, 2026"
    assert local.long_date(dt.date(2026, 11, 2), "en_GB") == "2 November 2026"
    assert local.day_date(dt.date(2026, 11, 26), "en_US") == "Thursday, November 26"
    assert local.zone_name("America/Chicago", "en_US") == "Central Time"
    assert local.utc_offset(dt.date(2027, 12, 31), "America/Chicago") == "-06:00"
    assert local.utc_offset(dt.date(2027, 7, 1), "America/Chicago") == "-05:00"  # daylight saving time
    assert local.utc_offset(dt.date(2027, 7, 1), "Asia/Kolkata") == "+05:30"


def test_upcoming_special_days_and_the_schedule_for_the_browser():
    special = [
        SpecialHours(date=dt.date(2026, 12, 25), note="Christmas Day"),
        SpecialHours(date=dt.date(2026, 11, 26), note="Thanksgiving"),
        SpecialHours(date=dt.date(2026, 10, 1), hours="08:00-12:00"),
        SpecialHours(date=dt.date(2027, 6, 1)),
    ]
    assert [s.date.day for s in local.upcoming(special, dt.date(2026, 11, 20))] == [26, 25]
    data = json.loads(local.schedule_data(Hours(monday="08:00-17:00"), special, "America/Chicago", "en_US"))
    assert data["tz"] == "America/Chicago" and data["locale"] == "en-US"
    assert data["week"][0] == [["08:00", "17:00"]] and data["week"][6] == []
    assert data["special"]["2026-11-26"] == [] and data["special"]["2026-10-01"] == [["08:00", "12:00"]]


def test_percentages_have_one_format():
    assert local.percent(75) == "75.0%" and local.percent(92.345) == "92.3%" and local.percent(None) == "–"
