"""The delivery worker against a real receiver: signing, retries, Retry-After, 410, leases, shutdown.

Every test runs on SQLite and (when FRONTDESK_TEST_DATABASE_URL is set) on PostgreSQL, with a retry
schedule of fractions of a second, so the whole file takes seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import random
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook
from starlette.testclient import TestClient

from frontdesk.app import create_app
from frontdesk.clock import utcnow
from frontdesk.db import Database, tables
from frontdesk.delivery import crm
from frontdesk.delivery.outbox import Outbox
from frontdesk.delivery.retries import next_step
from frontdesk.records import deliveries
from frontdesk.settings import Settings
from receiver import Receiver
from support import accept_lead, read, run, write


@pytest.fixture
def crm_settings(make_settings: Callable[..., Settings], receiver: Receiver) -> Settings:
    return make_settings(
        crm_webhook_url=receiver.url,
        crm_webhook_secret=receiver.secret,
        retry_schedule=(0, 0.2, 0.5),
        worker_poll_seconds=0.05,
        webhook_timeout=2.0,
    )


@contextlib.asynccontextmanager
async def outbox(settings: Settings, **kwargs: Any) -> AsyncIterator[Outbox]:
    db = Database(settings.database_url)
    async with crm.make_client(settings.webhook_timeout, 8) as client:
        worker = Outbox(db, settings, client, concurrency=8, **kwargs)
        try:
            yield worker
        finally:
            await worker.stop(grace=0.5)
            await db.dispose()


async def until(predicate: Callable[[], Any], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def until_db(db: Database, query: Any, expected: Any, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while True:
        async with db.read() as conn:
            got = (await conn.execute(query)).scalar()
        if got == expected:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{query} is {got!r}, expected {expected!r}")
        await asyncio.sleep(0.02)


async def attempt_log(db: Database, delivery_id: str) -> list[Any]:
    return await read(db, deliveries.attempts, delivery_id)


def state_of(delivery_id: str) -> Any:
    return sa.select(tables.deliveries.c.state).where(tables.deliveries.c.id == delivery_id)


# -- the retry policy, as a pure function --------------------------------------------------------


def test_next_step_follows_the_schedule_with_jitter():
    now = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    rng = random.Random(1)
    failed = crm.Answer(500, 10, "HTTP 500")
    schedule = (0.0, 5.0, 300.0)
    assert next_step(crm.Answer(204, 3), 0, schedule, now, rng).state == "delivered"
    assert next_step(failed, 0, schedule, now, rng).next_attempt_at == now  # "immediately"
    for _ in range(50):
        step = next_step(failed, 2, schedule, now, rng)
        assert step.state == "pending" and step.outcome == "retry"
        assert 270 <= (step.next_attempt_at - now).total_seconds() <= 330
    last = next_step(failed, 3, schedule, now, rng)  # 1 + len(schedule) attempts made: a dead letter
    assert last.state == "failed" and last.outcome == "failed"
    gone = next_step(crm.Answer(410, 3, "HTTP 410 Gone"), 1, schedule, now, rng)
    assert gone.outcome == "paused" and not gone.counts and gone.state == "pending"
    slow = next_step(crm.Answer(429, 3, "HTTP 429", retry_after=60.0), 0, schedule, now, rng)
    assert (slow.next_attempt_at - now).total_seconds() == 60.0


def test_retry_after_parsing():
    now = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
    assert crm.parse_retry_after("7", now) == 7.0
    assert crm.parse_retry_after("Fri, 20 Nov 2026 12:01:30 GMT", now) == 90.0
    # Past, huge, malformed: None, so the normal retry schedule applies (never a year's wait, never a crash).
    assert crm.parse_retry_after("Fri, 20 Nov 2026 11:00:00 GMT", now) is None
    assert crm.parse_retry_after("99999999", now) is None
    assert crm.parse_retry_after("9" * 400, now) is None
    assert crm.parse_retry_after("\u00b2", now) is None  # a superscript two: isdigit() but not a number
    assert crm.parse_retry_after("1.5", now) is None
    assert crm.parse_retry_after("soon", now) is None
    assert crm.parse_retry_after("Fri, 20 Nov 9999 11:00:00 GMT", now) is None
    assert crm.parse_retry_after(None, now) is None


def test_signature_is_standard_webhooks():
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    now = dt.datetime.now(dt.UTC)
    body = crm.encode_body({"type": "lead.created", "data": {"name": "Zoë"}})
    headers = crm.Signer(secret).headers("msg_1", body, now)
    assert headers["webhook-id"] == "msg_1" and headers["webhook-timestamp"] == str(int(now.timestamp()))
    assert Webhook(secret).verify(body, headers) == {"type": "lead.created", "data": {"name": "Zoë"}}
    # The raw algorithm from docs/webhooks.md gives the same signature.
    import base64
    import hashlib
    import hmac

    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"msg_1.{headers['webhook-timestamp']}.{body}".encode()
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == expected


# -- against the real receiver -------------------------------------------------------------------


def test_delivers_signed_body_once(crm_settings, receiver):
    async def go():
        async with outbox(crm_settings) as worker:
            msg_id = (await accept_lead(worker.db)).delivery_id
            worker.start()
            await until(lambda: receiver.count(msg_id) == 1)
            await until_db(worker.db, state_of(msg_id), "delivered")
            row = await read(worker.db, deliveries.get, msg_id)
            log = await attempt_log(worker.db, msg_id)
        got = receiver.messages[msg_id][0]
        assert got.body == row.payload and got.body["type"] == "lead.created"
        assert got.headers["webhook-id"] == msg_id and got.headers["content-type"] == "application/json"
        assert receiver.rejected == 0  # the receiver verified the signature
        assert row.attempts == 1 and row.delivered_at is not None and row.lease_owner is None
        assert [(a.outcome, a.status, a.error) for a in log] == [("delivered", 204, None)]
        assert log[0].latency_ms >= 0

    run(go())


def test_retries_500_with_the_same_webhook_id_then_succeeds(crm_settings, receiver):
    receiver.script(["500", "500"])

    async def go():
        async with outbox(crm_settings) as worker:
            msg_id = (await accept_lead(worker.db)).delivery_id
            worker.start()
            await until_db(worker.db, state_of(msg_id), "delivered")
            row = await read(worker.db, deliveries.get, msg_id)
            log = await attempt_log(worker.db, msg_id)
        assert [i for i, _ in receiver.requests] == [msg_id] * 3
        assert [a for _, a in receiver.requests] == ["500", "500", "ok"]
        assert [(a.outcome, a.status) for a in log] == [("retry", 500), ("retry", 500), ("delivered", 204)]
        assert log[0].error == "HTTP 500 Internal Server Error"
        assert row.attempts == 3 and receiver.count(msg_id) == 1

    run(go())


def test_timeout_is_retried(crm_settings, receiver):
    receiver.script(["hang"])

    async def go():
        async with outbox(crm_settings.with_overrides(webhook_timeout=0.3)) as worker:
            msg_id = (await accept_lead(worker.db)).delivery_id
            worker.start()
            await until_db(worker.db, state_of(msg_id), "delivered")
            log = await attempt_log(worker.db, msg_id)
        assert (log[0].outcome, log[0].status, log[0].error) == ("retry", None, "timed out after 0.3 s")
        assert log[-1].outcome == "delivered" and 250 <= log[0].latency_ms < 2000

    run(go())


def test_connection_refused_is_retried_until_the_crm_is_up(make_settings):
    later = Receiver()  # its port is chosen but nothing listens yet
    settings = make_settings(
        crm_webhook_url=later.url,
        crm_webhook_secret=later.secret,
        retry_schedule=(0, 0.3, 0.5, 1, 2, 4),
        worker_poll_seconds=0.05,
    )

    async def go():
        async with outbox(settings) as worker:
            msg_id = (await accept_lead(worker.db)).delivery_id
            worker.start()
            a = tables.delivery_attempts
            await until_db(worker.db, sa.select(sa.func.count()).select_from(a), 2)
            later.start()
            try:
                await until_db(worker.db, state_of(msg_id), "delivered")
            finally:
                later.stop()
            log = await attempt_log(worker.db, msg_id)
        assert log[0].status is None and log[0].error.startswith("ConnectError")
        assert log[-1].outcome == "delivered" and later.count(msg_id) == 1

    run(go())


def test_429_retry_after_is_honoured(crm_settings, receiver):
    receiver.script(["429:1"])

    async def go():
        async with outbox(crm_settings) as worker:
            msg_id = (await accept_lead(worker.db)).delivery_id
            worker.start()
            await until(lambda: len(receiver.requests) == 1)
            first = time.monotonic()
            await until_db(worker.db, state_of(msg_id), "delivered")
            waited = time.monotonic() - first
            log = await attempt_log(worker.db, msg_id)
        assert waited >= 0.9  # the schedule alone would have retried at once
        assert [(a.outcome, a.status) for a in log] == [("retry", 429), ("delivered", 204)]

    run(go())


def test_503_with_http_date_is_honoured(crm_settings, receiver):
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    receiver.script([f"503:{when.strftime('%a, %d %b %Y %H:%M:%S GMT')}"])

    async def go():
        async with outbox(crm_settings) as worker:
            msg_id = (await accept_lead(worker.db)).delivery_id
            await worker.drain_once()
            row = await read(worker.db, deliveries.get, msg_id)
        assert row.state == "pending" and row.last_status == 503
        wait = (row.next_attempt_at - dt.datetime.now(dt.UTC)).total_seconds()
        assert 20 < wait <= 31

    run(go())


def test_410_pauses_the_endpoint_until_resumed(crm_settings, receiver):
    receiver.mode = "410"

    async def go():
        async with outbox(crm_settings) as worker:
            ids = {(await accept_lead(worker.db)).delivery_id, (await accept_lead(worker.db)).delivery_id}
            worker.start()
            e = tables.endpoints
            await until_db(worker.db, sa.select(sa.func.count()).select_from(e).where(e.c.state == "paused"), 1)
            receiver.mode = "ok"
            sent = len(receiver.requests)
            await asyncio.sleep(0.5)
            assert len(receiver.requests) == sent <= 2  # nothing more is sent while paused
            paused = await read(worker.db, deliveries.paused_endpoints)
            assert [x.endpoint for x in paused] == [receiver.url] and "410" in paused[0].reason
            for msg_id in ids:
                row = await read(worker.db, deliveries.get, msg_id)
                assert row.state == "pending" and row.attempts == 0  # a pause uses up no attempt
            assert await write(worker.db, deliveries.resume_endpoint, receiver.url, now=utcnow())
            for msg_id in ids:
                await until_db(worker.db, state_of(msg_id), "delivered")
            outcomes = {a.outcome for i in ids for a in await attempt_log(worker.db, i)}
        assert outcomes == {"paused", "delivered"}
        assert all(receiver.count(i) == 1 for i in ids)

    run(go())


def test_exhausted_schedule_is_a_kept_failure_that_can_be_replayed(crm_settings, receiver):
    receiver.mode = "fail"

    async def go():
        async with outbox(crm_settings.with_overrides(retry_schedule=(0, 0.1))) as worker:
            msg_id = (await accept_lead(worker.db)).delivery_id
            worker.start()
            await until_db(worker.db, state_of(msg_id), "failed")
            row = await read(worker.db, deliveries.get, msg_id)
            log = await attempt_log(worker.db, msg_id)
            assert row.attempts == 3 and row.last_status == 500 and row.last_error == "HTTP 500 Internal Server Error"
            assert [a.outcome for a in log] == ["retry", "retry", "failed"]
            await asyncio.sleep(0.3)
            assert len(receiver.requests) == 3  # a dead letter is not retried by itself
            receiver.mode = "ok"
            assert await write(worker.db, deliveries.replay, msg_id, now=utcnow())
            await until_db(worker.db, state_of(msg_id), "delivered")
            log = await attempt_log(worker.db, msg_id)
        assert [a.outcome for a in log] == ["retry", "retry", "failed", "delivered"]  # history is kept
        assert {i for i, _ in receiver.requests} == {msg_id}

    run(go())


def test_expired_lease_is_claimed_again_and_live_one_is_not(crm_settings, receiver):
    async def go():
        async with outbox(crm_settings) as worker:
            crashed, busy = (await accept_lead(worker.db)).delivery_id, (await accept_lead(worker.db)).delivery_id
            now = utcnow()
            d = tables.deliveries
            async with worker.db.write() as conn:
                await conn.execute(
                    d.update()
                    .where(d.c.id == crashed)
                    .values(lease_owner="dead-worker", lease_until=now - dt.timedelta(seconds=1))
                )
                await conn.execute(
                    d.update()
                    .where(d.c.id == busy)
                    .values(lease_owner="other-worker", lease_until=now + dt.timedelta(minutes=5))
                )
            assert await worker.drain_once() == 1
            assert (await read(worker.db, deliveries.get, crashed)).state == "delivered"
            row = await read(worker.db, deliveries.get, busy)
        assert row.state == "pending" and row.lease_owner == "other-worker"
        assert receiver.count(crashed) == 1 and receiver.count(busy) == 0

    run(go())


# -- hosts whose clocks disagree: several hosts share one PostgreSQL database --------------------
# SQLite lives on the host that writes it (one clock), so these run on PostgreSQL only.

SKEW = dt.timedelta(hours=1)
ON_POSTGRES = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


async def db_now(db: Database) -> dt.datetime:
    async with db.read() as conn:
        return (await conn.execute(sa.select(sa.func.now()))).scalar_one()


@ON_POSTGRES
def test_a_web_host_whose_clock_is_fast_does_not_delay_its_leads(crm_settings, receiver):
    async def go():
        async with outbox(crm_settings) as worker:  # this host's clock is right, and the database's is the judge
            fast = (await accept_lead(worker.db, now=utcnow() + SKEW)).delivery_id  # that host's is an hour fast
            assert await worker.drain_once() == 1
            return fast

    assert receiver.count(run(go())) == 1


@ON_POSTGRES
def test_a_worker_whose_clock_is_slow_still_backs_off(crm_settings, receiver):
    """Its retry is due after the delay by the database's clock, not at once (an hour in the past)."""
    receiver.script(["500"])

    async def go():
        settings = crm_settings.with_overrides(retry_schedule=(30,))
        async with outbox(settings) as worker:
            worker.clock = lambda: utcnow() - SKEW  # this host's clock is an hour slow
            msg_id = (await accept_lead(worker.db)).delivery_id
            assert await worker.drain_once() == 1
            row = await read(worker.db, deliveries.get, msg_id)
            wait = row.next_attempt_at - await db_now(worker.db)
            assert await worker.drain_once() == 0  # not due yet: no hammering of the failing CRM
            return wait, row

    wait, row = run(go())
    assert row.state == "pending" and row.attempts == 1
    assert dt.timedelta(seconds=25) < wait <= dt.timedelta(seconds=33)  # 30 s, with 10% jitter
    assert len(receiver.requests) == 1


@ON_POSTGRES
def test_a_worker_whose_clock_is_fast_does_not_stall_retries(crm_settings, receiver):
    receiver.script(["500"])

    async def go():
        async with outbox(crm_settings.with_overrides(retry_schedule=(0.2,))) as worker:
            worker.clock = lambda: utcnow() + SKEW  # an hour fast: its own idea of "in 0.2 s" is an hour away
            msg_id = (await accept_lead(worker.db)).delivery_id
            worker.start()
            await until_db(worker.db, state_of(msg_id), "delivered", within=10)
            return msg_id

    msg_id = run(go())
    assert [a for i, a in receiver.requests if i == msg_id] == ["500", "ok"]


@ON_POSTGRES
def test_replay_and_release_from_a_fast_staff_host_are_due_at_once(crm_settings, receiver):
    from frontdesk.records import submissions

    receiver.mode = "fail"

    async def go():
        async with outbox(crm_settings.with_overrides(retry_schedule=())) as worker:
            failed = (await accept_lead(worker.db)).delivery_id
            held = await accept_lead(worker.db, spam_reason="honeypot")
            assert await worker.drain_once() == 1
            assert (await read(worker.db, deliveries.get, failed)).state == "failed"
            receiver.mode = "ok"
            fast = utcnow() + SKEW  # the staff area runs on a host an hour fast
            assert await write(worker.db, deliveries.replay, failed, now=fast)
            assert await write(worker.db, submissions.release_spam, held.submission_id, now=fast)
            assert await worker.drain_once() == 2
            return failed, held.delivery_id

    failed, released = run(go())
    assert receiver.count(failed) == 1 and receiver.count(released) == 1


def test_claims_never_overlap(crm_settings):
    async def go():
        async with outbox(crm_settings) as a, outbox(crm_settings) as b:
            for _ in range(30):
                await accept_lead(a.db)
            claims = await asyncio.gather(*(w.claim(4) for w in (a, b) for _ in range(5)))
            ids = [c.id for batch in claims for c in batch]
            assert len(ids) == len(set(ids)) == 30
            assert not await a.claim(10)  # every one is leased now
            return ids

    run(go())


def test_without_a_crm_deliveries_wait_as_pending(make_settings):
    settings = make_settings(worker_poll_seconds=0.05)

    async def go():
        async with outbox(settings) as worker:
            msg_id = (await accept_lead(worker.db)).delivery_id
            assert not worker.configured
            assert await worker.drain_once() == 0
            worker.start()
            await asyncio.sleep(0.3)
            row = await read(worker.db, deliveries.get, msg_id)
        assert row.state == "pending" and row.attempts == 0 and row.lease_owner is None

    run(go())


def test_shutdown_releases_the_lease_of_a_hanging_delivery(crm_settings, receiver):
    receiver.mode = "hang"

    async def go():
        async with outbox(crm_settings.with_overrides(webhook_timeout=30)) as worker:
            msg_id = (await accept_lead(worker.db)).delivery_id
            worker.start()
            await until(lambda: len(receiver.requests) == 1)
            started = time.monotonic()
            await worker.stop(grace=0.3)
            assert time.monotonic() - started < 3
            row = await read(worker.db, deliveries.get, msg_id)
        assert row.state == "pending" and row.lease_owner is None and row.lease_until is None
        assert row.attempts == 0  # handed back untouched: the next worker starts it afresh

    run(go())


def test_shutdown_lets_an_in_flight_delivery_finish(crm_settings, receiver):
    receiver.delay = 0.4

    async def go():
        async with outbox(crm_settings) as worker:
            msg_id = (await accept_lead(worker.db)).delivery_id
            worker.start()
            await until(lambda: len(receiver.requests) == 1)
            await worker.stop(grace=5)
            row = await read(worker.db, deliveries.get, msg_id)
        assert row.state == "delivered" and receiver.count(msg_id) == 1

    run(go())


def test_breaker_probes_one_at_a_time_while_the_crm_keeps_failing(crm_settings, receiver):
    receiver.mode = "fail"

    async def go():
        settings = crm_settings.with_overrides(retry_schedule=(0, 30, 30))
        async with outbox(settings) as worker:
            for _ in range(40):
                await accept_lead(worker.db)
            worker.start()
            await until(lambda: len(receiver.requests) >= 12)
            await asyncio.sleep(0.5)
            sent = len(receiver.requests)
        # 40 due deliveries, but after 10 failures in a row the worker only probes.
        assert sent < 40

    run(go())


def test_worker_runs_inside_the_app_and_stops_with_it(make_settings, receiver):
    settings = make_settings(
        crm_webhook_url=receiver.url,
        crm_webhook_secret=receiver.secret,
        run_worker=True,
        worker_poll_seconds=0.05,
    )
    app = create_app(settings, clock=utcnow)

    async def seed() -> str:
        db = Database(settings.database_url)
        try:
            return (await accept_lead(db)).delivery_id
        finally:
            await db.dispose()

    msg_id = run(seed())
    with TestClient(app) as client:
        assert receiver.wait_delivered({msg_id})
        assert client.get("/healthz").status_code == 200
        assert receiver.wait_for(lambda: app.state.services.outbox.in_flight == 0)
    assert receiver.count(msg_id) == 1


def test_the_in_process_worker_gives_way_while_the_site_takes_a_burst_then_catches_up(crm_settings, receiver):
    """While the group commit is full of submissions, at most YIELD_IN_FLIGHT deliveries per endpoint are out."""
    from frontdesk.delivery import outbox as outbox_module

    async def go():
        async with outbox(crm_settings, yield_to_site=True) as worker:
            for _ in range(30):
                await accept_lead(worker.db)
            await worker.refresh(force=True)
            burst = [True]
            worker.db.accepting_fast = lambda *a, **k: burst[0]  # type: ignore[method-assign]
            claims, _ = worker._plan()
            assert claims and all(n <= outbox_module.YIELD_IN_FLIGHT for n in claims.values())
            worker.start()
            most = 0
            for _ in range(25):  # half a second of looking: never more than the trickle out at once
                most = max(most, sum(r.busy + r.inbox.qsize() for r in worker.routes.values()))
                await asyncio.sleep(0.02)
            assert most <= outbox_module.YIELD_IN_FLIGHT
            assert 0 < len(receiver.requests) < 30  # deliveries slow down, they do not stop
            burst[0] = False  # the burst is over: everything goes out
            await until(lambda: len(receiver.requests) >= 30)

    run(go())


def test_a_worker_of_its_own_never_gives_way(crm_settings):
    async def go():
        async with outbox(crm_settings) as worker:
            for _ in range(30):
                await accept_lead(worker.db)
            await worker.refresh(force=True)
            worker.db.accepting_fast = lambda *a, **k: True  # type: ignore[method-assign]
            claims, _ = worker._plan()
            assert claims and all(n > 4 for n in claims.values())

    run(go())
