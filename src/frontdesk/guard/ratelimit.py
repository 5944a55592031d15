"""Rate limits per client and per form, with the `limits` library.

Each form has a limit string in `settings.rate_limits` (defaults: Request Info
"5/minute;30/hour", applications "3/minute", feedback "30/minute", staff
sign-in "5/minute", comments "5/minute"), configurable as
`FRONTDESK_RATE_LIMIT_<FORM>`. A view asks at the top of its POST handler::

    retry_after = await services(request).limiter.hit(request, "request_info")
    if retry_after is not None:
        ...  # 429, Retry-After: ceil(retry_after), the form re-rendered with the input kept

The counters use a moving window (exact: at most N hits in any window of that
length). They live in process memory by default; with `FRONTDESK_REDIS_URL`
they live in Redis and are shared by every instance. A Redis outage must not
turn real leads away, so a storage error lets the request through (and is
logged once per minute at most).

Who is "the client": the direct peer (`request.client.host`), unless that
peer is one of `FRONTDESK_TRUSTED_PROXIES` (addresses or CIDR networks). Only
then is `X-Forwarded-For` read, from the right: the right-most address that
is not itself a trusted proxy is the one our own proxy saw connect, so
addresses a client wrote into the header themselves are never believed.
IPv6 clients are counted per /64, the block one subscriber usually holds.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.requests import Request

from frontdesk.settings import Settings

log = logging.getLogger("frontdesk.ratelimit")

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnknownRateLimit(KeyError):
    """A view asked for a form name that has no limit in `settings.rate_limits`."""


def parse_networks(entries: Iterable[str]) -> tuple[IPNetwork, ...]:
    """`10.0.0.1`, `10.0.0.0/8`, `::1` -> networks. Raises ValueError naming a bad entry."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or network: {entry!r}") from None
    return tuple(networks)


def _address(text: str) -> IPAddress | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.7:51000"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress, proxies: Sequence[IPNetwork]) -> bool:
    return any(address.version == net.version and address in net for net in proxies)


def client_address(peer: str | None, forwarded_for: Sequence[str], proxies: Sequence[IPNetwork]) -> IPAddress | None:
    """The client's address: the peer, or (behind a trusted proxy) the right-most untrusted X-Forwarded-For."""
    direct = _address(peer) if peer else None
    if direct is None or not proxies or not _trusted(direct, proxies):
        return direct
    hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            # Our proxy wrote a hop we cannot read: trust nothing to its left, count the proxy itself.
            return direct
        if not _trusted(address, proxies):
            return address
    # Every hop is one of ours (an internal health check, say): the left-most is as far as we can see.
    return _address(hops[0]) if hops else direct


def client_key(request: Request, proxies: Sequence[IPNetwork]) -> str:
    """The string a client's counters are kept under."""
    address = client_address(
        request.client.host if request.client else None,
        request.headers.getlist("x-forwarded-for"),
        proxies,
    )
    if address is None:
        return "unknown"  # e.g. a Unix socket peer: they share one bucket, which errs on the side of limiting
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class RateLimiter:
    """Per-client, per-form limits over a `limits` async storage (memory or Redis)."""

    def __init__(
        self,
        storage: Storage,
        rate_limits: Mapping[str, str],
        *,
        trusted_proxies: Iterable[str] = (),
        namespace: str = "frontdesk",
    ) -> None:
        self.storage = storage
        self.strategy = MovingWindowRateLimiter(storage)
        self.items: dict[str, list[RateLimitItem]] = {form: parse_many(text) for form, text in rate_limits.items()}
        self.proxies = parse_networks(trusted_proxies)
        self.namespace = namespace
        self._last_error_log = 0.0

    async def hit(self, request: Request, form: str) -> float | None:
        """Count one submission of `form` by this client: None if allowed, else seconds until it would be."""
        return await self.hit_key(client_key(request, self.proxies), form)

    async def hit_key(self, key: str, form: str) -> float | None:
        try:
            items = self.items[form]
        except KeyError:
            raise UnknownRateLimit(form) from None
        ids = (self.namespace, form, key)
        try:
            # Test every limit before counting, so a full hourly window does not also eat the minute's quota.
            for item in items:
                if not await self.strategy.test(item, *ids):
                    return await self._retry_after(items, ids)
            for item in items:
                if not await self.strategy.hit(item, *ids):  # lost a race with a parallel request
                    return await self._retry_after(items, ids)
        except Exception as exc:  # the storage is down: fail open, real leads matter more
            now = time.monotonic()
            if now - self._last_error_log > 60:
                self._last_error_log = now
                log.warning("rate limit storage failed (%s); letting requests through", type(exc).__name__)
            return None
        return None

    async def _retry_after(self, items: Sequence[RateLimitItem], ids: tuple[str, ...]) -> float:
        now = time.time()
        waits = []
        for item in items:
            stats = await self.strategy.get_window_stats(item, *ids)
            if stats.remaining <= 0:
                waits.append(stats.reset_time - now)
        return max(1.0, *waits) if waits else 1.0

    async def clear(self, request: Request, form: str) -> None:
        ids = (self.namespace, form, client_key(request, self.proxies))
        for item in self.items.get(form, []):
            await self.strategy.clear(item, *ids)


def describe_wait(seconds: float) -> str:
    """'about 40 seconds', 'about 1 minute', 'about 2 hours': for the 429 page."""
    seconds = max(1, math.ceil(seconds))
    if seconds < 60:
        return f"about {seconds} second{'s' if seconds != 1 else ''}"
    if seconds < 3600:
        minutes = math.ceil(seconds / 60)
        return f"about {minutes} minute{'s' if minutes != 1 else ''}"
    hours = math.ceil(seconds / 3600)
    return f"about {hours} hour{'s' if hours != 1 else ''}"


def retry_after_header(seconds: float) -> dict[str, str]:
    """The `Retry-After` header for a wait, in whole seconds rounded up (never 0)."""
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


def make_storage(redis_url: str, *, key_prefix: str = "frontdesk") -> tuple[Storage, Any]:
    """The storage for `redis_url` (memory when empty), and the Redis pool to close, if any."""
    if not redis_url:
        return MemoryStorage(), None
    import redis.asyncio

    # Our own pool, so that shutdown can close it; short timeouts, so a dead Redis fails open fast.
    pool = redis.asyncio.ConnectionPool.from_url(redis_url, socket_connect_timeout=1.0, socket_timeout=1.0)
    storage = RedisStorage(
        "async+" + redis_url,
        implementation="redispy",
        key_prefix=key_prefix,
        connection_pool=pool,  # type: ignore[arg-type]  # limits types its options as scalars; redis-py takes it
    )
    return storage, pool


async def close_storage(storage: Storage, pool: Any) -> None:
    if pool is not None:
        await pool.aclose()
    timer = getattr(storage, "timer", None)  # MemoryStorage's expiry task
    if timer is not None and not timer.done():
        timer.cancel()
        with contextlib.suppress(BaseException):
            await timer


def start(stack: contextlib.AsyncExitStack, settings: Settings) -> RateLimiter:
    """The limiter for the app's lifespan; `stack` closes its storage at shutdown."""
    storage, pool = make_storage(settings.redis_url)
    stack.push_async_callback(close_storage, storage, pool)
    return RateLimiter(storage, settings.rate_limits, trusted_proxies=settings.trusted_proxies)
