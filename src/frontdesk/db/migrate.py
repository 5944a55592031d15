"""Migrations: apply Alembic's scripts, and tell cheaply whether the database is already current.

The scripts live in `db/migrations/versions/`; `frontdesk migrate` applies them, `frontdesk serve` applies
pending ones at start, and the database commands of the CLI apply them on the embedded SQLite default
(`cli/base.py`). Importing Alembic and walking its scripts costs a noticeable part of start-up, so
`at_head()` answers the common question ("anything to do?") by reading the scripts' revision ids as text
and the `alembic_version` table directly; only when it says no, or cannot tell, does Alembic run.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from frontdesk.db.engine import sqlite_path
from frontdesk.storage import private_file

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str, revision: str = "head") -> None:
    """Apply pending migrations (synchronous; call it before the event loop starts)."""
    from alembic import command

    path = sqlite_path(url)
    if path is not None:
        private_file(path)
    command.upgrade(alembic_config(url), revision)


_REVISION = re.compile(r"^revision(?:\s*:[^=]*)?\s*=\s*[\"']([^\"']+)[\"']", re.M)
_DOWN_REVISION = re.compile(r"^down_revision(?:\s*:[^=]*)?\s*=\s*(.+)$", re.M)


def _script_heads() -> set[str] | None:
    """The newest revisions among the migration scripts, read as text; None when a script is not understood."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        text = path.read_text()
        rev, down = _REVISION.search(text), _DOWN_REVISION.search(text)
        if not rev or not down:
            return None
        revisions.add(rev[1])
        parents.update(re.findall(r"[\"']([^\"']+)[\"']", down[1]))
    return (revisions - parents) or None


def at_head(url: str) -> bool:
    """Whether the database is at the newest migration, checked without importing Alembic.

    `frontdesk serve` migrates at every start, and importing Alembic and walking its scripts is a large part of
    start-up even when there is nothing to do. This check reads the scripts' revision ids as text and the
    `alembic_version` table directly; when it says False, or cannot tell, Alembic decides (`migrate`).
    """
    heads = _script_heads()
    if heads is None:
        return False
    path = sqlite_path(url)
    try:
        if path is not None:
            import sqlite3

            if not path.exists():
                return False
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
                current = {row[0] for row in conn.execute("SELECT version_num FROM alembic_version")}
        elif url.startswith("postgresql"):

            async def read() -> set[str]:
                engine = create_async_engine(url, hide_parameters=True)
                try:
                    async with engine.connect() as conn:
                        rows = await conn.execute(sa.text("SELECT version_num FROM alembic_version"))
                        return {row[0] for row in rows}
                finally:
                    await engine.dispose()

            current = asyncio.run(read())
        else:
            return False
    except Exception:  # no table yet, unreachable, locked: let Alembic decide and report
        return False
    return current == heads


def pending_migrations(url: str) -> list[str]:
    """Revision ids not yet applied to the database at `url`."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(url))

    async def current() -> set[str]:
        engine = create_async_engine(url, hide_parameters=True)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(lambda c: set(MigrationContext.configure(c).get_current_heads()))
        finally:
            await engine.dispose()

    heads = asyncio.run(current())
    applied: set[str] = set()
    for head in heads:
        applied.update(r.revision for r in script.iterate_revisions(head, "base"))
    return [r.revision for r in script.walk_revisions() if r.revision not in applied]
