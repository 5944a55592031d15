"""The application factory: `create_app(settings)` wires routes, middleware and lifespan.

Everything long-lived is created here or in the lifespan and hung on
`app.state`: the settings, the current content snapshot, the templates, the
static assets, the database, the outgoing HTTP client and the delivery worker.
Tests call `create_app(test_settings, clock=fake_clock)` and get a complete,
isolated site.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from frontdesk import (
    __version__,
    careers,
    comment_views,
    insights,
    metrics,
    outbox,
    pages,
    ratelimit,
    reload,
    spam,
    staff,
    views,
)
from frontdesk.assets import Assets
from frontdesk.attribution import AttributionMiddleware
from frontdesk.bodylimit import BodyLimitMiddleware
from frontdesk.content import Content, load_content
from frontdesk.csrf import CrossOriginMiddleware
from frontdesk.db import Database
from frontdesk.pagecache import PageCache, PageCacheMiddleware
from frontdesk.security import SecurityHeadersMiddleware
from frontdesk.settings import Settings, ensure_secret_key
from frontdesk.shape import RequestShapeMiddleware

log = logging.getLogger("frontdesk")

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _resource_dir(name: str) -> Path:
    """templates/ and static/ live at the repo root, or inside the package once built as a wheel."""
    packaged = Path(__file__).parent / name
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / name


ERROR_TITLES = {
    400: ("Bad request", "We could not understand that request."),
    403: ("Forbidden", "That request was refused."),
    404: ("Page not found", "We could not find that page. It may have moved."),
    405: ("Method not allowed", "That page does not accept this kind of request."),
    408: ("Request timeout", "The request took too long to arrive. Please try again."),
    410: ("Gone", "That page is no longer available."),
    413: ("Too large", "What you sent is larger than we accept."),
    415: ("Unsupported format", "That request was sent in a format we do not accept."),
    422: ("Check your input", "Some of what you sent needs another look."),
    429: ("Too many requests", "Please wait a little and try again."),
    431: ("Request headers too large", "The request's headers are too large."),
    500: ("Something went wrong", "An error on our side stopped this page. Please try again shortly."),
    503: ("Temporarily unavailable", "Please try again in a moment."),
}


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


async def error_page(request: Request, exc: Exception) -> Response:
    """One handler for every error: the site's layout for browsers, JSON for scripts, never a traceback."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 500:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    title, text = ERROR_TITLES.get(status, ("Error", "That request could not be completed."))
    if isinstance(exc, HTTPException) and exc.detail and exc.detail != title and status != 500:
        text = str(exc.detail)
    headers = {"Cache-Control": "no-store"}
    if isinstance(exc, HTTPException) and exc.headers:
        headers.update(exc.headers)
    if wants_json(request) or request.url.path.endswith((".json", ".csv")):
        return JSONResponse({"error": title, "detail": text}, status_code=status, headers=headers)
    if status in (204, 304):
        return Response(status_code=status, headers=headers)
    try:
        return pages.render(
            request,
            "errors/error.html",
            {"title": title, "message": text, "status": status, "robots": "noindex"},
            status_code=status,
            headers=headers,
        )
    except Exception:  # the layout itself failed: still no traceback
        log.exception("error page failed to render")
        return PlainTextResponse(f"{status} {title}", status_code=status, headers=headers)


def make_templates(settings: Settings, assets: Assets) -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_resource_dir("templates"))),
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
    )
    return Jinja2Templates(env=env)


def create_app(settings: Settings, *, clock: Clock = utcnow, content: Content | None = None) -> Starlette:
    """Build the site. Raises `ContentError` or `SettingsError` before anything is served."""
    settings = ensure_secret_key(settings)
    content = content or load_content(settings.content_dir)
    assets = Assets(_resource_dir("static"))
    db = Database(settings.database_url)
    page_cache = PageCache(clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        async with contextlib.AsyncExitStack() as stack:
            stack.push_async_callback(db.dispose)
            for hook in app.state.startup_hooks:
                await hook(app, stack)
            yield {}

    routes = [
        *pages.routes,
        *careers.routes,
        *views.routes,
        *insights.routes,
        *comment_views.routes,
        *staff.routes,
        Route("/static/{path:path}", assets.serve, name="static"),
        Route("/metrics", metrics.endpoint, name="metrics"),
    ]
    middleware = [
        Middleware(SecurityHeadersMiddleware, https=settings.https, turnstile=bool(settings.turnstile_sitekey)),
        # Malformed requests first, then forgery (nothing of a forged request is read), then the body cap.
        Middleware(RequestShapeMiddleware, render_error=error_page),
        Middleware(CrossOriginMiddleware, trusted_origins=settings.trusted_origins, render_error=error_page),
        Middleware(BodyLimitMiddleware, idle_timeout=settings.body_timeout_seconds, render_error=error_page),
        Middleware(AttributionMiddleware, secure=settings.https),
        # Inside the security headers and attribution (cached pages get both), outside routing: see pagecache.py.
        Middleware(PageCacheMiddleware, cache=page_cache),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={HTTPException: error_page, Exception: error_page},
    )
    app.state.settings = settings
    app.state.content = content
    app.state.clock = clock
    app.state.assets = assets
    app.state.db = db
    app.state.templates = make_templates(settings, assets)
    app.state.page_cache = page_cache
    page_cache.state = app.state
    page_cache.slots.register(pages.FORM_TOKEN, pages.form_token_filler(app))
    app.state.startup_hooks = []
    app.state.startup_hooks += [ratelimit.startup, spam.startup]
    app.state.startup_hooks.append(reload.startup_hook)  # SIGHUP and --reload-content
    if settings.run_worker:
        app.state.startup_hooks.append(outbox.startup_hook)
    return app


def app_from_env() -> Starlette:
    """Entry point for `uvicorn --factory` (used by `frontdesk serve --workers N`)."""
    app = create_app(Settings.from_env())
    gc.freeze()  # as in `frontdesk serve`: start-up objects stay out of full garbage collections
    return app
