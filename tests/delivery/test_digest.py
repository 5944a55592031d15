"""The weekly digest against a real SMTP relay: last week's figures against the week before, sent once a week."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from frontdesk.db import Database, tables
from frontdesk.delivery.digest import Digest, change
from frontdesk.delivery.mail import Mailer
from frontdesk.records import digest, submissions, votes
from relay import Relay
from support import FakeClock, add_staff, run

MARKETING = "marketing@example.com"
MONDAY = dt.datetime(2026, 11, 16, tzinfo=dt.UTC)  # the FakeClock's week (it starts on Friday the 20th)
CHICAGO = zoneinfo.ZoneInfo("America/Chicago")  # the demo site's zone


async def seed(db: Database) -> None:
    async def lead(when: dt.datetime, kind: str = "lead", spam: str | None = None) -> None:
        await submissions.accept(db, kind=kind, data={"name": "x"}, now=when, spam_reason=spam)

    last, before = MONDAY - dt.timedelta(days=6), MONDAY - dt.timedelta(days=13)
    await lead(last)
    await lead(last)
    await lead(last, spam="honeypot")  # not counted
    await lead(last, kind="application")
    await lead(before)
    async with db.write() as conn:
        for i in range(5):
            await votes.record_vote(conn, page="/offices", visitor=f"b{i}", helpful=True, reason=None, comment=None,
                                    now=before)  # fmt: skip
            await votes.record_vote(conn, page="/offices", visitor=f"l{i}", helpful=i == 0, reason=None, comment=None,
                                    now=last)  # fmt: skip


def check(settings: Any, clock: FakeClock, workers: int = 1, timezone: str | None = "UTC") -> list[bool]:
    async def go() -> list[bool]:
        db = Database(settings.database_url)
        try:
            return [await Digest(db, settings, Mailer(settings), clock, timezone).check() for _ in range(workers)]
        finally:
            await db.dispose()

    return run(go())


def test_the_digest_goes_out_once_a_week_with_the_figures(make_settings, relay: Relay, clock):
    settings = make_settings(smtp_url=relay.url, mail_from="frontdesk@prairiepoint.example", digest_to=(MARKETING,))

    async def go() -> None:
        db = Database(settings.database_url)
        try:
            await seed(db)
        finally:
            await db.dispose()

    run(go())
    assert check(settings, clock, workers=2) == [True, False]  # two workers, one digest
    (sent,) = relay.arrived
    assert sent.rcpt_tos == [MARKETING] and "2026-11-09 to 2026-11-15" in sent["Subject"]
    text = sent.message.get_body(("plain",)).get_content()
    assert "Leads: 2 (the week before: 1, +100%)" in text
    assert "Applications: 1 (the week before: 0, new)" in text and "Feedback: 0" in text
    assert "/offices: 100% -> 20% found it helpful" in text
    assert "<img" not in sent.message.get_body(("html",)).get_content()

    clock.advance(days=2)
    assert check(settings, clock) == [False]  # the same week: not again, a restart included
    clock.advance(days=5)  # the next week
    relay.mode = "451"
    assert check(settings, clock) == [False]  # refused: given back
    relay.mode = "ok"
    assert check(settings, clock) == [True] and len(relay.arrived) == 2
    assert "2026-11-16 to 2026-11-22" in relay.arrived[-1]["Subject"]


def test_no_digest_without_recipients(make_settings, relay, clock):
    settings = make_settings(smtp_url=relay.url, mail_from="frontdesk@prairiepoint.example")
    assert check(settings, clock) == [False] and relay.arrived == []


def test_weeks_and_changes():
    assert digest.week_start(dt.datetime(2026, 11, 22, 23, 59, tzinfo=dt.UTC)) == MONDAY
    assert digest.week_start(MONDAY) == MONDAY
    assert change(3, 2) == "+50%" and change(1, 2) == "-50%" and change(0, 0) == "no change"


def test_the_week_is_the_sites_own(make_settings, relay: Relay):
    """A lead on Sunday evening in Chicago is Monday in UTC: it belongs to the week that ends that Sunday."""
    settings = make_settings(smtp_url=relay.url, mail_from="frontdesk@prairiepoint.example", digest_to=(MARKETING,))
    sunday_evening = dt.datetime(2026, 11, 15, 21, 0, tzinfo=CHICAGO)  # 03:00 UTC on Monday the 16th

    async def go() -> None:
        db = Database(settings.database_url)
        try:
            await submissions.accept(db, kind="lead", data={"name": "x"}, now=sunday_evening)
        finally:
            await db.dispose()

    run(go())
    clock = FakeClock(sunday_evening.astimezone(dt.UTC))
    assert check(settings, clock, timezone=None) == [True]  # the zone comes from the demo site.yaml
    assert "2026-11-02 to 2026-11-08" in relay.arrived[-1]["Subject"]  # Sunday in Chicago: that week goes on
    clock.advance(hours=2, minutes=59)  # 05:59 UTC, 23:59 in Chicago
    assert check(settings, clock, timezone=None) == [False]
    clock.advance(minutes=2)  # past midnight in Chicago: the week of the 9th is complete
    assert check(settings, clock, timezone=None) == [True]
    (latest,) = relay.arrived[-1:]
    assert "2026-11-09 to 2026-11-15" in latest["Subject"]
    assert "Leads: 1 (the week before: 0, new)" in latest.message.get_body(("plain",)).get_content()


def test_a_week_across_the_clock_change_is_found_from_local_dates():
    """US clocks went back on 1 November 2026: that local week lasted 169 hours, and no moment is lost."""
    weeks = digest.weeks(dt.datetime(2026, 11, 4, 12, tzinfo=dt.UTC), CHICAGO)
    assert weeks.start == dt.datetime(2026, 10, 26, 5, tzinfo=dt.UTC)  # 00:00 CDT
    assert weeks.end == dt.datetime(2026, 11, 2, 6, tzinfo=dt.UTC)  # 00:00 CST
    assert weeks.end - weeks.start == dt.timedelta(hours=169)
    assert weeks.before == dt.datetime(2026, 10, 19, 5, tzinfo=dt.UTC)
    assert (weeks.first_day, weeks.last_day) == (dt.date(2026, 10, 26), dt.date(2026, 11, 1))
    spring = digest.weeks(dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC), CHICAGO)  # clocks went forward on 8 March
    assert spring.end - spring.start == dt.timedelta(hours=167)


def test_a_week_claimed_in_utc_is_not_sent_again_in_the_sites_zone(database_url):
    """An upgrade from UTC weeks (or a changed site zone) moves the week's start by hours, not a week."""

    async def go() -> list[bool]:
        db = Database(database_url)
        try:
            now = dt.datetime(2026, 11, 17, 12, tzinfo=dt.UTC)
            async with db.write() as conn:
                first = await digest.claim(conn, MONDAY - dt.timedelta(days=7), now=now)
                again = await digest.claim(conn, digest.weeks(now, CHICAGO).start, now=now)
                later = await digest.claim(conn, digest.weeks(now + dt.timedelta(days=7), CHICAGO).start, now=now)
            return [first, again, later]
        finally:
            await db.dispose()

    assert run(go()) == [True, False, True]


def test_a_staff_account_that_asked_for_it_gets_the_digest(make_settings, relay: Relay, clock, client):
    """No FRONTDESK_DIGEST_TO at all: the account's own choice on /staff/account is enough."""
    settings = make_settings(smtp_url=relay.url, mail_from="frontdesk@prairiepoint.example")
    add_staff(client, "marketing@staff.example", "viewer", "x")
    add_staff(client, "quiet@staff.example", "viewer", "x")
    assert check(settings, clock) == [False] and relay.arrived == []  # nobody asked: no claim either

    async def opt_in() -> None:
        db = Database(settings.database_url)
        try:
            async with db.write() as conn:
                st = tables.staff
                await conn.execute(st.update().where(st.c.email == "marketing@staff.example").values(mail_digest=True))
        finally:
            await db.dispose()

    run(opt_in())
    assert check(settings, clock) == [True]
    assert relay.arrived[-1].rcpt_tos == ["marketing@staff.example"]
    assert "2026-11-09 to 2026-11-15" in relay.arrived[-1]["Subject"]  # last week's, though asked for late
