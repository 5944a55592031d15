"""Comment storage and moderation on real SQLite and PostgreSQL: first states, the outbox event, staff decisions."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from frontdesk.db import Database, tables
from frontdesk.records import moderation
from support import decide, run_async

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
POST = "measuring-website-help-pages"


def new(
    email: str = "ada@example.com", *, visitor: str | None = "v" * 32, body: str = "Useful, thanks."
) -> moderation.NewComment:
    return moderation.NewComment(
        post=POST,
        post_title="Are your help pages working?",
        url=f"http://testserver/insights/{POST}",
        name="Ada",
        email=email,
        website="",
        body=body,
        visitor=visitor,
    )


async def audit_row(conn, actor: str, action: str, target: str) -> None:
    await conn.execute(tables.audit.insert().values(at=NOW, actor=actor, action=action, target=target))


def run(database_url: str, scenario) -> None:
    async def go() -> None:
        db = Database(database_url)
        try:
            await scenario(db)
        finally:
            await db.dispose()

    run_async(go)


async def _state(db: Database, comment_id: str) -> str:
    async with db.read() as conn:
        return (
            await conn.execute(sa.select(tables.comments.c.state).where(tables.comments.c.id == comment_id))
        ).scalar()


def test_new_comment_is_pending_and_its_event_goes_through_the_outbox(database_url):
    async def scenario(db: Database) -> None:
        stored = await moderation.store(db, new("Ada@Example.com"), now=NOW, spam_reason=None)
        assert stored.state == "pending"
        async with db.read() as conn:
            row = (await conn.execute(sa.select(tables.comments))).one()
            delivery = (await conn.execute(sa.select(tables.deliveries))).one()
            sub = (await conn.execute(sa.select(tables.submissions))).one()
        assert row.email == "ada@example.com" and row.submission_id == stored.submission_id == sub.id
        assert sub.kind == "comment" and not sub.spam
        assert delivery.event_type == "comment.created" and delivery.state == "pending"
        data = delivery.payload["data"]
        assert data["post"] == POST and data["comment"] == "Useful, thanks." and data["state"] == "pending"
        assert data["comment_id"] == stored.comment_id and data["url"].endswith(POST)

    run(database_url, scenario)


def test_returning_commenter_is_approved_at_once(database_url):
    async def scenario(db: Database) -> None:
        first = await moderation.store(db, new(), now=NOW, spam_reason=None)
        # Still pending: a second comment from the same email waits too.
        assert (await moderation.store(db, new(), now=NOW, spam_reason=None)).state == "pending"
        await decide(db, first.comment_id, "approve", actor="mod@example.com", now=NOW)
        again = await moderation.store(db, new("ADA@example.com"), now=NOW, spam_reason=None)
        assert again.state == "approved"
        other = await moderation.store(db, new("bob@example.com"), now=NOW, spam_reason=None)
        assert other.state == "pending"
        async with db.read() as conn:
            rows = await moderation.queue(conn, state="pending", limit=10, offset=0)
            assert {r.email: r.is_returning for r in rows} == {"ada@example.com": True, "bob@example.com": False}
            assert (await moderation.counts(conn)) == {"pending": 2, "approved": 2, "spam": 0, "deleted": 0}

    run(database_url, scenario)


def test_spam_is_stored_with_its_event_held_and_approving_releases_it(database_url):
    async def scenario(db: Database) -> None:
        stored = await moderation.store(db, new(), now=NOW, spam_reason="honeypot")
        assert stored.state == "spam"
        async with db.read() as conn:
            assert (await conn.execute(sa.select(tables.deliveries.c.state))).scalar() == "held"
        decision = await decide(db, stored.comment_id, "approve", actor="mod@x.example", now=NOW)
        assert decision == moderation.Decision(stored.comment_id, POST, "spam", "approved")
        async with db.read() as conn:
            assert (await conn.execute(sa.select(tables.deliveries.c.state))).scalar() == "pending"
            assert (await conn.execute(sa.select(tables.submissions.c.spam))).scalar() is False

    run(database_url, scenario)


def test_a_spam_email_never_counts_as_returning(database_url):
    async def scenario(db: Database) -> None:
        spam = await moderation.store(db, new(), now=NOW, spam_reason=None)
        await decide(db, spam.comment_id, "spam", actor="mod@x.example", now=NOW)
        assert (await moderation.store(db, new(), now=NOW, spam_reason=None)).state == "pending"

    run(database_url, scenario)


def test_decisions_are_stamped_and_audited(database_url):
    async def scenario(db: Database) -> None:
        stored = await moderation.store(db, new(), now=NOW, spam_reason=None)
        for action, state in [("approve", "approved"), ("spam", "spam"), ("delete", "deleted")]:
            decision = await decide(db, stored.comment_id, action, actor="mod@x.example", now=NOW)
            assert decision.after == state and await _state(db, stored.comment_id) == state
        async with db.read() as conn:
            row = (await conn.execute(sa.select(tables.comments))).one()
            entries = [
                (a.action, a.target) for a in await conn.execute(sa.select(tables.audit).order_by(tables.audit.c.id))
            ]
        assert row.moderated_by == "mod@x.example" and row.moderated_at is not None
        assert entries == [(f"comment.{a}", stored.comment_id) for a in ("approve", "spam", "delete")]
        assert await decide(db, "no-such-id", "approve", actor="m", now=NOW) is None

    run(database_url, scenario)


def test_the_author_sees_their_pending_and_caught_comments_only(database_url):
    async def scenario(db: Database) -> None:
        mine = await moderation.store(db, new(visitor="a" * 32, body="mine"), now=NOW, spam_reason=None)
        later = NOW + dt.timedelta(minutes=1)
        await moderation.store(db, new(visitor="a" * 32, body="caught"), now=later, spam_reason="time-trap")
        await moderation.store(db, new("bob@example.com", visitor="b" * 32, body="theirs"), now=NOW, spam_reason=None)
        async with db.read() as conn:
            shown = await moderation.for_visitor(conn, POST, "a" * 32)
            assert [str(s.html) for s in shown] == ["<p>mine</p>", "<p>caught</p>"] and all(s.pending for s in shown)
            assert await moderation.for_visitor(conn, "another-post", "a" * 32) == []
        await decide(db, mine.comment_id, "approve", actor="m", now=NOW)
        async with db.read() as conn:
            assert [str(s.html) for s in await moderation.for_visitor(conn, POST, "a" * 32)] == ["<p>caught</p>"]

    run(database_url, scenario)
