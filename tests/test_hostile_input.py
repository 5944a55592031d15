"""The red-team pass's inputs: each gave a 500 before (some on PostgreSQL only); now each gets a clear 4xx.

Every test here runs on SQLite and PostgreSQL (the `client` fixture is built on `database_url`). The fuzz
suite (`test_fuzz.py`) throws the same families of input at every route at random; these pin the exact
cases that were found.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from frontdesk.db import tables
from support import PDF, db_rows, run_async, token

ARTICLE = "/insights/measuring-website-help-pages"
JOB = "/careers/licensed-insurance-agent/apply"


@pytest.mark.parametrize("form_token", ["1.é", "²", "²." + "x" * 24, "1\x00.x", "9" * 40 + ".x"])
def test_odd_form_tokens_are_spam_not_errors(client, settings, form_token):
    fields = {"name": "Ada", "email": "ada@example.com", "interest": "auto", "message": "Hello", "consent": "yes"}
    r = client.post("/request-info", data={**fields, "_t": form_token})
    assert r.status_code == 303
    r = client.post("/feedback", data={"_t": form_token, "page": "/customer-care", "helpful": "yes"})
    assert r.status_code == 303
    r = client.post(f"{ARTICLE}/comments", data={"_t": form_token, "name": "A", "email": "a@b.co", "comment": "Hi"})
    assert r.status_code == 303
    pdf = PDF
    r = client.post(
        JOB,
        data={"_t": form_token, "name": "G", "email": "g@h.co", "phone": "605 555 0123", "consent": "yes"},
        files={"resume": ("cv.pdf", pdf, "application/pdf")},
    )
    assert r.status_code == 303
    assert all(row.spam for row in db_rows(settings.database_url, tables.submissions))


@pytest.mark.parametrize("query", ["expires=1&sig=é", "expires=²&sig=x", "expires=&sig=", "expires=1" + "0" * 30])
def test_odd_resume_links_are_refused(client, query):
    assert client.get(f"/files/resume/some-id?{query}").status_code == 403


def test_a_comment_website_too_long_once_https_is_added(client):
    """500 characters fit the field; with "https://" added they did not fit the column (500 on PostgreSQL)."""
    website = "example.com/" + "a" * 488
    r = client.post(
        f"{ARTICLE}/comments",
        data={
            "_t": token(client, ARTICLE),
            "name": "Ann",
            "email": "ann@example.com",
            "website": website,
            "comment": "Hi",
        },
    )
    assert r.status_code == 422 and "500 characters" in r.text


def test_nul_in_a_sign_in_email_is_a_failed_sign_in(client):
    r = client.post("/staff/login", data={"email": "admin\x00@staff.example", "password": "x" * 12})
    assert r.status_code == 401


@pytest.mark.parametrize("path", ["/staff/submissions/%00", "/staff/deliveries/msg%00x", "/offices/%00"])
def test_nul_in_a_path_is_a_404(staff_client, path):
    client = staff_client("admin")
    assert client.get(path).status_code == 404


def test_nul_in_a_query_is_a_400(staff_client):
    client = staff_client("admin")
    assert client.get("/staff/submissions?email=%00").status_code == 400


@pytest.mark.parametrize("vote_id", ["2147483648", "99999999999999999999"])
def test_a_vote_id_beyond_the_column_is_a_404(staff_client, vote_id):
    client = staff_client("admin")
    assert client.post(f"/staff/feedback/comments/{vote_id}/triage", data={"status": "resolved"}).status_code == 404


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/staff/feedback", {"range": "custom", "from": "9999-12-30", "to": "9999-12-31"}),
        ("/staff/feedback.csv", {"range": "custom", "from": "9999-12-30", "to": "9999-12-31"}),
        ("/staff/feedback", {"range": "custom", "from": "0001-01-01", "to": "0001-01-02"}),
        ("/staff/feedback", {"range": "custom", "from": "２０２６-11-01", "to": "2026-11-02"}),
    ],
)
def test_far_off_staff_dates_are_a_400(staff_client, path, params):
    client = staff_client("admin")
    r = client.get(path, params=params)
    assert r.status_code == 400 and ("between 2000 and 2100" in r.text or "YYYY-MM-DD" in r.text)


def test_replay_failed_with_a_far_off_date_is_a_400(staff_client):
    client = staff_client("admin")
    r = client.post("/staff/deliveries/replay-failed", data={"from": "9999-12-31", "to": "9999-12-31"})
    assert r.status_code == 400


def test_a_trailing_slash_redirect_uses_the_public_url(client):
    r = client.get("/offices/?x=1", headers={"host": "evil.example"})
    assert r.status_code == 307 and r.headers["location"] == "http://testserver/offices?x=1"
    assert client.get("/no-such-page/").status_code == 404


def test_a_client_that_leaves_mid_body_is_not_an_error(app, caplog):
    """It was logged as an unhandled error, with two tracebacks."""
    messages = [
        {"type": "http.request", "body": b"name=Ada&email=", "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/request-info",
        "raw_path": b"/request-info",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/x-www-form-urlencoded")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }

    async def go() -> None:
        async with app.router.lifespan_context(app):
            await app(scope, receive, send)

    with caplog.at_level(logging.INFO):
        run_async(go)
    assert sent[0]["status"] == 400
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records if r.exc_info]
