"""The page cache: public pages rendered once per content version and day, then served as bytes.

- `cache.py`       `PageCache`, `Page` (bytes per encoding, ETags, ready headers), slots, the middleware
- `compression.py` choosing an encoding, gzip and brotli bodies, ETag comparison
- `edge.py`        `Edge`: filed pages answered outside the whole app, before any middleware
- `counter.py`     `ViewCounter`: page views per path and day, in memory, flushed in batches

It sits below the public views (they ask it for pages) and beside `guard/`: the app's edge answers a filed
URL from it before any routing.
"""

from frontdesk.pagecache.cache import PUBLIC_CACHE, Page, PageCache, PageCacheMiddleware, Rendered, Slots
from frontdesk.pagecache.counter import ViewCounter
from frontdesk.pagecache.edge import Edge

__all__ = ["PUBLIC_CACHE", "Edge", "Page", "PageCache", "PageCacheMiddleware", "Rendered", "Slots", "ViewCounter"]
