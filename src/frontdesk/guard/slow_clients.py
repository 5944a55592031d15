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
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("frontdesk.slow_clients")

HEADER_TIMEOUT = 10.0


def configure(header_timeout: float) -> None:
    """The deadline for this process's connections (uvicorn builds a protocol object per connection)."""
    global HEADER_TIMEOUT
    HEADER_TIMEOUT = header_timeout


class _HeaderDeadline:
    """Mixed into a uvicorn protocol: close the connection if a request's headers take too long."""

    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    cycle: Any

    def _arm(self) -> None:
        if getattr(self, "_header_timer", None) is None:
            self._header_timer: asyncio.TimerHandle | None = self.loop.call_later(HEADER_TIMEOUT, self._too_slow)

    def _disarm(self) -> None:
        timer = getattr(self, "_header_timer", None)
        if timer is not None:
            timer.cancel()
            self._header_timer = None

    def _waiting_for_headers(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _too_slow(self) -> None:
        self._header_timer = None
        if self._waiting_for_headers() and not self.transport.is_closing():
            log.info("closed a connection whose request headers took longer than %g s", HEADER_TIMEOUT)
            self.transport.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm()  # a connection that sends nothing at all

    def data_received(self, data: bytes) -> None:
        if self._waiting_for_headers():
            self._arm()  # the first bytes of a new request: its headers must follow in time
        super().data_received(data)  # type: ignore[misc]
        if not self._waiting_for_headers():
            self._disarm()  # the headers are in: the request runs under the body's own limits

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
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
