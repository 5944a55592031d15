"""Public pages: the GET views that turn content into HTML, once, and serve the bytes.

A view checks what it must (does the slug exist? is the job open?), then asks `cached()` for its
page by a key. The builder (`_home`, `_office`, ...; the careers list is in careers.py, the form
pages in views.py) runs only when the page cache has no page for that key in this content version
and day. It receives a `PageEnv` (the app, the `Content` snapshot, the day and the URL's feedback
state), never the request, so nothing about the visitor can reach the bytes that every visitor, and
any CDN, gets. See pagecache.py for encodings, ETags, slots and the middleware fast path.

The template contract for cached pages: templates never read `request`; they
get `content`, `path`, `canonical`, `feedback_page` and `feedback_state`, and
`form_token`, which a cached render sets to a slot marker that is filled with a
fresh time-trap token in every response. `render()` (error pages, forms with
errors, thank-you pages) gives the same names real per-request values.

A builder gets one snapshot, so a reload that swaps `app.state.content`
mid-request can never mix two versions in one page. Views only read: nothing
here writes to the database or talks to the CRM.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from frontdesk import jsonld
from frontdesk.content import Content, Job, render_markdown
from frontdesk.pagecache import PUBLIC_CACHE, Page, PageCache, Rendered
from frontdesk.spam import issue_token

PAGE_SIZE = 20


def content_of(request: Request) -> Content:
    content: Content = request.app.state.content
    return content


def today(request: Request) -> dt.date:
    now: dt.datetime = request.app.state.clock()
    return now.date()


def absolute(request: Request, path: str) -> str:
    base: str = request.app.state.settings.public_url
    return base + path


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a page in the site layout. Public pages default to a CDN-friendly cache policy."""
    ctx = {"content": content_of(request), "path": request.url.path, **context}
    ctx.setdefault("canonical", absolute(request, request.url.path))
    # Content pages carry "Was this information helpful?"; forms carry a time-trap token (see spam.py).
    ctx.setdefault("feedback_page", request.url.path if status_code == 200 and template.startswith("pages/") else None)
    ctx.setdefault("feedback_state", feedback_state(request))
    ctx.setdefault("form_token", issue_token(request.app.state.settings, request.app.state.clock()))
    html = request.app.state.templates.get_template(template).render(request=request, **ctx)
    all_headers = {"Cache-Control": PUBLIC_CACHE if status_code == 200 else "no-store"}
    all_headers.update(headers or {})
    return HTMLResponse(html, status_code=status_code, headers=all_headers)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def directions_url(office: Any) -> str:
    """A "Get directions" link: the visitor's map app plans the route to the street address."""
    a = office.address
    return "https://www.google.com/maps/dir/?" + urlencode(
        {"api": "1", "destination": f"{a.street}, {a.locality}, {a.region} {a.postal_code}"}
    )


def map_embed_url(office: Any) -> str:
    lat, lon = office.geo.latitude, office.geo.longitude
    bbox = f"{lon - 0.006:.5f},{lat - 0.003:.5f},{lon + 0.006:.5f},{lat + 0.003:.5f}"
    return "https://www.openstreetmap.org/export/embed.html?" + urlencode(
        {"bbox": bbox, "layer": "mapnik", "marker": f"{lat:.5f},{lon:.5f}"}
    )


def feedback_state(request: Request) -> str:
    """`?feedback=thanks|more` (set by the feedback form's redirect): which part of the widget shows."""
    value = request.query_params.get("feedback", "")
    return value if value in ("thanks", "more") else ""


FORM_TOKEN = "form_token"  # noqa: S105 - the name of a slot, not a secret


def form_token_filler(app: Any) -> Callable[[], str]:
    """The `form_token` slot: a time-trap token (spam.py), which carries the second it was issued."""
    settings, clock = app.state.settings, app.state.clock
    return lambda: issue_token(settings, clock())


@dataclass(frozen=True)
class PageEnv:
    """What a page builder may use: the app, one content snapshot, the day and the URL's feedback state."""

    app: Any
    content: Content
    day: dt.date
    feedback_state: str

    @property
    def public_url(self) -> str:
        url: str = self.app.state.settings.public_url
        return url

    def render(self, template: str, context: dict[str, Any], path: str, *, status: int = 200) -> Rendered:
        """Render a page in the site layout, with `form_token` as a slot (see the module docstring)."""
        ctx = {
            "content": self.content,
            "path": path,
            "canonical": self.public_url + path,
            "feedback_page": path if status == 200 and template.startswith("pages/") else None,
            "feedback_state": self.feedback_state,
            "form_token": self.app.state.page_cache.slots.marker(FORM_TOKEN),
            **context,
        }
        return Rendered(self.app.state.templates.get_template(template).render(**ctx), status=status)


class PageResponse(Response):
    """Sends a cached `Page`: negotiates the encoding and answers If-None-Match itself."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.status_code = page.status
        self.background = None
        self.body = b""
        self.raw_headers = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.page.respond(scope, send, scope["app"].state.clock())


PageBuilder = Callable[[PageEnv], Rendered]


def cached(request: Request, key: tuple[Hashable, ...], build: PageBuilder, *, fast_path: bool = True) -> Response:
    """Serve the page for `key` from the cache, building it with `build(env)` when missing.

    `build` must depend only on the env and the key (never on the request): its bytes go to every visitor.
    The request's URL is filed under the page so the middleware answers the next one directly, unless
    `fast_path=False`: a page that also depends on the database (an article and its approved comments) must
    reach its view every time, so that the view can put what it read into the key.
    """
    app = request.app
    cache: PageCache = app.state.page_cache
    state = feedback_state(request)
    page = cache.page(content_of(request), (*key, state), lambda content, day: build(PageEnv(app, content, day, state)))
    if fast_path:
        cache.remember(request.scope, page)
    return PageResponse(page)


def derived(request: Request, key: str, compute: Callable[[dt.date], Any]) -> Any:
    """A value computed once per content version and day (e.g. the sorted open jobs)."""
    return request.app.state.page_cache.derived(content_of(request), key, compute)


def job_by_slug(request: Request, slug: str) -> Job | None:
    content = content_of(request)
    by_slug: dict[str, Job] = derived(request, "jobs_by_slug", lambda day: {j.slug: j for j in content.jobs})
    return by_slug.get(slug)


async def home(request: Request) -> Response:
    return cached(request, ("home",), _home)


def _home(env: PageEnv) -> Rendered:
    content = env.content
    context = {
        "jobs": content.open_jobs(env.day)[:4],
        "posts": content.posts[:3],
        "intro_html": render_markdown(content.site.home.intro),
    }
    return env.render("pages/home.html", context, "/")


async def offices(request: Request) -> Response:
    return cached(request, ("offices",), _offices)


def _offices(env: PageEnv) -> Rendered:
    return env.render("pages/offices.html", {"title": "Our offices"}, "/offices")


async def office(request: Request) -> Response:
    slug = request.path_params["slug"]
    if content_of(request).office(slug) is None:
        raise HTTPException(404)
    return cached(request, ("office", slug), functools.partial(_office, slug=slug))


def _office(env: PageEnv, *, slug: str) -> Rendered:
    content = env.content
    found = content.office(slug)
    assert found is not None  # the view checked
    path = f"/offices/{found.slug}"
    url = env.public_url + path
    context = {
        "office": found,
        "title": found.name,
        "description": found.summary or f"{found.name}: {found.address.one_line}",
        "jsonld": jsonld.to_script(jsonld.local_business(found, content, url)),
        "map_url": map_embed_url(found),
        "directions_url": directions_url(found),
        "jobs": [j for j in content.open_jobs(env.day) if j.office.slug == found.slug],
    }
    return env.render("pages/office.html", context, path)


async def job(request: Request) -> Response:
    slug = request.path_params["slug"]
    if job_by_slug(request, slug) is None:
        raise HTTPException(404)
    return cached(request, ("job", slug), functools.partial(_job, slug=slug))


def _job(env: PageEnv, *, slug: str) -> Rendered:
    content = env.content
    found = content.job(slug)
    assert found is not None  # the view checked
    path = f"/careers/{found.slug}"
    if not found.is_open(env.day):
        context = {"job": found, "title": f"{found.title}: no longer open", "robots": "noindex"}
        return env.render("pages/job_closed.html", context, path, status=410)
    base = env.public_url
    context = {
        "job": found,
        "title": found.title,
        "description": found.summary or f"{found.title} at {content.site.name}",
        "jsonld": jsonld.to_script(jsonld.job_posting(found, content, base + path, base + "/")),
    }
    return env.render("pages/job.html", context, path)


async def customer_care(request: Request) -> Response:
    return cached(request, ("customer-care",), _customer_care)


def _customer_care(env: PageEnv) -> Rendered:
    care = env.content.site.customer_care
    context = {"title": "Customer care", "care": care, "care_html": render_markdown(care.text)}
    return env.render("pages/customer_care.html", context, "/customer-care")


def sitemap_paths(content: Content, day: dt.date) -> list[str]:
    paths = ["/", "/offices", "/careers", "/customer-care", "/request-info"]
    paths += [f"/offices/{o.slug}" for o in content.offices]
    paths += [f"/careers/{j.slug}" for j in content.open_jobs(day)]
    if content.posts:
        paths += ["/insights"]
        paths += [f"/insights/{p.slug}" for p in content.posts]
        used = {c.slug for p in content.posts for c in p.categories}
        paths += [f"/insights/category/{c.slug}" for c in content.site.categories if c.slug in used]
    return paths


async def sitemap(request: Request) -> Response:
    return cached(request, ("sitemap.xml",), _sitemap)


def _sitemap(env: PageEnv) -> Rendered:
    from xml.sax.saxutils import escape

    base = env.public_url
    urls = "".join(f"<url><loc>{escape(base + p)}</loc></url>" for p in sitemap_paths(env.content, env.day))
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>\n'
    )
    return Rendered(body, media_type="application/xml")


async def robots(request: Request) -> Response:
    return cached(request, ("robots.txt",), _robots)


def _robots(env: PageEnv) -> Rendered:
    base = env.public_url
    body = f"User-agent: *\nDisallow: /staff\nDisallow: /files/\nAllow: /\n\nSitemap: {base}/sitemap.xml\n"
    return Rendered(body, media_type="text/plain; charset=utf-8")


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok", headers={"Cache-Control": "no-store"})


async def readyz(request: Request) -> Response:
    db_ok = await request.app.state.db.ping()
    content_ok = getattr(request.app.state, "content", None) is not None
    ok = db_ok and content_ok
    body = f"database: {'ok' if db_ok else 'unreachable'}\ncontent: {'ok' if content_ok else 'not loaded'}\n"
    return PlainTextResponse(body, status_code=200 if ok else 503, headers={"Cache-Control": "no-store"})


routes = [
    Route("/", home, name="home"),
    Route("/offices", offices, name="offices"),
    Route("/offices/{slug}", office, name="office"),
    Route("/careers/{slug}", job, name="job"),
    Route("/customer-care", customer_care, name="customer_care"),
    Route("/sitemap.xml", sitemap, name="sitemap"),
    Route("/robots.txt", robots, name="robots"),
    Route("/healthz", healthz, name="healthz"),
    Route("/readyz", readyz, name="readyz"),
]
