"""Public pages: the GET views that turn content into HTML, once, and serve the bytes.

A view checks what it must (does the slug exist?), then asks `cached()` for its
page by a key. The builder (`_office`, `_careers`, ...) runs only when the page
cache has no page for that key in this content version and day; it receives the
app, the `Content` snapshot and the day, never the request, so nothing about
the visitor can reach the bytes that every visitor (and any CDN) gets. See
pagecache.py for encodings, ETags, slots and the middleware fast path.

A builder gets one snapshot, so a reload that swaps `app.state.content`
mid-request can never mix two versions in one page. Views only read: nothing
here writes to the database or talks to the CRM.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Hashable
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from frontdesk import jsonld
from frontdesk.content import EMPLOYMENT_TYPES, Content, Job, render_markdown
from frontdesk.pagecache import PUBLIC_CACHE, Page, PageCache, Rendered, render_for_cache

PAGE_SIZE = 20


def content_of(request: Request) -> Content:
    return request.app.state.content


def today(request: Request) -> dt.date:
    return request.app.state.clock().date()


def absolute(request: Request, path: str) -> str:
    return request.app.state.settings.public_url + path


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


def render_page(app: Any, template: str, context: dict[str, Any], path: str) -> str:
    """Render a page for the cache: the layout gets the content, path and canonical URL, never the request."""
    ctx = {"path": path, "canonical": app.state.settings.public_url + path, **context}
    return render_for_cache(lambda: app.state.templates.get_template(template).render(**ctx))


class PageResponse(Response):
    """Sends a cached `Page`: negotiates the encoding and answers If-None-Match itself."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.status_code = page.status
        self.background = None
        self.body = b""
        self.raw_headers = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.page.respond(scope, send)


PageBuilder = Callable[[Any, Content, dt.date], Rendered]


def cached(request: Request, key: Hashable, build: PageBuilder) -> Response:
    """Serve the page for `key` from the cache, building it with `build(app, content, day)` when missing.

    `build` must depend only on its arguments and the key (never on the request): its bytes go to every
    visitor. The request's URL is filed under the page so the middleware answers the next one directly.
    """
    app = request.app
    cache: PageCache = app.state.page_cache
    page = cache.page(content_of(request), key, lambda content, day: build(app, content, day))
    cache.remember(request.scope, page)
    return PageResponse(page)


def open_jobs(request: Request) -> list[Job]:
    """Open postings, newest first, sorted once per content version and day."""
    content = content_of(request)
    return request.app.state.page_cache.derived(content, "open_jobs", content.open_jobs)


def job_by_slug(request: Request, slug: str) -> Job | None:
    content = content_of(request)
    index = request.app.state.page_cache.derived(content, "jobs_by_slug", lambda day: {j.slug: j for j in content.jobs})
    return index.get(slug)


async def home(request: Request) -> Response:
    return cached(request, ("home",), _home)


def _home(app: Any, content: Content, day: dt.date) -> Rendered:
    context = {
        "content": content,
        "jobs": content.open_jobs(day)[:4],
        "posts": content.posts[:3],
        "intro_html": render_markdown(content.site.home.intro),
    }
    return Rendered(render_page(app, "pages/home.html", context, "/"))


async def offices(request: Request) -> Response:
    return cached(request, ("offices",), _offices)


def _offices(app: Any, content: Content, day: dt.date) -> Rendered:
    return Rendered(render_page(app, "pages/offices.html", {"content": content, "title": "Our offices"}, "/offices"))


async def office(request: Request) -> Response:
    slug = request.path_params["slug"]
    if content_of(request).office(slug) is None:
        raise HTTPException(404)
    return cached(request, ("office", slug), functools.partial(_office, slug=slug))


def _office(app: Any, content: Content, day: dt.date, *, slug: str) -> Rendered:
    found = content.office(slug)
    assert found is not None  # the view checked
    path = f"/offices/{found.slug}"
    url = app.state.settings.public_url + path
    context = {
        "content": content,
        "office": found,
        "title": found.name,
        "description": found.summary or f"{found.name}: {found.address.one_line}",
        "jsonld": jsonld.to_script(jsonld.local_business(found, content, url)),
        "map_url": map_embed_url(found),
        "directions_url": directions_url(found),
        "jobs": [j for j in content.open_jobs(day) if j.office.slug == found.slug],
    }
    return Rendered(render_page(app, "pages/office.html", context, path))


def _type_matches(job: Job, wanted: str) -> bool:
    if wanted == "internship":
        return job.internship
    if wanted == "job":
        return not job.internship
    return job.employment_type == wanted.upper().replace("-", "_")


TYPE_CHOICES = [("job", "Jobs"), ("internship", "Internships")] + [
    (t.lower().replace("_", "-"), t.replace("_", " ").title()) for t in EMPLOYMENT_TYPES if t != "INTERN"
]
_TYPE_VALUES = frozenset(v for v, _ in TYPE_CHOICES)
UNKNOWN = "-"  # a filter value that names nothing: matches no posting and selects no option


def _listing(request: Request) -> dict[str, Any]:
    """Open jobs and the filter choices, computed once per content version and day."""
    content = content_of(request)

    def compute(day: dt.date) -> dict[str, Any]:
        jobs = content.open_jobs(day)
        return {
            "jobs": jobs,
            "offices": frozenset(o.slug for o in content.offices),
            "departments": sorted({(slugify(j.department), j.department) for j in jobs}, key=lambda d: d[1]),
            "dept_of": {id(j): slugify(j.department) for j in jobs},
        }

    return request.app.state.page_cache.derived(content, "listing", compute)


async def careers(request: Request) -> Response:
    listing = _listing(request)
    q = request.query_params
    dept_slugs = {d for d, _ in listing["departments"]}

    def pick(name: str, valid: Any) -> str:
        value = q.get(name, "").strip().lower()
        return value if not value or value in valid else UNKNOWN

    wanted_type = pick("type", _TYPE_VALUES)
    wanted_office = pick("office", listing["offices"])
    wanted_dept = pick("department", dept_slugs)
    if UNKNOWN in (wanted_type, wanted_office, wanted_dept):
        jobs: list[Job] = []
    else:
        dept_of = listing["dept_of"]
        jobs = [
            j
            for j in listing["jobs"]
            if (not wanted_type or _type_matches(j, wanted_type))
            and (not wanted_office or j.office.slug == wanted_office)
            and (not wanted_dept or dept_of[id(j)] == wanted_dept)
        ]
    try:
        page = max(1, int(q.get("page", "1")))
    except ValueError:
        page = 1
    pages = max(1, math.ceil(len(jobs) / PAGE_SIZE))
    page = min(page, pages)
    filters = {k: v for k, v in (("type", wanted_type), ("office", wanted_office), ("department", wanted_dept)) if v}
    key = ("careers", wanted_type, wanted_office, wanted_dept, page)
    build = functools.partial(
        _careers, filters=filters, jobs=jobs, page=page, pages=pages, departments=listing["departments"]
    )
    return cached(request, key, build)


def _careers(
    app: Any,
    content: Content,
    day: dt.date,
    *,
    filters: dict[str, str],
    jobs: list[Job],
    page: int,
    pages: int,
    departments: list[tuple[str, str]],
) -> Rendered:
    context = {
        "content": content,
        "title": "Careers & Internships",
        "description": f"Open jobs and internships at {content.site.name}.",
        "jobs": jobs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        "total": len(jobs),
        "page": page,
        "pages": pages,
        "filters": filters,
        "page_query": lambda n: "?" + urlencode({**filters, "page": n}),
        "type_choices": TYPE_CHOICES,
        "departments": departments,
    }
    return Rendered(render_page(app, "pages/careers.html", context, "/careers"))


async def job(request: Request) -> Response:
    slug = request.path_params["slug"]
    if job_by_slug(request, slug) is None:
        raise HTTPException(404)
    return cached(request, ("job", slug), functools.partial(_job, slug=slug))


def _job(app: Any, content: Content, day: dt.date, *, slug: str) -> Rendered:
    found = content.job(slug)
    assert found is not None  # the view checked
    path = f"/careers/{found.slug}"
    if not found.is_open(day):
        context = {"content": content, "job": found, "title": f"{found.title}: no longer open", "robots": "noindex"}
        return Rendered(render_page(app, "pages/job_closed.html", context, path), status=410)
    base = app.state.settings.public_url
    context = {
        "content": content,
        "job": found,
        "title": found.title,
        "description": found.summary or f"{found.title} at {content.site.name}",
        "jsonld": jsonld.to_script(jsonld.job_posting(found, content, base + path, base + "/")),
    }
    return Rendered(render_page(app, "pages/job.html", context, path))


async def customer_care(request: Request) -> Response:
    return cached(request, ("customer-care",), _customer_care)


def _customer_care(app: Any, content: Content, day: dt.date) -> Rendered:
    care = content.site.customer_care
    context = {"content": content, "title": "Customer care", "care": care, "care_html": render_markdown(care.text)}
    return Rendered(render_page(app, "pages/customer_care.html", context, "/customer-care"))


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


def _sitemap(app: Any, content: Content, day: dt.date) -> Rendered:
    from xml.sax.saxutils import escape

    base = app.state.settings.public_url
    urls = "".join(f"<url><loc>{escape(base + p)}</loc></url>" for p in sitemap_paths(content, day))
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>\n'
    )
    return Rendered(body, media_type="application/xml")


async def robots(request: Request) -> Response:
    return cached(request, ("robots.txt",), _robots)


def _robots(app: Any, content: Content, day: dt.date) -> Rendered:
    base = app.state.settings.public_url
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
    Route("/careers", careers, name="careers"),
    Route("/careers/{slug}", job, name="job"),
    Route("/customer-care", customer_care, name="customer_care"),
    Route("/sitemap.xml", sitemap, name="sitemap"),
    Route("/robots.txt", robots, name="robots"),
    Route("/healthz", healthz, name="healthz"),
    Route("/readyz", readyz, name="readyz"),
]
