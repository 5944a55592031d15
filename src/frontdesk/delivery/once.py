"""The in-process delivery worker runs in one process per data dir, however many `--workers` serve the site.

`frontdesk serve --workers 4` starts four processes, and each runs the app's lifespan. Four outbox workers
on one machine would not deliver anything twice (claims are leased), but they would poll four times as
often, open four client pools and split the destinations' pace four ways. So the first process to take the
lock file `worker.lock` in the data dir runs the worker; the others check again every `RETRY_SECONDS`, and
one of them takes over if the holder exits (uvicorn restarts a worker that dies; the lock dies with it).

More delivery capacity is a deliberate choice: `frontdesk worker` processes (on this host or others, with
PostgreSQL) run beside the site, and `FRONTDESK_RUN_WORKER=false` keeps the site's processes out of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable

from frontdesk.clock import Clock
from frontdesk.db import Database
from frontdesk.delivery import outbox
from frontdesk.delivery.outbox import Outbox
from frontdesk.settings import Settings
from frontdesk.storage import private_dir, try_lock

log = logging.getLogger("frontdesk.delivery")

LOCK_NAME = "worker.lock"
RETRY_SECONDS = 5.0


async def start_once(
    stack: contextlib.AsyncExitStack,
    settings: Settings,
    db: Database,
    clock: Clock,
    on_start: Callable[[Outbox], None],
) -> None:
    """Start the worker now if this process takes the lock, or later when the process holding it exits."""
    path = private_dir(settings.data_dir) / LOCK_NAME

    async def run(fd: int) -> None:
        stack.callback(os.close, fd)  # pushed before the worker's own callbacks: released after it stops
        log.info("the delivery worker runs in this process (%d)", os.getpid())
        on_start(await outbox.start(stack, settings, db, clock))

    fd = try_lock(path)
    if fd is not None:
        await run(fd)
        return
    log.info("another process runs the delivery worker; this one (%d) stands by", os.getpid())

    async def wait_for_lock() -> None:
        while True:  # a file lock has no event to wait on: polling is the only way to learn it was released
            await asyncio.sleep(RETRY_SECONDS)
            fd = try_lock(path)
            if fd is not None:
                await run(fd)
                return

    task = asyncio.create_task(wait_for_lock())

    async def cancel() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    stack.push_async_callback(cancel)
