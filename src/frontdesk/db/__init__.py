"""The database: the engine and its write paths, the schema, and migrations.

- `engine.py`  `Database`: reads, serialized writes (`BEGIN IMMEDIATE` on SQLite), group commit
- `tables.py`  the schema as SQLAlchemy Core, with the `UTCDateTime` column type
- `clock.py`   due times by the database's clock, so hosts whose clocks disagree share one queue
- `migrate.py` Alembic: apply the scripts in `migrations/`, and a cheap "already current?" check
"""

from frontdesk.db.engine import Database, DatabaseUnavailable, Inserts, upsert_insert

__all__ = ["Database", "DatabaseUnavailable", "Inserts", "upsert_insert"]
