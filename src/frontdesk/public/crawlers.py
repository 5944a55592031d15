"""What search engines and security researchers read: `/sitemap.xml`, `/robots.txt`, `/.well-known/security.txt`.

`sitemap_paths` is also the list of pages that may take "Was this information helpful?" votes
(`intake/feedback.py`): those whose kind (`page_kind`) site.yaml's `feedback` turns on, so a vote can only
ever be cast for a page that exists and shows the question.

Each sitemap entry carries `lastmod` where the content knows it: an article's `updated` or `date`, a
posting's `updated` or `date_posted`, an office's or a page's `updated`, and for a list the newest of its
items. Where nothing is known, `lastmod` is left out rather than made up.

`security.txt` (RFC 9116) comes from site.yaml's `security_txt`; without it the path is a 404.
"""

from __future__ import annotations

import datetime as dt
from xml.sax.saxutils import escape

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk import web
from frontdesk.content import Content
from frontdesk.pagecache import Rendered
from frontdesk.public.kinds import takes_feedback
from frontdesk.public.rendering import PageEnv, cached


def sitemap_entries(content: Content, day: dt.date) -> list[tuple[str, dt.date | None]]:
    """(path, last modified) for every public page worth indexing."""
    jobs = content.open_jobs(day)
    job_dates = {j.slug: j.meta.updated or j.date_posted for j in jobs}
    post_dates = {p.slug: p.meta.updated or p.date for p in content.posts}
    office_dates = {o.slug: o.meta.updated for o in content.offices}
    newest_job = max(job_dates.values(), default=None)
    newest_post = max(post_dates.values(), default=None)
    known_offices = [d for d in office_dates.values() if d]
    newest_office = max(known_offices) if len(known_offices) == len(office_dates) and known_offices else None
    home = max((d for d in (newest_job, newest_post, newest_office) if d), default=None)
    entries: list[tuple[str, dt.date | None]] = [
        ("/", home),
        ("/offices", newest_office),
        ("/careers", newest_job),
        ("/customer-care", None),
        ("/request-info", None),
    ]
    entries += [(f"/offices/{o.slug}", office_dates[o.slug]) for o in content.offices]
    entries += [(f"/careers/{j.slug}", job_dates[j.slug]) for j in jobs]
    if content.posts:
        entries += [("/insights", newest_post)]
        entries += [(f"/insights/{p.slug}", post_dates[p.slug]) for p in content.posts]
        for c in content.site.categories:
            dates = [post_dates[p.slug] for p in content.posts if any(pc.slug == c.slug for pc in p.categories)]
            if dates:
                entries.append((f"/insights/category/{c.slug}", max(dates)))
    entries += [(f"/{p.slug}", p.meta.updated) for p in content.pages]
    return entries


def sitemap_paths(content: Content, day: dt.date) -> list[str]:
    return [path for path, _ in sitemap_entries(content, day)]


def feedback_paths(content: Content, day: dt.date) -> set[str]:
    return {p for p in sitemap_paths(content, day) if takes_feedback(content, p)}


async def sitemap(request: Request) -> Response:
    return cached(request, ("sitemap.xml",), _sitemap)


def _sitemap(env: PageEnv) -> Rendered:
    base = env.public_url
    urls = "".join(
        f"<url><loc>{escape(base + path)}</loc>"
        + (f"<lastmod>{lastmod.isoformat()}</lastmod>" if lastmod else "")
        + "</url>"
        for path, lastmod in sitemap_entries(env.content, env.day)
    )
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


def security_txt(content: Content, public_url: str) -> str | None:
    """The RFC 9116 file, or None when site.yaml has no `security_txt`."""
    found = content.site.security_txt
    if found is None:
        return None
    lines = [f"Contact: {c}" for c in found.contact]
    expires = found.expires.astimezone(dt.UTC).replace(microsecond=0)
    lines.append(f"Expires: {expires.strftime('%Y-%m-%dT%H:%M:%SZ')}")
    if found.policy:
        lines.append(f"Policy: {found.policy}")
    if found.acknowledgments:
        lines.append(f"Acknowledgments: {found.acknowledgments}")
    lines.append(f"Preferred-Languages: {found.preferred_languages}")
    lines.append(f"Canonical: {public_url}/.well-known/security.txt")
    return "\n".join(lines) + "\n"


def security_txt_expiry_warning(content: Content, now: dt.datetime, *, days: int = 30) -> str | None:
    """What `frontdesk check` warns about: a security.txt that has expired, or will within `days`."""
    found = content.site.security_txt
    if found is None:
        return None
    left = found.expires - now
    when = found.expires.astimezone(dt.UTC).strftime("%Y-%m-%d")
    if left <= dt.timedelta(0):
        return f"site.yaml: security_txt.expires: expired on {when}; researchers are told not to trust it (RFC 9116)"
    if left <= dt.timedelta(days=days):
        return f"site.yaml: security_txt.expires: expires on {when}, in {left.days} days; set a later date"
    return None


async def security(request: Request) -> Response:
    if web.content(request).site.security_txt is None:
        raise HTTPException(404)
    return cached(request, ("security.txt",), _security)


def _security(env: PageEnv) -> Rendered:
    body = security_txt(env.content, env.public_url) or ""
    return Rendered(body, media_type="text/plain; charset=utf-8")


routes = [
    Route("/sitemap.xml", sitemap, name="sitemap"),
    Route("/robots.txt", robots, name="robots"),
    Route("/.well-known/security.txt", security, name="security_txt"),
]
