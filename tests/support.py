"""Small helpers shared by tests (import with `from support import ...`)."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


def run_async(factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion on a fresh loop in a worker thread.

    A thread, because Playwright's sync API keeps an event loop running in the
    main thread once a browser test has started, and asyncio.run() refuses to
    nest inside it.
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()  # type: ignore[arg-type]


def db_rows(database_url: str, table: Any, *where: Any) -> list[Any]:
    """All rows of a table (optionally filtered), read through a throwaway engine."""
    import sqlalchemy as sa

    from frontdesk.db import Database

    async def go() -> list[Any]:
        db = Database(database_url)
        try:
            async with db.read() as conn:
                return list(await conn.execute(sa.select(table).where(*where)))
        finally:
            await db.dispose()

    return run_async(go)


def empty_pg_database(url: str, name: str) -> str:
    """A freshly created, empty PostgreSQL database next to the test database; returns its URL."""
    import sqlalchemy as sa

    async def go() -> None:
        import asyncpg

        parsed = sa.engine.make_url(url)
        conn = await asyncpg.connect(
            host=parsed.host, port=parsed.port or 5432, user=parsed.username, database=parsed.database
        )
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    run_async(go)
    return str(sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False))


async def write(db: Any, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
    """`await fn(conn, *args, **kwargs)` in one write transaction, as a view or command would run it."""
    async with db.write() as conn:
        return await fn(conn, *args, **kwargs)


async def read(db: Any, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
    """`await fn(conn, *args, **kwargs)` on a read connection."""
    async with db.read() as conn:
        return await fn(conn, *args, **kwargs)


async def decide(db: Any, comment_id: str, action: str, *, actor: str, now: Any) -> Any:
    """A staff moderation decision as `/staff/comments` makes it: the decision and its audit entry, one transaction."""
    from frontdesk import audit
    from frontdesk.records import moderation

    async with db.write() as conn:
        decision = await moderation.decide(conn, comment_id, action, actor=actor, now=now)
        if decision is not None:
            await audit.record(conn, at=now, actor=actor, action=f"comment.{action}", target=comment_id)
        return decision
