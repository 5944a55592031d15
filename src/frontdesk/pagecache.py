"""The page cache: each public page is rendered once per content version and day, then served as bytes.

Content changes only when an editor changes a file, so rendering a page anew for every visit is wasted
work. A view asks for its page by a key::

    return pages.cached(request, ("office", slug), lambda content, day: Rendered(html=...))

and the builder runs only when the cache has no page for that key in the current *generation*: the
current `Content` object and the current day (job postings open and close by date). A reload that swaps
`app.state.content`, or midnight, starts a new generation and drops every page at once.

What a page holds, and why:

- Its bytes, encoded once: identity at build time, gzip and brotli on the first request that accepts them.
- A strong ETag per encoding (a hash of the bytes, suffixed `-gz`/`-br`, because each encoding is a
  different representation), so `If-None-Match` answers 304 without touching a template.
- Prebuilt header lists (Content-Type, Content-Length, ETag, Cache-Control, `Vary: Accept-Encoding`).

Nothing per visitor may enter a page: builders get the content and the day, never the request, so cookies,
headers and the client address are out of reach, and the bytes can go to any visitor and to any CDN.

**Slots** are the one exception, for values that must differ per *response* but never per *visitor* (the
form's time-trap token: signed "rendered at" time). A template writes `{{ slot("form_token") }}`; in a cached
render that emits a fixed marker (`SLOT_MARKER`), which `respond()` replaces with the registered filler's
value for each response, before compression. The filler takes no arguments, so it cannot read the request.
A page with slots gets a weak ETag (`W/"..."`: the same page, not the same bytes), is served as identity or
gzip, and its gzip body is assembled from segments compressed once (each ends on a deflate full flush) with
the slot values in stored blocks between them: a few microseconds, not a recompression. Outside a cached
render `slot()` returns the value itself, so the same template serves error re-renders unchanged.

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
import struct
import zlib
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import brotli
from markupsafe import Markup
from starlette.datastructures import State
from starlette.types import ASGIApp, Receive, Scope, Send

SLOT_MARKER = "\x00slot:{name}\x00"  # NUL cannot come from content: YAML rejects it, Markdown replaces it
_SLOT_RE = re.compile(rb"\x00slot:([a-z0-9_]+)\x00")
_SLOT_NAME = re.compile(r"^[a-z0-9_]+$")
# A page with slots carries a weak ETag that changes every hour, so a 304 never lets a browser or CDN keep a
# time-trap token much older than that (tokens are refused as too old after FRONTDESK_FORM_MAX_AGE_SECONDS).
SLOT_ETAG_SECONDS = 3600

MIN_COMPRESS = 512  # smaller bodies gain nothing from compression
GZIP_LEVEL = 6
BROTLI_QUALITY = 5  # 0.3 ms for a 10 kB page, within 2% of quality 9 (which takes 30x longer)
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, mtime 0, unknown OS
_ETAG_SUFFIX = {"identity": "", "gzip": "-gz", "br": "-br"}
# CDNs and browsers may keep a page 5 minutes, then serve it stale for 10 more while they revalidate.
PUBLIC_CACHE = "public, max-age=300, stale-while-revalidate=600"


@dataclass(frozen=True)
class Rendered:
    """What a builder returns: the body and how it may be cached."""

    body: str
    status: int = 200
    media_type: str = "text/html; charset=utf-8"
    cache_control: str = PUBLIC_CACHE


Builder = Callable[[Any, dt.date], Rendered]


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


_accept_memo: dict[bytes, str] = {}


def negotiate(accept_encoding: bytes) -> str:
    """The best of br, gzip and identity for an Accept-Encoding header (q-values honoured, memoized)."""
    found = _accept_memo.get(accept_encoding)
    if found is not None:
        return found
    weights: dict[str, float] = {}
    for part in accept_encoding.decode("latin-1").lower().split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        params = params.replace(" ", "")
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        weights[name.strip()] = q
    star = weights.get("*", 0.0)
    best, best_q = "identity", 0.0
    for coding in ("br", "gzip"):  # at equal weight brotli wins: smaller
        q = weights.get(coding, star)
        if q > best_q:
            best, best_q = coding, q
    if len(_accept_memo) > 256:  # headers come in a handful of shapes; a flood of odd ones must not grow this
        _accept_memo.clear()
    _accept_memo[accept_encoding] = best
    return best


def _etag_matches(if_none_match: bytes, etag: bytes) -> bool:
    """Weak comparison (RFC 9110 13.1.2), as If-None-Match requires."""
    if if_none_match == etag:
        return True
    plain = etag.removeprefix(b"W/")
    for tag in if_none_match.split(b","):
        tag = tag.strip()
        if tag == b"*" or tag.removeprefix(b"W/") == plain:
            return True
    return False


def _stored_block(data: bytes) -> bytes:
    """Non-final deflate stored blocks holding `data` (each at most 65535 bytes), byte-aligned."""
    out = []
    for i in range(0, len(data), 65535):
        chunk = data[i : i + 65535]
        out.append(b"\x00" + struct.pack("<HH", len(chunk), len(chunk) ^ 0xFFFF) + chunk)
    return b"".join(out)


Headers = list[tuple[bytes, bytes]]


class Page:
    """One rendered page: its bytes per encoding, ETags and ready header lists."""

    def __init__(self, rendered: Rendered, slots: Slots) -> None:
        body = rendered.body.encode()
        parts = _SLOT_RE.split(body)
        self.status = rendered.status
        self.statics: tuple[bytes, ...] = tuple(parts[0::2])
        self.slot_names: tuple[str, ...] = tuple(p.decode() for p in parts[1::2])
        self.slots = slots
        self.digest = hashlib.blake2b(body, digest_size=12).hexdigest()
        self.encodings: tuple[str, ...] = ("br", "gzip") if len(body) >= MIN_COMPRESS else ()
        self.conditional = self.status == 200  # 304 answers only stand in for a 200
        self.size = len(body)
        self._common: Headers = [
            (b"content-type", rendered.media_type.encode()),
            (b"cache-control", rendered.cache_control.encode()),
        ]
        if self.encodings:
            self._common.append((b"vary", b"Accept-Encoding"))
        self._bodies: dict[str, bytes] = {"identity": body}  # pages without slots
        self._ready: dict[str, tuple[int, bytes, Headers]] = {}  # enc -> (second filled, body, headers)
        self._gzip_segments: list[bytes] | None = None
        self._gzip_prefix_crc = 0
        self._epoch = -1
        self._set_etags("")

    def _set_etags(self, period: str) -> None:
        """ETags and the header lists that carry them; pages with slots renew them every SLOT_ETAG_SECONDS."""
        weak = "W/" if self.slot_names else ""
        self.etags = {
            enc: f'{weak}"{self.digest}{period}{_ETAG_SUFFIX[enc]}"'.encode() for enc in ("identity", *self.encodings)
        }
        self.heads: dict[str, Headers] = {}
        self.not_modified: dict[str, Headers] = {}
        for enc, etag in self.etags.items():
            head = list(self._common)
            if self.conditional:
                head.append((b"etag", etag))
            self.not_modified[enc] = [h for h in head if h[0] != b"content-type"]
            if enc != "identity":
                head.append((b"content-encoding", enc.encode()))
            self.heads[enc] = head
        self._ready.clear()

    # Bodies -------------------------------------------------------------------------------------------

    def _encode(self, identity: bytes, enc: str) -> bytes:
        if enc == "br":
            return brotli.compress(identity, quality=BROTLI_QUALITY)
        if enc == "gzip":
            c = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -15)
            deflated = c.compress(identity) + c.flush()
            return _GZIP_HEADER + deflated + struct.pack("<II", zlib.crc32(identity), len(identity) & 0xFFFFFFFF)
        return identity

    def _filled_gzip(self, values: tuple[bytes, ...]) -> bytes:
        """gzip of the page with `values` in its slots, from segments compressed once (see the module doc)."""
        segments = self._gzip_segments
        if segments is None:
            segments = []
            for i, static in enumerate(self.statics):
                c = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -15)
                last = i == len(self.statics) - 1
                segments.append(c.compress(static) + c.flush(zlib.Z_FINISH if last else zlib.Z_FULL_FLUSH))
            self._gzip_segments = segments
            self._gzip_prefix_crc = zlib.crc32(self.statics[0])
            self.size += sum(len(s) for s in segments)
        crc = self._gzip_prefix_crc
        length = len(self.statics[0])
        out = [_GZIP_HEADER, segments[0]]
        for value, static, segment in zip(values, self.statics[1:], segments[1:], strict=True):
            crc = zlib.crc32(static, zlib.crc32(value, crc))
            length += len(value) + len(static)
            out += (_stored_block(value), segment)
        out.append(struct.pack("<II", crc, length & 0xFFFFFFFF))
        return b"".join(out)

    def _response(self, enc: str, second: int) -> tuple[bytes, Headers]:
        """The body and headers for one encoding; with slots, refilled when the second changes."""
        ready = self._ready.get(enc)
        if ready is not None and (ready[0] == second or not self.slot_names):
            return ready[1], ready[2]
        values = self.slots.values(self.slot_names, second) if self.slot_names else ()
        if not self.slot_names:
            body = self._bodies.get(enc)
            if body is None:
                body = self._bodies[enc] = self._encode(self._bodies["identity"], enc)
                self.size += len(body)
        elif enc == "gzip":
            body = self._filled_gzip(values)
        else:
            parts = [self.statics[0]]
            for value, static in zip(values, self.statics[1:], strict=True):
                parts += (value, static)
            body = self._encode(b"".join(parts), enc)  # brotli: at most once per change of the values
        if ready is None and self.slot_names:
            self.size += len(body)
        headers = [*self.heads[enc], (b"content-length", str(len(body)).encode())]
        self._ready[enc] = (second, body, headers)
        return body, headers

    # Responding ---------------------------------------------------------------------------------------

    async def respond(self, scope: Scope, send: Send, now: dt.datetime) -> None:
        """Answer one GET or HEAD: negotiate the encoding, then 304, or the body with its slots filled for `now`."""
        accept = inm = b""
        for name, value in scope["headers"]:
            if name == b"accept-encoding":
                accept = value
            elif name == b"if-none-match":
                inm = value
        second = 0
        if self.slot_names:
            second = int(now.timestamp())
            epoch = second // SLOT_ETAG_SECONDS
            if epoch != self._epoch:
                self._epoch = epoch
                self._set_etags(f".{epoch}")
        enc = negotiate(accept) if self.encodings and accept else "identity"
        if inm and self.conditional and _etag_matches(inm, self.etags[enc]):
            await send({"type": "http.response.start", "status": 304, "headers": list(self.not_modified[enc])})
            await send({"type": "http.response.body", "body": b""})
            return
        body, headers = self._response(enc, second)
        # A copy: middleware outside may append to the list in place (MutableHeaders does), and these are shared.
        await send({"type": "http.response.start", "status": self.status, "headers": list(headers)})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


class PageCache:
    """Pages of the current generation (content object, day), and the exact URLs that reach them."""

    def __init__(
        self, clock: Callable[[], dt.datetime], *, max_bytes: int = 48 * 1024 * 1024, max_routes: int = 4096
    ) -> None:
        self.clock = clock
        self.slots = Slots()
        self.max_bytes = max_bytes
        self.max_routes = max_routes
        self.state: State | None = None  # set by create_app: where the current content lives
        self.renders = 0  # builders run, for tests and the benchmark
        self._generation: tuple[int, dt.date | None] = (0, None)
        self._content: Any = None
        self._pages: OrderedDict[Hashable, Page] = OrderedDict()
        self._routes: dict[tuple[str, bytes], Page] = {}
        self._derived: dict[Hashable, Any] = {}

    def clear(self) -> None:
        self._pages.clear()
        self._routes.clear()
        self._derived.clear()

    def _check(self, content: Any) -> dt.date:
        day = self.clock().date()
        if content is not self._content or day != self._generation[1]:
            self.clear()
            self._content = content
            self._generation = (id(content), day)
        return day

    @property
    def bytes(self) -> int:
        return sum(p.size for p in self._pages.values())

    def page(self, content: Any, key: Hashable, build: Builder) -> Page:
        """The cached page for `key`, building it with `build(content, day)` if this generation has none."""
        day = self._check(content)
        found = self._pages.get(key)
        if found is not None:
            self._pages.move_to_end(key)
            return found
        rendered = build(content, day)
        self.renders += 1
        page = Page(rendered, self.slots)
        self._pages[key] = page
        self._evict()
        return page

    def derived(self, content: Any, key: Hashable, compute: Callable[[dt.date], Any]) -> Any:
        """A value computed once per generation (e.g. the sorted open jobs), dropped with the pages."""
        day = self._check(content)
        if key not in self._derived:
            self._derived[key] = compute(day)
        return self._derived[key]

    def _evict(self) -> None:
        total = self.bytes
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
        """The page filed under this exact URL, if it belongs to the current content (the caller checks the day)."""
        page = self._routes.get((scope["path"], scope["query_string"]))
        if page is not None and self.state is not None and self.state.content is not self._content:
            self.clear()
            return None
        return page

    def current(self, now: dt.datetime) -> bool:
        """Is `now` in the day the cached pages were built for? (Job postings open and close by date.)"""
        if now.date() == self._generation[1]:
            return True
        self.clear()
        return False


class PageCacheMiddleware:
    """Answers GET and HEAD for URLs a view has already served from the cache, before routing."""

    def __init__(self, app: ASGIApp, *, cache: PageCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope["method"] == "GET" or scope["method"] == "HEAD"):
            page = self.cache.lookup(scope)
            if page is not None:
                now = self.cache.clock()
                if self.cache.current(now):
                    await page.respond(scope, send, now)
                    return
        await self.app(scope, receive, send)
