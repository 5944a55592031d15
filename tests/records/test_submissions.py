"""submissions.accept and feedback.record_vote: one transaction, exact counters."""

from __future__ import annotations

import contextlib
import datetime as dt

import sqlalchemy as sa

from frontdesk.db import Database, tables
from frontdesk.records import submissions
from frontdesk.records import votes as feedback
from support import run, write

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def test_accept_writes_submission_and_pending_delivery(database_url):
    async def go():
        db = Database(database_url)
        try:
            got = await submissions.accept(db, kind="lead", data={"name": "Ada"}, email="Ada@Example.com", now=NOW)
            async with db.read() as conn:
                sub = (await conn.execute(sa.select(tables.submissions))).one()
                dlv = (await conn.execute(sa.select(tables.deliveries))).one()
            assert sub.id == got.submission_id and sub.email == "ada@example.com" and not sub.spam
            assert dlv.id == got.delivery_id and dlv.id.startswith("msg_")
            assert dlv.state == "pending" and dlv.event_type == "lead.created"
            assert dlv.payload["type"] == "lead.created" and dlv.payload["data"]["name"] == "Ada"
            assert dlv.payload["timestamp"].endswith("Z")
        finally:
            await db.dispose()

    run(go())


def test_spam_is_held_then_released(database_url):
    async def go():
        db = Database(database_url)
        try:
            got = await submissions.accept(db, kind="lead", data={}, now=NOW, spam_reason="honeypot")
            async with db.read() as conn:
                assert (await conn.execute(sa.select(tables.deliveries.c.state))).scalar() == "held"
            assert await write(db, submissions.release_spam, got.submission_id, now=NOW)
            assert not await write(db, submissions.release_spam, got.submission_id, now=NOW)
            async with db.read() as conn:
                assert (await conn.execute(sa.select(tables.deliveries.c.state))).scalar() == "pending"
        finally:
            await db.dispose()

    run(go())


def test_failed_extra_rolls_back_everything(database_url):
    async def boom(conn, sid):
        raise RuntimeError("boom")

    async def go():
        db = Database(database_url)
        try:
            with contextlib.suppress(RuntimeError):
                await submissions.accept(db, kind="lead", data={}, now=NOW, extra=boom)
            async with db.read() as conn:
                assert (await conn.execute(sa.select(sa.func.count()).select_from(tables.submissions))).scalar() == 0
                assert (await conn.execute(sa.select(sa.func.count()).select_from(tables.deliveries))).scalar() == 0
        finally:
            await db.dispose()

    run(go())


def test_replacing_a_vote_moves_the_counters(database_url):
    async def go():
        db = Database(database_url)
        try:
            async with db.write() as conn:
                r = await feedback.record_vote(
                    conn, page="/", visitor="v1", helpful=True, reason=None, comment=None, now=NOW
                )
                assert not r.replaced
                await feedback.record_vote(
                    conn, page="/", visitor="v2", helpful=True, reason=None, comment=None, now=NOW
                )
            later = NOW + dt.timedelta(days=1)
            async with db.write() as conn:
                r = await feedback.record_vote(
                    conn, page="/", visitor="v1", helpful=False, reason="missing", comment="x", now=later
                )
                assert r.replaced and r.previous_helpful is True
            async with db.read() as conn:
                days = {(row.day, row.yes, row.no) for row in await conn.execute(sa.select(tables.vote_days))}
                votes = (await conn.execute(sa.select(sa.func.count()).select_from(tables.votes))).scalar()
            assert days == {(NOW.date(), 1, 0), (later.date(), 0, 1)}
            assert votes == 2
        finally:
            await db.dispose()

    run(go())


def test_group_commit_isolates_a_failing_job(database_url):
    """Many concurrent accepts share commits; one bad job fails alone and leaves no rows."""
    import asyncio

    from frontdesk.db import Inserts

    async def boom(conn, sid):
        raise RuntimeError("boom")

    async def go():
        db = Database(database_url)
        try:
            good = [submissions.accept(db, kind="lead", data={"n": i}, now=NOW) for i in range(40)]
            bad = submissions.accept(db, kind="lead", data={}, now=NOW, extra=boom)
            first = await submissions.accept(db, kind="lead", data={}, now=NOW)
            async with db.read() as conn:
                row = (
                    await conn.execute(
                        sa.select(tables.submissions).where(tables.submissions.c.id == first.submission_id)
                    )
                ).one()
            duplicate = db.transact(Inserts(((tables.submissions, dict(row._mapping)),)))  # same primary key
            results = await asyncio.gather(*good, bad, duplicate, return_exceptions=True)
            errors = [r for r in results if isinstance(r, BaseException)]
            assert len(errors) == 2
            async with db.read() as conn:
                assert (await conn.execute(sa.select(sa.func.count()).select_from(tables.submissions))).scalar() == 41
                assert (await conn.execute(sa.select(sa.func.count()).select_from(tables.deliveries))).scalar() == 41
        finally:
            await db.dispose()

    run(go())


def test_synchronous_jobs_share_the_group_commit_and_fail_alone(database_url):
    """write_sync (the outbox's bookkeeping) joins the writer's batch; its error leaves the others' rows."""
    import asyncio

    def count(conn):
        return conn.execute(sa.select(sa.func.count()).select_from(tables.submissions)).scalar()

    def bad(conn):
        conn.execute(tables.submissions.update().values(kind="gone"))
        raise RuntimeError("boom")

    async def go():
        db = Database(database_url)
        try:
            jobs = [submissions.accept(db, kind="lead", data={"n": i}, now=NOW) for i in range(20)]
            results = await asyncio.gather(*jobs, db.write_sync(bad), db.write_sync(count), return_exceptions=True)
            assert isinstance(results[20], RuntimeError)  # its delete rolled back to its savepoint
            assert isinstance(results[21], int)
            assert await db.write_sync(count) == 20
            async with db.read() as conn:
                kinds = {k for (k,) in await conn.execute(sa.select(tables.submissions.c.kind))}
            assert kinds == {"lead"}
        finally:
            await db.dispose()

    run(go())
