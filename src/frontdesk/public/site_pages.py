"""Pages of their own, from `content/pages/*.md`: the privacy policy, the accessibility statement, about.

Each is served at `/{slug}` from the page cache, and listed in the sitemap. They are not a route: `fallback`
is the router's answer for a path no route matched, so a page can never shadow a path of the site itself
(the loader also refuses slugs such as `offices` or `staff`), a wrong method on a real route is still a
405, and an unknown path a 404 whatever its method. The privacy policy shows its version: the one every
form's consent names.
"""

from __future__ import annotations

import functools

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from frontdesk import web
from frontdesk.pagecache import Rendered
from frontdesk.public.rendering import PageEnv, cached


async def page(request: Request) -> Response:
    slug = request.path_params["slug"]
    if web.content(request).page(slug) is None:
        raise HTTPException(404)  # for any method: an unknown path is not found, whatever was asked of it
    if request.method not in ("GET", "HEAD"):
        raise HTTPException(405, headers={"Allow": "GET, HEAD"})
    return cached(request, ("page", slug), functools.partial(_page, slug=slug))


def _page(env: PageEnv, *, slug: str) -> Rendered:
    found = env.content.page(slug)
    assert found is not None  # the view checked
    context = {"page": found, "title": found.title, "description": found.summary}
    return env.render("pages/page.html", context, f"/{slug}")


async def fallback(scope: Scope, receive: Receive, send: Send) -> None:
    """The router's default: a page of `content/pages/` at `/{slug}`, or the site's 404."""
    if scope["type"] != "http":
        raise HTTPException(404)
    slug = scope["path"][1:]
    request = Request({**scope, "path_params": {"slug": slug}}, receive)
    if "/" in slug or not slug:
        raise HTTPException(404)
    response = await page(request)
    await response(scope, receive, send)
