"""The comment form: validation like every form, pending/approved/spam states, the author's own view, closing."""

from __future__ import annotations

from typing import Any

import pytest

from frontdesk.db import Database, tables
from support import db_rows, decide, run_async, token

OPEN = "/insights/measuring-website-help-pages"  # 2026-11-12: open until 2027-01-11
CLOSED = "/insights/why-hospitals-belong-on-social-media"  # 2026-06-10: closed on 2026-08-09
OVERRIDE = "/insights/patient-privacy-on-social-media"  # 2026-07-22 with 365 days: open until 2027-07-22


def comment(client, path: str = OPEN, *, headers=None, **overrides):
    data = {
        "_t": token(client, path),
        "name": "Ann Reader",
        "email": "ann@example.com",
        "website": "",
        "comment": "Very useful.\nThank you!",
        "fax": "",
    }
    data.update(overrides)
    return client.post(f"{path}/comments", data={k: v for k, v in data.items() if v is not None}, headers=headers)


def comments_rows(settings):
    return db_rows(settings.database_url, tables.comments)


def test_form_is_on_open_articles_only(client):
    html = client.get(OPEN).text
    assert "Leave a comment" in html and f'action="{OPEN}/comments"' in html
    for name in ["name", "email", "website", "comment"]:
        assert f'id="{name}"' in html and f'for="{name}"' in html, name
    assert 'name="_t"' in html and 'name="fax"' in html
    assert "No comments yet, be the first" in html
    closed = client.get(CLOSED).text
    assert "Leave a comment" not in closed and "Comments are closed" in closed
    assert "Leave a comment" in client.get(OVERRIDE).text  # the article's own 365 days


def test_new_comment_is_pending_and_shown_only_to_its_author(client, settings):
    r = comment(client)
    assert r.status_code == 303 and r.headers["location"] == f"{OPEN}/your-comments"
    assert "fd_vid=" in r.headers["set-cookie"] and "fd_pending=measuring-website-help-pages" in r.headers["set-cookie"]
    (row,) = comments_rows(settings)
    assert row.state == "pending" and row.email == "ann@example.com" and row.visitor
    (delivery,) = db_rows(settings.database_url, tables.deliveries)
    assert delivery.event_type == "comment.created" and delivery.state == "pending"
    mine = client.get(f"{OPEN}/your-comments")
    assert mine.status_code == 200 and mine.headers["cache-control"] == "private, no-store"
    assert "Awaiting moderation" in mine.text and "Very useful.<br>\nThank you!" in mine.text
    assert "noindex" in mine.text
    fragment = client.get(f"{OPEN}/your-comments/fragment")
    assert fragment.headers["cache-control"] == "private, no-store" and "Vary" in fragment.headers
    assert fragment.text.startswith('<li class="reader-comment reader-comment-pending"')
    # The article itself, as everyone gets it, does not show the pending comment, even to its author.
    article = client.get(OPEN).text
    assert "Very useful." not in article and "No comments yet, be the first" in article
    # Another browser sees none of it.
    client.cookies.clear()
    assert client.get(f"{OPEN}/your-comments/fragment").text == ""
    assert "no comments awaiting moderation" in client.get(f"{OPEN}/your-comments").text


def test_json_answer_carries_the_comment(client):
    r = comment(client, headers={"Accept": "application/json"})
    assert r.status_code == 200
    body = r.json()
    assert body["ok"] is True and body["state"] == "pending" and "awaiting moderation" in body["message"]
    assert "Awaiting moderation" in body["html"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "This field is required."),
        ("email", "not-an-email", "Enter an email address like name@example.com."),
        ("website", "javascript:alert(1)", "Enter a web address like https://example.com"),
        ("website", "ftp://files.example.com", "Enter a web address like https://example.com"),
        ("comment", "", "This field is required."),
        ("comment", "x" * 5001, "Keep this to 5,000 characters or fewer."),
        ("comment", "a https://1.example b www.2.example c http://3.example", "Include at most 2 links."),
    ],
)
def test_invalid_comment_is_422_with_errors_beside_fields_and_input_kept(client, settings, field, value, message):
    r = comment(client, **{"name": "Kept Name", field: value})
    assert r.status_code == 422 and r.headers["cache-control"] == "no-store"
    assert message in r.text
    assert f'id="{field}-error"' in r.text and 'aria-invalid="true"' in r.text
    if field != "name":
        assert 'value="Kept Name"' in r.text
    assert "Are your help pages working?" in r.text  # the article, re-rendered around the form
    assert comments_rows(settings) == []


def test_invalid_comment_json(client):
    r = comment(client, comment="", headers={"Accept": "application/json"})
    assert r.status_code == 422 and r.json() == {"ok": False, "errors": {"comment": "This field is required."}}


def test_two_links_and_a_bare_website_are_fine(client, settings):
    r = comment(client, comment="See https://one.example and www.two.example.", website="ann.example")
    assert r.status_code == 303
    (row,) = comments_rows(settings)
    assert row.website == "https://ann.example"


def test_returning_commenter_is_published_at_once(client, settings, database_url):
    comment(client)
    (first,) = comments_rows(settings)

    async def approve():
        db = Database(database_url)
        try:

            async def audit(conn, actor, action, target):
                await conn.execute(
                    tables.audit.insert().values(at=first.created_at, actor=actor, action=action, target=target)
                )

            await decide(db, first.id, "approve", actor="mod@example.com", now=first.created_at)
        finally:
            await db.dispose()

    run_async(approve)
    r = comment(client, email="ANN@example.com", comment="Me again.")  # the same browser, the same email
    second = next(row for row in comments_rows(settings) if row.id != first.id)
    assert second.state == "approved"
    assert r.status_code == 303 and r.headers["location"] == f"{OPEN}#comment-{second.id}"
    html = client.get(OPEN).text
    assert "2 comments, read them below or add one" in html and "Me again." in html


def test_a_claimed_email_alone_does_not_publish(client, settings, database_url):
    """Anyone can type an approved commenter's address: from another browser, the comment waits."""
    comment(client)
    (first,) = comments_rows(settings)
    run_async(lambda: _approve(database_url, first.id, first.created_at))
    client.cookies.clear()  # another browser, same email, any name
    r = comment(client, name="Not Ann", email="ann@example.com", comment="Pretending.")
    second = next(row for row in comments_rows(settings) if row.id != first.id)
    assert second.state == "pending" and r.headers["location"] == f"{OPEN}/your-comments"
    assert "Pretending." not in client.get(OPEN).text


def test_auto_approval_has_a_daily_limit(client, settings, database_url):
    comment(client)
    (first,) = comments_rows(settings)
    run_async(lambda: _approve(database_url, first.id, first.created_at))
    states = [comment(client, comment=f"Again {i}.").status_code for i in range(5)]
    assert states == [303] * 5
    later = sorted((r for r in comments_rows(settings) if r.id != first.id), key=lambda r: r.body)
    assert [r.state for r in later] == ["approved"] * 3 + ["pending"] * 2


async def _approve(database_url: str, comment_id: str, when: Any) -> None:
    db = Database(database_url)
    try:
        await decide(db, comment_id, "approve", actor="mod@example.com", now=when)
    finally:
        await db.dispose()


def test_honeypot_gets_the_same_answer_and_is_stored_as_spam(client, settings):
    r = comment(client, fax="http://spam.example")
    assert r.status_code == 303 and r.headers["location"] == f"{OPEN}/your-comments"
    (row,) = comments_rows(settings)
    assert row.state == "spam"
    (delivery,) = db_rows(settings.database_url, tables.deliveries)
    assert delivery.state == "held"
    assert "Very useful." not in client.get(OPEN).text


def test_time_trap_catches_a_form_sent_too_fast(make_settings, clock):
    from starlette.testclient import TestClient

    from frontdesk.app import create_app

    settings = make_settings(form_min_seconds=3)
    with TestClient(create_app(settings, clock=clock), follow_redirects=False) as c:
        assert comment(c).status_code == 303
        (row,) = comments_rows(settings)
        assert row.state == "spam"
        clock.advance(seconds=5)
        data_token = token(c, OPEN)
        clock.advance(seconds=5)
        assert comment(c, _t=data_token, email="bo@example.com").status_code == 303
        assert sorted(r.state for r in comments_rows(settings)) == ["pending", "spam"]


def test_closed_articles_refuse_comments(client, settings, clock):
    r = client.post(f"{CLOSED}/comments", data={"name": "A", "email": "a@example.com", "comment": "late"})
    assert r.status_code == 403 and "Comments are closed" in r.text
    r = client.post(f"{CLOSED}/comments", data={"comment": "late"}, headers={"Accept": "application/json"})
    assert r.status_code == 403 and r.json()["detail"] == "Comments are closed on this article."
    # The open article closes with time too.
    clock.advance(days=60)
    assert comment(client).status_code == 403
    assert "Comments are closed" in client.get(OPEN).text
    assert comments_rows(settings) == []


def test_unknown_article(client):
    assert client.post("/insights/nope/comments", data={"comment": "x"}).status_code == 404
    assert client.get("/insights/nope/your-comments").status_code == 404
    assert client.get("/insights/nope/your-comments/fragment").status_code == 404


def test_script_in_a_comment_shows_as_text_everywhere(client, settings):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)> https://ok.example/"><b>'
    comment(client, comment=evil, name="<b>Eve</b>", website="https://eve.example/?a=1&b=<2>")
    for path in [f"{OPEN}/your-comments", f"{OPEN}/your-comments/fragment"]:
        html = client.get(path).text
        # (the layout has pictures of its own now: the logo; the commenter's <img> must not be among them)
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>" not in html, path
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
        assert "&lt;b&gt;Eve&lt;/b&gt;" in html
    (row,) = comments_rows(settings)
    assert row.body == evil  # stored as sent: escaping happens when it is shown


def test_over_the_rate_limit_gets_429_with_the_input_kept(make_settings, clock):
    import uuid

    from starlette.testclient import TestClient

    from frontdesk.app import create_app

    settings = make_settings(rate_limits={"comment": "2/minute", "feedback": "30/minute"})
    app = create_app(settings, clock=clock)
    with TestClient(app, follow_redirects=False) as c:
        app.state.services.limiter.namespace = uuid.uuid4().hex
        for i in range(2):
            assert comment(c, email=f"r{i}@example.com").status_code == 303
        r = comment(c, name="Kept Name", comment="Kept words.")
        assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 60
        assert r.headers["cache-control"] == "no-store"
        assert "Please wait about" in r.text and 'value="Kept Name"' in r.text and "Kept words." in r.text
        assert f'action="{OPEN}/comments"' in r.text
        j = comment(c, headers={"Accept": "application/json"})
        assert j.status_code == 429 and j.json()["ok"] is False
        assert len(comments_rows(settings)) == 2  # refused ones are not stored


def test_turnstile_guards_the_comment_form_when_configured(make_settings, clock):
    from starlette.testclient import TestClient

    from frontdesk.app import create_app
    from support import TURNSTILE_SECRET as SECRET
    from support import TURNSTILE_SITEKEY as SITEKEY
    from support import FakeSiteverify

    with FakeSiteverify() as siteverify:
        settings = make_settings(
            turnstile_sitekey=SITEKEY, turnstile_secret=SECRET, turnstile_verify_url=siteverify.url
        )
        with TestClient(create_app(settings, clock=clock), follow_redirects=False) as c:
            page = c.get(OPEN)
            assert f'data-sitekey="{SITEKEY}"' in page.text
            assert "https://challenges.cloudflare.com" in page.headers["content-security-policy"]
            assert comment(c, **{"cf-turnstile-response": "good-token"}).status_code == 303
            assert comment(c, **{"cf-turnstile-response": "bad-token"}).status_code == 303  # the same answer
            assert sorted(r.state for r in comments_rows(settings)) == ["pending", "spam"]
