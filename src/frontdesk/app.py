"""The application factory: `create_app(settings)` wires the services, each area's routes, the middleware
and the lifespan.

Everything long-lived is built here, once, into one typed `Services` object (`services.py`): the settings,
the content store, the templates, the database, the page cache and the image library; the lifespan adds
what needs an event loop (the rate limiter, the Turnstile verifier, the in-process delivery worker, and
the thread that encodes the pictures' missing sizes) and closes all of it at shutdown.
Tests call `create_app(test_settings, clock=fake_clock)` and get a complete, isolated site.

The middleware, outermost first: the guard's (`guard.middleware()`: security headers, request shape,
cross-origin refusal, body caps), then the attribution cookie on landings, then the page cache's fast
path, which answers a GET for a URL it has filed before any routing.
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

from frontdesk import __version__, guard, ops
from frontdesk.clock import Clock, utcnow
from frontdesk.content import Content, load_content
from frontdesk.content import reload as content_reload
from frontdesk.content.reload import ContentStore
from frontdesk.db import Database, DatabaseUnavailable
from frontdesk.delivery import outbox
from frontdesk.delivery.files import ResumeLinks
from frontdesk.errors import client_gone, error_page
from frontdesk.guard import ratelimit, spam
from frontdesk.intake import application, comment_form, feedback, request_info, schema
from frontdesk.intake.attribution import AttributionMiddleware
from frontdesk.media import ImageLibrary
from frontdesk.pagecache import PageCache, PageCacheMiddleware
from frontdesk.public import careers, crawlers, insights, local, media_files, offices, pages, pictures, site_pages
from frontdesk.public.assets import Assets
from frontdesk.public.rendering import register_slots
from frontdesk.services import Services, Started
from frontdesk.settings import Settings, ensure_secret_key
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


def create_app(
    settings: Settings,
    *,
    clock: Clock = utcnow,
    content: Content | None = None,
    reload_on_sighup: bool = False,
) -> Starlette:
    """Build the site. Raises `ContentError` or `SettingsError` before anything is served.

    `reload_on_sighup`: SIGHUP re-reads the content (`frontdesk serve` asks for it with a single worker;
    with several, uvicorn's supervisor owns SIGHUP).
    """
    settings = ensure_secret_key(settings)
    store = ContentStore(content or load_content(settings.content_dir), settings.content_dir)
    assets = Assets(resource_dir("static"))
    db = Database(settings.database_url, lock_timeout=settings.db_lock_timeout)
    page_cache = PageCache(clock)
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
            worker = await outbox.start(stack, settings, db, clock) if settings.run_worker else None
            services.started = Started(limiter=limiter, turnstile=turnstile, outbox=worker)
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
        *staff_routes,
        *ResumeLinks(settings, db, clock).routes(),
        Route("/static/{path:path}", assets.serve, name="static"),
        *media_files.routes,
        *ops.routes(),
    ]
    middleware = [
        *guard.middleware(settings, render_error=error_page),
        Middleware(AttributionMiddleware, secure=settings.https),
        # Inside the security headers and attribution (cached pages get both), outside routing: see pagecache/.
        Middleware(PageCacheMiddleware, cache=page_cache),
    ]
    app = Starlette(
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
    return app


def app_from_env() -> Starlette:
    """Entry point for `uvicorn --factory` (used by `frontdesk serve --workers N`)."""
    from frontdesk.guard import slow_clients

    settings = Settings.from_env()
    slow_clients.configure(settings.header_timeout)  # this worker process's connections
    app = create_app(settings)
    gc.freeze()  # as in `frontdesk serve`: start-up objects stay out of full garbage collections
    return app
