"""Attribution: where a lead came from, kept in a first-party cookie across pages.

When a visitor lands from a campaign (`utm_*` in the URL) or from another site
(a foreign `Referer`), the middleware stores the UTM values, the referrer and
the landing page in the `fd_attr` cookie. Forms read it back with `read()` and
record it with the submission, together with the page the form was sent from.

Only those landing responses carry `Set-Cookie`, and they are marked
`private, no-store` so no shared cache keeps them; every other page stays
cookie-free and cacheable. Values are bounded and re-validated on the way
back in, since the cookie is just more visitor input.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "fd_attr"
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
MAX_VALUE = 300
MAX_AGE = 30 * 86400


def _clip(value: str) -> str:
    return "".join(ch for ch in value if ch.isprintable())[:MAX_VALUE]


def encode(data: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(value: str) -> dict[str, str]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (ValueError, TypeError):
        return {}
    if not isinstance(raw, dict):
        return {}
    allowed = (*UTM_KEYS, "referrer", "landing_page", "first_seen")
    return {k: _clip(v) for k, v in raw.items() if k in allowed and isinstance(v, str)}


def read(cookies: dict[str, str]) -> dict[str, str]:
    value = cookies.get(COOKIE, "")
    return decode(value) if value and len(value) < 4096 else {}


def record(request: Request, page: str) -> dict[str, Any]:
    """What a lead or application records of where it came from: the landing's cookie, and the form's page."""
    found: dict[str, Any] = dict.fromkeys(UTM_KEYS, "")
    found.update(referrer="", landing_page="")
    found.update(read(request.cookies))
    found["form_page"] = request.url.path
    found["sent_from"] = page[:300] if page.startswith("/") else ""
    return found


def _netloc(url: str) -> str:
    """The host part of a URL the visitor sent; "" when it is not a URL (e.g. `http://[x`)."""
    try:
        return urlsplit(url).netloc
    except ValueError:
        return ""


def _landing(scope: Scope, now: dt.datetime) -> dict[str, str] | None:
    """Attribution for this request if it is a landing, else None."""
    query = scope.get("query_string", b"").decode("latin-1")
    utm = {k: _clip(v) for k, v in parse_qsl(query) if k in UTM_KEYS and v}
    headers = {k: v for k, v in scope["headers"] if k in (b"referer", b"host", b"cookie")}
    referer = headers.get(b"referer", b"").decode("latin-1")
    host = headers.get(b"host", b"").decode("latin-1")
    external = bool(referer) and _netloc(referer) not in ("", host)
    if not utm and not external:
        return None
    if not utm and COOKIE.encode() in headers.get(b"cookie", b""):
        return None  # keep the first touch unless a new campaign arrives
    path = scope["path"] + (f"?{query}" if query else "")
    data: dict[str, Any] = dict(utm)
    data["referrer"] = _clip(referer) if external else ""
    data["landing_page"] = _clip(path)
    data["first_seen"] = now.replace(microsecond=0).isoformat()
    return data


def might_land(query: bytes, referer: bytes, host: bytes) -> bool:
    """A cheap first look: False when `_landing` would certainly say "not a landing".

    This runs on every page view, cached ones included (the edge, pagecache/edge.py, asks it too), where it
    costs more than the page itself: so no parsing when there is no campaign in the URL and the referrer is
    this same host.
    """
    if b"utm" in query or b"%" in query:
        return True
    if not referer:
        return False
    for scheme in (b"https://", b"http://"):
        if referer.startswith(scheme):
            rest = referer[len(scheme) :]
            if host and rest.startswith(host) and rest[len(host) : len(host) + 1] in (b"", b"/", b"?", b"#"):
                return False  # a link from one of our own pages
    return True


def _maybe_landing(scope: Scope) -> bool:
    referer = host = b""
    for name, value in scope["headers"]:
        if name == b"referer":
            referer = value
        elif name == b"host":
            host = value
    return might_land(scope.get("query_string", b""), referer, host)


class AttributionMiddleware:
    def __init__(self, app: ASGIApp, *, secure: bool = False) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"].startswith(("/static/", "/staff")):
            await self.app(scope, receive, send)
            return
        if not _maybe_landing(scope):
            await self.app(scope, receive, send)
            return
        data = _landing(scope, dt.datetime.now(dt.UTC))
        if data is None:
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                headers = MutableHeaders(scope=message)
                cookie: SimpleCookie = SimpleCookie()
                cookie[COOKIE] = encode(data)
                morsel = cookie[COOKIE]
                morsel.update({"path": "/", "max-age": str(MAX_AGE), "samesite": "Lax"})
                morsel["httponly"] = True  # a flag: SimpleCookie writes it without a value
                if self.secure:
                    morsel["secure"] = True
                headers.append("set-cookie", morsel.OutputString())
                headers["cache-control"] = "private, no-store"
            await send(message)

        await self.app(scope, receive, send_with_cookie)
