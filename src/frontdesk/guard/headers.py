"""Security: response headers on every answer, as pure ASGI middleware.

The Content-Security-Policy is strict: no inline script or style anywhere in
the templates, so `'unsafe-inline'` is never needed. The only third party a
browser may load is the OpenStreetMap embed on office pages (`frame-src`).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAP_ORIGIN = "https://www.openstreetmap.org"
TURNSTILE_ORIGIN = "https://challenges.cloudflare.com"


def content_security_policy(*, turnstile: bool = False) -> str:
    frames = f"{MAP_ORIGIN} {TURNSTILE_ORIGIN}" if turnstile else MAP_ORIGIN
    scripts = f"'self' {TURNSTILE_ORIGIN}" if turnstile else "'self'"
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self'",
            "img-src 'self' data:",
            f"frame-src {frames}",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
    )


PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), interest-cohort=(), browsing-topics=()"
)


HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")


def security_headers(*, https: bool = False, turnstile: bool = False) -> tuple[tuple[bytes, bytes], ...]:
    """The headers this middleware adds, encoded once; cached pages carry them already (pagecache/edge.py)."""
    headers = (
        (b"content-security-policy", content_security_policy(turnstile=turnstile).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"permissions-policy", PERMISSIONS_POLICY.encode()),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
    )
    return (*headers, HSTS) if https else headers


class SecurityHeadersMiddleware:
    """Adds CSP, nosniff, referrer, permissions and (over HTTPS) HSTS headers to every response.

    It runs on every response, cached pages included, so it does as little as it can: the header lists
    are encoded once, here, and a response's own headers win (a view may set its own CSP) by a dict lookup
    rather than by building a `MutableHeaders` per response.
    """

    def __init__(self, app: ASGIApp, *, https: bool = False, turnstile: bool = False) -> None:
        self.app = app
        self.headers = list(security_headers(turnstile=turnstile))
        self.https_headers = list(security_headers(https=True, turnstile=turnstile))
        self.names = frozenset(name for name, _ in self.https_headers)
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # HSTS only means something on a secure connection; a proxy that ends TLS tells us via the public URL.
        extra = self.https_headers if self.https or scope.get("scheme") == "https" else self.headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                own = message.get("headers") or []
                present = dict(own)  # ASGI response header names are lowercase
                if self.names.isdisjoint(present):
                    message["headers"] = [*own, *extra]
                else:
                    message["headers"] = [*own, *(h for h in extra if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, send_with_headers)
