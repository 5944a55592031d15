"""/staff/comments: admins see comments by state and approve, mark as spam or delete them, with audit entries."""

from __future__ import annotations

import re

import sqlalchemy as sa

from frontdesk.db import tables
from support import in_app

ARTICLE = "/insights/measuring-website-help-pages"


def post_comment(client, *, name="Ann Reader", email="ann@example.com", body="Very useful, thanks.", **extra):
    token = re.search(r'name="_t" value="([^"]+)"', client.get(ARTICLE).text).group(1)
    data = {"_t": token, "name": name, "email": email, "comment": body, "fax": "", **extra}
    response = client.post(f"{ARTICLE}/comments", data=data)
    assert response.status_code == 303, response.text
    return response


def fetch(client, query):
    async def go(app):
        async with app.state.services.db.read() as conn:
            return list(await conn.execute(query))

    return in_app(client, go)


def only_comment(client):
    (row,) = fetch(client, sa.select(tables.comments))
    return row


def test_pending_comments_are_listed_with_email_and_approving_publishes(staff_client):
    client = staff_client("admin")
    post_comment(client, body="<script>alert(1)</script> see https://ok.example")
    row = only_comment(client)
    page = client.get("/staff/comments")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    html = page.text
    assert "Pending (1)" in html and "ann@example.com" in html and "Are your help pages working?" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert 'href="https://ok.example" rel="nofollow ugc"' in html
    assert "see https://ok.example" not in client.get(ARTICLE).text

    r = client.post(f"/staff/comments/{row.id}/approve?state=pending")
    assert r.status_code == 303 and r.headers["location"] == "/staff/comments?state=pending&notice=approve"
    assert "Approved: the comment is on the article." in client.get(r.headers["location"]).text
    assert only_comment(client).state == "approved" and only_comment(client).moderated_by == "admin@staff.example"
    article = client.get(ARTICLE).text
    assert "1 comment, read it below or add one" in article
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in article and "<script>alert(1)" not in article
    assert "ann@example.com" not in article  # the email is never shown on the site
    (entry,) = fetch(client, sa.select(tables.audit).where(tables.audit.c.action == "comment.approve"))
    assert entry.actor == "admin@staff.example" and entry.target == row.id
    assert "Approved a comment" in client.get("/staff/audit").text


def test_spam_and_delete_hide_an_approved_comment(staff_client):
    client = staff_client("admin")
    post_comment(client)
    row = only_comment(client)
    client.post(f"/staff/comments/{row.id}/approve")
    assert "Very useful, thanks." in client.get(ARTICLE).text
    client.post(f"/staff/comments/{row.id}/spam")
    assert only_comment(client).state == "spam"
    assert "Very useful, thanks." not in client.get(ARTICLE).text
    assert "Spam (1)" in client.get("/staff/comments?state=spam").text
    client.post(f"/staff/comments/{row.id}/delete")
    assert only_comment(client).state == "deleted"
    assert "Very useful, thanks." in client.get("/staff/comments?state=deleted").text
    actions = [e.action for e in fetch(client, sa.select(tables.audit.c.action).where(tables.audit.c.target == row.id))]
    assert sorted(actions) == ["comment.approve", "comment.delete", "comment.spam"]


def test_returning_commenter_is_flagged_and_published_without_waiting(staff_client):
    client = staff_client("admin")
    post_comment(client, body="First comment.")
    first = only_comment(client)
    client.post(f"/staff/comments/{first.id}/approve")
    post_comment(client, body="Second comment.")
    rows = fetch(client, sa.select(tables.comments).where(tables.comments.c.id != first.id))
    assert rows[0].state == "approved"
    assert "2 comments, read them below or add one" in client.get(ARTICLE).text
    assert "No pending comments." in client.get("/staff/comments").text


def test_approving_a_comment_caught_as_spam_releases_its_event(staff_client):
    client = staff_client("admin")
    post_comment(client, fax="bot was here")
    row = only_comment(client)
    assert row.state == "spam"
    assert fetch(client, sa.select(tables.deliveries.c.state))[0].state == "held"
    client.post(f"/staff/comments/{row.id}/approve?state=spam")
    assert fetch(client, sa.select(tables.deliveries.c.state))[0].state == "pending"
    assert "Very useful, thanks." in client.get(ARTICLE).text


def test_unknown_comment_or_action(staff_client):
    client = staff_client("admin")
    assert client.post("/staff/comments/nope/approve").status_code == 404
    post_comment(client)
    row = only_comment(client)
    assert client.post(f"/staff/comments/{row.id}/publish").status_code == 404
    assert client.get("/staff/comments?state=weird").status_code == 400
    assert only_comment(client).state == "pending"


def test_viewers_cannot_moderate(staff_client):
    client = staff_client("admin")
    post_comment(client)
    row = only_comment(client)
    viewer = staff_client("viewer")
    assert viewer.get("/staff/comments").status_code == 403
    assert viewer.post(f"/staff/comments/{row.id}/approve").status_code == 403
    assert only_comment(client).state == "pending"


def test_an_erased_comment_cannot_be_approved_or_shown(staff_client, settings):
    """It could: an approved erased comment showed on the article as a blank one."""
    import datetime as dt

    from frontdesk.cli.privacy import erase

    client = staff_client("admin")
    post_comment(client, body="Please forget me.")
    row = only_comment(client)

    async def forget(app):
        services = app.state.services
        await erase(
            services.db,
            "ann@example.com",
            now=dt.datetime.now(dt.UTC),
            uploads_dir=settings.uploads_dir,
            secret_key=settings.secret_key,
        )

    in_app(client, forget)
    assert only_comment(client).state == "deleted" and only_comment(client).body == ""
    r = client.post(f"/staff/comments/{row.id}/approve?state=deleted")
    assert r.status_code == 409 and "erased" in r.text
    assert only_comment(client).state == "deleted"

    # Even a row made approved behind the moderation's back is never shown empty.
    async def force(app):
        async with app.state.services.db.write() as conn:
            await conn.execute(tables.comments.update().values(state="approved"))

    in_app(client, force)
    article = client.get(ARTICLE).text
    assert "No comments yet" in article and f'id="comment-{row.id}"' not in article
