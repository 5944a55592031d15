"""`frontdesk tokens ...`: API tokens for integrations that pull from `/api/v1`, from the command line.

    frontdesk tokens create NAME     # prints the token once; only its hash is kept
    frontdesk tokens list            # id, name, who made it, when, last use, revoked or not (never a token)
    frontdesk tokens revoke ID       # holds from the integration's next request

The same operations as `/staff/integrations` (records/api_tokens.py), for operators who script a
deployment or have no admin account at hand. Each is one transaction with its audit entry (actor `cli`).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from frontdesk.cli.base import CommandError, run_with_db
from frontdesk.clock import utcnow
from frontdesk.settings import Settings

if TYPE_CHECKING:
    from frontdesk.db import Database


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("tokens", help="API tokens for /api/v1: create, list, revoke")
    p.set_defaults(handler=cmd_list)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    c = actions.add_parser("create", help="make a token for an integration (printed once)")
    c.add_argument("name", help="the integration it is for, e.g. 'Nightly CRM import'")
    c.set_defaults(handler=cmd_create)
    actions.add_parser("list", help="every token: id, name, made by, last used, revoked").set_defaults(handler=cmd_list)
    r = actions.add_parser("revoke", help="revoke a token by its id (see list)")
    r.add_argument("id", type=int)
    r.set_defaults(handler=cmd_revoke)


def cmd_create(args: argparse.Namespace, settings: Settings) -> int:
    from frontdesk import audit
    from frontdesk.records import api_tokens

    try:
        name = api_tokens.check_name(args.name)
    except api_tokens.TokenNameError as exc:
        raise CommandError(str(exc)) from None

    async def create(db: Database) -> tuple[int, str]:
        now = utcnow()
        async with db.write() as conn:
            token_id, token = await api_tokens.create(conn, name, now=now, actor="cli")
            await audit.record(conn, at=now, actor="cli", action="api_token.create", target=f"{token_id}: {name}")
        return token_id, token

    token_id, token = run_with_db(settings, create)
    print(f"token {token_id} for {name} (shown once, give it to the integration):")
    print(token)
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    from frontdesk.records import api_tokens

    async def listing(db: Database) -> None:
        async with db.read() as conn:
            rows = await api_tokens.all_tokens(conn)
        if not rows:
            print("no API tokens: make one with `frontdesk tokens create NAME`")
        for row in rows:
            used = row.last_used_at.strftime("%Y-%m-%d %H:%M UTC") if row.last_used_at else "never"
            state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "live"
            made = f"{row.created_at:%Y-%m-%d} by {row.created_by}"
            print(f"{row.id:>4}  {row.name}  [{state}]  made {made}, last used {used}")

    run_with_db(settings, listing)
    return 0


def cmd_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from frontdesk import audit
    from frontdesk.records import api_tokens

    async def revoke(db: Database) -> str:
        now = utcnow()
        async with db.write() as conn:
            row = await api_tokens.revoke(conn, args.id, now)
            if row is None:
                raise CommandError(f"there is no live API token {args.id}")
            await audit.record(conn, at=now, actor="cli", action="api_token.revoke", target=f"{row.id}: {row.name}")
            return f"revoked token {row.id} ({row.name}); its next request is refused"

    print(run_with_db(settings, revoke))
    return 0
