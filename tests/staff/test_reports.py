"""The Sources and Pages reports: the "Done when" story, conversion per page, CSV exports, bad parameters."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from frontdesk.db import tables
from support import in_app, post_lead

BROWSER = {"User-Agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Safari/605.1.15"}


def flush(client):
    async def go(app):
        await app.state.services.views.flush(app.state.services.db)

    in_app(client, go)


def rows_of(response) -> list[dict[str, str]]:
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.fixture
def story(staff_client):
    """A visitor lands from a Google ad (gclid), comes back from a newsletter, then sends Request Info."""
    client = staff_client("viewer")
    client.get("/offices?gclid=EAIaIQob-ad", headers={**BROWSER, "Referer": "https://www.google.com/"})
    client.get("/careers?utm_source=newsletter&utm_medium=email&utm_campaign=december", headers=BROWSER)
    for _ in range(3):
        client.get("/offices", headers=BROWSER)
    assert post_lead(client).status_code == 303
    flush(client)
    return client


def test_the_lead_shows_under_both_touches(story):
    first = story.get("/staff/reports/sources").text
    table = first.split("<table")[1]
    assert '<th scope="row">google</th>' in table and "cpc" in table and "newsletter" not in table
    assert "<svg" in first and "google / cpc: 1 leads, 0 applications" in first
    last = story.get("/staff/reports/sources?touch=last").text.split("<table")[1]
    assert '<th scope="row">newsletter</th>' in last and "december" in last and "google" not in last


def test_pages_show_views_and_conversion(story):
    html = story.get("/staff/reports/pages").text
    row = html.split('<th scope="row">/offices</th>')[1].split("</tr>")[0]
    cells = [c.split("</td>")[0] for c in row.split('<td class="num">')[1:]]
    assert cells[:4] == ["4", "1", "0", "25.0%"]  # 4 views, 1 lead landed there
    assert '<th scope="row">/careers</th>' in html


def test_reports_export_as_audited_formula_safe_csv(story):
    sources = rows_of(story.get("/staff/reports/sources.csv?touch=last"))
    assert sources == [
        {"touch": "last", "source": "newsletter", "medium": "email", "campaign": "december", "leads": "1",
         "applications": "0", "total": "1"}
    ]  # fmt: skip
    pages = {r["path"]: r for r in rows_of(story.get("/staff/reports/pages.csv"))}
    assert pages["/offices"]["views"] == "4" and pages["/offices"]["conversion_pct"] == "25.00"

    async def audited(app):
        async with app.state.services.db.read() as conn:
            a = tables.audit
            return [r.target for r in await conn.execute(sa.select(a).where(a.c.action == "report.export"))]

    assert sorted(in_app(story, audited)) == ["pages", "sources (last touch)"]


def test_a_hostile_campaign_is_neutralised_in_the_csv(staff_client):
    client = staff_client("viewer")
    client.get("/offices?utm_source=%3DHYPERLINK(%22x%22)&utm_campaign=%2Bcmd")
    post_lead(client)
    (row,) = rows_of(client.get("/staff/reports/sources.csv"))
    assert row["source"] == '\'=HYPERLINK("x")' and row["campaign"] == "'+cmd"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("touch=middle", "Unknown touch"),
        ("range=5y", "Choose a range"),
        ("range=custom&from=2020-01-01&to=2026-01-01", "at most 366 days"),
        ("range=custom&from=1900-01-01&to=1900-01-02", "between"),
        ("range=custom&from=2026-11-02&to=2026-11-01", "on or before"),
    ],
)
def test_bad_report_parameters_are_a_400(staff_client, query, message):
    client = staff_client("viewer")
    for path in (
        "/staff/reports/sources",
        "/staff/reports/sources.csv",
        "/staff/reports/pages",
        "/staff/reports/pages.csv",
    ):
        if "touch" in query and "pages" in path:
            continue
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400 and message in response.text, (path, query)


def test_empty_reports_say_so(staff_client):
    client = staff_client("viewer")
    assert "No leads or applications in this range." in client.get("/staff/reports/sources").text
    assert "No views, leads or feedback in this range." in client.get("/staff/reports/pages").text
