"""Content pages that are not part of a section: the home page and customer care.

Each is one cached page per content version and day (`rendering.cached`): the home page shows the
newest open jobs and articles, so it is rebuilt when the content changes or the day does.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk.content.markdown import render_markdown
from frontdesk.pagecache import Rendered
from frontdesk.public.rendering import PageEnv, cached


async def home(request: Request) -> Response:
    return cached(request, ("home",), _home)


def _home(env: PageEnv) -> Rendered:
    content = env.content
    context = {
        "jobs": content.open_jobs(env.day)[:3],
        "posts": content.posts[:3],
        "intro_html": render_markdown(content.site.home.intro),
    }
    return env.render("pages/home.html", context, "/")


async def customer_care(request: Request) -> Response:
    return cached(request, ("customer-care",), _customer_care)


def _customer_care(env: PageEnv) -> Rendered:
    care = env.content.site.customer_care
    context = {"title": "Customer care", "care": care, "care_html": render_markdown(care.text)}
    return env.render("pages/customer_care.html", context, "/customer-care")


routes = [
    Route("/", home, name="home"),
    Route("/customer-care", customer_care, name="customer_care"),
]
