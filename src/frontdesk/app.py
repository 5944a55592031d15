"""The application factory: `create_app(settings)` wires the services, each area's routes, the middleware
and the lifespan.

Everything long-lived is built here, once, into one typed `Services` object (`services.py`): the settings,
the content store, the templates, the database, the page cache and the image library; the lifespan adds
what needs an event loop (the rate limiter, the Turnstile verifier, the in-process delivery worker, and
the thread that encodes the pictures' missing sizes, the page-view flush) and closes all of it at shutdown.
Tests call `create_app(test_settings, clock=fake_clock)` and get a complete, isolated site.

Outside all of it, the edge (`pagecache/edge.py`) answers a GET or HEAD for a filed public page from the
page cache, with every header the middlewares would add already in the page; anything else falls through.
The middleware, outermost first: the guard's (`guard.middleware()`: security headers, request shape,
cross-origin refusal, body caps), then the attribution cookie on landings, then the page cache's own
middleware, which answers a filed URL before routing for what the edge passed on (a landing, say).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jinja2
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from frontdesk import __version__, guard, openapi, ops
from frontdesk.clock import Clock, utcnow
from frontdesk.content import Content, load_content
from frontdesk.content import reload as content_reload
from frontdesk.content.reload import ContentStore
from frontdesk.db import Database, DatabaseUnavailable
from frontdesk.delivery import once, outbox
from frontdesk.delivery.files import ResumeLinks
from frontdesk.errors import client_gone, error_page
from frontdesk.guard import ratelimit, request_shape, spam
from frontdesk.guard.headers import security_headers
from frontdesk.intake import application, attribution, comment_form, feedback, request_info, schema
from frontdesk.intake.attribution import AttributionMiddleware
from frontdesk.logs import configure_logging
from frontdesk.media import ImageLibrary
from frontdesk.pagecache import Edge, PageCache, PageCacheMiddleware
from frontdesk.pagecache import counter as view_counter
from frontdesk.public import careers, crawlers, insights, local, media_files, offices, pages, pictures, site_pages
from frontdesk.public.assets import Assets
from frontdesk.public.rendering import register_slots
from frontdesk.services import Services, Started
from frontdesk.settings import Settings, ensure_secret_key
from frontdesk.staff import api as staff_api
from frontdesk.staff.routes import routes as staff_routes


def resource_dir(name: str) -> Path:
    """templates/ and static/ live at the repo root, or inside the package once built as a wheel."""
    packaged = Path(__file__).parent / name
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / name


def make_templates(settings: Settings, assets: Assets, media: ImageLibrary) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resource_dir("templates"))),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined if not settings.production else jinja2.Undefined,
    )
    env.globals.update(
        static=assets.url,
        public_url=settings.public_url,
        version=__version__,
        turnstile_sitekey=settings.turnstile_sitekey,
        **pictures.template_globals(media, assets, settings.public_url),
        **local.template_helpers(),
    )
    return env


class FrontdeskApp(Starlette):
    """Starlette, with the edge outside its whole middleware stack (ServerErrorMiddleware included)."""

    edge: Edge

    def build_middleware_stack(self) -> ASGIApp:
        self.edge.app = super().build_middleware_stack()
        return self.edge


def create_app(
    settings: Settings,
    *,
    clock: Clock = utcnow,
    content: Content | None = None,
    reload_on_sighup: bool = False,
) -> FrontdeskApp:
    """Build the site. Raises `ContentError` or `SettingsError` before anything is served.

    `reload_on_sighup`: SIGHUP re-reads the content (`frontdesk serve` asks for it with a single worker;
    with several, uvicorn's supervisor owns SIGHUP).
    """
    settings = ensure_secret_key(settings)
    store = ContentStore(content or load_content(settings.content_dir), settings.content_dir)
    assets = Assets(resource_dir("static"))
    db = Database(settings.database_url, lock_timeout=settings.db_lock_timeout)
    turnstile_on = bool(settings.turnstile_sitekey)
    page_cache = PageCache(clock, extra_headers=security_headers(https=settings.https, turnstile=turnstile_on))
    media = ImageLibrary(settings.media_dir)
    store.on_change(lambda _new: page_cache.clear())
    register_slots(page_cache.slots, settings, clock)
    services = Services(settings, clock, store, db, make_templates(settings, assets, media), page_cache, media)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        async with contextlib.AsyncExitStack() as stack:
            stack.push_async_callback(db.dispose)  # last: everything below may still write
            limiter = ratelimit.start(stack, settings)
            turnstile = await spam.start(stack, settings)
            await content_reload.start(stack, store, sighup=reload_on_sighup, poll=settings.reload_content)
            await media_files.start_warming(stack, media, store)
            services.started = started = Started(limiter=limiter, turnstile=turnstile, outbox=None)
            if settings.run_worker:  # in one process of several (`serve --workers N`): see delivery/once.py

                def worker_started(worker: outbox.Outbox) -> None:
                    started.outbox = worker

                await once.start_once(stack, settings, db, clock, worker_started)
            await view_counter.start(stack, services.views, db)
            yield {}

    routes: list[BaseRoute] = [
        *pages.routes,
        *offices.routes,
        *careers.routes,
        *insights.routes,
        *crawlers.routes,
        *request_info.routes,
        *application.routes,
        *feedback.routes,
        *comment_form.routes,
        Route(schema.SCHEMA_URL, schema.serve, name="webhook_schema"),
        Route(openapi.OPENAPI_URL, openapi.serve, name="openapi"),
        *staff_routes,
        *staff_api.routes,
        *ResumeLinks(settings, db, clock).routes(),
        Route("/static/{path:path}", assets.serve, name="static"),
        *media_files.routes,
        *ops.routes(),
    ]
    views = services.views if settings.count_page_views else None
    middleware = [
        *guard.middleware(settings, render_error=error_page),
        Middleware(AttributionMiddleware, secret=settings.secret_key, secure=settings.https),
        # Inside the security headers and attribution (cached pages get both), outside routing: see pagecache/.
        Middleware(PageCacheMiddleware, cache=page_cache, views=views),
    ]
    app = FrontdeskApp(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        # By class, before the catch-all: these are answered by the exception middleware and not re-raised, so
        # neither a client that went away nor a database error's message (which can quote a row) reaches
        # uvicorn's own traceback log.
        exception_handlers={
            ClientDisconnect: client_gone,
            HTTPException: error_page,
            DatabaseUnavailable: error_page,
            sa.exc.SQLAlchemyError: error_page,
            Exception: error_page,
        },
    )
    # Starlette's own slash redirects are built from the Host header; errors.error_page builds them from
    # FRONTDESK_PUBLIC_URL instead.
    app.router.redirect_slashes = False
    app.router.default = site_pages.fallback  # pages/*.md at /{slug}: only where no route of the site matched
    app.state.services = services
    app.edge = Edge(
        app.router,  # replaced by the built middleware stack at the first request
        page_cache,
        valid_host=request_shape.valid_host,
        might_land=attribution.might_land,
        https=settings.https,
    )
    app.edge.on_view = views.count_parsed if views is not None else None  # what the edge answers are views too
    return app


def app_from_env() -> FrontdeskApp:
    """Entry point for `uvicorn --factory` (used by `frontdesk serve --workers N`)."""
    from frontdesk.guard import slow_clients

    settings = Settings.from_env()
    configure_logging(settings)  # a spawned worker process inherits none of the parent's logging
    slow_clients.configure(settings.header_timeout)  # this worker process's connections
    app = create_app(settings)
    gc.freeze()  # as in `frontdesk serve`: start-up objects stay out of full garbage collections
    return app
