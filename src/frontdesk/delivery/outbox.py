"""The delivery worker: claim due deliveries with a lease, POST them signed, record what happened.

A delivery row is written by `records.submissions.accept()` in the submission's own
transaction, one per endpoint that takes its event, so the worker only ever moves existing
rows forward::

    claim  (state=pending, due, lease free or expired) -> lease_until=now+lease, attempts+1
    post   (crm.post: signed with every live secret of the endpoint, its own httpx2 client, total timeout)
    record (one transaction for every result that finished meanwhile: attempt rows + delivery rows)

Why a lease and not a "sending" state: a worker that dies (kill -9, power cut)
leaves nothing to clean up; its claims simply expire and another worker, or
the same one restarted, takes them again. The price is at-least-once delivery:
a POST that succeeded just before a crash may be sent again, under the same
`webhook-id`, which is why receivers deduplicate on it.

An attempt is counted when it is CLAIMED, not when its answer is recorded: a message that kills
its worker (or raises in a lane) every time comes back with its lease having used up an attempt,
and once it has used them all it is dead-lettered ("worker crashed during delivery") instead of
looping for ever. Deliveries handed back unposted (shutdown, a pause) get their attempt back.

Claiming is safe with many workers: on PostgreSQL `SELECT ... FOR UPDATE SKIP
LOCKED` makes concurrent claimers pass over each other's rows, and leases and due
times are compared with the DATABASE's clock, so workers on hosts whose clocks
disagree cannot steal each other's leases; on SQLite (one host) the claim runs inside
`db.write()`, a `BEGIN IMMEDIATE` transaction, so only one claimer looks at the queue at a time.

Isolation: each endpoint is a `Route` with its own lanes, in-memory inbox, HTTP client
(connection pool), pace, rate limit and breaker, so an endpoint that hangs for its whole
timeout or answers 500 for hours only ever occupies its own lanes; the other endpoints'
deliveries are claimed and posted as if it did not exist. The breaker's state and a 410
pause are written to the endpoint's row, so every worker and instance agrees.

Speed without hurting the site: one bookkeeping loop runs ONE transaction per cycle that
records every result finished since the last one and claims the next batch for every
endpoint. A commit (an fsync on SQLite) is then shared by dozens of deliveries instead of
paid by each, which is what lets one SQLite file keep up with the network (bench/drain.py).
Deliveries are claimed at most two rounds ahead, so a claimed one always reaches its POST
well inside its lease. Idle workers sleep for the poll interval; on PostgreSQL an accepted
submission wakes them at once with NOTIFY (`records.submissions.accept`, `Waker`).

The site comes first. Inside `frontdesk serve` the worker shares the site's core, and a healthy CRM
costs it real work (a signed POST, its answer, the bookkeeping), about a third of a form's own cost.
So while the site takes a burst of submissions (`db.accepting_fast()`: several in each group commit),
the in-process worker keeps at most `YIELD_IN_FLIGHT` deliveries per endpoint out at once and claims
at most every `BATCH_WINDOW`: deliveries slow down, never stop, and catch up when the burst is over,
while the forms keep the rate they have when the CRM is down. `frontdesk worker`, in a process of its
own, never yields.

When an endpoint keeps failing, its breaker stops claiming and probes with one delivery
at a time, so an outage costs neither the receiver nor the site's database a storm of
doomed attempts. The retry policy itself is in `retries.py`.
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
from dataclasses import dataclass, field, replace
from typing import Any

import httpx2
import sqlalchemy as sa

from frontdesk.clock import Clock, utcnow
from frontdesk.db import Database, tables
from frontdesk.db.clock import due_after
from frontdesk.delivery import alerts, crm, digest
from frontdesk.delivery import mail as smtp
from frontdesk.delivery.retries import Pace, Step, next_step
from frontdesk.records import deliveries, endpoints, mail, submissions, uploads
from frontdesk.records.endpoints import Endpoint
from frontdesk.settings import Settings

log = logging.getLogger("frontdesk.outbox")

DEFAULT_CONCURRENCY = 16  # lanes per endpoint
SHUTDOWN_GRACE = 10.0  # seconds to let in-flight POSTs finish before their leases are released
# At most ~10 bookkeeping transactions a second unless a full batch is waiting: at a trickle, a
# transaction per delivery would compete with the site's own writes for the SQLite write lock.
BATCH_WINDOW = 0.1
YIELD_IN_FLIGHT = 4  # deliveries per endpoint claimed or in flight while the site takes a burst of forms
CRASHED = "worker crashed during delivery"
PRUNE_EVERY = 600.0  # seconds between prunes of delivered deliveries past FRONTDESK_DELIVERY_RETENTION_DAYS
PRUNE_BATCHES = 20  # at most this many batches of `deliveries.PRUNE_BATCH` per prune, each its own transaction

d = tables.deliveries
e = tables.endpoints


@dataclass(frozen=True)
class Claimed:
    id: str
    endpoint_id: str
    body: str  # the payload exactly as stored when the submission was accepted
    attempts: int  # attempts made before this one


@dataclass(frozen=True)
class _Result:
    item: Claimed
    answer: crm.Answer
    step: Step
    at: dt.datetime


@dataclass
class Route:
    """One endpoint's share of the worker: its lanes, inbox, client, pace and rate limit."""

    endpoint: Endpoint
    signer: crm.Signer | None  # None for the mail endpoint, whose channel is `mailer`
    client: httpx2.AsyncClient
    pace: Pace
    owns_client: bool
    mailer: smtp.Mailer | None = None  # the `mail` endpoint's route sends through SMTP (delivery/mail.py)
    inbox: asyncio.Queue[Claimed | None] = field(default_factory=asyncio.Queue)
    lanes: list[asyncio.Task[None]] = field(default_factory=list)
    busy: int = 0
    next_slot: float = 0.0  # time.monotonic() before which the rate limit lets nothing out
    breaker_saved: tuple[int, float] = (0, 0.0)  # what the endpoint's row last heard of the pace

    @property
    def paused(self) -> bool:
        return self.endpoint.state != "active"

    async def rate_wait(self) -> None:
        rate = self.endpoint.rate_limit
        if not rate:
            return
        now = time.monotonic()
        slot = max(now, self.next_slot)
        self.next_slot = slot + 1.0 / rate
        if slot > now:
            await asyncio.sleep(slot - now)

    def take_inbox(self) -> list[str]:
        taken = []
        while not self.inbox.empty():
            item = self.inbox.get_nowait()
            if item is not None:
                taken.append(item.id)
        return taken


class Outbox:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        client: httpx2.AsyncClient | None = None,
        *,
        clock: Clock = utcnow,
        concurrency: int = DEFAULT_CONCURRENCY,
        owner: str | None = None,
        rng: random.Random | None = None,
        yield_to_site: bool = False,
    ) -> None:
        self.db = db
        self.yield_to_site = yield_to_site  # in the site's own process: give way during bursts of forms
        self.settings = settings
        self.client = client  # shared by every endpoint when given; otherwise each gets its own pool
        self.clock = clock
        self.schedule = settings.retry_schedule
        self.max_attempts = len(self.schedule) + 1
        self.timeout = settings.webhook_timeout
        self.poll = settings.worker_poll_seconds
        self.lease = dt.timedelta(seconds=settings.lease_seconds)
        self.concurrency = max(1, concurrency)
        self.owner = owner or f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(4)}"
        self.rng = rng or random.Random()  # jitter, not security
        # The database's clock on PostgreSQL (hosts may disagree); a test's own clock where one is given.
        self.db_clock = not db.is_sqlite and clock is utcnow
        # Deliveries claimed ahead (up to two rounds of POSTs) keep every lane busy while the next batch is
        # claimed; each waits at most `rounds` timeouts before its own POST, so the lease must outlast that.
        rounds = max(0, min(2, int(settings.lease_seconds // self.timeout) - 2))
        self._prefetch = self.concurrency * rounds
        self._chunk = max(1, (self.concurrency + self._prefetch) // 3)  # claim at least this many at once
        self.routes: dict[str, Route] = {}
        self._synced = False
        self._refreshed = 0.0
        self._refreshing = asyncio.Lock()
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._finished: list[_Result] = []  # posted, not yet recorded
        self._runner: asyncio.Task[None] | None = None
        self._running = False
        self.retention = dt.timedelta(days=settings.delivery_retention_days)
        # How often leases that ran out on a last attempt are looked for (`_sweep_crashed`).
        self._sweep_every = dt.timedelta(seconds=min(5.0, max(0.5, settings.lease_seconds / 4)))
        self._next_sweep: dt.datetime | None = None
        self._pruned = 0.0
        self._listener: Any = None  # PostgreSQL: the connection that LISTENs for accepted submissions
        # Email is a channel beside the webhooks: a route for the `mail` endpoint when SMTP is configured.
        self.mailer = smtp.Mailer(settings, self.timeout) if settings.mail_enabled else None
        self.alerts = alerts.Alerts(db, settings, self.mailer, clock) if self.mailer else None
        self.digest = digest.Digest(db, settings, self.mailer, clock) if self.mailer else None
        self._alerted = 0.0
        self._alerting: asyncio.Task[None] | None = None

    @property
    def configured(self) -> bool:
        return any(r.endpoint.secrets or r.mailer for r in self.routes.values())

    @property
    def in_flight(self) -> int:
        return sum(r.busy for r in self.routes.values())

    def wake(self) -> None:
        """Look at the queue now (a NOTIFY arrived, or a test wants it)."""
        self._wake.set()

    # -- endpoints ---------------------------------------------------------------------------------

    async def refresh(self, force: bool = False) -> None:
        """Read the endpoints (at most once per poll interval) and bring the routes in line with them."""
        async with self._refreshing:  # one at a time: concurrent claims must not build a route twice
            if force or time.monotonic() - self._refreshed >= self.poll:
                await self._refresh()

    async def _refresh(self) -> None:
        now = self.clock()
        if not self._synced:
            s = self.settings
            for tries_left in (1, 0):
                try:
                    async with self.db.write() as conn:
                        await endpoints.sync_env(conn, s.crm_webhook_url, s.crm_webhook_secret, now=now)
                        if self.mailer is not None:
                            await mail.sync(conn, self.mailer.server.shown, now=now)
                    break
                except (sa.exc.IntegrityError, endpoints.EndpointError):  # another worker created it: update it
                    if not tries_left:
                        raise
            self._synced = True
        async with self.db.read() as conn:
            found = {ep.id: ep for ep in await endpoints.listing(conn, now=now)}
        self._refreshed = time.monotonic()
        for endpoint_id in list(self.routes):
            if endpoint_id not in found:  # removed: its pending deliveries were cancelled with it
                gone = self.routes.pop(endpoint_id)
                gone.take_inbox()
                await self._close_route(gone, grace=0.0)
        for endpoint_id, ep in found.items():
            if not ep.secrets and not (self.mailer and mail.is_mail(endpoint_id)):
                continue
            found_route = self.routes.get(endpoint_id)
            if found_route is None:
                route = self.routes[endpoint_id] = self._new_route(ep)
            else:
                route = found_route
                route.endpoint = ep
                if ep.secrets and (route.signer is None or ep.secrets != route.signer.secrets):
                    route.signer = crm.Signer(*ep.secrets)
            # Another worker's breaker: adopt a longer hold and a longer run of failures.
            if ep.breaker_failures > route.pace.failures_in_row:
                route.pace.failures_in_row = ep.breaker_failures
            if ep.breaker_until is not None:
                hold = (ep.breaker_until - now).total_seconds()
                if hold > 0:
                    route.pace.hold_until = max(route.pace.hold_until, time.monotonic() + hold)
            if self._running and not route.lanes:
                route.lanes = [asyncio.create_task(self._lane(route)) for _ in range(self.concurrency)]

    def _new_route(self, ep: Endpoint) -> Route:
        client = self.client or crm.make_client(self.timeout, self.concurrency)
        signer = crm.Signer(*ep.secrets) if ep.secrets else None
        mailer = self.mailer if mail.is_mail(ep.id) else None
        return Route(ep, signer, client, Pace(self.schedule), owns_client=self.client is None, mailer=mailer)

    async def _close_route(self, route: Route, grace: float) -> set[asyncio.Task[None]]:
        for _ in route.lanes:
            route.inbox.put_nowait(None)  # idle lanes end now, busy ones after their POST
        unfinished: set[asyncio.Task[None]] = set()
        if route.lanes:
            _, unfinished = await asyncio.wait(route.lanes, timeout=grace) if grace else (set(), set(route.lanes))
            for task in unfinished:
                task.cancel()
            await asyncio.gather(*unfinished, return_exceptions=True)
            route.lanes = []
        if route.owns_client:
            await route.client.aclose()
        return unfinished

    # -- bookkeeping: one transaction records what finished and claims what comes next ------------

    def _now(self, now: dt.datetime) -> sa.ColumnElement[dt.datetime]:
        if self.db_clock:
            return sa.func.now()
        return sa.literal(now, tables.TS)

    def _sweep_crashed(self, conn: sa.Connection, now: dt.datetime) -> None:
        """Dead-letter the deliveries whose lease ran out on their last attempt: a worker died posting them.

        It reads every pending row, so it runs once per `_sweep_every` of the worker's clock rather than
        before each claim: with a backlog of 20,000 that scan was the claim's largest cost. Until it runs,
        the claim's own `attempts < max_attempts` keeps such a row from being posted once too often.
        """
        if self._next_sweep is not None and now < self._next_sweep:
            return
        self._next_sweep = now + self._sweep_every
        conn.execute(
            d.update()
            .where(
                d.c.state == "pending",
                d.c.lease_until <= self._now(now),
                d.c.attempts >= self.max_attempts,
            )
            .values(state="failed", last_error=CRASHED, last_status=None, lease_until=None, lease_owner=None)
        )

    def _claim(self, conn: sa.Connection, endpoint_id: str, limit: int, now: dt.datetime) -> list[Claimed]:
        at = self._now(now)
        mine = d.c.endpoint_id == endpoint_id
        due = (
            sa.select(d.c.id)
            .where(
                mine,
                d.c.state == "pending",
                d.c.attempts < self.max_attempts,  # a last attempt whose lease ran out waits for the sweep
                d.c.next_attempt_at <= at,
                sa.or_(d.c.lease_until.is_(None), d.c.lease_until <= at),
            )
            .order_by(d.c.next_attempt_at)
            .limit(limit)
        )
        if not self.db.is_sqlite:
            due = due.with_for_update(skip_locked=True)
        lease_until: sa.ColumnElement[dt.datetime] = (
            sa.func.now() + sa.literal(self.lease, sa.Interval)
            if self.db_clock
            else sa.literal(now + self.lease, tables.TS)
        )
        rows = conn.execute(
            d.update()
            .where(d.c.id.in_(due.scalar_subquery()))
            .values(lease_until=lease_until, lease_owner=self.owner, attempts=d.c.attempts + 1)
            # The stored JSON text as it is: no decode and re-encode, and the same bytes on every retry.
            .returning(d.c.id, sa.cast(d.c.payload, sa.Text).label("body"), d.c.attempts, d.c.next_attempt_at)
        )
        ordered = sorted(rows, key=lambda r: r.next_attempt_at)
        return [Claimed(r.id, endpoint_id, r.body, r.attempts - 1) for r in ordered]

    async def claim(self, limit: int) -> list[Claimed]:
        """Lease up to `limit` due deliveries of every endpoint to this worker, oldest due first."""
        await self.refresh(force=not self.routes)
        return await self._cycle({rid: limit for rid in self.routes})

    async def _cycle(
        self, claims: dict[str, int] | None = None, release: list[str] | None = None, release_all: bool = False
    ) -> list[Claimed]:
        """Record every finished POST, hand back leases, and claim more per endpoint, in ONE transaction.

        One transaction per cycle (not per delivery) is what lets a single SQLite file keep up with the
        network: its cost, a commit and an fsync, is shared by everything that finished meanwhile. It
        runs as plain synchronous statements (`db.write_sync`): on SQLite, one thread hand-off in all.
        """
        batch, self._finished = self._finished, []
        claims = {rid: n for rid, n in (claims or {}).items() if n > 0}
        breakers = self._breaker_changes()
        if not (batch or claims or release or release_all or breakers):
            return []
        now = self.clock()

        def transaction(conn: sa.Connection) -> list[Claimed]:
            gone = self._record(conn, batch) if batch else set()
            for endpoint_id, (failures, until) in breakers.items():
                conn.execute(
                    e.update().where(e.c.id == endpoint_id).values(breaker_failures=failures, breaker_until=until)
                )
            if release or release_all:
                # Handed back unposted: the attempt counted at the claim is given back.
                mine = sa.and_(d.c.state == "pending", d.c.lease_owner == self.owner)  # leased rows are pending
                where = mine if release_all else sa.and_(mine, d.c.id.in_(release or []))
                conn.execute(
                    d.update()
                    .where(where)
                    .values(
                        lease_until=None,
                        lease_owner=None,
                        attempts=sa.case((d.c.attempts > 0, d.c.attempts - 1), else_=0),
                    )
                )
            claimed: list[Claimed] = []
            if claims:
                self._sweep_crashed(conn, now)
            for endpoint_id, limit in claims.items():
                if endpoint_id not in gone:
                    claimed += self._claim(conn, endpoint_id, limit, now)
            return claimed

        try:
            claimed = await self.db.write_sync(transaction)
        except BaseException:
            self._finished[:0] = batch  # not recorded: try again next cycle (the leases still hold them)
            raise
        for r in batch:
            if r.step.outcome == "paused" and (route := self.routes.get(r.item.endpoint_id)) is not None:
                if not route.paused:
                    log.warning("endpoint %s answered 410 Gone: paused until staff resume it", route.endpoint.name)
                route.endpoint = _with_state(route.endpoint, "paused")
        return claimed

    def _breaker_changes(self) -> dict[str, tuple[int, dt.datetime | None]]:
        """The routes whose breaker moved since the endpoint's row last heard of it."""
        changed: dict[str, tuple[int, dt.datetime | None]] = {}
        for endpoint_id, route in self.routes.items():
            state = (route.pace.failures_in_row, route.pace.hold_until)
            if state != route.breaker_saved:
                route.breaker_saved = state
                hold = route.pace.hold_until - time.monotonic()
                changed[endpoint_id] = (state[0], self.clock() + dt.timedelta(seconds=hold) if hold > 0 else None)
        return changed

    def _record(self, conn: sa.Connection, batch: list[_Result]) -> set[str]:
        """Write the attempts and the deliveries' new states; return the endpoints that answered 410."""
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
        # A retry's due time by the clock the claim compares it with: on PostgreSQL the database's now
        # plus the delay, so a host whose clock is slow or fast neither hammers nor stalls (db/clock.py).
        if self.db_clock:
            next_at = due_after(sa.bindparam("b_delay", type_=sa.Interval))
        else:
            next_at = sa.bindparam("b_next", type_=tables.TS)
        # Guarded by the owner: if our lease expired and another worker took the row, its outcome wins.
        conn.execute(
            d.update()
            .where(d.c.id == sa.bindparam("b_id"), d.c.lease_owner == self.owner)
            .values(
                state=sa.bindparam("b_state"),
                # Counted at the claim; a 410 pause does not use up an attempt, so it gives it back.
                attempts=d.c.attempts + sa.bindparam("b_inc", type_=sa.Integer),
                next_attempt_at=sa.func.coalesce(next_at, d.c.next_attempt_at),
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
                    "b_inc": 0 if r.step.counts else -1,
                    **(
                        {"b_delay": r.step.next_attempt_at - r.at if r.step.next_attempt_at else None}
                        if self.db_clock
                        else {"b_next": r.step.next_attempt_at}
                    ),
                    "b_delivered": r.at if r.step.state == "delivered" else None,
                    "b_status": r.answer.status,
                    "b_error": r.answer.error,
                }
                for r in batch
            ],
        )
        gone: dict[str, _Result] = {r.item.endpoint_id: r for r in batch if r.step.outcome == "paused"}
        for endpoint_id, r in gone.items():
            conn.execute(endpoints.gone_statement(endpoint_id, reason=r.answer.error or "HTTP 410 Gone", now=r.at))
        return set(gone)

    # -- posting -----------------------------------------------------------------------------------

    async def _post(self, route: Route, item: Claimed) -> None:
        await route.rate_wait()
        if route.mailer is not None:
            answer = await route.mailer.send(item.id, item.body)
        else:
            assert route.signer is not None  # routes without a secret are built only for the mail endpoint
            answer = await crm.post(
                route.client,
                route.endpoint.url,
                route.signer,
                item.id,
                item.body,
                time_limit=self.timeout,
                now=self.clock(),
            )
        now = self.clock()
        step = next_step(answer, item.attempts, self.schedule, now, self.rng)
        route.pace.learn(answer)
        if answer.status == 410:
            route.endpoint = _with_state(route.endpoint, "paused")
        if step.outcome == "delivered":
            log.debug("delivery %s: delivered (status %s, %d ms)", item.id, answer.status, answer.latency_ms)
        else:
            log.info("delivery %s: %s (%s, %d ms)", item.id, step.outcome, answer.error, answer.latency_ms)
        self._finished.append(_Result(item, answer, step, now))
        # Wake the bookkeeper when a batch is worth a transaction, lanes are about to starve, or all is quiet.
        if len(self._finished) >= self.concurrency or route.inbox.qsize() < self._chunk or route.busy <= 1:
            self._wake.set()

    async def prune(self) -> int:
        """Delete delivered deliveries (and their attempts) older than the retention; return how many.

        Failed ones are never pruned. Small batches, each its own transaction, so the site's writes never
        wait long behind a prune.
        """
        if not self.retention:
            return 0
        before = self.clock() - self.retention

        def batch(conn: sa.Connection) -> int:
            attempts, rows = deliveries.prune_statements(before)
            conn.execute(attempts)
            return int(conn.execute(rows).rowcount)

        total = 0
        for _ in range(PRUNE_BATCHES):
            done = await self.db.write_sync(batch)
            total += done
            if done < deliveries.PRUNE_BATCH:
                break
        if total:
            log.info("pruned %d delivered deliveries older than %d days", total, self.retention.days)
        return total

    async def _prune_now_and_then(self) -> None:
        if time.monotonic() - self._pruned >= PRUNE_EVERY:
            self._pruned = time.monotonic()
            try:
                await self.prune()
                # Résumés held for an application nobody finished: gone soon after their hour, traffic or not.
                await asyncio.to_thread(uploads.sweep_held, self.settings.held_dir)
            except Exception:  # pruning is housekeeping: the next round tries again
                log.exception("pruning delivered deliveries failed")

    def _alert_now_and_then(self) -> None:
        """Tell admins what stopped arriving (delivery/alerts.py), once a minute, when email is configured.

        In a task of its own: a slow relay must never hold up the bookkeeping of deliveries."""
        if self.alerts is None or time.monotonic() - self._alerted < alerts.EVERY:
            return
        if self._alerting is None or self._alerting.done():
            self._alerted = time.monotonic()
            self._alerting = asyncio.create_task(self._check_alerts(self.alerts))

    async def _check_alerts(self, checker: alerts.Alerts) -> None:
        try:
            await checker.check()
            if self.digest is not None:
                await self.digest.check()  # the weekly digest rides on the same minute
        except Exception:  # housekeeping too: the next round tries again
            log.exception("checking for delivery alerts failed")

    # -- running -----------------------------------------------------------------------------------

    async def drain_once(self) -> int:
        """Deliver everything due now (retries that fall due meanwhile included) and return the count.

        For `frontdesk worker --once` and for tests that drive the schedule with their own clock.
        """
        total = 0
        await self.refresh(force=True)
        while True:
            open_routes = {rid: self.concurrency for rid, r in self.routes.items() if not r.paused}
            claimed = await self._cycle(open_routes) if open_routes else []
            if not claimed:
                break
            await asyncio.gather(*(self._post(self.routes[item.endpoint_id], item) for item in claimed))
            total += len(claimed)
        await self._cycle()
        return total

    def _crowded(self) -> bool:
        """True while this in-process worker should give the site's core to a burst of submissions."""
        return self.yield_to_site and self.db.accepting_fast()

    def _plan(self) -> tuple[dict[str, int], list[str]]:
        """How many more to claim for each endpoint, and what to hand back (claimed ahead, now blocked)."""
        claims: dict[str, int] = {}
        release: list[str] = []
        crowded = self._crowded()
        for endpoint_id, route in self.routes.items():
            pace = route.pace
            blocked = route.paused or pace.held()
            # Claimed-ahead deliveries go back rather than wait out a hold, a pause or an outage.
            if blocked or pace.breaker_open:
                release += route.take_inbox()
            room = self.concurrency + self._prefetch - route.busy - route.inbox.qsize()
            if route.endpoint.rate_limit:  # no more ahead than the limit lets out in a few seconds
                room = min(room, max(1, int(route.endpoint.rate_limit * 2)) - route.inbox.qsize())
            if crowded:  # the site takes a burst: a trickle of deliveries meanwhile, not a stop
                room = min(room, YIELD_IN_FLIGHT - route.busy - route.inbox.qsize())
            chunk = min(self._chunk, max(1, room))
            if pace.breaker_open:  # probe with one delivery at a time
                room, chunk = (0 if route.busy else 1), 1
            if not blocked and room >= chunk:
                claims[endpoint_id] = room
        return claims, release

    async def _listen(self) -> None:
        """On PostgreSQL, wake at once when a submission is accepted (NOTIFY); the poll stays as the fallback."""
        if self.db.is_sqlite:
            return
        try:
            conn = await self.db.engine.connect()
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection  # asyncpg's own connection
            await driver.add_listener(submissions.NOTIFY_CHANNEL, lambda *_: self._wake.set())
            self._listener = conn
        except Exception:  # no LISTEN (a pooler in transaction mode, say): polling alone still delivers
            log.warning("cannot LISTEN for new deliveries; polling every %g s", self.poll, exc_info=True)

    async def _unlisten(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None

    async def run(self) -> None:
        """Claim, post and record until `request_stop()`; what is in flight then is left to `stop()`."""
        self._running = True
        await self._listen()
        backlog = False  # the last claim was full, so more is probably due
        last_cycle = 0.0
        warned = False
        while not self._stop.is_set():
            self._wake.clear()
            gap = BATCH_WINDOW - (time.monotonic() - last_cycle)
            if gap > 0 and (self._crowded() or (not backlog and len(self._finished) < self.concurrency)):
                await asyncio.sleep(gap)  # let a few more results join this transaction
            last_cycle = time.monotonic()
            await self._prune_now_and_then()
            self._alert_now_and_then()
            try:
                await self.refresh()
                if not self.configured and not warned:
                    log.warning("no webhook endpoint is configured: deliveries wait as pending")
                    warned = True
                claims, release = self._plan()
                claimed = await self._cycle(claims, release)
                backlog = any(sum(1 for c in claimed if c.endpoint_id == rid) == n for rid, n in claims.items())
                for item in claimed:
                    self.routes[item.endpoint_id].inbox.put_nowait(item)
            except Exception:  # the database went away: log, wait, try again
                log.exception("delivery bookkeeping failed")
            timeout = self.poll
            for route in self.routes.values():
                if route.pace.held():
                    timeout = min(timeout, route.pace.hold_until - time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(timeout, 0.001))

    async def _lane(self, route: Route) -> None:
        while (item := await route.inbox.get()) is not None:
            route.busy += 1
            try:
                await self._post(route, item)
            except Exception:  # never lose the lane; the lease brings the delivery back, its attempt spent
                log.exception("delivery %s failed unexpectedly", item.id)
            finally:
                route.busy -= 1

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
        await self._unlisten()
        if self._alerting is not None:
            self._alerting.cancel()
            await asyncio.gather(self._alerting, return_exceptions=True)
        for route in self.routes.values():
            route.take_inbox()

        async def close(route: Route) -> int:
            return len(await self._close_route(route, grace))

        unfinished = sum(await asyncio.gather(*(close(r) for r in self.routes.values())))
        self._running = False
        with contextlib.suppress(Exception):  # the database may be gone at shutdown: the leases expire
            await self._cycle(release_all=True)  # record what finished; hand back whatever else we hold
        if unfinished:
            log.info("released %d in-flight deliveries at shutdown", unfinished)


def _with_state(ep: Endpoint, state: str) -> Endpoint:
    return replace(ep, state=state)


async def start(stack: contextlib.AsyncExitStack, settings: Settings, db: Database, clock: Clock) -> Outbox:
    """Run the worker inside the site's process (FRONTDESK_RUN_WORKER, on by default) for the app's lifespan."""
    worker = Outbox(db, settings, clock=clock, yield_to_site=True)
    worker.start()
    stack.push_async_callback(worker.stop)  # runs before the engine is disposed
    return worker
