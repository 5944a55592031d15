"""Rendering public pages: once into the page cache (`cached`), or per request (`render`).

A GET view checks what it must (does the slug exist? is the job open?), then asks `cached()` for its page
by a key. The builder runs only when the page cache has no page for that key in this content version and
day. It receives a `PageEnv` (the templates, one content snapshot, the day and the URL's feedback state),
never the request, so nothing about the visitor can reach the bytes that every visitor, and any CDN, gets.
See `pagecache/` for encodings, ETags, slots and the fast path.

The template contract for cached pages: templates never read `request`; they get `content`, `path`,
`canonical`, `feedback_page` (the path, where the page's kind shows "Was this information helpful?",
see `kinds.py`) and `feedback_state`, and `form_token`, which a cached render sets to a slot
marker that is filled with a fresh time-trap token in every response. `render()` (error pages, forms with
errors, thank-you pages) gives the same names real per-request values.

A builder gets one snapshot, so a reload that swaps the content mid-request can never mix two versions in
one page. Nothing here writes to the database or talks to the CRM.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send

from frontdesk import web
from frontdesk.clock import Clock
from frontdesk.content import Content
from frontdesk.content.models import Picture
from frontdesk.guard.spam import issue_token
from frontdesk.media import ImageLibrary
from frontdesk.pagecache import PUBLIC_CACHE, Page, PageCache, Rendered, Slots
from frontdesk.public.kinds import takes_feedback
from frontdesk.settings import Settings

FORM_TOKEN = "form_token"  # noqa: S105 - the name of a slot, not a secret


def feedback_state(request: Request) -> str:
    """`?feedback=thanks|more` (set by the feedback form's redirect): which part of the widget shows."""
    value = request.query_params.get("feedback", "")
    return value if value in ("thanks", "more") else ""


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a page in the site layout for this request. Public pages default to a CDN-friendly cache policy."""
    found = web.services(request)
    ctx = {"content": web.content(request), "path": request.url.path, "today": found.clock().date(), **context}
    ctx.setdefault("canonical", web.absolute(request, request.url.path))
    # Content pages of the kinds site.yaml names carry "Was this information helpful?"; forms carry a time-trap
    # token (see guard/spam.py).
    path = request.url.path
    ctx.setdefault("feedback_page", path if status_code == 200 and takes_feedback(ctx["content"], path) else None)
    ctx.setdefault("feedback_state", feedback_state(request))
    ctx.setdefault("form_token", issue_token(found.settings, found.clock()))
    html = found.templates.get_template(template).render(request=request, **ctx)
    all_headers = {"Cache-Control": PUBLIC_CACHE if status_code == 200 else "no-store"}
    all_headers.update(headers or {})
    return HTMLResponse(html, status_code=status_code, headers=all_headers)


def register_slots(slots: Slots, settings: Settings, clock: Clock) -> None:
    """The slots cached pages use: `form_token`, a time-trap token carrying the second it was issued."""
    slots.register(FORM_TOKEN, lambda: issue_token(settings, clock()))


@dataclass(frozen=True)
class PageEnv:
    """What a page builder may use: the templates, one content snapshot, the day, the URL's feedback state, and
    the image library (for the URLs of pictures in structured data)."""

    templates: jinja2.Environment
    slots: Slots
    public_url: str
    content: Content
    day: dt.date
    feedback_state: str
    media: ImageLibrary

    def picture_url(self, pic: Picture | None, width: int = 1200) -> str | None:
        """The absolute URL of a content picture's fallback variant, or None."""
        found = self.media.renditions(self.content).get(pic.src) if pic else None
        return self.public_url + found.url(width=width) if found else None

    def render(self, template: str, context: dict[str, Any], path: str, *, status: int = 200) -> Rendered:
        """Render a page in the site layout, with `form_token` as a slot (see the module docstring)."""
        ctx = {
            "content": self.content,
            "path": path,
            "canonical": self.public_url + path,
            "feedback_page": path if status == 200 and takes_feedback(self.content, path) else None,
            "feedback_state": self.feedback_state,
            "form_token": self.slots.marker(FORM_TOKEN),
            "today": self.day,
            **context,
        }
        return Rendered(self.templates.get_template(template).render(**ctx), status=status)


class PageResponse(Response):
    """Sends a cached `Page`: negotiates the encoding and answers If-None-Match itself."""

    def __init__(self, page: Page, clock: Clock) -> None:
        self.page = page
        self.clock = clock
        self.status_code = page.status
        self.background = None
        self.body = b""
        self.raw_headers = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.page.respond(scope, send, self.clock())


PageBuilder = Callable[[PageEnv], Rendered]


def cached(request: Request, key: tuple[Hashable, ...], build: PageBuilder, *, fast_path: bool = True) -> Response:
    """Serve the page for `key` from the cache, building it with `build(env)` when missing.

    `build` must depend only on the env and the key (never on the request): its bytes go to every visitor.
    The request's URL is filed under the page so the next identical request is answered before routing,
    unless `fast_path=False`: a page that also depends on the database (an article and its approved
    comments) must reach its view every time, so that the view can put what it read into the key.
    """
    found = web.services(request)
    cache: PageCache = found.page_cache
    state = feedback_state(request)

    def builder(snapshot: Content, day: dt.date) -> Rendered:
        env = PageEnv(found.templates, cache.slots, found.settings.public_url, snapshot, day, state, found.media)
        return build(env)

    page = cache.page(web.content(request), (*key, state), builder)
    if fast_path:
        cache.remember(request.scope, page)
    return PageResponse(page, found.clock)


def derived(request: Request, key: str, compute: Callable[[dt.date], Any]) -> Any:
    """A value computed once per content version and day (e.g. the sorted open jobs)."""
    return web.services(request).page_cache.derived(web.content(request), key, compute)
