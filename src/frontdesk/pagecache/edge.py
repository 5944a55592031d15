"""The edge: cached public pages answered outside the whole Starlette app, before any middleware.

A cached page needs none of the layers in front of the views. Its bytes, its ETag and every header the
middlewares would add (the security headers, `Vary`, `Cache-Control`) are known when it is built, so the
page carries them already (`PageCache(extra_headers=...)`). What is left per request is a dict lookup, the
conditional check and two ASGI messages. `Edge` wraps the app's built middleware stack (see
`app.FrontdeskApp`) and does only that, for the requests where the full app would do exactly the same.

Whatever needs per-request work falls through to the full app, unchanged:

- a method other than GET or HEAD, a URL no view has filed, or a day that has ended (the pages are rebuilt);
- a landing (`utm_*` in the URL, or a link from another site): the attribution cookie is set on it;
- a request whose shape the guard could refuse: more than `MAX_HEADERS` headers, any header line over
  `MAX_HEADER_LINE` bytes, or a Host that is repeated or not known to be valid. The guard's own limits are
  looser (`guard/request_shape.py`), so what passes here would also pass there, and a refusal is always the
  guard's, rendered in the site's layout;
- an `https` request when the site is not configured for HTTPS: the guard adds HSTS to that one only.

`tests/pagecache/test_edge.py` proves that, for every page of the sitemap and every encoding, the edge and
the full app send the same status, headers and bytes.

Page views (`on_view`, a view counter's `count_parsed(path, user_agent, prefetch, day)`) are counted here for
the 200s to a GET that the edge answers, and in the full app for the rest. The edge's one pass over the
headers finds the User-Agent and the prefetch hints too, so counting adds no second scan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from frontdesk.pagecache.cache import Page, PageCache

MAX_HEADERS = 24  # a browser sends about a dozen; the guard allows 100
MAX_HEADER_LINE = 1300  # a long cookie or user agent is fine; the guard allows 8 KiB
_KNOWN_HOSTS_MAX = 64  # Host values found valid, remembered so that the regex runs once per value

ViewCounter = Callable[[str, bytes, bool, dt.date], object]  # (path, user agent, prefetch, day)
HostCheck = Callable[[bytes], bool]  # guard.request_shape.valid_host
LandingCheck = Callable[[bytes, bytes, bytes], bool]  # intake.attribution.might_land(query, referer, host)


class Edge:
    """Answers a GET or HEAD for a filed page from the cache; everything else goes to `app`."""

    def __init__(
        self,
        app: ASGIApp,
        cache: PageCache,
        *,
        valid_host: HostCheck,
        might_land: LandingCheck,
        https: bool = False,
    ) -> None:
        # The guard's and attribution's checks are passed in by the app: the page cache sits below both.
        self.app = app
        self.cache = cache
        self.valid_host = valid_host
        self.might_land = might_land
        self.https = https
        self.hits = 0  # pages answered here, for tests and the benchmark
        self.on_view: ViewCounter | None = None
        self._hosts: set[bytes] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            method = scope["method"]
            if method == "GET" or method == "HEAD":
                page = self.cache.lookup(scope)
                if page is not None and await self._answer(page, scope, send):
                    return
        await self.app(scope, receive, send)

    async def _answer(self, page: Page, scope: Scope, send: Send) -> bool:
        """Send the page if nothing about this request needs the full app; False (nothing sent) otherwise."""
        if scope.get("scheme") == "https" and not self.https:
            return False
        headers = scope["headers"]
        if len(headers) > MAX_HEADERS:
            return False
        accept = inm = referer = host = agent = b""
        prefetch = False
        hosts = 0
        for name, value in headers:
            if len(name) + len(value) > MAX_HEADER_LINE:
                return False
            if name == b"accept-encoding":
                accept = value
            elif name == b"if-none-match":
                inm = value
            elif name == b"host":
                host = value
                hosts += 1
            elif name == b"referer":
                referer = value
            elif name == b"user-agent":
                agent = value
            elif (name == b"sec-purpose" or name == b"purpose" or name == b"x-moz") and b"prefetch" in value:
                prefetch = True
        if hosts > 1 or (hosts and host not in self._hosts and not self._known(host)):
            return False
        if scope["method"] == "GET" and self.might_land(scope["query_string"], referer, host):
            return False
        now = self.cache.clock()
        if not self.cache.current(now):
            return False
        self.hits += 1
        status = await page.answer(send, scope["method"] == "HEAD", now, accept, inm)
        if self.on_view is not None and status == 200 and scope["method"] == "GET":
            self.on_view(scope["path"], agent, prefetch, now.date())
        return True

    def _known(self, host: bytes) -> bool:
        """Is this Host valid? Remembered, so a site's few Host values are checked once each."""
        if not self.valid_host(host):
            return False
        if len(self._hosts) < _KNOWN_HOSTS_MAX:
            self._hosts.add(host)
        return True
