"""The site's long-lived services, as one typed object instead of attributes hung on `app.state`.

`create_app` builds a `Services` and the lifespan completes it: the rate limiter, the Turnstile verifier
and (when it runs in this process) the delivery worker need an event loop and something to close at
shutdown, so they start with the lifespan. Every view reaches them with `web.services(request)`; a test
with `services.of(app)`.

A service that is not there fails loudly. Under the old `app.state` bag, a view that found no limiter
(because a wiring slip kept the lifespan from creating one) quietly stopped limiting; now asking for
the limiter before the lifespan has started raises `ServiceNotStarted`, which names what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jinja2

from frontdesk.clock import Clock
from frontdesk.content.reload import ContentStore
from frontdesk.db import Database
from frontdesk.delivery.outbox import Outbox
from frontdesk.guard.ratelimit import RateLimiter
from frontdesk.guard.spam import Turnstile
from frontdesk.media import ImageLibrary
from frontdesk.pagecache import PageCache, ViewCounter
from frontdesk.settings import Settings


class ServiceNotStarted(RuntimeError):
    """A service that the app's lifespan starts was asked for before the lifespan ran."""


@dataclass
class Started:
    """What the lifespan starts, and closes at shutdown."""

    limiter: RateLimiter
    turnstile: Turnstile | None  # None: Turnstile is not configured
    outbox: Outbox | None  # None: the worker runs elsewhere (FRONTDESK_RUN_WORKER=false)


@dataclass
class Services:
    settings: Settings
    clock: Clock
    content: ContentStore
    db: Database
    templates: jinja2.Environment
    page_cache: PageCache
    media: ImageLibrary
    views: ViewCounter = field(default_factory=ViewCounter)
    started: Started | None = field(default=None, repr=False)

    def _require_started(self, name: str) -> Started:
        if self.started is None:
            raise ServiceNotStarted(f"the {name} starts with the app's lifespan, which has not run")
        return self.started

    @property
    def limiter(self) -> RateLimiter:
        return self._require_started("rate limiter").limiter

    @property
    def turnstile(self) -> Turnstile | None:
        return self._require_started("Turnstile verifier").turnstile

    @property
    def outbox(self) -> Outbox | None:
        """The in-process delivery worker, if one runs here (None before the lifespan, too: it is optional)."""
        return self.started.outbox if self.started is not None else None


def of(app: Any) -> Services:
    """The services of a Frontdesk app (a Starlette app built by `create_app`)."""
    found = getattr(app.state, "services", None)
    if not isinstance(found, Services):
        raise ServiceNotStarted("this app has no Frontdesk services: build it with frontdesk.app.create_app")
    return found
