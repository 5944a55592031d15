"""A database that cannot take a write answers 503 with the form kept; files are private; logs hold no people.

- Another process holds SQLite's write lock: a form post waits `FRONTDESK_DB_LOCK_TIMEOUT`, then answers
  503 with `Retry-After`, the form re-rendered with the person's input (JSON: `{"ok": false, "error"}`),
  nothing stored; `/readyz` says the database cannot take a write. Before, the post hung 30 s and gave a 500.
- A full or read-only upload disk: 503 the same way, and no zero-byte orphan is left.
- The data dir is 0700 and the database files 0600 whatever the umask (they were 0755/0644).
- A failing statement with a person's data in its parameters: no log line holds that data.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.routing import Route
from starlette.testclient import TestClient

from frontdesk import services
from frontdesk.app import create_app
from frontdesk.db import Database, DatabaseUnavailable, tables
from frontdesk.db.engine import sqlite_path
from frontdesk.records import uploads
from frontdesk.settings import Settings
from support import DEMO_CONTENT, PDF, PG_URL, TEST_SECRET, db_rows, empty_pg_database, in_thread, need, run, token

LEAD = {
    "name": "Rosa Kept",
    "email": "rosa.kept@example.com",
    "interest": "auto",
    "message": "Please keep what I typed.",
    "consent": "yes",
}
APPLY = "/careers/licensed-insurance-agent/apply"


@pytest.fixture
def sqlite_settings(tmp_path: Path, sqlite_template: Path) -> Settings:
    """Settings on a SQLite file of this test's own: the lock tests are about SQLite's file lock."""
    path = tmp_path / "locked.db"
    shutil.copy(sqlite_template, path)
    return Settings(
        content_dir=DEMO_CONTENT,
        data_dir=tmp_path / "data",
        database_url=f"sqlite+aiosqlite:///{path}",
        secret_key=TEST_SECRET,
        public_url="http://testserver",
        run_worker=False,
        form_min_seconds=0,
        db_lock_timeout=0.5,
        rate_limits={k: "1000/minute" for k in Settings().rate_limits},
    )


@pytest.fixture
def sqlite_only(sqlite_settings: Settings) -> Path:
    path = sqlite_path(sqlite_settings.database_url)
    assert path is not None
    return path


@pytest.fixture
def locked(sqlite_only: Path) -> Iterator[None]:
    """Another process holds the write lock (BEGIN IMMEDIATE) until the test ends."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            f"c = sqlite3.connect({str(sqlite_only)!r}, isolation_level=None)\n"
            "c.execute('BEGIN IMMEDIATE')\n"
            "print('locked', flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    try:
        yield
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=10)
        holder.stdout.close()


@pytest.fixture
def quick_client(sqlite_settings: Settings, clock: Any) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_settings, clock=clock), follow_redirects=False) as c:
        yield c


def test_a_locked_database_gives_503_with_the_form_kept(quick_client, sqlite_settings, locked):
    form_token = token(quick_client)
    started = time.monotonic()
    r = quick_client.post("/request-info", data={**LEAD, "_t": form_token})
    assert time.monotonic() - started < 10  # it waited about the lock timeout, not 30 s
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert "Please send it again" in r.text and 'value="Rosa Kept"' in r.text and "Please keep what I typed." in r.text
    j = quick_client.post("/request-info", data={**LEAD, "_t": form_token}, headers={"Accept": "application/json"})
    assert j.status_code == 503 and j.json()["ok"] is False and "again" in j.json()["error"]
    ready = quick_client.get("/readyz")
    assert ready.status_code == 503 and "database: cannot take a write (the database is busy" in ready.text
    assert db_rows(sqlite_settings.database_url, tables.submissions) == []  # nothing of it was stored


def test_the_lock_passing_lets_the_next_post_through(quick_client, sqlite_settings):
    ready = quick_client.get("/readyz")
    assert ready.status_code == 200, ready.text
    r = quick_client.post("/request-info", data={**LEAD, "_t": token(quick_client)})
    assert r.status_code == 303
    assert len(db_rows(sqlite_settings.database_url, tables.submissions)) == 1


def test_a_read_only_postgresql_gives_503_and_readyz_says_so(tmp_path, clock):
    """A PostgreSQL that takes no writes (a standby, a read-only role) answers the same way."""
    from frontdesk.db.migrate import migrate

    if not PG_URL:
        need("PostgreSQL tests need FRONTDESK_TEST_DATABASE_URL")
    url = empty_pg_database(PG_URL, "readonly")
    in_thread(migrate, url)
    name = sa.engine.make_url(url).database

    async def read_only() -> None:
        db = Database(url)
        try:
            async with db.write() as conn:
                await conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        finally:
            await db.dispose()

    run(read_only())
    settings = Settings(
        content_dir=DEMO_CONTENT,
        data_dir=tmp_path / "data",
        database_url=url,
        secret_key=TEST_SECRET,
        public_url="http://testserver",
        run_worker=False,
        form_min_seconds=0,
    )
    with TestClient(create_app(settings, clock=clock), follow_redirects=False) as c:
        r = c.post("/request-info", data={**LEAD, "_t": token(c)})
        assert r.status_code == 503 and 'value="Rosa Kept"' in r.text
        ready = c.get("/readyz")
        assert ready.status_code == 503 and "read-only" in ready.text


def test_other_forms_keep_their_input_too(quick_client, locked):
    r = quick_client.post(
        APPLY,
        data={
            "_t": token(quick_client, APPLY),
            "name": "Grace Kept",
            "email": "g@h.co",
            "phone": "605 555 0123",
            "consent": "yes",
        },
        files={"resume": ("cv.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 503 and 'value="Grace Kept"' in r.text and "choose it again" in r.text
    r = quick_client.post(
        "/feedback", data={"_t": token(quick_client, "/customer-care"), "page": "/customer-care", "helpful": "yes"}
    )
    assert r.status_code == 503
    article = "/insights/measuring-website-help-pages"
    r = quick_client.post(
        f"{article}/comments",
        data={"_t": token(quick_client, article), "name": "Ann Kept", "email": "a@b.co", "comment": "Kept words."},
    )
    assert r.status_code == 503 and "Kept words." in r.text


@pytest.mark.parametrize("failure", ["disk full", "uploads is a file"])
def test_a_failed_upload_write_leaves_no_file_and_answers_503(client, settings, monkeypatch, failure):
    if failure == "disk full":

        def full(fd: int) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(uploads.os, "fsync", full)
    else:
        settings.uploads_dir.parent.mkdir(parents=True, exist_ok=True)
        settings.uploads_dir.write_text("not a folder")
    r = client.post(
        APPLY,
        data={
            "_t": token(client, APPLY),
            "name": "Grace Kept",
            "email": "g@h.co",
            "phone": "605 555 0123",
            "consent": "yes",
        },
        files={"resume": ("cv.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 503 and 'value="Grace Kept"' in r.text
    if settings.uploads_dir.is_dir():
        assert list(settings.uploads_dir.iterdir()) == []  # no zero-byte orphan
    assert db_rows(settings.database_url, tables.submissions) == []


def test_data_dir_and_database_files_are_private_whatever_the_umask(make_settings, clock, tmp_path):
    data = tmp_path / "fresh-data"
    url = f"sqlite+aiosqlite:///{data / 'frontdesk.db'}"
    from frontdesk.db.migrate import migrate

    old = os.umask(0)
    try:
        in_thread(migrate, url)  # Alembic's env calls asyncio.run(), and a browser test may hold a loop here
        app = create_app(make_settings(data_dir=data, database_url=url, secret_key=""), clock=clock)
        with TestClient(app, follow_redirects=False) as c:
            r = c.post(
                APPLY,
                data={"_t": token(c, APPLY), "name": "G", "email": "g@h.co", "phone": "605 555 0123", "consent": "yes"},
                files={"resume": ("cv.pdf", PDF, "application/pdf")},
            )
            assert r.status_code == 303
            found = {p.name: stat.S_IMODE(p.stat().st_mode) for p in data.rglob("*")}
    finally:
        os.umask(old)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert found["uploads"] == 0o700
    files = {name: mode for name, mode in found.items() if name != "uploads"}
    assert {"frontdesk.db", "secret_key"} <= set(files)
    assert set(files.values()) == {0o600}, files  # the database, its -wal/-shm, the key, the résumé


def test_no_log_line_holds_the_data_of_a_failing_statement(app, caplog):
    """A failing insert with a person's address in it, through the app: the 500 is logged, the address never.

    Neither as a bound parameter (hide_parameters) nor in PostgreSQL's own message, which quotes the failing
    row, nor in aiosqlite's debug log, whatever the root logger's level.
    """
    secret = "private.person@example.com"

    async def boom(request: Any) -> Any:
        async with services.of(request.app).db.write() as conn:
            await conn.execute(tables.audit.insert().values(at=None, actor=secret, action="logout"))

    app.router.routes.append(Route("/boom", boom))
    with caplog.at_level(logging.DEBUG), TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom")
    assert r.status_code == 500 and secret not in r.text
    logged = caplog.text + "".join(str(rec.exc_info) for rec in caplog.records)
    assert "database error on GET /boom: " in logged  # the kind of error is named (IntegrityError, ...)
    assert secret not in logged


def test_a_busy_database_is_named_not_a_traceback(sqlite_settings, locked):
    async def go() -> None:
        db = Database(sqlite_settings.database_url, lock_timeout=0.3)
        try:
            async with db.write() as conn:
                await conn.execute(sa.text("SELECT 1"))
        finally:
            await db.dispose()

    with pytest.raises(DatabaseUnavailable, match="busy"):
        run(go())
