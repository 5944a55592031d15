"""What every `frontdesk` command shares: `CommandError`, logging, and `run_with_db`.

A command that a person can get wrong (a bad setting, a missing account, an unreachable database) prints
one clear line to stderr and exits with code 2, never a traceback: it raises `CommandError`, which
`cli.main` turns into that line.

`run_with_db(settings, work)` is the one way a command uses the database: it makes sure the schema is
current (on the embedded SQLite default it applies pending migrations, as `serve` does; on PostgreSQL,
where schema changes are the operator's decision, it refuses with one line until `frontdesk migrate` has
run), opens the database, runs `await work(db)` in a fresh event loop, and disposes of it, turning the
database's own failures into one line that never echoes a statement (its parameters could be a person's).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from frontdesk.settings import Settings

if TYPE_CHECKING:
    from frontdesk.db import Database

T = TypeVar("T")


class CommandError(Exception):
    """A command could not do what was asked; the message says why, in one line."""


def ensure_database(settings: Settings) -> None:
    """A current schema: migrated now on the embedded SQLite default, or `CommandError` on PostgreSQL."""
    import sqlalchemy as sa

    from frontdesk.db.migrate import at_head, migrate, pending_migrations

    url = settings.database_url
    if at_head(url):
        return
    try:
        if url.startswith("sqlite"):
            migrate(url)
            return
        pending = pending_migrations(url)
    except (OSError, sa.exc.SQLAlchemyError) as exc:
        raise CommandError(f"cannot open the database ({type(exc).__name__}): check FRONTDESK_DATABASE_URL") from None
    if pending:
        raise CommandError(
            "the database schema is not up to date: run `frontdesk migrate` first "
            "(on PostgreSQL, Frontdesk leaves schema changes to you)"
        )


def run_with_db(
    settings: Settings,
    work: Callable[[Database], Awaitable[T]],
    *,
    errors: tuple[type[Exception], ...] = (),
) -> T:
    """Run `await work(db)` on a current schema; `errors` (and the database's failures) become one line."""
    import sqlalchemy as sa

    from frontdesk.db import Database

    ensure_database(settings)

    async def go() -> T:
        db = Database(settings.database_url, lock_timeout=settings.db_lock_timeout)
        try:
            return await work(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(go())
    except errors as exc:
        raise CommandError(str(exc)) from None
    except sa.exc.SQLAlchemyError as exc:
        # The statement text could echo an address; name only the kind of failure.
        orig = getattr(exc, "orig", None)
        raise CommandError(f"the database refused the operation ({type(orig or exc).__name__})") from None
    except OSError as exc:
        raise CommandError(f"could not reach the database or a file it needs ({exc.strerror or exc})") from None


def parse_date(value: str) -> dt.datetime:
    """`2026-11-20` or an ISO-8601 time, for an argparse `type=`; a time without a zone is UTC."""
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: use YYYY-MM-DD or an ISO-8601 time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
