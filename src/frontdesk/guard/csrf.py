"""Cross-site request forgery: refuse unsafe requests that a browser sent from another site.

This is the algorithm of Go 1.25's `net/http.CrossOriginProtection`, as pure
ASGI middleware. It needs no token in the forms and no cookie, because modern
browsers say where a request comes from:

1. GET, HEAD and OPTIONS are always allowed: they must not change anything.
2. `Sec-Fetch-Site: same-origin` or `none` (typed in the address bar, a
   bookmark) is allowed. Any other value (`cross-site`, `same-site`) is
   refused, unless the `Origin` is one of `FRONTDESK_TRUSTED_ORIGINS`.
3. Without `Sec-Fetch-Site` (browsers before 2023), the `Origin` header is
   compared with `Host`: the same host is allowed, a trusted origin is
   allowed, anything else is refused.
4. A request with neither header did not come from a browser page (curl, a
   monitoring probe, a server-side integration), so it cannot carry a
   victim's cookies by forgery, and it is allowed.

`Origin` and `Host` are compared without the scheme, as Go does: an
http-to-https difference is left to HSTS. The staff cookie's
`SameSite=Strict` is a second, independent layer.

A refusal is a 403 in the site's layout (or JSON for clients that ask for it),
rendered by the app's own error page through the `render_error` callable.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger("frontdesk.csrf")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

ErrorRenderer = Callable[[Request, Exception], Awaitable[Response]]


class CrossOriginRequestRefused(HTTPException):
    """An unsafe request came from another site's page and its origin is not trusted."""

    def __init__(self) -> None:
        super().__init__(403, "This form was sent from another website, so it was refused.")


def normalize_origin(origin: str) -> str:
    """`Https://Example.com/` -> `https://example.com`: the form trusted origins are compared in."""
    return origin.strip().rstrip("/").lower()


def origin_host(origin: str) -> str | None:
    """The `host[:port]` of an Origin header, or None when it is not a usable URL (e.g. `null`)."""
    try:
        parts = urlsplit(origin)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return parts.netloc.lower()


def is_cross_origin(method: str, headers: Headers, trusted_origins: frozenset[str]) -> bool:
    """True when the request must be refused; the Go algorithm, step for step."""
    if method.upper() in SAFE_METHODS:
        return False
    origin = headers.get("origin") or None  # Go reads an empty header as an absent one
    trusted = origin is not None and normalize_origin(origin) in trusted_origins
    site = headers.get("sec-fetch-site") or None
    if site is not None:
        if site.strip().lower() in ("same-origin", "none"):
            return False
        return not trusted
    if origin is None:
        return False  # neither header: not a browser page, so not a forgery
    host = headers.get("host", "").strip().lower()
    if host and origin_host(origin) == host:
        return False
    return not trusted


class CrossOriginMiddleware:
    """Refuses cross-origin unsafe requests with a 403 before any view (or body read) runs."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        trusted_origins: Iterable[str] = (),
        render_error: ErrorRenderer | None = None,
    ) -> None:
        self.app = app
        self.trusted = frozenset(normalize_origin(o) for o in trusted_origins)
        self.render_error = render_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_cross_origin(scope["method"], Headers(scope=scope), self.trusted):
            await self.app(scope, receive, send)
            return
        # The origin and fetch-site say where the form was; they are not personal data.
        headers = Headers(scope=scope)
        log.info(
            "refused cross-origin %s %s (sec-fetch-site=%s, origin=%s)",
            scope["method"],
            scope["path"],
            headers.get("sec-fetch-site", "-"),
            headers.get("origin", "-")[:100],
        )
        exc = CrossOriginRequestRefused()
        if self.render_error is None:
            response: Response = PlainTextResponse(f"403 {exc.detail}", status_code=403)
        else:
            response = await self.render_error(Request(scope, receive), exc)
        await response(scope, receive, send)
