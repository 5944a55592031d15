"""Attribution: where a lead came from, as a first touch and a latest touch, in a signed first-party cookie.

A *touch* is a landing from a campaign (`utm_*` or an ad click ID such as `gclid` in the URL) or from
another site (a foreign `Referer`). The middleware keeps two of them in the `fd_attr` cookie: the first
touch, which is never replaced while the cookie lives, and the latest touch, which every new touch
replaces. A person who came from a Google ad and later from a newsletter is recorded as both. Forms read
the cookie back with `record()` and store it with the submission, together with the page the form was
sent from.

The cookie is visitor input like any other, so it is signed (HMAC-SHA256 with a key derived from
FRONTDESK_SECRET_KEY, truncated to 96 bits) and re-validated on the way back in: a forged, altered or
oversized cookie is ignored as if absent, never an error. Every value is stripped of control characters
and length-capped, and the whole value is kept under `MAX_COOKIE` bytes (the longest values are
shortened until it fits), so the cookie stays under 1 KB.

Only landing responses carry `Set-Cookie`, and they are marked `private, no-store` so no shared cache
keeps them; every other page stays cookie-free and cacheable.

When the URL names no `utm_source`, the source and medium are inferred, as analytics tools do: from
the click ID (`gclid` -> google / cpc, ...) or else from the referrer's host (`www.bing.com` ->
bing.com / referral).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk.signing import same_signature

COOKIE = "fd_attr"
MAX_AGE = 30 * 86400
MAX_COOKIE = 900  # bytes of the value; with the name and attributes the header stays under 1 KB
UTM = {  # URL parameter -> the touch's field, and each field's cap
    "utm_source": "source",
    "utm_medium": "medium",
    "utm_campaign": "campaign",
    "utm_term": "term",
    "utm_content": "content",
}
CLICK_IDS = ("gclid", "gbraid", "wbraid", "fbclid", "msclkid", "li_fat_id", "ttclid")
# What a click ID says about the source and medium when the URL does not.
CLICK_SOURCES = {
    "gclid": ("google", "cpc"),
    "gbraid": ("google", "cpc"),
    "wbraid": ("google", "cpc"),
    "fbclid": ("facebook", "social"),
    "msclkid": ("bing", "cpc"),
    "li_fat_id": ("linkedin", "cpc"),
    "ttclid": ("tiktok", "cpc"),
}
CAPS = {
    "source": 100,
    "medium": 100,
    "campaign": 150,
    "term": 100,
    "content": 100,
    "referrer": 300,
    "landing_page": 300,
}
CLICK_ID_CAP = 150
FIELDS = tuple(CAPS)
# Short keys inside the cookie, to keep it small.
SHORT = {"source": "s", "medium": "m", "campaign": "c", "term": "t", "content": "n", "referrer": "r",
         "landing_page": "p"}  # fmt: skip
LONG = {v: k for k, v in SHORT.items()}
EARLIEST = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def clip(value: str, cap: int) -> str:
    """The value without control (or other unprintable) characters, at most `cap` characters."""
    return "".join(ch for ch in value if ch.isprintable())[:cap]


# -- a touch: a plain dict of the fields, "at" and "click_ids" --------------------------------------------


def empty_touch() -> dict[str, Any]:
    return {**dict.fromkeys(FIELDS, ""), "at": "", "click_ids": {}}


def _host(url: str) -> str:
    """The host part of a URL the visitor sent; "" when it is not a URL (e.g. `http://[x`)."""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def infer(touch: dict[str, Any]) -> None:
    """Fill in source and medium from the click ID or the referrer when the URL gave no utm_source."""
    if touch["source"]:
        return
    for name, (source, medium) in CLICK_SOURCES.items():
        if touch["click_ids"].get(name):
            touch["source"], touch["medium"] = source, touch["medium"] or medium
            return
    host = _host(touch["referrer"])
    if host:
        touch["source"] = clip(host.removeprefix("www."), CAPS["source"])
        touch["medium"] = touch["medium"] or "referral"


# -- the cookie ------------------------------------------------------------------------------------------


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"frontdesk attribution cookie", hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(body: str, secret: str) -> str:
    return _b64(hmac.new(_key(secret), body.encode(), hashlib.sha256).digest()[:12])


def _compact(touch: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {SHORT[k]: touch[k] for k in FIELDS if touch.get(k)}
    if touch.get("at"):
        out["a"] = int(dt.datetime.fromisoformat(touch["at"]).timestamp())
    out.update({k: v for k, v in touch.get("click_ids", {}).items() if v})
    return out


def _expand(raw: object) -> dict[str, Any] | None:
    """A touch read back from the cookie, re-validated field by field; None when it is not one."""
    if not isinstance(raw, dict):
        return None
    touch = empty_touch()
    for short, value in raw.items():
        if short in LONG and isinstance(value, str):
            touch[LONG[short]] = clip(value, CAPS[LONG[short]])
        elif short in CLICK_IDS and isinstance(value, str) and value:
            touch["click_ids"][short] = clip(value, CLICK_ID_CAP)
        elif short == "a" and isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**33:
            touch["at"] = dt.datetime.fromtimestamp(value, dt.UTC).isoformat()
    return touch


def _shorten_longest(data: dict[str, Any]) -> bool:
    """Cut the longest string value in the cookie's data to three quarters; False when nothing is left."""
    best: tuple[int, dict[str, Any], str] | None = None
    for part in data.values():
        for key, value in part.items():
            if isinstance(value, str) and (best is None or len(value) > best[0]):
                best = (len(value), part, key)
    if best is None or best[0] == 0:
        return False
    length, part, key = best
    part[key] = part[key][: length * 3 // 4]
    return True


def encode(first: dict[str, Any], last: dict[str, Any] | None, secret: str) -> str:
    """The signed cookie value for two touches (`last` None: the first touch is also the latest)."""
    data = {"f": _compact(first)}
    if last is not None and last != first:
        data["l"] = _compact(last)
    while True:
        body = _b64(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode())
        value = f"{body}.{_sign(body, secret)}"
        if len(value) <= MAX_COOKIE or not _shorten_longest(data):
            return value


def decode(value: str, secret: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(first touch, latest touch) from a cookie value, or None if it is not one we signed."""
    if not value or len(value) > MAX_COOKIE or value.count(".") != 1:
        return None
    body, signature = value.split(".")
    if not same_signature(signature, _sign(body, secret)):
        return None
    try:
        raw = json.loads(_unb64(body))
    except (ValueError, TypeError, binascii.Error):
        return None
    if not isinstance(raw, dict):
        return None
    first = _expand(raw.get("f"))
    if first is None:
        return None
    last = _expand(raw["l"]) if "l" in raw else None
    return first, last or first


def record(request: Request, page: str, secret: str) -> dict[str, Any]:
    """What a lead or application records of where it came from: both touches, and the form's pages.

    With no (valid) cookie, both touches are None: a direct visit.
    """
    touches = decode(request.cookies.get(COOKIE, ""), secret)
    return {
        "first_touch": touches[0] if touches else None,
        "last_touch": touches[1] if touches else None,
        "form_page": request.url.path,
        "sent_from": page[:300] if page.startswith("/") else "",
    }


# -- the middleware --------------------------------------------------------------------------------------


def _landing(scope: Scope, now: dt.datetime) -> dict[str, Any] | None:
    """The touch this request makes if it is a landing, else None."""
    query = scope.get("query_string", b"").decode("latin-1")
    touch = empty_touch()
    found = False
    for name, value in parse_qsl(query):
        if not value:
            continue
        if name in UTM:
            touch[UTM[name]] = clip(value, CAPS[UTM[name]])
            found = True
        elif name in CLICK_IDS:
            touch["click_ids"][name] = clip(value, CLICK_ID_CAP)
            found = True
    headers = {k: v for k, v in scope["headers"] if k in (b"referer", b"host")}
    referer = headers.get(b"referer", b"").decode("latin-1")
    host = headers.get(b"host", b"").decode("latin-1")
    external = bool(referer) and _netloc(referer) not in ("", host)
    if not found and not external:
        return None
    path = scope["path"] + (f"?{query}" if query else "")
    touch["referrer"] = clip(referer, CAPS["referrer"]) if external else ""
    touch["landing_page"] = clip(path, CAPS["landing_page"])
    touch["at"] = max(now, EARLIEST).replace(microsecond=0).isoformat()
    infer(touch)
    return touch


def _netloc(url: str) -> str:
    try:
        return urlsplit(url).netloc
    except ValueError:
        return ""


def might_land(query: bytes, referer: bytes, host: bytes) -> bool:
    """A cheap first look: False when the full landing check would certainly say "not a landing".

    This runs on every page view, cached ones included (the edge, pagecache/edge.py, asks it too), where it
    costs more than the page itself: so no parsing when there is no campaign or click ID in the URL and the
    referrer is this same host.
    """
    if (
        b"utm" in query
        or b"%" in query
        or b"clid" in query
        or b"clkid" in query
        or b"braid" in query
        or b"li_fat" in query
    ):
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


def _cookie_value(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"cookie":
            cookies: SimpleCookie = SimpleCookie()
            try:
                cookies.load(value.decode("latin-1"))
            except CookieError:  # a malformed Cookie header is just no cookie
                return ""
            if COOKIE in cookies:
                return cookies[COOKIE].value
    return ""


class AttributionMiddleware:
    def __init__(self, app: ASGIApp, *, secret: str, secure: bool = False) -> None:
        self.app = app
        self.secret = secret
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"].startswith(("/static/", "/staff")):
            await self.app(scope, receive, send)
            return
        if not _maybe_landing(scope):
            await self.app(scope, receive, send)
            return
        touch = _landing(scope, dt.datetime.now(dt.UTC))
        if touch is None:
            await self.app(scope, receive, send)
            return
        known = decode(_cookie_value(scope), self.secret)
        value = encode(known[0], touch, self.secret) if known else encode(touch, None, self.secret)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                headers = MutableHeaders(scope=message)
                cookie: SimpleCookie = SimpleCookie()
                cookie[COOKIE] = value
                morsel = cookie[COOKIE]
                morsel.update({"path": "/", "max-age": str(MAX_AGE), "samesite": "Lax"})
                morsel["httponly"] = True  # a flag: SimpleCookie writes it without a value
                if self.secure:
                    morsel["secure"] = True
                headers.append("set-cookie", morsel.OutputString())
                headers["cache-control"] = "private, no-store"
            await send(message)

        await self.app(scope, receive, send_with_cookie)
