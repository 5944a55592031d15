"""Feedback tallies against hand-counted fixtures, Wilson ranking, the drill-down, triage and the CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa

from frontdesk.db import tables
from frontdesk.records import votes as feedback
from frontdesk.staff import ranges
from support import in_app

UTC = dt.UTC


def at(day: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


# (page, visitor, helpful, reason, comment, when). The clock fixture stands at 2026-11-20 15:00 UTC, so
# 7d = Nov 14..20, 30d = Oct 22..Nov 20, 90d = Aug 23..Nov 20.
VOTES = [
    ("/a", "v1", True, None, None, at("2026-11-20")),
    ("/a", "v2", False, "missing", "Needs prices", at("2026-11-18")),
    ("/a", "v3", True, None, None, at("2026-11-10")),
    ("/a", "v3", False, "incorrect", "Wrong phone number", at("2026-11-19")),  # replaces v3's yes of Nov 10
    ("/a", "v4", True, None, None, at("2026-10-01")),
    ("/b", "v1", False, "hard-to-understand", None, at("2026-11-20", 0)),
    ("/b", "v5", True, None, None, at("2026-11-14", 0)),  # the first day of 7d
    ("/b", "v6", True, None, None, at("2026-11-13", 23)),  # the last day before 7d
]
# Counted by hand from VOTES: {range: {page: (yes, no)}}.
EXPECTED = {
    "7d": {"/a": (1, 2), "/b": (1, 1)},
    "30d": {"/a": (1, 2), "/b": (2, 1)},
    "90d": {"/a": (2, 2), "/b": (2, 1)},
    "custom 2026-11-10 2026-11-13": {"/b": (1, 0)},
    "custom 2026-11-19 2026-11-19": {"/a": (0, 1)},
}


def record(client, votes=VOTES) -> None:
    async def go(app):
        for page, visitor, helpful, reason, comment, when in votes:
            async with app.state.services.db.write() as conn:
                await feedback.record_vote(
                    conn, page=page, visitor=visitor, helpful=helpful, reason=reason, comment=comment, now=when
                )

    in_app(client, go)


def query(key: str) -> str:
    if key.startswith("custom"):
        _, start, end = key.split()
        return f"range=custom&from={start}&to={end}"
    return f"range={key}"


def table_rows(html: str) -> dict[str, tuple[int, int, int]]:
    """{page: (yes, no, total)} from the tallies table."""
    body = html.split('id="tallies"', 1)[1].split("</table>", 1)[0].split("<tbody>", 1)[1]
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        page = re.search(r'<th scope="row"><a [^>]*>([^<]+)</a>', row).group(1)
        numbers = [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', row)]
        found[page] = tuple(numbers[:3])
    return found


@pytest.mark.parametrize("key", list(EXPECTED))
def test_tallies_match_hand_counts(staff_client, key):
    client = staff_client("viewer")
    record(client)
    response = client.get(f"/staff/feedback?{query(key)}")
    assert response.status_code == 200
    expected = {page: (yes, no, yes + no) for page, (yes, no) in EXPECTED[key].items()}
    if expected:
        assert table_rows(response.text) == expected
    # The same numbers straight from the function the page uses.
    span = ranges.parse(dict(p.split("=") for p in query(key).split("&")), dt.date(2026, 11, 20))

    async def tallies(app):
        async with app.state.services.db.read() as conn:
            return await feedback.tallies(conn, span.start, span.end)

    assert {t.page: (t.yes, t.no) for t in in_app(client, tallies)} == EXPECTED[key]


def test_a_replaced_vote_counts_once_on_its_new_day(staff_client):
    client = staff_client("viewer")
    record(client)

    async def rows(app):
        async with app.state.services.db.read() as conn:
            days = await conn.execute(sa.select(tables.vote_days).where(tables.vote_days.c.page == "/a"))
            return {(str(r.day), r.yes, r.no) for r in days}

    # Nov 10 keeps a zero row after v3 moved away; the counts live on Nov 19.
    assert in_app(client, rows) == {
        ("2026-11-20", 1, 0),
        ("2026-11-18", 0, 1),
        ("2026-11-10", 0, 0),
        ("2026-11-19", 0, 1),
        ("2026-10-01", 1, 0),
    }


def test_wilson_lower_bound():
    assert feedback.wilson_bounds(0, 0) == (0.0, 0.0)
    low, high = feedback.wilson_bounds(2, 2)
    assert 0.34 < low < 0.35 and high == 1.0
    assert 0.90 < feedback.wilson_bounds(190, 200)[0] < 0.92
    assert feedback.wilson_bounds(1, 2)[0] < feedback.wilson_bounds(50, 100)[0]


def test_two_votes_do_not_outrank_two_hundred(staff_client):
    client = staff_client("viewer")
    today = dt.date(2026, 11, 20)

    async def seed(app):
        async with app.state.services.db.write() as conn:
            await conn.execute(
                tables.vote_days.insert(),
                [
                    {"page": "/small", "day": today, "yes": 2, "no": 0},
                    {"page": "/big", "day": today, "yes": 120, "no": 0},
                    {"page": "/big", "day": today - dt.timedelta(days=1), "yes": 70, "no": 10},
                    {"page": "/poor", "day": today, "yes": 20, "no": 80},
                ],
            )

    in_app(client, seed)
    default = client.get("/staff/feedback?range=7d").text
    assert list(table_rows(default)) == ["/big", "/small", "/poor"]  # rank, best first
    by_pct = client.get("/staff/feedback?range=7d&sort=pct&dir=desc").text
    assert list(table_rows(by_pct)) == ["/small", "/big", "/poor"]  # raw % would crown the two votes
    by_rank_up = client.get("/staff/feedback?range=7d&sort=rank&dir=asc").text
    assert list(table_rows(by_rank_up)) == ["/poor", "/small", "/big"]
    assert 'aria-sort="ascending"' in by_rank_up
    by_page = client.get("/staff/feedback?range=7d&sort=page").text
    assert list(table_rows(by_page)) == ["/big", "/poor", "/small"]
    # The overview lists the weakest pages first.
    overview = client.get("/staff").text
    weakest = overview.split('id="weakest-heading"', 1)[1]
    assert weakest.index("/poor") < weakest.index("/small")


@pytest.mark.parametrize(
    "bad",
    ["range=1y", "range=custom&from=2026-11-20&to=2026-11-01", "range=custom&from=yesterday&to=2026-11-01",
     "range=custom&from=2020-01-01&to=2026-11-01", "sort=colour", "dir=up"],
)  # fmt: skip
def test_bad_feedback_parameters_get_a_400(staff_client, bad):
    client = staff_client("viewer")
    response = client.get(f"/staff/feedback?{bad}")
    assert response.status_code == 400
    assert "Traceback" not in response.text


def test_drill_down_shows_chart_table_reasons_and_comments(staff_client):
    client = staff_client("viewer")
    record(client)
    response = client.get("/staff/feedback/page?range=7d&path=/a")
    assert response.status_code == 200
    html = response.text
    assert '<svg class="chart"' in html and 'role="img"' in html and '<title id="chart-title">' in html
    assert "style=" not in html  # strict CSP: no style attributes anywhere
    assert html.count('class="chart-yes"') == 1 and html.count('class="chart-no"') == 2
    # The data table beside the chart: 7 days, newest first.
    trend = html.split('id="trend-caption"', 1)[1].split("</table>", 1)[0]
    days = re.findall(r'<time datetime="([\d-]+)">', trend)
    assert days == [f"2026-11-{d}" for d in range(20, 13, -1)]
    assert re.search(r'datetime="2026-11-19">[^<]*</time></th><td class="num">0</td><td class="num">1</td>', trend)
    reasons = html.split('id="reasons-heading"', 1)[1].split("</table>", 1)[0]
    assert "Missing information" in reasons and "Incorrect or out of date" in reasons
    assert "Needs prices" in html and "Wrong phone number" in html
    assert "Comments (2)" in html
    # A page path that needs escaping is shown escaped.
    odd = client.get("/staff/feedback/page", params={"path": "/<script>x"})
    assert odd.status_code == 200 and "<script>x" not in odd.text
    assert client.get("/staff/feedback/page?path=offices").status_code == 400
    assert 'href="/a">Open the page</a>' in html
    sneaky = client.get("/staff/feedback/page", params={"path": "/\\evil.example"})
    assert sneaky.status_code == 200 and "Open the page" not in sneaky.text


def test_triage_status_can_be_set(staff_client):
    client = staff_client("viewer")
    record(client)

    async def comment_id(app):
        async with app.state.services.db.read() as conn:
            return (
                await conn.execute(sa.select(tables.votes.c.id).where(tables.votes.c.comment == "Needs prices"))
            ).scalar()

    vote_id = in_app(client, comment_id)
    response = client.post(f"/staff/feedback/comments/{vote_id}/triage", data={"status": "in_progress", "range": "7d"})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/staff/feedback/page?range=7d&path=%2Fa")
    page = client.get(response.headers["location"]).text
    assert "Triage status saved." in page
    assert re.search(rf'id="triage-{vote_id}".*?<option value="in_progress" selected>', page, re.S)
    filtered = client.get("/staff/feedback/page?range=7d&path=/a&status=in_progress").text
    assert "Needs prices" in filtered and "Wrong phone number" not in filtered
    assert client.post(f"/staff/feedback/comments/{vote_id}/triage", data={"status": "done"}).status_code == 400
    assert client.post("/staff/feedback/comments/99999/triage", data={"status": "resolved"}).status_code == 404
    audit = client.get("/staff/audit")  # the viewer may triage but not read the audit log
    assert audit.status_code == 403


def test_csv_round_trip_is_formula_safe(staff_client):
    client = staff_client("viewer")
    nasty = ['=HYPERLINK("http://evil.example")', "+1+2", "-3", "@SUM(A1)", "\tindent", "\rreturn"]
    votes = [("/c", f"n{i}", False, "other", text, at("2026-11-19")) for i, text in enumerate(nasty)]
    votes += [
        ("/c", "u1", True, None, "Très utile, merci — “quoted”, with a comma\nand a second line", at("2026-11-20")),
        ("/=cmd", "u2", True, None, None, at("2026-11-20")),
        ("/c", "old", True, None, "outside the range", at("2026-01-02")),
    ]
    record(client, votes)
    response = client.get("/staff/feedback.csv?range=30d")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="feedback-2026-10-22-to-2026-11-20.csv"'
    assert response.headers["cache-control"] == "no-store"
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert len(rows) == len(nasty) + 2  # one row per vote in range
    comments = {r["comment"] for r in rows}
    for text in nasty:
        assert "'" + text in comments
    assert "Très utile, merci — “quoted”, with a comma\nand a second line" in comments
    assert {r["page"] for r in rows} == {"/c", "/=cmd"}
    for r in rows:
        for value in r.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), r
    assert {r["helpful"] for r in rows} == {"yes", "no"}
    assert all(r["voted_at"].endswith("Z") for r in rows)
    assert "visitor" not in rows[0]
    one_page = client.get("/staff/feedback.csv?range=30d&path=/=cmd")
    assert len(list(csv.reader(io.StringIO(one_page.content.decode("utf-8-sig"))))) == 2
    admin = staff_client("admin")
    audit = admin.get("/staff/audit?action=feedback.export").text
    assert "viewer@staff.example" in audit and "2026-10-22 to 2026-11-20" in audit


def test_csv_export_streams_many_batches(staff_client, monkeypatch):
    from frontdesk.staff.views import feedback as views_feedback

    monkeypatch.setattr(views_feedback, "EXPORT_BATCH", 3)
    client = staff_client("viewer")
    record(client, [("/d", f"v{i}", i % 2 == 0, None, None, at("2026-11-20")) for i in range(10)])
    rows = list(csv.reader(io.StringIO(client.get("/staff/feedback.csv?range=7d").content.decode("utf-8-sig"))))
    assert len(rows) == 11 and len({r[0] for r in rows[1:]}) == 10
