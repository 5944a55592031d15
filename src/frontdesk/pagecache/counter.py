"""Page views, counted on the server without cookies, stored addresses or client scripts.

`ViewCounter.count(path, headers, day)` is the one call a server makes for each page it answers with a
200: it is a few dictionary operations, cheap enough for the cached-page fast path (pagecache/cache.py
calls it there, and a server outside Starlette can call it the same way with its raw header list). It
leaves out what is not a person reading a page: a user agent that is missing, not a browser's, or a
robot's (the verdict is cached per distinct agent, so the pattern runs once per agent, not per view), and
speculative loads (`Sec-Purpose` or `Purpose: prefetch`, `X-Moz: prefetch`). HEAD requests and 304s are
left out by the caller, which knows them.

Counts are kept in memory per (day, path) and added to `page_views` in one batch every few seconds by
the lifespan's task (`start`), and once more at shutdown: a crash loses at most the last `FLUSH_SECONDS`.
If a flush cannot write, its counts are merged back and tried again with the next one.

Unique visitors are not counted, on purpose. Counting them the way Plausible does needs a per-visitor
hash (of the address and user agent, with a salt that rotates daily) to be remembered for the whole
day, in the database (one row per visitor and day: the very identifier-per-visit store this counter
avoids, and a write per view) or in memory (which under `--workers N` counts one person once per worker
process and forgets them at every restart). Views per page are exact with neither.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
from collections.abc import Iterable

from frontdesk.db import Database, DatabaseUnavailable
from frontdesk.records import page_views

log = logging.getLogger(__name__)

FLUSH_SECONDS = 5.0
MAX_KEYS = 20_000  # distinct (day, path) pairs held between flushes; more are dropped, not grown without bound
MAX_AGENTS = 2_000  # user agents whose verdict is remembered
BOTS = re.compile(
    rb"bot|crawl|spider|slurp|scrap|fetch|preview|monitor|check|scan|archiver|curl|wget|python|httpx|aiohttp|"
    rb"java/|go-http|okhttp|libwww|headless|lighthouse|pagespeed|phantom|facebookexternalhit|embedly|"
    rb"whatsapp|telegram|discord|slack|feed|uptime|pingdom|validator",
    re.IGNORECASE,
)


class ViewCounter:
    def __init__(self, *, max_keys: int = MAX_KEYS) -> None:
        self.max_keys = max_keys
        self._counts: dict[tuple[dt.date, str], int] = {}
        self._agents: dict[bytes, bool] = {}  # user agent -> counts (a person's browser)
        self.dropped = 0  # views not counted because too many distinct paths arrived between two flushes

    def _person(self, agent: bytes) -> bool:
        verdict = self._agents.get(agent)
        if verdict is None:
            if len(self._agents) >= MAX_AGENTS:
                self._agents.clear()
            # Every browser a person uses says "Mozilla/"; robots that do are caught by the pattern.
            verdict = self._agents[agent] = b"Mozilla/" in agent and BOTS.search(agent) is None
        return verdict

    def count(self, path: str, headers: Iterable[tuple[bytes, bytes]], day: dt.date) -> bool:
        """Count one view of `path` on `day` unless the request is a robot's or a prefetch; True if counted.

        `headers` are the request's, as ASGI gives them (lower-case names, bytes).
        """
        agent = b""
        for name, value in headers:
            if name == b"user-agent":
                agent = value
            elif (name == b"sec-purpose" or name == b"purpose" or name == b"x-moz") and b"prefetch" in value:
                return False
        return self.count_parsed(path, agent, False, day)

    def count_parsed(self, path: str, agent: bytes, prefetch: bool, day: dt.date) -> bool:
        """`count()` for a caller that has scanned the headers already (the edge, whose loop finds both)."""
        if prefetch or not self._person(agent):
            return False
        key = (day, path)
        counts = self._counts
        if key in counts:
            counts[key] += 1
        elif len(counts) < self.max_keys:
            counts[key] = 1
        else:
            self.dropped += 1
            return False
        return True

    def drain(self) -> dict[tuple[dt.date, str], int]:
        """The counts so far, handed over and forgotten here."""
        counts, self._counts = self._counts, {}
        return counts

    def restore(self, counts: dict[tuple[dt.date, str], int]) -> None:
        """Put back counts a flush could not write (merged with those counted since)."""
        for key, n in counts.items():
            if key in self._counts or len(self._counts) < self.max_keys:
                self._counts[key] = self._counts.get(key, 0) + n

    async def flush(self, db: Database) -> int:
        """Add the counts so far to the database; returns how many views were written."""
        counts = self.drain()
        if not counts:
            return 0
        try:
            async with db.write() as conn:
                await page_views.add(conn, counts)
        except DatabaseUnavailable as exc:
            log.warning("page views not stored yet (%s); kept for the next flush", exc)
            self.restore(counts)
            return 0
        return sum(counts.values())


async def _flush_every(counter: ViewCounter, db: Database, seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            await counter.flush(db)
        except Exception:  # a flush that fails must not end the counting; the next one tries again
            log.exception("page view flush failed")


async def start(
    stack: contextlib.AsyncExitStack, counter: ViewCounter, db: Database, *, seconds: float = FLUSH_SECONDS
) -> None:
    """Flush `counter` every `seconds` for the app's lifespan, and once more at shutdown."""
    task = asyncio.create_task(_flush_every(counter, db, seconds), name="page-view-flush")

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await counter.flush(db)

    stack.push_async_callback(stop)
