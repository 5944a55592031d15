"""Personal data: `frontdesk purge` (retention) and `frontdesk erase EMAIL` (requests), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from frontdesk import cli
from frontdesk.cli.privacy import erase, purge
from frontdesk.db import Database, tables
from frontdesk.records import submissions
from frontdesk.records import votes as feedback
from frontdesk.records.privacy import email_fingerprint, parse_duration
from support import TEST_SECRET, run

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
OLD = NOW - dt.timedelta(days=200)
RECENT = NOW - dt.timedelta(days=10)


async def add(
    db,
    uploads_dir,
    *,
    kind="lead",
    email="ada@example.com",
    when=OLD,
    state="delivered",
    spam=None,
    upload=False,
    comment=False,
    vote_comment=None,
):
    """One submission with whatever hangs off it; returns its id."""

    async def extra(conn, sid):
        if upload:
            name = f"{uuid.uuid4().hex}.pdf"
            uploads_dir.mkdir(parents=True, exist_ok=True)
            (uploads_dir / name).write_bytes(b"%PDF-1.7 resume of Ada")
            await conn.execute(
                tables.uploads.insert().values(
                    id=str(uuid.uuid4()),
                    submission_id=sid,
                    stored_name=name,
                    original_name="Ada_Lovelace_CV.pdf",
                    mime="application/pdf",
                    size=22,
                    sha256="ab" * 32,
                    created_at=when,
                )
            )
        if comment:
            await conn.execute(
                tables.comments.insert().values(
                    id=str(uuid.uuid4()),
                    submission_id=sid,
                    post="p",
                    name="Ada Lovelace",
                    email=email.upper(),
                    website="https://ada.example",
                    body="Lovely post, Ada here",
                    state="approved",
                    created_at=when,
                )
            )
        if vote_comment is not None:
            await feedback.record_vote(
                conn,
                page="/careers",
                visitor=uuid.uuid4().hex,
                helpful=False,
                reason="other",
                comment=vote_comment,
                now=when,
                submission_id=sid,
            )
        return None

    got = await submissions.accept(
        db,
        kind=kind,
        data={"name": "Ada Lovelace", "email": email, "message": "Call me on 555-0100"},
        email=None if comment else email,
        now=when,
        consent={"text": "I agree", "version": "1"},
        attribution={"utm_source": "x"},
        spam_reason=spam,
        extra=extra,
    )
    async with db.write() as conn:
        await conn.execute(
            tables.deliveries.update()
            .where(tables.deliveries.c.id == got.delivery_id)
            .values(state=state if not spam else "held")
        )
    return got.submission_id


async def row(db, table, **where):
    async with db.read() as conn:
        query = sa.select(table)
        for k, v in where.items():
            query = query.where(getattr(table.c, k) == v)
        return (await conn.execute(query)).first()


async def count(db, table):
    async with db.read() as conn:
        return (await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one()


def test_parse_duration():
    assert parse_duration("180d") == dt.timedelta(days=180)
    assert parse_duration("12h") == dt.timedelta(hours=12)
    assert parse_duration("2w") == dt.timedelta(days=14)
    assert parse_duration("30") == dt.timedelta(days=30)
    for bad in ("", "d", "-1d", "1y", "1.5d"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_purge_erases_old_delivered_and_keeps_the_rest(database_url, tmp_path):
    uploads = tmp_path / "uploads"

    async def go():
        db = Database(database_url)
        try:
            old = await add(db, uploads, kind="application", upload=True)
            old_vote = await add(db, uploads, kind="feedback", vote_comment="Ada says hi")
            old_comment = await add(db, uploads, kind="comment", comment=True)
            pending = await add(db, uploads, state="pending")
            failed = await add(db, uploads, state="failed")
            recent = await add(db, uploads, when=RECENT)
            old_spam = await add(db, uploads, when=NOW - dt.timedelta(days=31), spam="honeypot", upload=True)
            new_spam = await add(db, uploads, when=NOW - dt.timedelta(days=29), spam="honeypot")
            vote_days_before = (await count(db, tables.vote_days), await row(db, tables.vote_days))

            dry = await purge(
                db,
                now=NOW,
                older_than=dt.timedelta(days=180),
                spam_older_than=dt.timedelta(days=30),
                uploads_dir=uploads,
                dry_run=True,
            )
            assert (dry.submissions, dry.spam_deleted) == (3, 1)
            assert (await row(db, tables.submissions, id=old)).erased_at is None  # a dry run changes nothing

            got = await purge(
                db,
                now=NOW,
                older_than=dt.timedelta(days=180),
                spam_older_than=dt.timedelta(days=30),
                uploads_dir=uploads,
            )
            assert got.submissions == 3 and got.spam_deleted == 1 and got.upload_files == 2
            assert got.vote_comments == 1 and got.comments == 1

            for sid in (old, old_vote, old_comment):
                sub = await row(db, tables.submissions, id=sid)
                assert sub.data == {} and sub.email is None and sub.consent is None and sub.attribution is None
                assert sub.erased_at is not None and sub.kind and sub.created_at
                dlv = await row(db, tables.deliveries, submission_id=sid)
                assert dlv.state == "delivered"
                assert dlv.payload["data"] == {"id": sid, "kind": sub.kind, "erased": True}
                assert "Ada" not in str(dlv.payload)
            up = await row(db, tables.uploads, submission_id=old)
            assert up.erased_at is not None and up.original_name is None and up.sha256 == ""
            assert list(uploads.iterdir()) == []  # both files gone: the application's and the spam's
            vote = await row(db, tables.votes, submission_id=old_vote)
            assert vote.comment is None and vote.helpful is False and vote.reason == "other"
            assert (await count(db, tables.vote_days), await row(db, tables.vote_days)) == vote_days_before
            com = await row(db, tables.comments, submission_id=old_comment)
            assert (com.name, com.email, com.body, com.website, com.state) == ("", "", "", None, "deleted")

            for sid in (pending, failed, recent):  # not delivered yet, or not old: untouched
                sub = await row(db, tables.submissions, id=sid)
                assert sub.erased_at is None and sub.data["name"] == "Ada Lovelace"
            assert await row(db, tables.submissions, id=old_spam) is None
            assert await row(db, tables.deliveries, submission_id=old_spam) is None
            assert await row(db, tables.uploads, submission_id=old_spam) is None
            assert (await row(db, tables.submissions, id=new_spam)).data["name"] == "Ada Lovelace"
            # Anonymous counts survive: submissions by kind.
            assert await count(db, tables.submissions) == 7

            again = await purge(
                db,
                now=NOW,
                older_than=dt.timedelta(days=180),
                spam_older_than=dt.timedelta(days=30),
                uploads_dir=uploads,
            )
            assert again.submissions == 0 and again.spam_deleted == 0
        finally:
            await db.dispose()

    run(go())


def test_erase_removes_one_person_everywhere(database_url, tmp_path):
    uploads = tmp_path / "uploads"

    async def go():
        db = Database(database_url)
        try:
            delivered = await add(db, uploads, kind="application", upload=True, email="Ada@Example.com")
            pending = await add(db, uploads, when=RECENT, state="pending", email="ada@example.com")
            spam = await add(db, uploads, when=RECENT, spam="time-trap", email="ada@example.com")
            comment = await add(db, uploads, kind="comment", comment=True, when=RECENT, email="ada@example.com")
            voted = await add(db, uploads, kind="feedback", vote_comment="from Ada", email="ada@example.com")
            other = await add(db, uploads, upload=True, email="grace@example.com")

            counts, audit_id = await erase(
                db, "  ADA@example.com ", now=NOW, uploads_dir=uploads, secret_key=TEST_SECRET
            )
            assert counts.submissions == 5 and counts.deliveries == 5 and counts.upload_files == 1
            assert counts.comments == 1 and counts.vote_comments == 1
            for sid in (delivered, pending, spam, comment, voted):
                sub = await row(db, tables.submissions, id=sid)
                assert sub.erased_at is not None and sub.data == {} and sub.email is None
                assert "Ada" not in str((await row(db, tables.deliveries, submission_id=sid)).payload)
            dlv = await row(db, tables.deliveries, submission_id=pending)
            assert dlv.state == "cancelled" and "erased" in dlv.last_error  # never sent after the request
            assert (await row(db, tables.deliveries, submission_id=delivered)).state == "delivered"
            sub = await row(db, tables.submissions, id=other)
            assert sub.erased_at is None and sub.email == "grace@example.com"
            assert len(list(uploads.iterdir())) == 1  # Grace's file stays
            entry = await row(db, tables.audit, id=audit_id)
            assert entry.actor == "cli" and entry.action == "erase"
            assert entry.target == email_fingerprint("ada@example.com", TEST_SECRET)
            assert "ada" not in (entry.target + entry.detail).lower()

            again, second = await erase(db, "ada@example.com", now=NOW, uploads_dir=uploads, secret_key=TEST_SECRET)
            assert again.submissions == 0 and second != audit_id  # each request is audited, even a repeat
        finally:
            await db.dispose()

    run(go())


@pytest.fixture
def cli_env(monkeypatch, tmp_path, database_url):
    for name, value in {
        "FRONTDESK_DATABASE_URL": database_url,
        "FRONTDESK_DATA_DIR": str(tmp_path / "data"),
        "FRONTDESK_SECRET_KEY": TEST_SECRET,
        "FRONTDESK_RETENTION_DAYS": "180",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no stray .env
    return tmp_path / "data" / "uploads"


def frontdesk(*args: str) -> int:
    """`frontdesk ARGS` in-process, on a worker thread (the CLI calls asyncio.run; see support.run_async)."""
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(cli.main, list(args)).result()


def test_cli_purge_and_erase_print_counts_only(cli_env, database_url, capsys):
    async def seed():
        db = Database(database_url)
        try:
            await add(db, cli_env, upload=True, when=dt.datetime.now(dt.UTC) - dt.timedelta(days=200))
            await add(db, cli_env, email="grace@example.com", when=dt.datetime.now(dt.UTC) - dt.timedelta(days=5))
        finally:
            await db.dispose()

    run(seed())
    assert frontdesk("purge", "--dry-run") == 0
    assert "would erase 1 delivered" in capsys.readouterr().out
    assert frontdesk("purge", "--older-than", "180d") == 0
    out = capsys.readouterr().out
    assert "1 submissions" in out and "1 upload files" in out
    assert frontdesk("erase", "Grace@Example.com") == 0
    out = capsys.readouterr().out
    assert "erased: 1 submissions" in out and "audit entry" in out
    assert "grace" not in out.lower() and "ada" not in out.lower()
    assert frontdesk("purge", "--older-than", "soon") == 2
    assert "not a duration" in capsys.readouterr().err
    assert frontdesk("erase", "not-an-address") == 2


def test_purge_removes_resumes_held_past_their_hour_for_applications_nobody_finished(cli_env, capsys):
    import os
    import time

    held = cli_env.parent / "held"
    held.mkdir(parents=True)
    old, fresh = held / "abandoned", held / "being-corrected"
    old.write_bytes(b"%PDF-1.7 a resume")
    fresh.write_bytes(b"%PDF-1.7 another")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    assert frontdesk("purge") == 0
    assert "1 held resumes" in capsys.readouterr().out
    assert not old.exists() and fresh.exists()
