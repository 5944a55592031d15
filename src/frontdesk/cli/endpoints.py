"""`frontdesk endpoints`: where webhooks go (add, list, pause, resume, rotate, remove, test).

    frontdesk endpoints add NAME URL [--events T,T|*] [--secret whsec_...] [--rate-limit N]
    frontdesk endpoints list
    frontdesk endpoints pause|resume|remove NAME
    frontdesk endpoints rotate NAME [--secret whsec_...] [--overlap 24h]
    frontdesk endpoints test NAME

A secret that is not given is generated and printed once: it is stored, but never shown again (`list`
shows how many secrets are live and until when, never a secret). Bad input (a URL that is not http(s),
a malformed secret, an unknown event type, an overlap out of range) is one line and exit code 2, and
nothing is saved. Every change is written to the audit log with the actor `cli`, in its transaction.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from frontdesk.cli.base import CommandError, run_with_db
from frontdesk.clock import utcnow
from frontdesk.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from frontdesk.db import Database
    from frontdesk.records.endpoints import Endpoint

T = TypeVar("T")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("endpoints", help="webhook endpoints: add, list, pause, disable, resume, rotate, remove, test")
    p.set_defaults(handler=cmd_list)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    a = actions.add_parser("add", help="add an endpoint (a secret is generated unless given)")
    a.add_argument("name")
    a.add_argument("url")
    a.add_argument("--events", default="*", help="event types, comma-separated, or * (default)")
    a.add_argument("--secret", help="whsec_... (default: generate one and print it once)")
    a.add_argument("--rate-limit", help="deliveries per second at most")
    a.set_defaults(handler=cmd_add)
    actions.add_parser("list", help="every endpoint, its filter, state and queue").set_defaults(handler=cmd_list)
    for name, help_text in (
        ("pause", "stop delivering to an endpoint (its deliveries are still made, and wait)"),
        ("disable", "send an endpoint no new events (no deliveries are made for it; waiting ones stay)"),
        ("resume", "deliver again (after a pause, a disable or a 410)"),
        ("remove", "delete an endpoint; its delivery history is kept, its pending deliveries cancelled"),
        ("test", "send a signed ping now and show the answer"),
    ):
        c = actions.add_parser(name, help=help_text)
        c.add_argument("name")
        c.set_defaults(handler=cmd_change, change=name)
    r = actions.add_parser("rotate", help="sign with a new secret; keep the old one for an overlap")
    r.add_argument("name")
    r.add_argument("--secret", help="whsec_... (default: generate one and print it once)")
    r.add_argument("--overlap", default="24h", help="how long the old secret still signs (default 24h, at most 30d)")
    r.set_defaults(handler=cmd_rotate)


def _checked(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)`, a check of `records.endpoints`, with its `EndpointError` as the command's one line."""
    from frontdesk.records.endpoints import EndpointError

    try:
        return fn(*args)
    except EndpointError as exc:
        raise CommandError(f"{exc.field}: {exc}") from None


def _secret(given: str | None) -> tuple[str, bool]:
    """The checked `--secret`, or a new one; and whether it was generated (then it is printed once)."""
    from frontdesk.records import endpoints

    if given is None:
        return endpoints.new_secret(), True
    return _checked(endpoints.check_secret, given), False


def _show_once(secret: str, generated: bool) -> None:
    if generated:
        print(f"secret (shown once, give it to the receiver): {secret}")


async def _existing(conn: AsyncConnection, name: str, now: dt.datetime) -> Endpoint:
    from frontdesk.records import endpoints

    found = await endpoints.get(conn, name, now=now)
    if found is None:
        raise CommandError(f"no endpoint named {name!r}")
    return found


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    from frontdesk import audit
    from frontdesk.records import endpoints

    name = _checked(endpoints.check_name, args.name)
    url = _checked(endpoints.check_url, args.url)
    events = _checked(endpoints.check_events, args.events)
    rate = _checked(endpoints.check_rate_limit, args.rate_limit)
    secret, generated = _secret(args.secret)

    async def add(db: Database) -> None:
        now = utcnow()
        async with db.write() as conn:
            await endpoints.add(conn, name=name, url=url, secret=secret, events=events, rate_limit=rate, now=now)
            await audit.record(conn, at=now, actor="cli", action="endpoint.add", target=name, detail=",".join(events))

    run_with_db(settings, add, errors=(endpoints.EndpointError,))
    print(f"added {name}: {', '.join(events)} -> {url}")
    _show_once(secret, generated)
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    from frontdesk.records import deliveries, endpoints, mail

    async def listing(db: Database) -> None:
        now = utcnow()
        async with db.read() as conn:
            found = await endpoints.listing(conn, now=now)
            queues = {q.endpoint: q for q in await deliveries.queues(conn)}
        if not found:
            print("no endpoints: add one with `frontdesk endpoints add NAME URL`")
        for ep in found:
            queue = queues.get(ep.name)
            state = ep.state + (f" ({ep.state_reason})" if ep.state_reason else "")
            extra = f", at most {ep.rate_limit:g}/s" if ep.rate_limit else ""
            email = mail.is_mail(ep.id)
            if email:
                source = " [email, from FRONTDESK_SMTP_URL]"
            else:
                source = " [from FRONTDESK_CRM_WEBHOOK_URL]" if ep.source == "env" else ""
            print(f"{ep.name}{source}: {state}")
            print(f"  url      {ep.url}")
            print(f"  events   {', '.join(ep.events)}{extra}")
            if not email:  # email is not signed: there is no secret to count
                print(f"  secrets  {len(ep.secrets)} live")
            print(f"  pending  {queue.depth if queue else 0}")

    run_with_db(settings, listing)
    return 0


def cmd_change(args: argparse.Namespace, settings: Settings) -> int:
    from frontdesk import audit
    from frontdesk.records import endpoints

    change: str = args.change
    name = _checked(endpoints.check_name, args.name)
    if change == "test":
        return _test(settings, name)

    async def apply(db: Database) -> str:
        now = utcnow()
        async with db.write() as conn:
            found = await _existing(conn, name, now)
            if change == "remove":
                if found.source == "env":
                    raise CommandError(f"{name} comes from FRONTDESK_CRM_WEBHOOK_URL: unset it to stop using it")
                cancelled = await endpoints.remove(conn, name, now=now)
                outcome = f"removed {name}; its delivery history is kept ({cancelled} pending cancelled)"
            else:
                if not await endpoints.change_state(conn, name, change, now=now):
                    raise CommandError(f"{name} is {found.state} already")
                outcome = f"{change}d {name}"
            await audit.record(conn, at=now, actor="cli", action=f"endpoint.{change}", target=name)
            return outcome

    print(run_with_db(settings, apply, errors=(endpoints.EndpointError,)))
    return 0


def _test(settings: Settings, name: str) -> int:
    from frontdesk import audit
    from frontdesk.delivery import ping

    async def send(db: Database) -> str:
        now = utcnow()
        async with db.read() as conn:
            found = await _existing(conn, name, now)
        answer = await ping.send(found, time_limit=settings.webhook_timeout, now=now)
        async with db.write() as conn:
            detail = f"status {answer.status}" if answer.status else (answer.error or "")
            await audit.record(conn, at=utcnow(), actor="cli", action="endpoint.test", target=name, detail=detail)
        status = answer.status if answer.status is not None else "-"
        line = f"ping {name}: status {status}, {answer.latency_ms} ms"
        if not answer.ok:
            raise CommandError(f"{line}, {answer.error}")
        return line

    print(run_with_db(settings, send))
    return 0


def cmd_rotate(args: argparse.Namespace, settings: Settings) -> int:
    from frontdesk import audit
    from frontdesk.records import endpoints

    name = _checked(endpoints.check_name, args.name)
    overlap = _checked(endpoints.parse_overlap, args.overlap)
    secret, generated = _secret(args.secret)

    async def rotate(db: Database) -> str:
        now = utcnow()
        async with db.write() as conn:
            found = await _existing(conn, name, now)
            if found.source == "env":
                raise CommandError(
                    f"{name} comes from FRONTDESK_CRM_WEBHOOK_SECRET: change it there (the old one keeps signing 24 h)"
                )
            until = await endpoints.rotate(conn, name, secret=secret, overlap=overlap, now=now)
            await audit.record(conn, at=now, actor="cli", action="endpoint.rotate", target=name)
        return f"{until:%Y-%m-%d %H:%M} UTC"

    until = run_with_db(settings, rotate, errors=(endpoints.EndpointError,))
    print(f"rotated {name}: the new secret signs now; the old ones sign too until {until}")
    _show_once(secret, generated)
    return 0
