"""Public pages: the GET views that turn content into HTML.

Every view reads the current `Content` snapshot from `request.app.state.content`
once, at the top, so a reload that swaps the snapshot mid-request can never mix
two versions in one page. Views only read: nothing here writes to the database
or talks to the CRM.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from frontdesk import jsonld
from frontdesk.content import EMPLOYMENT_TYPES, Content, Job, render_markdown
from frontdesk.spam import issue_token

PAGE_SIZE = 20
PUBLIC_CACHE = "public, max-age=300, stale-while-revalidate=600"


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
    # Content pages carry "Was this information helpful?"; forms carry a time-trap token (see spam.py).
    ctx.setdefault("feedback_page", request.url.path if status_code == 200 and template.startswith("pages/") else None)
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


async def home(request: Request) -> Response:
    content = content_of(request)
    return render(
        request,
        "pages/home.html",
        {
            "jobs": content.open_jobs(today(request))[:4],
            "posts": content.posts[:3],
            "intro_html": render_markdown(content.site.home.intro),
        },
    )


async def offices(request: Request) -> Response:
    return render(request, "pages/offices.html", {"title": "Our offices"})


async def office(request: Request) -> Response:
    content = content_of(request)
    found = content.office(request.path_params["slug"])
    if found is None:
        raise HTTPException(404)
    url = absolute(request, request.url.path)
    return render(
        request,
        "pages/office.html",
        {
            "office": found,
            "title": found.name,
            "description": found.summary or f"{found.name}: {found.address.one_line}",
            "jsonld": jsonld.to_script(jsonld.local_business(found, content, url)),
            "map_url": map_embed_url(found),
            "directions_url": directions_url(found),
            "jobs": [j for j in content.open_jobs(today(request)) if j.office.slug == found.slug],
        },
    )


def _type_matches(job: Job, wanted: str) -> bool:
    if wanted == "internship":
        return job.internship
    if wanted == "job":
        return not job.internship
    return job.employment_type == wanted.upper().replace("-", "_")


TYPE_CHOICES = [("job", "Jobs"), ("internship", "Internships")] + [
    (t.lower().replace("_", "-"), t.replace("_", " ").title()) for t in EMPLOYMENT_TYPES if t != "INTERN"
]


async def careers(request: Request) -> Response:
    content = content_of(request)
    open_jobs = content.open_jobs(today(request))
    q = request.query_params
    wanted_type = q.get("type", "").strip().lower()
    wanted_office = q.get("office", "").strip().lower()
    wanted_dept = q.get("department", "").strip().lower()
    jobs = [
        j
        for j in open_jobs
        if (not wanted_type or _type_matches(j, wanted_type))
        and (not wanted_office or j.office.slug == wanted_office)
        and (not wanted_dept or slugify(j.department) == wanted_dept)
    ]
    try:
        page = max(1, int(q.get("page", "1")))
    except ValueError:
        page = 1
    pages = max(1, math.ceil(len(jobs) / PAGE_SIZE))
    page = min(page, pages)
    filters = {k: v for k, v in (("type", wanted_type), ("office", wanted_office), ("department", wanted_dept)) if v}
    departments = sorted({j.department for j in open_jobs})
    return render(
        request,
        "pages/careers.html",
        {
            "title": "Careers & Internships",
            "description": f"Open jobs and internships at {content.site.name}.",
            "jobs": jobs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
            "total": len(jobs),
            "page": page,
            "pages": pages,
            "filters": filters,
            "page_query": lambda n: "?" + urlencode({**filters, "page": n}),
            "type_choices": TYPE_CHOICES,
            "departments": [(slugify(d), d) for d in departments],
            "canonical": absolute(request, "/careers"),
        },
    )


async def job(request: Request) -> Response:
    content = content_of(request)
    found = content.job(request.path_params["slug"])
    if found is None:
        raise HTTPException(404)
    if not found.is_open(today(request)):
        return render(
            request,
            "pages/job_closed.html",
            {"job": found, "title": f"{found.title}: no longer open", "robots": "noindex"},
            status_code=410,
        )
    url = absolute(request, request.url.path)
    return render(
        request,
        "pages/job.html",
        {
            "job": found,
            "title": found.title,
            "description": found.summary or f"{found.title} at {content.site.name}",
            "jsonld": jsonld.to_script(jsonld.job_posting(found, content, url, absolute(request, "/"))),
        },
    )


async def customer_care(request: Request) -> Response:
    care = content_of(request).site.customer_care
    return render(
        request,
        "pages/customer_care.html",
        {"title": "Customer care", "care": care, "care_html": render_markdown(care.text)},
    )


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
    from xml.sax.saxutils import escape

    base = request.app.state.settings.public_url
    urls = "".join(
        f"<url><loc>{escape(base + p)}</loc></url>" for p in sitemap_paths(content_of(request), today(request))
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>\n'
    )
    return Response(body, media_type="application/xml", headers={"Cache-Control": PUBLIC_CACHE})


async def robots(request: Request) -> Response:
    base = request.app.state.settings.public_url
    body = f"User-agent: *\nDisallow: /staff\nDisallow: /files/\nAllow: /\n\nSitemap: {base}/sitemap.xml\n"
    return PlainTextResponse(body, headers={"Cache-Control": PUBLIC_CACHE})


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
