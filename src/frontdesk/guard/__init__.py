"""The guard: what stands between the network and the views, and the abuse checks the views call.

Middleware, outermost first (the order `middleware()` returns):

- `headers.py`       security headers on every answer (CSP, nosniff, HSTS over HTTPS, ...)
- `request_shape.py` a malformed Host or oversized headers: 400/431 before anything else runs
- `csrf.py`          unsafe requests from another site's page: 403, before any body is read
- `bodylimit.py`     body caps and slow-body timeouts: 413/408 while the body arrives

Before the app, in uvicorn: `slow_clients.py` closes connections whose headers never finish.

Checks a view calls:

- `ratelimit.py`     per-client, per-form limits (memory, or Redis shared by every instance)
- `spam.py`          honeypot, time trap and Turnstile: what they catch is stored as spam, never dropped
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from frontdesk.guard.bodylimit import BodyLimitMiddleware
from frontdesk.guard.csrf import CrossOriginMiddleware
from frontdesk.guard.headers import SecurityHeadersMiddleware
from frontdesk.guard.request_shape import RequestShapeMiddleware
from frontdesk.settings import Settings

ErrorRenderer = Callable[[Request, Exception], Awaitable[Response]]


def middleware(settings: Settings, render_error: ErrorRenderer) -> list[Middleware]:
    """The guard's middleware, outermost first; refusals are rendered by `render_error` (the site's error page).

    Security headers go outermost, so that every answer carries them, refusals included. Then malformed
    requests, then forgery (nothing of a forged request is read), then the body cap.
    """
    return [
        Middleware(SecurityHeadersMiddleware, https=settings.https, turnstile=bool(settings.turnstile_sitekey)),
        Middleware(RequestShapeMiddleware, render_error=render_error),
        Middleware(CrossOriginMiddleware, trusted_origins=settings.trusted_origins, render_error=render_error),
        Middleware(
            BodyLimitMiddleware,
            idle_timeout=settings.body_timeout_seconds,
            min_rate=settings.body_min_rate,
            render_error=render_error,
        ),
    ]
