"""`frontdesk staff ...`: manage staff accounts from the command line.

    frontdesk staff add EMAIL --role viewer|admin [--password-stdin]
    frontdesk staff list
    frontdesk staff disable EMAIL
    frontdesk staff enable EMAIL
    frontdesk staff set-password EMAIL [--password-stdin]
    frontdesk staff unlock EMAIL

Passwords are asked for twice at a hidden prompt, or read as one line from
standard input with `--password-stdin` (for scripts: `printf '%s\\n' "$PW" |
frontdesk staff add ...`), never taken as an argument, where they would end up
in the shell history and the process list. Every change is written to the
audit log with the actor `cli`.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from frontdesk.cli.base import CommandError, run_with_db
from frontdesk.clock import utcnow
from frontdesk.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from frontdesk.db import Database

T = TypeVar("T")
ROLES = ("viewer", "admin")  # as staff.accounts.ROLES (a test checks), without importing it for --help


def _write(settings: Settings, change: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    """Run one account change, with its audit entry, in one transaction."""
    from frontdesk.staff.accounts import AccountError

    async def work(db: Database) -> T:
        async with db.write() as conn:
            return await change(conn)

    return run_with_db(settings, work, errors=(AccountError,))


def read_password(args: argparse.Namespace) -> str:
    """A new password from stdin (one line) or a hidden prompt (asked twice), validated."""
    if args.password_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        password = password[:-1] if password.endswith("\r") else password
    else:
        if not sys.stdin.isatty():
            raise CommandError("no terminal to ask for the password on: use --password-stdin")
        password = getpass.getpass("New password (at least 12 characters): ")
        if getpass.getpass("Repeat it: ") != password:
            raise CommandError("the two passwords differ; nothing was changed")
    from frontdesk.staff import passwords

    try:
        return passwords.check_new(password)
    except passwords.PasswordRejected as exc:
        raise CommandError(f"password rejected: {exc}") from None


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    from frontdesk.staff import accounts, passwords

    email = _email(args.email)
    password_hash = passwords.hash_password(read_password(args))
    user = _write(settings, lambda conn: accounts.create(conn, email, args.role, password_hash, now=utcnow()))
    print(f"added {user.email} as {user.role}")
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    from frontdesk.staff import accounts, throttle

    async def read(db: Database) -> tuple[list[Any], dict[str, int]]:
        async with db.read() as conn:
            return await accounts.all_accounts(conn), await throttle.paused_sources(conn, utcnow())

    found = run_with_db(settings, read)
    if not found[0]:
        print("no staff accounts yet: add one with `frontdesk staff add EMAIL --role admin`")
        return 0
    rows, paused = found
    width = max(len(r.email) for r in rows)
    print(f"{'email':<{width}}  role    state             created")
    for r in rows:
        if r.disabled:
            state = "disabled"
        elif paused.get(r.email):
            state = f"paused from {paused[r.email]}"
        else:
            state = "active"
        print(f"{r.email:<{width}}  {r.role:<6}  {state:<16}  {r.created_at:%Y-%m-%d}")
    return 0


def cmd_disable(args: argparse.Namespace, settings: Settings) -> int:
    from frontdesk.staff import accounts

    _write(settings, lambda conn: accounts.set_disabled(conn, args.email, True, now=utcnow()))
    print(f"disabled {args.email.strip().lower()} and ended its sessions")
    return 0


def cmd_enable(args: argparse.Namespace, settings: Settings) -> int:
    from frontdesk.staff import accounts

    _write(settings, lambda conn: accounts.set_disabled(conn, args.email, False, now=utcnow()))
    print(f"enabled {args.email.strip().lower()}")
    return 0


def cmd_set_password(args: argparse.Namespace, settings: Settings) -> int:
    from frontdesk.staff import accounts, passwords

    _email(args.email)
    password_hash = passwords.hash_password(read_password(args))
    _write(settings, lambda conn: accounts.set_password_hash(conn, args.email, password_hash, now=utcnow()))
    print(f"password set for {args.email.strip().lower()}; its sessions were ended")
    return 0


def cmd_unlock(args: argparse.Namespace, settings: Settings) -> int:
    from frontdesk.staff import accounts

    lifted = _write(settings, lambda conn: accounts.unlock(conn, args.email, now=utcnow()))
    print(f"lifted sign-in pauses for {args.email.strip().lower()} ({lifted} address{'es' if lifted != 1 else ''})")
    return 0


def _email(value: str) -> str:
    from frontdesk.staff import accounts

    try:
        return accounts.normalize_email(value)
    except accounts.AccountError as exc:
        raise CommandError(str(exc)) from None


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("staff", help="manage staff accounts (add, list, disable, enable, set-password)")
    actions = parser.add_subparsers(dest="staff_command", metavar="ACTION", required=True)

    p = actions.add_parser("add", help="add a staff account")
    p.add_argument("email")
    p.add_argument("--role", choices=ROLES, required=True, help="viewer reads tallies; admin does all")
    p.add_argument("--password-stdin", action="store_true", help="read the password as one line from stdin")
    p.set_defaults(handler=cmd_add)

    p = actions.add_parser("list", help="list staff accounts")
    p.set_defaults(handler=cmd_list)

    p = actions.add_parser("disable", help="disable an account and end its sessions")
    p.add_argument("email")
    p.set_defaults(handler=cmd_disable)

    p = actions.add_parser("enable", help="enable a disabled account")
    p.add_argument("email")
    p.set_defaults(handler=cmd_enable)

    p = actions.add_parser("unlock", help="lift the sign-in pauses wrong passwords set on an account")
    p.add_argument("email")
    p.set_defaults(handler=cmd_unlock)

    p = actions.add_parser("set-password", help="set a new password (lifts a lockout, ends sessions)")
    p.add_argument("email")
    p.add_argument("--password-stdin", action="store_true", help="read the password as one line from stdin")
    p.set_defaults(handler=cmd_set_password)
