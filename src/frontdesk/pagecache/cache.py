"""The page cache: each public page is rendered once per content version and day, then served as bytes.

Content changes only when an editor changes a file, so rendering a page anew for every visit is wasted
work. A view asks for its page by a key (see `public.rendering.cached`), and the builder runs only when the
cache has no page for that key in the current *generation*: the current `Content` object and the current day
(job postings open and close by date). A content reload (the store calls `clear()`), or midnight, starts a
new generation and drops every page at once.

What a `Page` holds, and why:

- Its bytes, encoded once (compression.py): identity at build time, gzip and brotli on the first request that
  accepts them.
- An ETag per encoding (a hash of the bytes, suffixed `-gz`/`-br`, because each encoding is a different
  representation), so `If-None-Match` answers 304 without touching a template.
- Ready header lists: Content-Type, Content-Length, ETag, Cache-Control and `Vary: Accept-Encoding`.

Nothing per visitor may enter a page: builders never see the request, so cookies, headers and the client
address are out of reach, and the bytes can go to any visitor and to any CDN.

**Slots** are the one exception, for values that must differ per *response* but never per *visitor*, such
as the form's time-trap token (the signed time it was shown). A cached render puts `Slots.marker(name)` in
the template context; the marker splits the page into fixed parts, and each response puts the registered
filler's value between them, before compression (gzip from segments compressed once; brotli at most once
per second). A filler takes no arguments, so it cannot read the request, and runs at most once a second.
A page with slots carries a weak ETag (`W/`: the same page, not the same bytes) that also changes every
`SLOT_ETAG_SECONDS`, so a 304 never lets a browser or CDN keep a token much older than that.

After a view has served a page, `remember()` files the request's exact path and query string under it, and
`PageCacheMiddleware` answers the next identical GET or HEAD before routing: a dict lookup, a conditional
check and two ASGI messages. Only pages a view built are ever filed, so an unknown URL always reaches the
router. Memory is bounded: at most `max_bytes` of bodies and `max_routes` filed URLs, oldest dropped first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk.pagecache.compression import CODINGS, MIN_COMPRESS, GzipSegments, compress, etag_matches, negotiate
from frontdesk.pagecache.counter import ViewCounter

SLOT_MARKER = "\x00slot:{name}\x00"  # NUL cannot come from content: YAML rejects it, Markdown replaces it
_SLOT_RE = re.compile(rb"\x00slot:([a-z0-9_]+)\x00")
_SLOT_NAME = re.compile(r"^[a-z0-9_]+$")
SLOT_ETAG_SECONDS = 3600  # tokens are refused as too old after FRONTDESK_FORM_MAX_AGE_SECONDS (24 h)
_ETAG_SUFFIX = {"identity": "", "gzip": "-gz", "br": "-br"}
# CDNs and browsers may keep a page 5 minutes, then serve it stale for 10 more while they revalidate.
PUBLIC_CACHE = "public, max-age=300, stale-while-revalidate=600"

Headers = list[tuple[bytes, bytes]]
HeaderTuple = tuple[tuple[bytes, bytes], ...]


@dataclass(frozen=True)
class Rendered:
    """What a builder returns: the body and how it may be cached."""

    body: str
    status: int = 200
    media_type: str = "text/html; charset=utf-8"
    cache_control: str = PUBLIC_CACHE


class Slots:
    """Named per-response values. A filler takes no arguments: it may depend on time and secrets, never on who asks.

    Fillers run at most once per second (at the first response in each second of the app's clock), and every
    response in that second gets the same values: a time-trap token carries whole seconds anyway.
    """

    def __init__(self) -> None:
        self.fillers: dict[str, Callable[[], str]] = {}
        self._second = -1
        self._filled: dict[str, bytes] = {}

    def register(self, name: str, filler: Callable[[], str]) -> None:
        if not _SLOT_NAME.match(name):
            raise ValueError(f"slot names use a-z, 0-9 and _: {name!r}")
        self.fillers[name] = filler
        self._second = -1

    def marker(self, name: str) -> Markup:
        """What a cached render puts in the template context for slot `name`."""
        if name not in self.fillers:
            raise KeyError(f"no slot filler registered for {name!r}")
        return Markup(SLOT_MARKER.format(name=name))  # noqa: S704 - a fixed marker, replaced before sending

    def values(self, names: tuple[str, ...], second: int) -> tuple[bytes, ...]:
        """The HTML-escaped values of `names` in this second."""
        if second != self._second:
            self._filled = {n: html.escape(f(), quote=True).encode() for n, f in self.fillers.items()}
            self._second = second
        filled = self._filled
        return tuple(filled[n] for n in names)


class Page:
    """One rendered page: its bytes per encoding, ETags and ready header lists."""

    def __init__(self, rendered: Rendered, slots: Slots, extra_headers: HeaderTuple = ()) -> None:
        body = rendered.body.encode()
        parts = _SLOT_RE.split(body)
        self.status = rendered.status
        self.statics: tuple[bytes, ...] = tuple(parts[0::2])
        self.slot_names: tuple[str, ...] = tuple(p.decode() for p in parts[1::2])
        self.slots = slots
        self.digest = hashlib.blake2b(body, digest_size=12).hexdigest()
        self.codings: tuple[str, ...] = CODINGS if len(body) >= MIN_COMPRESS else ()
        self.conditional = self.status == 200  # a 304 only ever stands in for a 200
        self.size = len(body)
        self._common: Headers = [
            (b"content-type", rendered.media_type.encode()),
            (b"cache-control", rendered.cache_control.encode()),
        ]
        if self.codings:
            self._common.append((b"vary", b"Accept-Encoding"))
        # What the middlewares would add (the security headers): carried by the page itself, so that the edge
        # (edge.py) can answer without them, and the guard finds them present and adds nothing.
        self._extra = extra_headers
        self._identity = body  # the page as rendered (with markers, if it has slots)
        self._gzip: GzipSegments | None = None
        # coding -> (second it was filled for, body, headers); pages without slots fill each coding once.
        self._ready: dict[str, tuple[int, bytes, Headers]] = {}
        self._period = -1
        self._set_etags("")

    def _set_etags(self, period: str) -> None:
        weak = "W/" if self.slot_names else ""
        self.etags = {
            c: f'{weak}"{self.digest}{period}{_ETAG_SUFFIX[c]}"'.encode() for c in ("identity", *self.codings)
        }
        self.heads: dict[str, Headers] = {}
        self.not_modified: dict[str, Headers] = {}
        for coding, etag in self.etags.items():
            head = [*self._common, (b"etag", etag)] if self.conditional else list(self._common)
            self.not_modified[coding] = [*(h for h in head if h[0] != b"content-type"), *self._extra]
            if coding != "identity":
                head.append((b"content-encoding", coding.encode()))
            self.heads[coding] = head
        self._ready.clear()

    def _body(self, coding: str, second: int) -> tuple[bytes, Headers]:
        """The body and headers in one coding; a page with slots is refilled when the second changes."""
        ready = self._ready.get(coding)
        if ready is not None and (not self.slot_names or ready[0] == second):
            return ready[1], ready[2]
        if not self.slot_names:
            body = compress(self._identity, coding)
        else:
            values = self.slots.values(self.slot_names, second)
            if coding == "gzip":
                if self._gzip is None:
                    self._gzip = GzipSegments(self.statics)
                    self.size += self._gzip.size
                body = self._gzip.fill(values)
            else:
                parts = [self.statics[0]]
                for value, static in zip(values, self.statics[1:], strict=True):
                    parts += (value, static)
                body = compress(b"".join(parts), coding)  # brotli: at most once a second
        if ready is None and coding != "identity":
            self.size += len(body)
        headers = [*self.heads[coding], (b"content-length", str(len(body)).encode()), *self._extra]
        self._ready[coding] = (second, body, headers)
        return body, headers

    async def respond(self, scope: Scope, send: Send, now: dt.datetime) -> int:
        """Answer a GET or HEAD: negotiate the coding, then a 304, or the body with its slots filled for `now`.

        Returns the status sent (the view counter counts 200s only)."""
        accept = inm = b""
        for name, value in scope["headers"]:
            if name == b"accept-encoding":
                accept = value
            elif name == b"if-none-match":
                inm = value
        return await self.answer(send, scope["method"] == "HEAD", now, accept, inm, copy=True)

    async def answer(
        self, send: Send, head: bool, now: dt.datetime, accept: bytes, inm: bytes, *, copy: bool = False
    ) -> int:
        """Send the page (or a 304) given the request's Accept-Encoding and If-None-Match; returns the status.

        `copy`: hand out a copy of the shared header list, for callers under middleware that may append to it
        in place (Starlette's `MutableHeaders` does). The edge has no middleware outside it, so it need not.
        """
        second = 0
        if self.slot_names:
            second = int(now.timestamp())
            if second // SLOT_ETAG_SECONDS != self._period:
                self._period = second // SLOT_ETAG_SECONDS
                self._set_etags(f".{self._period}")
        coding = negotiate(accept) if self.codings and accept else "identity"
        if inm and self.conditional and etag_matches(inm, self.etags[coding]):
            unchanged = list(self.not_modified[coding]) if copy else self.not_modified[coding]
            await send({"type": "http.response.start", "status": 304, "headers": unchanged})
            await send({"type": "http.response.body", "body": b""})
            return 304
        body, headers = self._body(coding, second)
        if copy:
            headers = list(headers)
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else body})
        return self.status


Builder = Callable[[Any, dt.date], Rendered]


class PageCache:
    """Pages of the current generation (content object, day), and the exact URLs that reach them."""

    def __init__(
        self,
        clock: Callable[[], dt.datetime],
        *,
        max_bytes: int = 48 * 1024 * 1024,
        max_routes: int = 4096,
        extra_headers: HeaderTuple = (),
    ) -> None:
        self.clock = clock
        self.extra_headers = extra_headers
        self.slots = Slots()
        self.max_bytes = max_bytes
        self.max_routes = max_routes
        self.renders = 0  # builders run, for tests and the benchmark
        self._content: Any = None
        self._day: dt.date | None = None
        self._pages: OrderedDict[Hashable, Page] = OrderedDict()
        self._routes: dict[tuple[str, bytes], Page] = {}
        self._derived: dict[Hashable, Any] = {}

    def clear(self) -> None:
        self._pages.clear()
        self._routes.clear()
        self._derived.clear()

    def _generation(self, content: Any) -> dt.date:
        day = self.clock().date()
        if content is not self._content or day != self._day:
            self.clear()
            self._content, self._day = content, day
        return day

    def page(self, content: Any, key: Hashable, build: Builder) -> Page:
        """The cached page for `key`, building it with `build(content, day)` if this generation has none."""
        day = self._generation(content)
        found = self._pages.get(key)
        if found is not None:
            self._pages.move_to_end(key)
            return found
        page = Page(build(content, day), self.slots, self.extra_headers)
        self.renders += 1
        self._pages[key] = page
        self._evict()
        return page

    def derived(self, content: Any, key: Hashable, compute: Callable[[dt.date], Any]) -> Any:
        """A value computed once per generation (e.g. the indexed open jobs), dropped with the pages."""
        day = self._generation(content)
        if key not in self._derived:
            self._derived[key] = compute(day)
        return self._derived[key]

    def _evict(self) -> None:
        total = sum(p.size for p in self._pages.values())
        while total > self.max_bytes and len(self._pages) > 1:
            _, old = self._pages.popitem(last=False)
            total -= old.size
            for route in [r for r, p in self._routes.items() if p is old]:
                del self._routes[route]

    def remember(self, scope: Scope, page: Page) -> None:
        """File this request's exact URL under `page`, for the middleware's next answer."""
        if len(self._routes) >= self.max_routes:
            del self._routes[next(iter(self._routes))]
        self._routes[(scope["path"], scope["query_string"])] = page

    def lookup(self, scope: Scope) -> Page | None:
        """The page filed under this exact URL (the caller checks the day; a content reload clears the cache)."""
        return self._routes.get((scope["path"], scope["query_string"]))

    def current(self, now: dt.datetime) -> bool:
        """Is `now` in the day the cached pages were built for? If not, they are dropped."""
        if now.date() == self._day:
            return True
        self.clear()
        return False


# Paths whose answers are not page views (staff pages are HTML too, and counted nowhere).
UNCOUNTED = ("/staff", "/static/", "/media/", "/api/")


class PageCacheMiddleware:
    """Answers GET and HEAD for URLs a view has already served from the cache, before routing.

    With a `views` counter it also counts page views: each 200 to a GET, from the cache or (for an HTML
    page outside the staff area) from the views behind it. See counter.py for what is left out.
    """

    def __init__(self, app: ASGIApp, *, cache: PageCache, views: ViewCounter | None = None) -> None:
        self.app = app
        self.cache = cache
        self.views = views

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope["method"] == "GET" or scope["method"] == "HEAD"):
            page = self.cache.lookup(scope)
            if page is not None:
                now = self.cache.clock()
                if self.cache.current(now):
                    status = await page.respond(scope, send, now)
                    if status == 200 and self.views is not None and scope["method"] == "GET":
                        self.views.count(scope["path"], scope["headers"], now.date())
                    return
            if self.views is not None and scope["method"] == "GET" and not scope["path"].startswith(UNCOUNTED):
                await self.app(scope, receive, self._counting(scope, send))
                return
        await self.app(scope, receive, send)

    def _counting(self, scope: Scope, send: Send) -> Send:
        views = self.views
        assert views is not None

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                for name, value in message.get("headers", ()):
                    if name == b"content-type":
                        if value.startswith(b"text/html"):
                            views.count(scope["path"], scope["headers"], self.cache.clock().date())
                        break
            await send(message)

        return counting_send
