"""Connections that never finish their headers are closed: uvicorn's HTTP protocols, with a header deadline.

uvicorn closes an idle keep-alive connection after `timeout_keep_alive`, but it starts no clock for a new
connection, nor for a request whose headers arrive a byte at a time. With the file-descriptor limit at 256,
260 such sockets starved every real visitor. These subclasses of uvicorn's two protocols give each request
`HEADER_TIMEOUT` seconds from its first byte (or from the connection's opening) to complete its headers;
past that the connection is closed. A slow *body* is the business of `bodylimit.py` (408 below a minimum
rate).

`frontdesk serve` passes the class to uvicorn (`protocol()` picks the one for the parser uvicorn would
use) and sets the deadline from `FRONTDESK_HEADER_TIMEOUT` with `configure()`, in each worker process.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("frontdesk.slow_clients")

HEADER_TIMEOUT = 10.0


def configure(header_timeout: float) -> None:
    """The deadline for this process's connections (uvicorn builds a protocol object per connection)."""
    global HEADER_TIMEOUT
    HEADER_TIMEOUT = header_timeout


class _Sweeper:
    """One periodic check per event loop, over every open connection: no timer per request.

    A timer per request (`call_later`, then `cancel`) cost about 2 µs of every cached page, a third of
    what the edge spends on one. Instead each connection notes when it began waiting for headers, and
    this sweep, a few times per deadline, closes those that have waited too long.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.connections: set[_HeaderDeadline] = set()
        self.handle: asyncio.TimerHandle | None = None

    def add(self, connection: _HeaderDeadline) -> None:
        self.connections.add(connection)
        if self.handle is None:
            self.handle = self.loop.call_later(self.interval(), self.sweep)

    @staticmethod
    def interval() -> float:
        return max(0.05, min(1.0, HEADER_TIMEOUT / 4))

    def sweep(self) -> None:
        now = self.loop.time()
        for connection in [c for c in self.connections if c._too_slow(now)]:
            self.connections.discard(connection)
        self.handle = self.loop.call_later(self.interval(), self.sweep) if self.connections else None


_sweepers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Sweeper] = weakref.WeakKeyDictionary()


class _HeaderDeadline:
    """Mixed into a uvicorn protocol: close the connection if a request's headers take too long."""

    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    cycle: Any
    _waiting_since: float | None = None  # the loop's time when this request's first byte (or the connection) came

    def _waiting_for_headers(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _too_slow(self, now: float) -> bool:
        """Close the connection if its headers are overdue; True once it needs no more sweeping."""
        if self.transport.is_closing():
            return True
        since = self._waiting_since
        if since is not None and now - since > HEADER_TIMEOUT and self._waiting_for_headers():
            log.info("closed a connection whose request headers took longer than %g s", HEADER_TIMEOUT)
            self.transport.close()
            return True
        return False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._waiting_since = self.loop.time()  # a connection that sends nothing at all
        sweeper = _sweepers.get(self.loop)
        if sweeper is None:
            sweeper = _sweepers[self.loop] = _Sweeper(self.loop)
        sweeper.add(self)

    def data_received(self, data: bytes) -> None:
        if self._waiting_since is None and self._waiting_for_headers():
            self._waiting_since = self.loop.time()  # the first bytes of a new request: its headers must follow
        super().data_received(data)  # type: ignore[misc]
        if self._waiting_since is not None and not self._waiting_for_headers():
            self._waiting_since = None  # the headers are in: the request runs under the body's own limits

    def connection_lost(self, exc: Exception | None) -> None:
        sweeper = _sweepers.get(self.loop)
        if sweeper is not None:
            sweeper.connections.discard(self)
        super().connection_lost(exc)  # type: ignore[misc]


class GuardedH11Protocol(_HeaderDeadline, H11Protocol):
    pass


_guarded_httptools: type[asyncio.Protocol] | None
try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is optional for uvicorn; without it uvicorn itself uses h11
    _guarded_httptools = None
else:

    class GuardedHttpToolsProtocol(_HeaderDeadline, HttpToolsProtocol):
        pass

    _guarded_httptools = GuardedHttpToolsProtocol


def protocol() -> type[asyncio.Protocol]:
    """The guarded protocol for the parser uvicorn's "auto" would choose (httptools when installed)."""
    return _guarded_httptools or GuardedH11Protocol
