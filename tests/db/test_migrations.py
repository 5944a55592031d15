"""The migrations build exactly the schema `tables.py` describes, and 0005a (endpoints) goes down and up again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from frontdesk.db import Database
from frontdesk.db.migrate import alembic_config, migrate
from frontdesk.db.tables import metadata
from support import in_thread, run


def differences(url: str) -> list[object]:
    async def go() -> list[object]:
        db = Database(url)
        try:
            async with db.read() as conn:
                return await conn.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync), metadata))
        finally:
            await db.dispose()

    return run(go())


def test_migrations_match_the_tables_and_go_down_and_up(database_url):
    assert differences(database_url) == []
    in_thread(command.downgrade, alembic_config(database_url), "0004")
    in_thread(migrate, database_url)
    assert differences(database_url) == []
