"""Reloading content while serving: on SIGHUP, or by watching the content directory.

An editor changes a Markdown file; the site should show it without a restart,
and a mistake in the file must never take the site down. So a reload reads and
validates the whole directory off the event loop (`load_content` in a thread),
and only a complete, valid `Content` replaces the `ContentStore`'s current
snapshot, in one assignment: a request sees the old snapshot or the new one,
never a mix. Whoever keeps something derived from the content (the page cache)
subscribes with `on_change` and is told at once.
Invalid content is logged, one line per problem (file, field, problem), and
the old content keeps serving.

Two triggers, both installed by `start()` in the app's lifespan:

- SIGHUP (`kill -HUP PID`), when asked for: `frontdesk serve` asks for it with a
  single worker. With `--workers N` uvicorn's supervisor owns SIGHUP and
  restarts the workers instead.
- `frontdesk serve --reload-content` (`FRONTDESK_RELOAD_CONTENT=true`): every
  `POLL_SECONDS` the file names, sizes and modification times are compared; a
  change that has settled for one more poll (editors save several files, some
  in two steps) triggers a reload. Polling costs a `stat` per file and works on
  every filesystem, containers and network mounts included.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from frontdesk.content.loader import ContentError, load_content
from frontdesk.content.models import Content

log = logging.getLogger("frontdesk.reload")

POLL_SECONDS = 1.0
Snapshot = frozenset[tuple[str, int, int]]


class ContentStore:
    """The current content snapshot. `replace()` swaps it whole and tells every listener."""

    def __init__(self, content: Content, root: Path) -> None:
        self.current = content
        self.root = Path(root)
        self._listeners: list[Callable[[Content], None]] = []
        self._lock = asyncio.Lock()

    def on_change(self, listener: Callable[[Content], None]) -> None:
        self._listeners.append(listener)

    def replace(self, new: Content) -> None:
        self.current = new
        for listener in self._listeners:
            listener(new)

    async def reload(self) -> bool:
        """Re-read and validate the content, swap it in if valid. Returns whether the content was replaced."""
        async with self._lock:
            old = self.current
            try:
                new = await asyncio.to_thread(load_content, self.root)
            except ContentError as exc:
                log.error(
                    "content reload failed, still serving version %s (%d problem%s)",
                    old.version,
                    len(exc.problems),
                    "" if len(exc.problems) == 1 else "s",
                )
                for problem in exc.problems:
                    log.error("invalid content: %s", problem)
                return False
            self.replace(new)
            log.info("content reloaded: version %s -> %s", old.version, new.version)
            return True


def snapshot(root: Path) -> Snapshot:
    """Every file under `root` as (relative path, size, mtime in ns)."""
    found = []
    for path in root.rglob("*"):
        try:
            st = path.stat()
        except OSError:  # removed while we looked
            continue
        if path.is_file():
            found.append((path.relative_to(root).as_posix(), st.st_size, st.st_mtime_ns))
    return frozenset(found)


async def watch(store: ContentStore) -> None:
    """Poll the content directory every POLL_SECONDS; reload once a change has settled."""
    seen = await asyncio.to_thread(snapshot, store.root)
    pending: Snapshot | None = None
    while True:
        await asyncio.sleep(POLL_SECONDS)
        now = await asyncio.to_thread(snapshot, store.root)
        if now == seen:
            pending = None
            continue
        if now != pending:  # still changing: wait for one quiet poll
            pending = now
            continue
        seen, pending = now, None
        await store.reload()


async def start(stack: contextlib.AsyncExitStack, store: ContentStore, *, sighup: bool, poll: bool) -> None:
    """Install the SIGHUP handler and the watcher, as asked; `stack` removes both at shutdown."""
    tasks: set[asyncio.Task[Any]] = set()

    def spawn(coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        tasks.add(task)  # keep a reference until done, or the task may be collected mid-reload
        task.add_done_callback(tasks.discard)

    async def cancel_all() -> None:
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    stack.push_async_callback(cancel_all)
    if sighup:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGHUP, lambda: spawn(store.reload()))
        stack.callback(loop.remove_signal_handler, signal.SIGHUP)
        log.info("SIGHUP reloads the content")
    if poll:
        spawn(watch(store))
        log.info("watching %s for content changes", store.root)
