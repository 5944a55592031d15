"""Logging set up once per process: `frontdesk` commands, and each process of `serve --workers N`.

uvicorn's worker processes are started fresh (spawned, not forked), so they inherit nothing of the parent's
logging: without this call in each (`app.app_from_env`), a worker's warnings went nowhere.
"""

from __future__ import annotations

import logging
import sys

from frontdesk.settings import Settings


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per applied migration is enough
    # The database drivers' loggers, which echo parameters, are kept at WARNING by frontdesk.db.engine.
    for name in ("aiosqlite", "asyncpg", "sqlalchemy.engine", "sqlalchemy.pool"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # python-multipart warns on every malformed body a bot sends, and pikepdf announces itself: noise.
    logging.getLogger("python_multipart").setLevel(logging.ERROR)
    logging.getLogger("pikepdf").setLevel(logging.WARNING)
    # httpx2 logs every request at INFO with its full URL: a line per delivery, and a webhook URL may carry a token.
    for name in ("httpx2", "httpcore2", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
