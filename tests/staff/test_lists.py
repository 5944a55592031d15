"""The lead and application list: every filter, 400s for bad values, pagination, and the CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import sqlalchemy as sa

from frontdesk.db import tables
from frontdesk.records import submissions
from support import in_app

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)  # the clock fixture's time


def touch(source: str, landing: str = "/offices") -> dict:
    one = {"source": source, "medium": "cpc", "campaign": "winter", "landing_page": landing, "at": "", "click_ids": {}}
    return {"first_touch": one, "last_touch": one, "form_page": "/request-info", "sent_from": ""}


def store(client, *, kind="lead", when=NOW, email="ada@example.com", spam=None, attribution=None, **data):
    async def go(app):
        return await submissions.accept(
            app.state.services.db,
            kind=kind,
            data={"name": "Ada Lovelace", "email": email, "message": "Call me.", **data},
            email=email,
            now=when,
            attribution=attribution,
            spam_reason=spam,
        )

    return in_app(client, go)


def set_state(client, delivery_id, state):
    async def go(app):
        async with app.state.services.db.write() as conn:
            d = tables.deliveries
            await conn.execute(d.update().where(d.c.id == delivery_id).values(state=state))

    in_app(client, go)


@pytest.fixture
def seeded(staff_client):
    client = staff_client("admin")
    ids = {
        "ada": store(client, interest="business", office="sioux-falls-agency", attribution=touch("google")),
        "bob": store(
            client,
            email="bob@example.com",
            name="Bob Builder",
            interest="auto",
            message="Garage roof",
            when=NOW - dt.timedelta(days=10),
            attribution=touch("newsletter"),
        ),
        "grace": store(
            client,
            kind="application",
            email="grace@example.com",
            name="Grace Hopper",
            job={"slug": "licensed-insurance-agent", "title": "Agent", "office": "sioux-falls-agency"},
            when=NOW - dt.timedelta(days=40),
        ),
        "spam": store(client, email="spam@example.com", name="Spammer", spam="honeypot"),
    }
    set_state(client, ids["bob"].delivery_id, "failed")
    set_state(client, ids["ada"].delivery_id, "delivered")
    return client, ids


def listed(client, query: str) -> set[str]:
    html = client.get("/staff/submissions?" + query).text
    return {e.split("@")[0] for e in ("ada@", "bob@", "grace@", "spam@") if e + "example.com" in html}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"ada", "bob", "grace"}),
        ("kind=application", {"grace"}),
        ("kind=lead", {"ada", "bob"}),
        ("from=2026-11-15", {"ada"}),
        ("from=2026-11-01&to=2026-11-15", {"bob"}),
        ("office=sioux-falls-agency", {"ada"}),
        ("job=licensed-insurance-agent", {"grace"}),
        ("interest=auto", {"bob"}),
        ("source=Google", {"ada"}),
        ("state=failed", {"bob"}),
        ("state=delivered", {"ada"}),
        ("state=pending", {"grace"}),
        ("state=held", {"spam"}),
        ("q=garage", {"bob"}),
        ("q=HOPPER", {"grace"}),
        ("q=bob%40", {"bob"}),
        ("q=%25", set()),  # LIKE wildcards are literal
        ("email=bob", {"bob"}),  # the older parameter still works
        ("kind=lead&source=newsletter&q=bob", {"bob"}),
    ],
)
def test_each_filter(seeded, query, expected):
    client, _ = seeded
    assert listed(client, query) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("kind=spam", "Unknown kind"),
        ("state=lost", "Unknown state"),
        ("from=2026-13-01", "YYYY-MM-DD"),
        ("from=9999-01-01", "between"),
        ("from=2026-11-10&to=2026-11-01", "on or before"),
        ("office=../etc", "slug"),
        ("q=" + "x" * 201, "at most 200"),
        ("q=a%00b", ""),  # refused by the guard before any view
        ("source=a%1bb", "control characters"),
        ("page=0", "between 1 and"),
        ("page=%C2%B2", "whole number"),
    ],
)
def test_bad_filters_are_a_400_that_says_why(seeded, query, message):
    client, _ = seeded
    paths = ("/staff/submissions",) if query.startswith("page") else ("/staff/submissions", "/staff/submissions.csv")
    for path in paths:  # the export has no pages
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400 and message in response.text, (path, query)


def test_the_list_paginates(staff_client):
    client = staff_client("admin")
    for i in range(53):
        store(client, email=f"p{i}@example.com", when=NOW - dt.timedelta(minutes=i))
    first = client.get("/staff/submissions").text
    assert "53 submissions" in first and 'rel="next"' in first and "p49@example.com" in first
    second = client.get("/staff/submissions?page=2").text
    assert "p52@example.com" in second and "p0@example.com" not in second and 'rel="prev"' in second


def test_the_csv_export_is_filtered_formula_safe_and_audited(seeded):
    client, _ids = seeded
    store(client, email="evil@example.com", name="=HYPERLINK(\"http://x\")", message="+1 call", company="@SUM(A1)",
          attribution=touch("-cmd", "/offices"))  # fmt: skip
    response = client.get("/staff/submissions.csv?kind=lead")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {r["email"] for r in rows} == {"ada@example.com", "bob@example.com", "evil@example.com"}
    evil = next(r for r in rows if r["email"] == "evil@example.com")
    assert evil["name"] == '\'=HYPERLINK("http://x")' and evil["message"] == "'+1 call"
    assert evil["company"] == "'@SUM(A1)" and evil["first_source"] == "'-cmd"
    ada = next(r for r in rows if r["email"] == "ada@example.com")
    assert (ada["interest"], ada["office"], ada["delivery"], ada["first_source"]) == (
        "business",
        "sioux-falls-agency",
        "delivered",
        "google",
    )

    async def audit_rows(app):
        async with app.state.services.db.read() as conn:
            return list(
                await conn.execute(
                    sa.select(tables.audit)
                    .where(tables.audit.c.action == "submissions.export")
                    .order_by(tables.audit.c.id)
                )
            )

    (entry,) = in_app(client, audit_rows)
    assert entry.actor == "admin@staff.example" and entry.detail == "kind=lead"
    client.get("/staff/submissions.csv?q=ada%40example.com&kind=lead")
    assert "ada@" not in in_app(client, audit_rows)[-1].detail  # the search text is not logged


def test_the_csv_export_streams_every_batch(staff_client, monkeypatch):
    from frontdesk.staff.views import submissions as view

    monkeypatch.setattr(view, "EXPORT_BATCH", 3)
    client = staff_client("admin")
    for i in range(7):
        store(client, email=f"p{i}@example.com", when=NOW - dt.timedelta(minutes=i // 2))  # ties on time too
    rows = list(csv.DictReader(io.StringIO(client.get("/staff/submissions.csv").content.decode("utf-8-sig"))))
    assert sorted(r["email"] for r in rows) == sorted(f"p{i}@example.com" for i in range(7))


def test_the_export_is_for_admins_only(staff_client):
    client = staff_client("viewer")
    assert client.get("/staff/submissions.csv").status_code == 403
