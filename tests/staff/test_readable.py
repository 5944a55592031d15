"""The submission page as a person reads it: labels, names for slugs, the site's dates, two touches."""

from __future__ import annotations

import datetime as dt

from frontdesk.records import submissions
from frontdesk.staff import filters, queries, readable
from support import in_app, post_lead

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


def test_a_lead_reads_with_labels_names_local_dates_and_both_touches(staff_client):
    client = staff_client("admin")
    client.get("/offices?gclid=ad-click-1", headers={"Referer": "https://www.google.com/"})
    client.get("/careers?utm_source=newsletter&utm_medium=email&utm_campaign=december")
    assert post_lead(client, office="sioux-falls-agency", interest="business").status_code == 303

    async def newest(app):
        async with app.state.services.db.read() as conn:
            rows, _ = await queries.search(conn, filters.Filters(), limit=1, offset=0)
            return rows[0].id

    html = client.get(f"/staff/submissions/{in_app(client, newest)}").text
    assert "Interested in" in html and "Preferred office" in html and "Utm source" not in html
    assert "<dd>Business insurance</dd>" in html
    assert "Sioux Falls" in html.split("Preferred office")[1][:200]
    assert "CST" in html and "UTC</h1>" not in html  # the site's zone (America/Chicago)
    first, last = html.split("First touch")[1].split("Latest touch")
    assert "google" in first and "cpc" in first and "gclid: ad-click-1" in first
    assert "newsletter" in last and "december" in last and "gclid" not in last


def test_local_dates_follow_the_site(settings):
    local = readable.Local("en_US", "America/Chicago")
    assert local.when(NOW) == "Nov 20, 2026, 9:00:00\u202fAM CST"
    assert local.when("2026-07-01T12:00:00+00:00").endswith("CDT")
    assert local.when("not a date") == "not a date" and local.when(None) == ""
    assert readable.Local("de_DE", "Europe/Berlin").when(NOW).startswith("20.11.2026")


def test_a_direct_visit_and_an_erased_record_read_plainly(staff_client):
    client = staff_client("admin")

    async def store(app):
        return await submissions.accept(
            app.state.services.db, kind="lead", data={"name": "Ada", "office": ""}, now=NOW, attribution=None
        )

    accepted = in_app(client, store)
    html = client.get(f"/staff/submissions/{accepted.submission_id}").text
    assert "A direct visit" in html and "No preference" in html
