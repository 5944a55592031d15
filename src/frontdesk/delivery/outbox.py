"""The delivery worker: claim due deliveries with a lease, POST them signed, record what happened.

A delivery row is written by `records.submissions.accept()` in the submission's own
transaction, so the worker only ever moves existing rows forward::

    claim  (state=pending, due, lease free or expired) -> lease_until=now+lease, lease_owner=me
    post   (crm.post: signed with standardwebhooks, one shared httpx2 client, total timeout)
    record (one transaction for every result that finished meanwhile: attempt rows + delivery rows)

Why a lease and not a "sending" state: a worker that dies (kill -9, power cut)
leaves nothing to clean up; its claims simply expire and another worker, or
the same one restarted, takes them again. The price is at-least-once delivery:
a POST that succeeded just before a crash may be sent again, under the same
`webhook-id`, which is why receivers deduplicate on it.

Claiming is safe with many workers: on PostgreSQL `SELECT ... FOR UPDATE SKIP
LOCKED` makes concurrent claimers pass over each other's rows; on SQLite the
claim runs inside `db.write()`, a `BEGIN IMMEDIATE` transaction, so only one
claimer (in any process) looks at the queue at a time.

Speed without hurting the site: `concurrency` long-lived lanes POST in
parallel from an in-memory inbox, and one bookkeeping loop runs ONE transaction
per cycle that records every result finished since the last one and claims the
next batch. A commit (an fsync on SQLite) is then shared by dozens of
deliveries instead of paid by each, which is what lets one SQLite file keep up
with the network (bench/drain.py). Deliveries are claimed at most two rounds
ahead, so a claimed one always reaches its POST well inside its lease.

When the CRM keeps failing, a small breaker stops claiming and probes with one
delivery at a time, so an outage costs neither the CRM nor the site's database
a storm of doomed attempts. The retry policy itself is in `retries.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import random
import secrets
import socket
import time
from dataclasses import dataclass

import httpx2
import sqlalchemy as sa

from frontdesk.clock import Clock, utcnow
from frontdesk.db import Database, tables
from frontdesk.delivery import crm
from frontdesk.delivery.retries import Pace, Step, next_step
from frontdesk.records import deliveries
from frontdesk.settings import Settings

log = logging.getLogger("frontdesk.outbox")

DEFAULT_CONCURRENCY = 16
SHUTDOWN_GRACE = 10.0  # seconds to let in-flight POSTs finish before their leases are released
# At most ~10 bookkeeping transactions a second unless a full batch is waiting: at a trickle, a
# transaction per delivery would compete with the site's own writes for the SQLite write lock.
BATCH_WINDOW = 0.1

d = tables.deliveries


@dataclass(frozen=True)
class Claimed:
    id: str
    body: str  # the payload exactly as stored when the submission was accepted
    attempts: int  # attempts made before this one


@dataclass(frozen=True)
class _Result:
    item: Claimed
    answer: crm.Answer
    step: Step
    at: dt.datetime


class Outbox:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        client: httpx2.AsyncClient,
        *,
        clock: Clock = utcnow,
        concurrency: int = DEFAULT_CONCURRENCY,
        owner: str | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.client = client
        self.clock = clock
        self.url = settings.crm_webhook_url
        self.signer = crm.Signer(settings.crm_webhook_secret) if settings.crm_webhook_secret else None
        self.schedule = settings.retry_schedule
        self.timeout = settings.webhook_timeout
        self.poll = settings.worker_poll_seconds
        self.lease = dt.timedelta(seconds=settings.lease_seconds)
        self.concurrency = max(1, concurrency)
        self.owner = owner or f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(4)}"
        self.rng = rng or random.Random()  # jitter, not security
        # Deliveries claimed ahead (up to two rounds of POSTs) keep every lane busy while the next batch is
        # claimed; each waits at most `rounds` timeouts before its own POST, so the lease must outlast that.
        rounds = max(0, min(2, int(settings.lease_seconds // self.timeout) - 2))
        self._prefetch = self.concurrency * rounds
        self._chunk = max(1, (self.concurrency + self._prefetch) // 3)  # claim at least this many at once
        self.pace = Pace(self.schedule)
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._inbox: asyncio.Queue[Claimed | None] = asyncio.Queue()  # claimed, waiting for a free lane
        self._lanes: list[asyncio.Task[None]] = []  # `concurrency` long-lived posting coroutines
        self._busy = 0  # lanes with a POST in flight
        self._finished: list[_Result] = []  # posted, not yet recorded
        self._runner: asyncio.Task[None] | None = None
        self._paused: bool | None = None  # the endpoint answered 410 and staff have not resumed it
        self._paused_checked = 0.0

    @property
    def configured(self) -> bool:
        return bool(self.url and self.signer)

    @property
    def in_flight(self) -> int:
        return self._busy

    # -- bookkeeping: one transaction records what finished and claims what comes next ------------

    async def claim(self, limit: int) -> list[Claimed]:
        """Lease up to `limit` due deliveries to this worker, oldest due first."""
        now = self.clock()
        return await self.db.write_sync(lambda conn: self._claim(conn, limit, now))

    def _claim(self, conn: sa.Connection, limit: int, now: dt.datetime) -> list[Claimed]:
        due = (
            sa.select(d.c.id)
            .where(
                d.c.state == "pending",
                d.c.next_attempt_at <= now,
                sa.or_(d.c.lease_until.is_(None), d.c.lease_until <= now),
            )
            .order_by(d.c.next_attempt_at)
            .limit(limit)
        )
        if not self.db.is_sqlite:
            due = due.with_for_update(skip_locked=True)
        rows = conn.execute(
            d.update()
            .where(d.c.id.in_(due.scalar_subquery()))
            .values(lease_until=now + self.lease, lease_owner=self.owner)
            # The stored JSON text as it is: no decode and re-encode, and the same bytes on every retry.
            .returning(d.c.id, sa.cast(d.c.payload, sa.Text).label("body"), d.c.attempts, d.c.next_attempt_at)
        )
        return [Claimed(r.id, r.body, r.attempts) for r in sorted(rows, key=lambda r: r.next_attempt_at)]

    async def _cycle(
        self, claim: int = 0, release: list[str] | None = None, release_all: bool = False
    ) -> list[Claimed]:
        """Record every finished POST, hand back leases, and claim up to `claim` more, in ONE transaction.

        One transaction per cycle (not per delivery) is what lets a single SQLite file keep up with the
        network: its cost, a commit and an fsync, is shared by everything that finished meanwhile. It
        runs as plain synchronous statements (`db.write_sync`): on SQLite, one thread hand-off in all.
        """
        batch, self._finished = self._finished, []
        if not (batch or claim or release or release_all):
            return []
        now = self.clock()

        def transaction(conn: sa.Connection) -> list[Claimed]:
            if batch and self._record(conn, batch):
                return []  # the endpoint just answered 410: claim nothing more
            if release or release_all:
                mine = sa.and_(d.c.state == "pending", d.c.lease_owner == self.owner)  # leased rows are pending
                where = mine if release_all else sa.and_(mine, d.c.id.in_(release or []))
                conn.execute(d.update().where(where).values(lease_until=None, lease_owner=None))
            return self._claim(conn, claim, now) if claim else []

        try:
            claimed = await self.db.write_sync(transaction)
        except BaseException:
            self._finished[:0] = batch  # not recorded: try again next cycle (the leases still hold them)
            raise
        if any(r.step.outcome == "paused" for r in batch):
            log.warning("the CRM endpoint answered 410 Gone: delivery is paused until staff resume it")
            self._paused, self._paused_checked = True, time.monotonic()
        return claimed

    def _record(self, conn: sa.Connection, batch: list[_Result]) -> bool:
        """Write the attempts and the deliveries' new states; True if the endpoint answered 410 (now paused)."""
        conn.execute(
            tables.delivery_attempts.insert(),
            [
                {
                    "delivery_id": r.item.id,
                    "at": r.at,
                    "status": r.answer.status,
                    "latency_ms": r.answer.latency_ms,
                    "outcome": r.step.outcome,
                    "error": r.answer.error,
                }
                for r in batch
            ],
        )
        # Guarded by the owner: if our lease expired and another worker took the row, its outcome wins.
        conn.execute(
            d.update()
            .where(d.c.id == sa.bindparam("b_id"), d.c.lease_owner == self.owner)
            .values(
                state=sa.bindparam("b_state"),
                attempts=d.c.attempts + sa.bindparam("b_inc", type_=sa.Integer),
                next_attempt_at=sa.func.coalesce(sa.bindparam("b_next", type_=tables.TS), d.c.next_attempt_at),
                delivered_at=sa.func.coalesce(sa.bindparam("b_delivered", type_=tables.TS), d.c.delivered_at),
                last_status=sa.bindparam("b_status", type_=sa.Integer),
                last_error=sa.bindparam("b_error", type_=sa.String),
                lease_until=None,
                lease_owner=None,
            ),
            [
                {
                    "b_id": r.item.id,
                    "b_state": r.step.state,
                    "b_inc": 1 if r.step.counts else 0,
                    "b_next": r.step.next_attempt_at,
                    "b_delivered": r.at if r.step.state == "delivered" else None,
                    "b_status": r.answer.status,
                    "b_error": r.answer.error,
                }
                for r in batch
            ],
        )
        gone = next((r for r in batch if r.step.outcome == "paused"), None)
        if gone is not None:  # the same statement as deliveries.pause_endpoint, inside this transaction
            conn.execute(deliveries.pause_statement(self.url, reason=gone.answer.error or "HTTP 410 Gone", now=gone.at))
        return gone is not None

    # -- posting -----------------------------------------------------------------------------------

    async def _post(self, item: Claimed) -> None:
        assert self.signer is not None
        answer = await crm.post(
            self.client, self.url, self.signer, item.id, item.body, time_limit=self.timeout, now=self.clock()
        )
        now = self.clock()
        step = next_step(answer, item.attempts, self.schedule, now, self.rng)
        self.pace.learn(answer)
        if answer.status == 410:
            self._paused, self._paused_checked = True, time.monotonic()
        if step.outcome == "delivered":
            log.debug("delivery %s: delivered (status %s, %d ms)", item.id, answer.status, answer.latency_ms)
        else:
            log.info("delivery %s: %s (%s, %d ms)", item.id, step.outcome, answer.error, answer.latency_ms)
        self._finished.append(_Result(item, answer, step, now))
        # Wake the bookkeeper when a batch is worth a transaction, lanes are about to starve, or all is quiet.
        if len(self._finished) >= self.concurrency or self._inbox.qsize() < self._chunk or self._busy <= 1:
            self._wake.set()

    async def _paused_now(self) -> bool:
        """Is the endpoint paused? Read from the database at most once per poll interval."""
        if self._paused is None or time.monotonic() - self._paused_checked >= self.poll:
            p = tables.endpoint_pauses
            async with self.db.read() as conn:
                row = (await conn.execute(sa.select(p.c.endpoint).where(p.c.endpoint == self.url))).first()
            self._paused, self._paused_checked = row is not None, time.monotonic()
        return bool(self._paused)

    # -- running -----------------------------------------------------------------------------------

    async def drain_once(self) -> int:
        """Deliver everything due now (retries that fall due meanwhile included) and return the count.

        For `frontdesk worker --once` and for tests that drive the schedule with their own clock.
        """
        total = 0
        while self.configured and not await self._paused_now():
            claimed = await self._cycle(self.concurrency)
            if not claimed:
                break
            await asyncio.gather(*(self._post(item) for item in claimed))
            total += len(claimed)
        await self._cycle()
        return total

    async def run(self) -> None:
        """Claim, post and record until `request_stop()`; what is in flight then is left to `stop()`."""
        if not self.configured:
            log.warning("no CRM webhook URL or secret: deliveries wait as pending")
        # Long-lived lanes pulling from a queue, like a hand-written client loop: cheaper than a task per POST.
        self._lanes = [asyncio.create_task(self._lane()) for _ in range(self.concurrency)]
        last_cycle, backlog = 0.0, False  # backlog: the last claim was full, so more is probably due
        while not self._stop.is_set():
            self._wake.clear()
            gap = BATCH_WINDOW - (time.monotonic() - last_cycle)
            if gap > 0 and not backlog and len(self._finished) < self.concurrency:
                await asyncio.sleep(gap)  # let a few more results join this transaction
            last_cycle = time.monotonic()
            try:
                blocked = not self.configured or self.pace.held() or await self._paused_now()
                # Claimed-ahead deliveries go back rather than wait out a hold, a pause or an outage.
                release = self._take_inbox() if blocked or self.pace.breaker_open else []
                room = self.concurrency + self._prefetch - self._busy - self._inbox.qsize()
                if self.pace.breaker_open:  # probe with one delivery at a time
                    room = 0 if self._busy else 1
                # Claim in chunks, so each claim is worth its statement.
                chunk = 1 if self.pace.breaker_open else self._chunk
                limit = room if not blocked and room >= chunk else 0
                claimed = await self._cycle(limit, release)
                backlog = bool(limit) and len(claimed) == limit
                for item in claimed:
                    self._inbox.put_nowait(item)
            except Exception:  # the database went away: log, wait, try again
                log.exception("delivery bookkeeping failed")
            timeout = self.poll
            if self.pace.held():
                timeout = min(timeout, self.pace.hold_until - time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(timeout, 0.001))

    async def _lane(self) -> None:
        while (item := await self._inbox.get()) is not None:
            self._busy += 1
            try:
                await self._post(item)
            except Exception:  # never lose the lane; the lease brings the delivery back
                log.exception("delivery %s failed unexpectedly", item.id)
            finally:
                self._busy -= 1

    def _take_inbox(self) -> list[str]:
        taken = []
        while not self._inbox.empty():
            item = self._inbox.get_nowait()
            if item is not None:
                taken.append(item.id)
        return taken

    def start(self) -> None:
        self._runner = asyncio.create_task(self.run())

    def request_stop(self) -> None:
        self._stop.set()
        self._wake.set()

    async def stop(self, grace: float = SHUTDOWN_GRACE) -> None:
        """Stop claiming, let in-flight POSTs finish for `grace` seconds, record them, release the rest."""
        self.request_stop()
        if self._runner is not None:
            await self._runner
            self._runner = None
        self._take_inbox()
        for _ in self._lanes:
            self._inbox.put_nowait(None)  # idle lanes end now, busy ones after their POST
        unfinished: set[asyncio.Task[None]] = set()
        if self._lanes:
            _, unfinished = await asyncio.wait(self._lanes, timeout=grace)
            for task in unfinished:
                task.cancel()
            await asyncio.gather(*unfinished, return_exceptions=True)
            self._lanes = []
        await self._cycle(release_all=True)  # record what finished; hand back whatever else we hold
        if unfinished:
            log.info("released %d in-flight deliveries at shutdown", len(unfinished))


async def start(stack: contextlib.AsyncExitStack, settings: Settings, db: Database, clock: Clock) -> Outbox:
    """Run the worker inside the site's process (FRONTDESK_RUN_WORKER, on by default) for the app's lifespan."""
    client = await stack.enter_async_context(crm.make_client(settings.webhook_timeout, DEFAULT_CONCURRENCY))
    worker = Outbox(db, settings, client, clock=clock)
    worker.start()
    stack.push_async_callback(worker.stop)  # runs before the client closes and the engine is disposed
    return worker
