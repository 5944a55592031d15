"""Endpoints apart: one that hangs or fails does not delay another; poison is dead-lettered; errors are kept.

Two real receivers on 127.0.0.1, each with its own secret, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import sqlalchemy as sa

from frontdesk.clock import utcnow
from frontdesk.db import Database, tables
from frontdesk.delivery.outbox import CRASHED, Outbox
from frontdesk.records import deliveries, endpoints
from frontdesk.settings import Settings
from receiver import Receiver
from support import FakeClock, accept_lead, read, run

d = tables.deliveries


@pytest.fixture
def other() -> Any:
    r = Receiver().start()
    try:
        yield r
    finally:
        r.release()
        r.stop()


@contextlib.asynccontextmanager
async def worker_for(settings: Settings, **kwargs: Any) -> AsyncIterator[Outbox]:
    db = Database(settings.database_url)
    worker = Outbox(db, settings, concurrency=4, **kwargs)
    try:
        yield worker
    finally:
        await worker.stop(grace=0.2)
        await db.dispose()


async def add(db: Database, name: str, url: str, secret: str, events: tuple[str, ...] = ("*",)) -> str:
    async with db.write() as conn:
        return await endpoints.add(
            conn, name=name, url=url, secret=secret, events=events, rate_limit=None, now=utcnow()
        )


@pytest.mark.parametrize("trouble", ["hang", "fail"])
def test_a_troubled_endpoint_does_not_delay_the_other(make_settings, receiver, other, trouble):
    """The healthy endpoint's deliveries take at most a second longer while the other hangs or fails.

    The baseline is the same round with both endpoints healthy, measured first in the same test: on a busy
    machine the accepts and deliveries themselves take time, and only the delay matters.
    """
    settings = make_settings(retry_schedule=(0, 0.1, 0.1, 0.1), worker_poll_seconds=0.05, webhook_timeout=3.0)
    slow, healthy = receiver, other

    async def go() -> None:
        async with worker_for(settings) as worker:
            await add(worker.db, "slow", slow.url, slow.secret)
            await add(worker.db, "healthy", healthy.url, healthy.secret)
            worker.start()

            async def one_round() -> float:
                started = time.monotonic()
                accepted = [await accept_lead(worker.db) for _ in range(12)]
                mine = {i for a in accepted for i in a.delivery_ids}
                assert len(mine) == 24  # each lead goes to both endpoints
                await until(lambda: len(mine & set(healthy.messages)) == 12, within=10)
                return time.monotonic() - started

            baseline = min([await one_round() for _ in range(2)])
            slow.mode = trouble
            for _round in range(3):  # while the slow one's lanes hang (or its breaker opens), again and again
                took = await one_round()
                assert took - baseline < 1.0, f"the healthy endpoint waited {took:.2f} s (healthy: {baseline:.2f} s)"
                await asyncio.sleep(0.3)
            assert healthy.rejected == 0 and slow.rejected == 0

    run(go())


async def until(predicate: Callable[[], Any], within: float) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def test_a_message_that_kills_its_worker_is_dead_lettered(make_settings, receiver):
    """Each claim is an attempt: a worker that dies mid-POST three times uses up a three-attempt schedule."""
    settings = make_settings(
        crm_webhook_url=receiver.url, crm_webhook_secret=receiver.secret, retry_schedule=(0, 0), lease_seconds=5
    )
    clock = FakeClock()

    async def go() -> None:
        async with worker_for(settings, clock=clock) as worker:
            delivery = (await accept_lead(worker.db, now=clock())).delivery_id
            for _crash in range(3):
                assert [c.id for c in await worker.claim(10)] == [delivery]  # claimed, then the worker "dies"
                clock.advance(seconds=6)  # its lease runs out
            assert await worker.claim(10) == []
            row = await read(worker.db, deliveries.get, delivery)
        assert row.state == "failed" and row.last_error == CRASHED and row.attempts == 3
        assert not receiver.requests

    run(go())


def test_a_crashed_last_attempt_is_never_posted_again_while_it_waits_for_the_sweep(make_settings, receiver):
    """The sweep that dead-letters it runs now and then, not before every claim; the claim skips it meanwhile."""
    settings = make_settings(
        crm_webhook_url=receiver.url, crm_webhook_secret=receiver.secret, retry_schedule=(), lease_seconds=5
    )
    clock = FakeClock()

    async def go() -> None:
        async with worker_for(settings, clock=clock) as worker:
            delivery = (await accept_lead(worker.db, now=clock())).delivery_id
            assert [c.id for c in await worker.claim(10)] == [delivery]  # its only attempt; the worker "dies"
            clock.advance(seconds=6)  # the lease ran out
            worker._next_sweep = clock() + dt.timedelta(minutes=1)  # the sweep is not due yet
            assert await worker.claim(10) == []  # not posted a second time
            assert (await read(worker.db, deliveries.get, delivery)).state == "pending"
            clock.advance(minutes=2)
            assert await worker.claim(10) == []
            row = await read(worker.db, deliveries.get, delivery)
        assert row.state == "failed" and row.last_error == CRASHED and row.attempts == 1
        assert not receiver.requests

    run(go())


def test_an_exception_while_posting_is_an_attempt_with_its_error(make_settings, caplog):
    settings = make_settings(retry_schedule=(10,), worker_poll_seconds=0.05, webhook_timeout=1.0)
    secret = endpoints.new_secret()

    async def go() -> list[Any]:
        async with worker_for(settings) as worker:
            await add(worker.db, "bad", "http://127.0.0.1:9/x", secret)
            async with worker.db.write() as conn:  # a URL no check would let in, as if edited by hand
                await conn.execute(tables.endpoints.update().values(url="http://[::1/hook?token=s3cret"))
            delivery = (await accept_lead(worker.db)).delivery_id
            assert await worker.drain_once() == 1
            return await read(worker.db, deliveries.attempts, delivery)

    with caplog.at_level(logging.INFO):
        (attempt,) = run(go())
    assert attempt.status is None and attempt.outcome == "retry" and attempt.error
    assert "s3cret" not in attempt.error and "s3cret" not in caplog.text


def test_the_client_log_names_only_the_origin(make_settings, receiver, caplog):
    settings = make_settings(worker_poll_seconds=0.05)
    url = receiver.url + "?token=s3cret-in-the-query"

    async def go() -> None:
        async with worker_for(settings) as worker:
            await add(worker.db, "crm", url, receiver.secret)
            await accept_lead(worker.db)
            assert await worker.drain_once() == 1

    with caplog.at_level(logging.INFO, logger="httpx2"):
        run(go())
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx2"]
    assert lines and all("s3cret" not in line and "/hooks/crm" not in line for line in lines)
    assert f"127.0.0.1:{receiver.port}/…" in lines[0]


def test_erased_before_delivery_is_cancelled_not_failed(make_settings, tmp_path):
    from frontdesk.records import privacy

    settings = make_settings()

    async def go() -> Any:
        db = Database(settings.database_url)
        try:
            accepted = await accept_lead(db)
            async with db.write() as conn:
                await privacy.erase_batch(conn, "ada@example.com", now=utcnow(), uploads_dir=tmp_path)
            async with db.write() as conn:
                assert not await deliveries.replay(conn, accepted.delivery_id, now=utcnow())
            async with db.read() as conn:
                stats = await deliveries.stats(conn)
                return (await conn.execute(sa.select(d.c.state).where(d.c.id == accepted.delivery_id))).scalar(), stats
        finally:
            await db.dispose()

    state, stats = run(go())
    assert state == "cancelled" and stats.counts["failed"] == 0 and stats.counts["cancelled"] == 1


def test_an_accepted_lead_wakes_an_idle_worker(make_settings, receiver, database_url):
    """PostgreSQL: NOTIFY wakes the worker long before its poll; SQLite: the poll finds it."""
    on_pg = not database_url.startswith("sqlite")
    settings = make_settings(
        crm_webhook_url=receiver.url, crm_webhook_secret=receiver.secret, worker_poll_seconds=30 if on_pg else 0.3
    )

    async def go() -> float:
        async with worker_for(settings) as worker:
            worker.start()
            await asyncio.sleep(0.5)  # idle now, waiting out its poll
            started = time.monotonic()
            delivery = (await accept_lead(worker.db)).delivery_id
            await until(lambda: delivery in receiver.messages, within=10)
            return time.monotonic() - started

    assert run(go()) < 1.5


def test_delivered_deliveries_are_pruned_after_the_retention_and_failed_ones_kept(make_settings, receiver):
    settings = make_settings(
        crm_webhook_url=receiver.url, crm_webhook_secret=receiver.secret, delivery_retention_days=30
    )
    clock = FakeClock()

    async def go() -> None:
        async with worker_for(settings, clock=clock) as worker:
            old = (await accept_lead(worker.db, now=clock())).delivery_id
            dead = (await accept_lead(worker.db, now=clock())).delivery_id
            await worker.drain_once()
            async with worker.db.write() as conn:
                await conn.execute(d.update().where(d.c.id == dead).values(state="failed"))
            clock.advance(days=31)
            fresh = (await accept_lead(worker.db, now=clock())).delivery_id
            await worker.drain_once()
            pruned = await worker.prune()
            async with worker.db.read() as conn:
                left = set((await conn.execute(sa.select(d.c.id))).scalars())
                attempts = set((await conn.execute(sa.select(tables.delivery_attempts.c.delivery_id))).scalars())
        assert pruned == 1 and left == {dead, fresh}  # the failed one is never pruned
        assert old not in attempts and fresh in attempts

    run(go())


def test_rate_limit_and_breaker_live_with_the_endpoint(make_settings, receiver, other):
    """A rate-limited endpoint is paced; a failing one's breaker is written to its row for every worker."""
    settings = make_settings(retry_schedule=(0,) * 12, worker_poll_seconds=0.05, webhook_timeout=2.0)
    other.mode = "fail"

    async def go() -> tuple[float, int]:
        async with worker_for(settings) as worker:
            await add(worker.db, "paced", receiver.url, receiver.secret)
            await add(worker.db, "broken", other.url, other.secret)
            async with worker.db.write() as conn:
                await conn.execute(
                    tables.endpoints.update().where(tables.endpoints.c.name == "paced").values(rate_limit=10)
                )
            worker.start()
            started = time.monotonic()
            accepted = [await accept_lead(worker.db) for _ in range(10)]
            mine = {i for a in accepted for i in a.delivery_ids}
            await until(lambda: len(mine & set(receiver.messages)) == 10, within=10)
            took = time.monotonic() - started
            e = tables.endpoints
            query = sa.select(e.c.breaker_failures).where(e.c.name == "broken")
            deadline = time.monotonic() + 5
            while True:
                async with worker.db.read() as conn:
                    failures = (await conn.execute(query)).scalar_one()
                if failures >= 10 or time.monotonic() > deadline:
                    return took, failures
                await asyncio.sleep(0.05)

    took, failures = run(go())
    assert took >= 0.8  # ten at ten a second
    assert failures >= 10  # the breaker opened, and the row says so
