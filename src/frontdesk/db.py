"""Database: one async engine, SQLite by default, PostgreSQL for several instances.

Reads use `db.read()`; anything that writes uses `db.write()`, which yields a
connection inside a transaction that commits when the block ends (or rolls
back on error)::

    async with db.write() as conn:
        await conn.execute(tables.submissions.insert().values(...))

Why a dedicated writer on SQLite: SQLite allows one writer at a time, and a
transaction that starts as a reader and later wants to write can fail with
"database is locked" instead of waiting. So, like Datasette, writes are
serialized through one asyncio lock per process and open with
`BEGIN IMMEDIATE`, which takes the write lock up front and lets `busy_timeout`
queue writers from other processes (the `frontdesk worker`, a second `serve`).
WAL lets readers carry on meanwhile, and `synchronous=FULL` makes a commit
durable across a power cut, not only across a process crash.

On PostgreSQL transactions are ordinary; the outbox claims with
`FOR UPDATE SKIP LOCKED` so several workers never take the same row.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from frontdesk import tables


class DatabaseUnavailable(Exception):
    """The database could not be reached or answered with an error."""


def _sqlite_path(url: str) -> Path | None:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self._write_lock = asyncio.Lock()
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            path = _sqlite_path(url)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        if not self.is_sqlite:
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._write_lock, self.engine.connect() as conn:
            conn = await conn.execution_options(frontdesk_begin="BEGIN IMMEDIATE")
            async with conn.begin():
                yield conn

    async def ping(self) -> bool:
        try:
            async with self.read() as conn:
                await conn.execute(sa.text("SELECT 1"))
            return True
        except Exception:  # any driver error means "not ready"
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module, so that the
        # BEGIN below is the only one and can be IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get("frontdesk_begin", "BEGIN"))


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str, revision: str = "head") -> None:
    """Apply pending migrations (synchronous; call it before the event loop starts)."""
    from alembic import command

    path = _sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


def pending_migrations(url: str) -> list[str]:
    """Revision ids not yet applied to the database at `url`."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(url))

    async def current() -> set[str]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(lambda c: set(MigrationContext.configure(c).get_current_heads()))
        finally:
            await engine.dispose()

    heads = asyncio.run(current())
    applied = set()
    for head in heads:
        applied.update(r.revision for r in script.iterate_revisions(head, "base"))
    return [r.revision for r in script.walk_revisions() if r.revision not in applied]


__all__ = ["Database", "DatabaseUnavailable", "migrate", "pending_migrations", "tables"]
