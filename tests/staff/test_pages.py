"""The overview, deliveries (listing, attempt log, replay, resume), submissions, files, spam and the audit log."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from frontdesk.db import tables
from frontdesk.records import submissions
from support import in_app

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)  # the clock fixture's time


def accept(client, **kwargs):
    async def go(app):
        return await submissions.accept(app.state.services.db, **kwargs)

    return in_app(client, go)


def execute(client, *statements):
    async def go(app):
        async with app.state.services.db.write() as conn:
            for statement in statements:
                await conn.execute(statement)

    in_app(client, go)


def fetch(client, query):
    async def go(app):
        async with app.state.services.db.read() as conn:
            return list(await conn.execute(query))

    return in_app(client, go)


def touch(**fields):
    """An attribution with one touch (the first and the latest)."""
    one = {"source": "", "medium": "", "campaign": "", "landing_page": "", "at": "", "click_ids": {}, **fields}
    return {"first_touch": one, "last_touch": one, "form_page": "/request-info", "sent_from": ""}


def lead(client, email="ada@example.com", when=NOW, **extra):
    return accept(
        client,
        kind="lead",
        data={"name": "Ada Lovelace", "email": email, "message": "Please call me about auto insurance."},
        email=email,
        consent={"text": "I agree that Prairie Point Agency may store my details.", "policy_version": "2026-09-01"},
        attribution=touch(source="newsletter", campaign="autumn", landing_page="/offices"),
        now=when,
        **extra,
    )


def fail(client, delivery_id, *, created=None):
    d = tables.deliveries
    values = {"state": "failed", "attempts": 10, "last_status": 500, "last_error": "HTTP 500 from CRM"}
    if created is not None:
        values["created_at"] = created
    execute(client, d.update().where(d.c.id == delivery_id).values(**values))


def test_overview_counts_today_and_thirty_days(staff_client):
    client = staff_client("viewer")
    lead(client)
    lead(client, when=NOW - dt.timedelta(days=3))
    lead(client, when=NOW - dt.timedelta(days=45))
    lead(client, spam_reason="honeypot")
    accept(
        client, kind="application", data={"name": "Grace"}, email="grace@example.com", now=NOW - dt.timedelta(days=1)
    )
    old = lead(client, when=NOW - dt.timedelta(hours=5))
    fail(client, old.delivery_id)
    html = client.get("/staff").text
    assert re.search(r"Leads</th><td class=\"num\">2</td><td class=\"num\">3</td>", html)
    assert re.search(r"Applications</th><td class=\"num\">0</td><td class=\"num\">1</td>", html)
    health = html.split('id="health-heading"', 1)[1]
    assert re.search(r"<dt>Pending</dt><dd>4</dd>", health)
    assert re.search(r"<dt>Failed</dt><dd class=\"bad\">1</dd>", health)
    assert "<dt>Oldest pending</dt><dd>45 days 0 h</dd>" in health
    assert "ada@example.com" not in html  # the overview carries no personal data


def test_deliveries_list_filters_and_shows_the_attempt_log(staff_client):
    client = staff_client("viewer")
    ok = lead(client)
    failed = lead(client, email="bob@example.com")
    retrying = lead(client, email="cy@example.com")
    fail(client, failed.delivery_id)
    d, a = tables.deliveries, tables.delivery_attempts
    execute(
        client,
        d.update().where(d.c.id == retrying.delivery_id).values(attempts=2, last_error="timeout"),
        d.update().where(d.c.id == ok.delivery_id).values(state="delivered", attempts=1, delivered_at=NOW),
        a.insert().values(delivery_id=retrying.delivery_id, at=NOW, status=None, latency_ms=15000, outcome="retry", error="timed out after 15 s"),
        a.insert().values(delivery_id=retrying.delivery_id, at=NOW + dt.timedelta(seconds=5), status=503, latency_ms=20, outcome="retry", error="HTTP 503"),
    )  # fmt: skip
    page = client.get("/staff/deliveries")
    assert page.status_code == 200
    counts = page.text.split('id="delivery-counts"', 1)[1].split("</dl>", 1)[0]
    assert "<dt>Pending</dt><dd>1</dd>" in counts and "<dt>Retrying</dt><dd>1</dd>" in counts
    assert "<dt>Delivered</dt><dd>1</dd>" in counts and '<dt>Failed</dt><dd class="bad">1</dd>' in counts
    assert "Replay" not in page.text  # viewers see no replay buttons
    only_failed = client.get("/staff/deliveries?state=failed").text
    assert failed.delivery_id in only_failed and ok.delivery_id not in only_failed
    only_retrying = client.get("/staff/deliveries?state=retrying").text
    assert retrying.delivery_id in only_retrying and failed.delivery_id not in only_retrying
    assert ok.delivery_id in client.get("/staff/deliveries?type=lead.created").text
    assert ok.delivery_id not in client.get("/staff/deliveries?type=feedback.created").text
    assert client.get("/staff/deliveries?state=lost").status_code == 400
    detail = client.get(f"/staff/deliveries/{retrying.delivery_id}").text
    log = detail.split('id="attempts"', 1)[1]
    assert "no answer" in log and "15000 ms" in log and "timed out after 15 s" in log and ">503<" in log
    assert log.index("timed out") < log.index("HTTP 503")  # oldest first
    assert "bob@example.com" not in detail and "The submission it carries" not in detail  # no personal data
    assert client.get("/staff/deliveries/msg_nope").status_code == 404
    health = client.get("/staff/deliveries.json").json()
    assert health["counts"]["failed"] == 1 and health["retrying"] == 1


def test_admin_replays_one_delivery_from_the_page(staff_client):
    client = staff_client("admin")
    got = lead(client)
    fail(client, got.delivery_id)
    page = client.get("/staff/deliveries?state=failed").text
    assert f'action="/staff/deliveries/{got.delivery_id}/replay"' in page
    response = client.post(f"/staff/deliveries/{got.delivery_id}/replay")
    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/deliveries/{got.delivery_id}?notice=replayed"
    assert "queued again" in client.get(response.headers["location"]).text
    row = fetch(client, sa.select(tables.deliveries).where(tables.deliveries.c.id == got.delivery_id))[0]
    assert row.state == "pending" and row.attempts == 0 and row.id == got.delivery_id
    again = client.post(f"/staff/deliveries/{got.delivery_id}/replay")  # pending now: nothing to replay
    assert again.headers["location"].endswith("notice=not_replayed")
    audit = client.get("/staff/audit?action=delivery.replay").text
    assert got.delivery_id in audit and "admin@staff.example" in audit
    assert client.post("/staff/deliveries/msg_nope/replay").status_code == 404


def test_admin_replays_failed_deliveries_in_a_date_range(staff_client):
    client = staff_client("admin")
    inside = [lead(client, when=NOW - dt.timedelta(days=2)), lead(client, when=NOW - dt.timedelta(days=1))]
    outside = lead(client, when=NOW - dt.timedelta(days=20))
    for got in [*inside, outside]:
        fail(client, got.delivery_id)
    response = client.post("/staff/deliveries/replay-failed", data={"from": "2026-11-18", "to": "2026-11-19"})
    assert response.status_code == 303 and response.headers["location"].endswith("count=2")
    assert "Failed deliveries queued again: 2." in client.get(response.headers["location"]).text
    states = dict(fetch(client, sa.select(tables.deliveries.c.id, tables.deliveries.c.state)))
    assert [states[g.delivery_id] for g in inside] == ["pending", "pending"]
    assert states[outside.delivery_id] == "failed"
    assert "2 requeued" in client.get("/staff/audit").text
    assert (
        client.post("/staff/deliveries/replay-failed", data={"from": "2026-11-19", "to": "2026-11-18"}).status_code
        == 400
    )
    assert client.post("/staff/deliveries/replay-failed", data={"from": "soon"}).status_code == 400


def test_paused_endpoint_is_shown_and_resumed(staff_client):
    secret_url = "https://crm.example/hooks/s3cr3t-token"
    execute(
        client := staff_client("viewer"),
        tables.endpoints.insert().values(
            id="ep_1",
            name="crm",
            url=secret_url,
            secrets=[{"secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "expires_at": None}],
            events="*",
            state="paused",
            state_reason="410 Gone",
            state_at=NOW,
            created_at=NOW,
        ),
    )
    viewer_page = client.get("/staff/deliveries").text
    assert "Paused endpoints" in viewer_page and "crm.example" in viewer_page
    assert "s3cr3t" not in viewer_page and "Resume" not in viewer_page
    assert "Delivery is paused for 1 endpoint" in client.get("/staff").text
    client = staff_client("admin")
    admin_page = client.get("/staff/deliveries").text
    assert secret_url in admin_page and 'action="/staff/endpoints/resume"' in admin_page
    response = client.post("/staff/endpoints/resume", data={"endpoint": secret_url})
    assert response.status_code == 303 and response.headers["location"].endswith("notice=resumed")
    assert fetch(client, sa.select(tables.endpoints.c.state)) == [("active",)]
    assert "Paused endpoints" not in client.get("/staff/deliveries").text
    assert (
        client.post("/staff/endpoints/resume", data={"endpoint": secret_url})
        .headers["location"]
        .endswith("not_resumed")
    )


def test_submissions_search_and_record_with_resume(staff_client, settings):
    client = staff_client("admin")
    lead(client)
    lead(client, email="bob@example.com")
    application = accept(
        client,
        kind="application",
        data={"name": "Grace Hopper", "email": "grace@example.com", "links": ["https://example.com/grace"]},
        email="grace@example.com",
        consent={"text": "I agree.", "policy_version": "2026-09-01"},
        attribution=touch(source="linkedin"),
        now=NOW,
    )
    settings.uploads_dir.mkdir(parents=True, exist_ok=True)
    (settings.uploads_dir / "r4nd0m.pdf").write_bytes(b"%PDF-1.7\nresume bytes\n")
    execute(
        client,
        tables.uploads.insert().values(
            id="up-1", submission_id=application.submission_id, stored_name="r4nd0m.pdf", original_name="Grace CV.pdf",
            mime="application/pdf", size=22, sha256="0" * 64, created_at=NOW,
        ),
    )  # fmt: skip
    listing = client.get("/staff/submissions").text
    assert "ada@example.com" in listing and "bob@example.com" in listing and "grace@example.com" in listing
    found = client.get("/staff/submissions?email=BOB@").text
    assert "bob@example.com" in found and "ada@example.com" not in found
    assert "grace@example.com" not in client.get("/staff/submissions?kind=lead").text
    assert "No submissions match." in client.get("/staff/submissions?email=%25").text  # LIKE wildcards are literal
    record = client.get(f"/staff/submissions/{application.submission_id}").text
    assert "linkedin" in record and "Privacy policy version" in record and "2026-09-01" in record
    assert "https://example.com/grace" in record
    assert application.delivery_id in record and "pending" in record
    assert 'href="/staff/files/up-1"' in record and "Grace CV.pdf" in record
    download = client.get("/staff/files/up-1")
    assert download.status_code == 200 and download.content == b"%PDF-1.7\nresume bytes\n"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "Grace%20CV.pdf" in download.headers["content-disposition"]
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["cache-control"] == "no-store"
    assert "up-1" in client.get("/staff/audit?action=file.download").text
    assert client.get("/staff/files/nope").status_code == 404
    assert client.get("/staff/submissions/nope").status_code == 404


def test_spam_is_reviewed_and_released(staff_client):
    client = staff_client("admin")
    held = lead(client, email="maybe@example.com", spam_reason="time trap")
    lead(client)
    page = client.get("/staff/spam").text
    assert "maybe@example.com" in page and "time trap" in page and "ada@example.com" not in page
    assert "maybe@example.com" not in client.get("/staff/submissions").text
    response = client.post(f"/staff/spam/{held.submission_id}/release")
    assert response.status_code == 303 and response.headers["location"] == "/staff/spam?notice=released"
    assert "Nothing is held as spam." in client.get(response.headers["location"]).text
    state = fetch(client, sa.select(tables.deliveries.c.state).where(tables.deliveries.c.id == held.delivery_id))
    assert state[0].state == "pending"
    assert client.post(f"/staff/spam/{held.submission_id}/release").status_code == 404
    audit = client.get("/staff/audit").text
    assert "Marked as not spam" in audit and held.submission_id in audit


def test_audit_log_records_sign_ins(staff_client, client):
    client.post("/staff/login", data={"email": "nobody@staff.example", "password": "guess guess guess"})
    admin = staff_client("admin")
    html = admin.get("/staff/audit").text
    assert "Failed sign-in" in html and "unknown account" in html and "Signed in" in html
    assert '<th scope="col">Who</th>' in html
    assert admin.get("/staff/audit?action=nope").status_code == 400


def test_public_votes_and_leads_show_up_for_staff(staff_client):
    """End to end: the public forms write, the staff pages read the same rows."""
    import httpx2

    client = staff_client("admin")

    def form_token(path: str) -> str:
        return re.search(r'name="_t" value="([^"]+)"', client.get(path).text).group(1)

    page = "/offices/sioux-falls-agency"
    first = client.post("/feedback", data={"_t": form_token(page), "page": page, "helpful": "yes"})
    assert first.status_code == 303
    again = client.post(  # the same visitor changes their mind: the vote is replaced, not added
        "/feedback",
        data={"_t": form_token(page), "page": page, "helpful": "no", "reason": "missing", "comment": "Parking?"},
    )
    assert again.status_code == 303
    other = httpx2.Cookies()  # a second visitor, without the first one's visitor cookie
    client.cookies, saved = other, client.cookies
    client.post("/feedback", data={"_t": form_token(page), "page": page, "helpful": "yes"})
    client.cookies = saved
    html = client.get("/staff/feedback?range=7d").text
    assert re.search(
        rf'>{page}</a></th>\s*<td class="num">1</td>\s*<td class="num">1</td>\s*<td class="num">2</td>', html
    )
    assert "Parking?" in client.get(f"/staff/feedback/page?range=7d&path={page}").text

    lead_form = {
        "_t": form_token("/request-info"),
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "interest": re.search(r'<option value="([a-z-]+)"', client.get("/request-info").text).group(1),
        "message": "Please call me.",
        "consent": "yes",
    }
    assert client.post("/request-info?utm_source=newsletter", data=lead_form).status_code == 303
    listing = client.get("/staff/submissions?email=ada@").text
    submission_id = re.search(r'href="/staff/submissions/([0-9a-f-]{36})"', listing).group(1)
    record = client.get(f"/staff/submissions/{submission_id}").text
    assert "Ada Lovelace" in record and "Privacy policy version" in record and "pending" in record
