"""The httptools flavour of `slow_clients`: its own module, because httptools is optional for uvicorn."""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from frontdesk.guard.slow_clients import _HeaderDeadline


class GuardedHttpToolsProtocol(_HeaderDeadline, HttpToolsProtocol):
    pass
