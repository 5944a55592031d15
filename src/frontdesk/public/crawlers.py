"""What search engines read: `/sitemap.xml` and `/robots.txt`.

`sitemap_paths` is also the list of pages that take "Was this information helpful?" votes
(`intake/feedback.py`), so a vote can only ever be cast for a page that exists.
"""

from __future__ import annotations

import datetime as dt
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.content import Content
from frontdesk.pagecache import Rendered
from frontdesk.public.rendering import PageEnv, cached


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


routes = [
    Route("/sitemap.xml", sitemap, name="sitemap"),
    Route("/robots.txt", robots, name="robots"),
]
