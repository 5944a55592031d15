"""`frontdesk worker` and `frontdesk deliveries`: run and operate delivery from the command line.

    frontdesk worker [--concurrency N] [--once]    deliver until SIGTERM (or, with --once, until nothing is due)
    frontdesk deliveries                           counts by state, the oldest pending, pauses, recent failures
    frontdesk deliveries replay ID                 requeue one delivery (same webhook-id, same body)
    frontdesk deliveries replay --failed-since DATE [--until DATE]
    frontdesk deliveries resume [URL|NAME]         lift the pause set when an endpoint answered 410

Output names deliveries by id and event type only, never a person's data, so
it can be pasted into a ticket. Replays and resumes are written to the audit
log with the actor `cli`, in the transaction that makes them.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import TYPE_CHECKING

from frontdesk.cli.base import CommandError, parse_date, run_with_db
from frontdesk.clock import utcnow
from frontdesk.settings import Settings

if TYPE_CHECKING:
    from frontdesk.db import Database

DEFAULT_CONCURRENCY = 16  # as delivery.outbox.DEFAULT_CONCURRENCY (a test checks), without importing it


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("worker", help="deliver pending webhooks to the CRM (a process of its own)")
    p.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="POSTs in flight at most")
    p.add_argument("--once", action="store_true", help="deliver what is due now, then exit")
    p.set_defaults(handler=cmd_worker)

    p = sub.add_parser("deliveries", help="delivery health; replay failed deliveries; resume a paused endpoint")
    p.set_defaults(handler=cmd_deliveries)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    r = actions.add_parser("replay", help="requeue one delivery, or every failure since a date")
    r.add_argument("id", nargs="?", help="a delivery id (the webhook-id, msg_...)")
    r.add_argument("--failed-since", type=parse_date, metavar="DATE", help="requeue failures created since DATE")
    r.add_argument("--until", type=parse_date, metavar="DATE", help="... and before DATE")
    r.set_defaults(handler=cmd_replay)
    s = actions.add_parser("resume", help="resume delivery to an endpoint paused after a 410")
    s.add_argument("endpoint", nargs="?", help="the paused URL (default: FRONTDESK_CRM_WEBHOOK_URL)")
    s.set_defaults(handler=cmd_resume)


NO_ENDPOINT = (
    "no webhook endpoint: set FRONTDESK_CRM_WEBHOOK_URL and FRONTDESK_CRM_WEBHOOK_SECRET, "
    "or add one with `frontdesk endpoints add`; deliveries wait as pending"
)


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    if args.concurrency < 1:
        raise CommandError("--concurrency must be at least 1")
    concurrency, once = args.concurrency, args.once

    async def work(db: Database) -> int:
        from frontdesk.delivery.outbox import SHUTDOWN_GRACE, Outbox

        worker = Outbox(db, settings, concurrency=concurrency)  # each endpoint gets its own connection pool
        await worker.refresh(force=True)
        if not worker.configured:
            raise CommandError(NO_ENDPOINT)
        if once:
            print(f"attempted {await worker.drain_once()} deliveries")
            await worker.stop(0)
            return 0
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, worker.request_stop)
        await worker.run()
        # SIGTERM: finish what is in flight, or hand it back for another worker.
        await worker.stop(SHUTDOWN_GRACE)
        return 0

    return run_with_db(settings, work)


def _ago(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


def cmd_deliveries(args: argparse.Namespace, settings: Settings) -> int:
    from frontdesk.records import deliveries, endpoints

    async def report(db: Database) -> None:
        now = utcnow()
        async with db.read() as conn:
            stats = await deliveries.stats(conn)
            paused = await deliveries.paused_endpoints(conn)
            failures = await deliveries.recent_failures(conn, limit=10)
            has_endpoints = bool(await endpoints.listing(conn, now=now))
        print("deliveries:")
        for state in deliveries.STATES:
            extra = f"  ({stats.retrying} retrying)" if state == "pending" and stats.retrying else ""
            print(f"  {state:<10} {stats.counts[state]:>8}{extra}")
        age = stats.oldest_pending_age(now)
        if age is not None:
            print(f"oldest pending: {_ago(age)} old")
        if not has_endpoints and not (settings.crm_webhook_url and settings.crm_webhook_secret):
            print("warning: no webhook endpoint is configured: pending deliveries wait until one is")
        for p in paused:
            print(f"paused: {p.endpoint} ({p.name}) since {p.paused_at:%Y-%m-%d %H:%M} ({p.reason});")
            print(f"  fix the receiver's side, then run `frontdesk endpoints resume {p.name}`")
        if failures:
            print("recent failures:")
            for f in failures:
                print(
                    f"  {f.id}  {f.event_type:<20} {f.created_at:%Y-%m-%d %H:%M}  "
                    f"{f.attempts} attempts  last: {f.last_error or f.last_status or '-'}"
                )
            print("requeue with `frontdesk deliveries replay ID` or `... replay --failed-since DATE`")

    run_with_db(settings, report)
    return 0


def cmd_replay(args: argparse.Namespace, settings: Settings) -> int:
    if bool(args.id) == bool(args.failed_since):
        raise CommandError("give either a delivery ID or --failed-since DATE")
    if args.until and not args.failed_since:
        raise CommandError("--until goes with --failed-since")

    from frontdesk import audit
    from frontdesk.records import deliveries

    async def replay(db: Database) -> int:
        now = utcnow()
        async with db.write() as conn:
            if args.id:
                if not await deliveries.replay(conn, args.id, now=now):
                    found = await deliveries.get(conn, args.id)
                    why = "no such delivery" if found is None else f"it is {found.state}, not failed or delivered"
                    raise CommandError(f"cannot replay {args.id}: {why}")
                await audit.record(conn, at=now, actor="cli", action="delivery.replay", target=args.id)
                return 1
            count = await deliveries.replay_failed(conn, since=args.failed_since, until=args.until, now=now)
            window = f"since {args.failed_since.isoformat()}"
            window += f" until {args.until.isoformat()}" if args.until else ""
            detail = f"{count} failed deliveries {window}"
            await audit.record(conn, at=now, actor="cli", action="delivery.replay_failed", detail=detail)
            return count

    count = run_with_db(settings, replay)
    print(f"requeued {count} deliver{'y' if count == 1 else 'ies'}")
    return 0


def cmd_resume(args: argparse.Namespace, settings: Settings) -> int:
    endpoint = args.endpoint or settings.crm_webhook_url
    if not endpoint:
        raise CommandError("name the endpoint to resume, or set FRONTDESK_CRM_WEBHOOK_URL")

    from frontdesk import audit
    from frontdesk.records import deliveries

    async def resume(db: Database) -> bool:
        now = utcnow()
        async with db.write() as conn:
            done = await deliveries.resume_endpoint(conn, endpoint, now=now)
            if done:
                await audit.record(conn, at=now, actor="cli", action="endpoint.resume", target=endpoint)
        return done

    if not run_with_db(settings, resume):
        raise CommandError(f"{endpoint} is not paused")
    print(f"resumed {endpoint}")
    return 0
