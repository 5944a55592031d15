"""The database engine: one async engine, SQLite by default, PostgreSQL for several instances.

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

That durability costs an fsync per commit, a few milliseconds on most disks,
which would cap a busy form at a few hundred submissions a second. So the
request path uses `db.transact(fn)` instead: on SQLite, a single writer task
takes every job waiting in its queue, runs each inside its own SAVEPOINT of
one `BEGIN IMMEDIATE` transaction, and commits them together (group commit).
Every caller still returns only after the COMMIT that contains its rows, so
"thank you" still means "on disk"; a job that fails rolls back to its
savepoint without disturbing the others.

Rows-only jobs (`Inserts`) and jobs of plain synchronous statements (`Sync`, which `db.write_sync`
sends: the outbox's bookkeeping) make up nearly every write. On a SQLite file the writer runs all of
a batch's such jobs in ONE worker-thread hand-off through a synchronous pysqlite connection: BEGIN,
the savepoints, one executemany per table and the COMMIT, instead of an aiosqlite thread hop and a
greenlet switch per statement. And the outbox's results share the commit of the submissions that
arrived meanwhile, instead of a second writer taking turns with the first for the lock (the cause of
last release's drop to a few hundred accepted submissions a second with a healthy CRM). Async jobs
(`transact(fn)` with an `AsyncConnection`) still run, after them, through aiosqlite.

On PostgreSQL transactions are ordinary; the outbox claims with
`FOR UPDATE SKIP LOCKED` so several workers never take the same row.

Failing safe. A write waits at most `lock_timeout` seconds (`FRONTDESK_DB_LOCK_TIMEOUT`, 5 by default,
set here and nowhere else) for the write lock, this process's and SQLite's alike; past that it raises
`DatabaseBusy`, and a database that cannot take a write at all (unreachable, read-only, full) raises
`DatabaseUnavailable`. The forms answer both with a 503 and `Retry-After`, the form re-rendered with what
the person typed (`intake/answers.py`), instead of hanging for 30 s and losing it. Statements are logged,
if ever, without their parameters (`hide_parameters`): they are people's emails and messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from frontdesk.storage import private_file

DEFAULT_LOCK_TIMEOUT = 5.0

# The drivers' own logs are not ours to let through: aiosqlite logs every statement with its parameters at
# DEBUG, and sqlalchemy.engine at INFO is `echo=True`. Whatever the entry point (the CLI, uvicorn --factory,
# a test) and whatever the root level, only their warnings are kept: parameters are people's data.
for _name in ("aiosqlite", "asyncpg", "sqlalchemy.engine", "sqlalchemy.pool"):
    logging.getLogger(_name).setLevel(logging.WARNING)


class DatabaseUnavailable(Exception):
    """The database cannot take a write now: unreachable, read-only, full, or (`DatabaseBusy`) locked."""

    def __init__(self, reason: str = "the database cannot take a write just now") -> None:
        super().__init__(reason)


class DatabaseBusy(DatabaseUnavailable):
    """Another writer held the database for longer than the lock timeout."""

    def __init__(self) -> None:
        super().__init__("the database is busy with another write")


def unavailable(exc: BaseException) -> DatabaseUnavailable | None:
    """What a driver error means for the person waiting: busy, unavailable, or None (a bug: let it raise)."""
    if isinstance(exc, DatabaseUnavailable):
        return exc
    if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
        text = str(getattr(exc, "orig", None) or exc).lower()
        if "locked" in text or "busy" in text:
            return DatabaseBusy()
        if "readonly" in text or "read-only" in text or "read only" in text:
            return DatabaseUnavailable("the database is read-only")
        if "full" in text:
            return DatabaseUnavailable("the database's disk is full")
        return DatabaseUnavailable()
    if isinstance(exc, sa.exc.DBAPIError) and "read-only" in str(getattr(exc, "orig", "")).lower():
        return DatabaseUnavailable("the database is read-only")  # a PostgreSQL standby
    if isinstance(exc, OSError):
        return DatabaseUnavailable("the database cannot be reached")
    return None


def _raise_named(exc: Exception) -> NoReturn:
    """Raise `exc` as `DatabaseBusy` / `DatabaseUnavailable` when it means one, else as it is (a bug)."""
    found = unavailable(exc)
    if found is None or found is exc:
        raise exc
    raise found from exc


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for PostgreSQL and in-memory SQLite."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


T = TypeVar("T")
MAX_BATCH = 256
BUSY_BATCH = 4  # submissions in one group commit that mean a burst (`accepting_fast`)


@dataclass(frozen=True)
class Inserts:
    """A write job that is only rows to insert, in order (parents before children).

    The SQLite writer inserts the rows of every such job in a batch with one
    executemany per table, which is what lets a busy form reach thousands of
    durable submissions a second; other jobs run one by one.

    Rows that depend on what the transaction reads (a submission's deliveries depend on the endpoints)
    give `lookup` and `more`: `lookup(conn)` runs inside the transaction, ONCE per batch for every job
    that names the same function, and `more(answer)` returns this job's further rows. So a batch of
    submissions reads the endpoints once and still inserts with one executemany per table. `lookup`
    is synchronous (a `sa.Connection`): on SQLite the batch runs in a worker thread.
    """

    rows: tuple[tuple[sa.Table, dict[str, Any]], ...]
    lookup: Callable[[sa.Connection], Any] | None = None
    more: Callable[[Any], tuple[tuple[sa.Table, dict[str, Any]], ...]] | None = None


@dataclass(frozen=True)
class Sync:
    """A write job of plain synchronous statements: `fn(conn)` on a `sa.Connection`, in its own savepoint."""

    fn: Callable[[sa.Connection], Any]


Job = Callable[[AsyncConnection], Awaitable[Any]] | Inserts | Sync
Queued = tuple[Job, "asyncio.Future[Any]"]
Outcome = tuple["asyncio.Future[Any]", Any, BaseException | None]


def _insert_all(conn: sa.Connection, jobs: list[Inserts]) -> None:
    by_table: dict[sa.Table, list[dict[str, Any]]] = {}
    answers: dict[Callable[[sa.Connection], Any], Any] = {}
    for job in jobs:
        found = job.rows
        if job.lookup is not None and job.more is not None:
            if job.lookup not in answers:
                answers[job.lookup] = job.lookup(conn)
            found = (*found, *job.more(answers[job.lookup]))
        for table, row in found:
            by_table.setdefault(table, []).append(row)
    for table, rows in by_table.items():  # dicts keep first-seen order: parents first
        conn.execute(table.insert(), rows)


def _run_sync(conn: sa.Connection, job: Inserts | Sync) -> Any:
    if isinstance(job, Inserts):
        _insert_all(conn, [job])
        return None
    return job.fn(conn)


def _run_sync_jobs(conn: sa.Connection, batch: list[Queued]) -> list[Outcome]:
    """Every `Inserts` job together in one savepoint, then each `Sync` job in its own.

    If the shared insert fails (one job's duplicate key, say), the jobs are run one by one instead, so
    only the bad one fails. Exceptions are returned, not raised: the caller settles the futures on the
    event loop, and the others' rows still commit.
    """
    plain = [(job, future) for job, future in batch if isinstance(job, Inserts)]
    singles: list[Queued] = [(job, future) for job, future in batch if isinstance(job, Sync)]
    outcomes: list[Outcome] = []
    if plain:
        try:
            with conn.begin_nested():
                _insert_all(conn, [job for job, _ in plain if isinstance(job, Inserts)])
            outcomes.extend((future, None, None) for _, future in plain)
        except Exception:  # find the bad job: retry them one by one
            singles = plain + singles
    for job, future in singles:
        assert isinstance(job, Inserts | Sync)
        try:
            with conn.begin_nested():
                outcomes.append((future, _run_sync(conn, job), None))
        except Exception as exc:  # this job alone rolls back to its savepoint
            outcomes.append((future, None, exc))
    return outcomes


async def _run_job(conn: AsyncConnection, job: Job) -> Any:
    if isinstance(job, Inserts | Sync):
        return await conn.run_sync(_run_sync, job)
    return await job(conn)


async def _settle(batch: list[Queued], commit: Awaitable[list[Outcome]]) -> None:
    """Await one batch's transaction and give each caller its result or its own job's error."""
    try:
        outcomes = await commit
    except Exception as exc:  # BEGIN or COMMIT failed: nobody's rows are stored
        for _, future in batch:
            if not future.done():
                future.set_exception(exc)
        return
    for future, result, error in outcomes:
        if future.done():
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)


def upsert_insert(conn: AsyncConnection) -> Any:
    """The dialect's `insert` that has `on_conflict_do_update` / `_do_nothing` (SQLite and PostgreSQL alike)."""
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


class Database:
    def __init__(self, url: str, *, echo: bool = False, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.lock_timeout = lock_timeout
        self._write_lock = asyncio.Lock()
        self._queue: asyncio.Queue[Queued] | None = None
        self._writer: asyncio.Task[None] | None = None
        # The group commit's synchronous connection to a SQLite file, created on first use.
        self._sync_engine: sa.Engine | None = None
        self._threaded = self.is_sqlite and sqlite_path(url) is not None
        self._last_batch = (0.0, 0)  # (time.monotonic(), its count of Inserts jobs): see `accepting_fast()`
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        if self.is_sqlite:
            path = sqlite_path(url)
            if path is not None:
                private_file(path)  # 0600 before SQLite opens it; its -wal and -shm files take the same mode
            kwargs["connect_args"] = {"timeout": lock_timeout}
        else:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            configure_sqlite(self.engine.sync_engine, lock_timeout)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def _locked(self) -> AsyncIterator[None]:
        """This process's write lock, waited for at most `lock_timeout` seconds."""
        try:
            async with asyncio.timeout(self.lock_timeout):
                await self._write_lock.acquire()
        except TimeoutError:
            raise DatabaseBusy() from None
        try:
            yield
        finally:
            self._write_lock.release()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction; `DatabaseBusy` or `DatabaseUnavailable` when it cannot be had or kept."""
        try:
            if not self.is_sqlite:
                async with self.engine.begin() as conn:
                    yield conn
                return
            async with self._locked(), self.engine.connect() as conn:
                conn = await conn.execution_options(frontdesk_begin="BEGIN IMMEDIATE")
                async with conn.begin():
                    yield conn
        except Exception as exc:
            _raise_named(exc)

    async def transact(self, job: Job) -> Any:
        """Run `job(conn)` (or insert `Inserts` rows) in a write transaction; return once committed."""
        try:
            return await self._transact(job)
        except Exception as exc:
            _raise_named(exc)

    async def _transact(self, job: Job) -> Any:
        if not self.is_sqlite:
            async with self.engine.begin() as conn:
                return await _run_job(conn, job)
        loop = asyncio.get_running_loop()
        if self._writer is None or self._writer.done() or self._writer.get_loop() is not loop:
            self._queue = asyncio.Queue()
            self._writer = loop.create_task(self._write_batches(self._queue), name="frontdesk-sqlite-writer")
        future: asyncio.Future[Any] = loop.create_future()
        assert self._queue is not None
        self._queue.put_nowait((job, future))
        # shield: a caller that goes away (client disconnect) must not cancel a commit other callers share.
        return await asyncio.shield(future)

    async def _write_batches(self, queue: asyncio.Queue[Queued]) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < MAX_BATCH and not queue.empty():
                batch.append(queue.get_nowait())
            self._last_batch = (time.monotonic(), sum(1 for job, _ in batch if isinstance(job, Inserts)))
            plain: list[Queued] = [(job, future) for job, future in batch if isinstance(job, Inserts | Sync)]
            others: list[Queued] = [(job, future) for job, future in batch if not isinstance(job, Inserts | Sync)]
            if plain and self._threaded:
                await _settle(plain, self._commit_in_thread(plain))
                plain = []
            if plain or others:
                await _settle(plain + others, self._commit_async(plain, others))

    async def _commit_in_thread(self, batch: list[Queued]) -> list[Outcome]:
        """One transaction for `batch`, run start to COMMIT in a worker thread (one hand-off in all)."""
        async with self._locked():
            return await asyncio.to_thread(self._in_thread, batch)

    async def _commit_async(self, plain: list[Queued], others: list[Queued]) -> list[Outcome]:
        """One transaction through aiosqlite, for async jobs (and in-memory SQLite, which has no file to share)."""
        outcomes: list[Outcome] = []
        async with self._locked(), self.engine.connect() as conn:
            conn = await conn.execution_options(frontdesk_begin="BEGIN IMMEDIATE")
            async with conn.begin():
                if plain:
                    outcomes += await conn.run_sync(_run_sync_jobs, plain)
                for job, future in others:
                    try:
                        async with conn.begin_nested():
                            outcomes.append((future, await _run_job(conn, job), None))
                    except Exception as exc:  # this job alone rolls back to its savepoint
                        outcomes.append((future, None, exc))
        return outcomes

    def accepting_fast(self, batch: int = BUSY_BATCH, within: float = 0.5) -> bool:
        """True while submissions arrive faster than one commit apiece: a burst the site is busy taking.

        The SQLite writer's last batch held at least `batch` submissions and was no more than `within`
        seconds ago. The in-process delivery worker checks it to give the site the core first
        (`delivery/outbox.py`). Always False on PostgreSQL, which has no group commit to watch.
        """
        at, size = self._last_batch
        return size >= batch and time.monotonic() - at <= within

    async def write_sync(self, fn: Callable[[sa.Connection], T]) -> T:
        """Run the synchronous `fn(conn)` in a write transaction and return its result.

        For batch work of many statements (the outbox's bookkeeping). On SQLite it joins the group
        commit: its own savepoint in the writer's next transaction, which runs in a worker thread in
        one hand-off and shares its COMMIT with the submissions accepted meanwhile. On PostgreSQL it
        runs through `run_sync` on an ordinary transaction.
        """
        if not self.is_sqlite:
            async with self.write() as conn:  # which names a failure as `write()` does
                return await conn.run_sync(fn)
        result: T = await self.transact(Sync(fn))
        return result

    def _in_thread(self, batch: list[Queued]) -> list[Outcome]:
        if self._sync_engine is None:  # only ever one thread here at a time: the write lock is held
            url = sa.engine.make_url(self.url).set(drivername="sqlite+pysqlite")
            self._sync_engine = sa.create_engine(
                url, hide_parameters=True, connect_args={"timeout": self.lock_timeout, "check_same_thread": False}
            )
            configure_sqlite(self._sync_engine, self.lock_timeout)
        with self._sync_engine.connect() as conn:
            conn = conn.execution_options(frontdesk_begin="BEGIN IMMEDIATE")
            with conn.begin():
                return _run_sync_jobs(conn, batch)

    async def ping(self) -> bool:
        try:
            async with self.read() as conn:
                await conn.execute(sa.text("SELECT 1"))
            return True
        except Exception:  # any driver error means "not ready"
            return False

    async def writable(self, within: float = 1.0) -> str | None:
        """None if a write could start within `within` seconds, else why not (for /readyz).

        SQLite: take the write lock (`BEGIN IMMEDIATE`) and give it back; that fails for a file held by another
        writer, a read-only file or folder. PostgreSQL: a standby in recovery, or a read-only session.
        """
        try:
            async with asyncio.timeout(within):
                if self.is_sqlite:
                    async with self._locked(), self.engine.connect() as conn:
                        conn = await conn.execution_options(frontdesk_begin="BEGIN IMMEDIATE")
                        async with conn.begin():  # takes the write lock, writes nothing
                            pass
                    return None
                async with self.read() as conn:
                    read_only = (await conn.exec_driver_sql("SHOW transaction_read_only")).scalar()
                return "read-only" if read_only == "on" else None
        except (TimeoutError, DatabaseBusy):
            return "busy: another writer holds it"
        except Exception as exc:
            found = unavailable(exc)
            return str(found) if found is not None else type(exc).__name__

    async def dispose(self) -> None:
        if self._writer is not None and not self._writer.done():
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, RuntimeError):
                await self._writer
        await self.engine.dispose()
        if self._sync_engine is not None:
            self._sync_engine.dispose()


def configure_sqlite(engine: sa.Engine, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
    """The pragmas every SQLite connection gets (WAL, synchronous=FULL, the busy timeout, foreign keys),
    and transactions that begin as the caller asks (`BEGIN IMMEDIATE` for writes)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module, so that the
        # BEGIN below is the only one and can be IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={int(lock_timeout * 1000)}")  # first: the next pragma may wait
        # Persistent once set (migrations set it too); switching needs the lock, which another process may hold
        # right now: then this connection reads in the file's current mode, and a later one switches.
        with contextlib.suppress(sqlite3.OperationalError):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get("frontdesk_begin", "BEGIN"))
