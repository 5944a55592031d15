"""Request shape: a malformed Host or oversized headers get a clear 4xx before anything else runs.

The HTTP server (uvicorn) rejects what cannot be parsed at all, but lets
through much that is parseable yet wrong, and with httptools it has no limit
on header size. This middleware refuses, in the site's layout:

- **400** for a `Host` header that is empty, repeated (RFC 9112 requires a
  400), longer than 255 characters, or not the syntax of a host name, an
  IPv4 address or a bracketed IPv6 address with an optional port;
- **404** for a NUL character in the path: no page of the site has one, and
  PostgreSQL refuses NUL in text, so one that reached a query (a staff page's
  path parameter) was a 500 (staff query strings are checked by
  `staff/access.py`);
- **431** (Request Header Fields Too Large) for more than `MAX_HEADERS`
  headers, any header line over `MAX_HEADER_LINE` bytes, or more than
  `MAX_HEADER_BYTES` in all. Browsers stay far below these; a proxy in front
  (nginx defaults to 8 KiB per line) usually refuses even earlier.

A request without any Host (HTTP/1.0, some probes) is allowed; the app only
uses `FRONTDESK_PUBLIC_URL` for absolute links, never the Host header.

The refusal is rendered from a cleaned copy of the request (no Host, no
oversized header), so the error page itself cannot trip over the bad input.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger("frontdesk.shape")

MAX_HEADERS = 100
MAX_HEADER_LINE = 8 * 1024
MAX_HEADER_BYTES = 32 * 1024

_HOST = re.compile(rb"(?:[A-Za-z0-9\-._~%!$&'()*+,;=]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")

ErrorRenderer = Callable[[Request, Exception], Awaitable[Response]]


class MalformedHost(HTTPException):
    """The Host header is empty, repeated or not a host name."""

    def __init__(self) -> None:
        super().__init__(400, "The request's Host header is not valid.", headers={"Connection": "close"})


class NulInPath(HTTPException):
    """The path holds a NUL character: there is no such page."""

    def __init__(self) -> None:
        super().__init__(404)


class HeadersTooLarge(HTTPException):
    """Too many headers, or headers too large to be a browser's."""

    def __init__(self) -> None:
        super().__init__(
            431,
            "The request's headers are too large. Clearing this site's cookies usually helps.",
            headers={"Connection": "close"},
        )


def valid_host(value: bytes) -> bool:
    """Is this one Host header's value a host name, IPv4 or bracketed IPv6 address, with an optional port?"""
    return len(value) <= 255 and _HOST.fullmatch(value) is not None


def check_headers(headers: list[tuple[bytes, bytes]]) -> HTTPException | None:
    """The refusal this request deserves, or None if its shape is fine."""
    if len(headers) > MAX_HEADERS:
        return HeadersTooLarge()
    total = 0
    hosts = []
    for name, value in headers:
        size = len(name) + len(value) + 4  # ": " and CRLF, as on the wire
        if size > MAX_HEADER_LINE:
            return HeadersTooLarge()
        total += size
        if name == b"host":
            hosts.append(value)
    if total > MAX_HEADER_BYTES:
        return HeadersTooLarge()
    if len(hosts) > 1 or (hosts and not valid_host(hosts[0])):
        return MalformedHost()
    return None


class RequestShapeMiddleware:
    def __init__(self, app: ASGIApp, *, render_error: ErrorRenderer | None = None) -> None:
        self.app = app
        self.render_error = render_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = check_headers(scope["headers"])
        if problem is None and "\x00" in scope["path"]:
            problem = NulInPath()
        if problem is None:
            await self.app(scope, receive, send)
            return
        log.info("refused %s %s: %s", scope["method"], scope["path"][:200], problem.status_code)
        # Render from a clean copy: without the Host and anything that would not have passed.
        clean = dict(scope)
        clean["headers"] = [
            (n, v) for n, v in scope["headers"][:MAX_HEADERS] if n != b"host" and len(n) + len(v) < 1024
        ]
        if self.render_error is None:
            response: Response = PlainTextResponse(str(problem.detail), problem.status_code, headers=problem.headers)
        else:
            response = await self.render_error(Request(clean, receive), problem)
        await response(clean, receive, send)
