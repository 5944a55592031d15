"""Insights: the agency's articles, their categories and their Atom feeds (GET views only).

Routes::

    /insights                            every article, newest first, PAGE_SIZE per page (?page=N)
    /insights/feed.xml                   Atom feed of the newest FEED_SIZE articles
    /insights/category/{slug}            one category's articles, newest first, paginated; 404 if unknown
    /insights/category/{slug}/feed.xml   that category's Atom feed
    /insights/{slug}                     one article

Previous and next follow reading order through time, as in a diary:
*previous* is the next **older** article and *next* the next **newer** one.
The oldest article has no previous link and the newest has no next link.
`Content.posts` is newest first, so for the article at index i, previous is
i + 1 and next is i - 1. Articles of the same day are ordered by slug (see
`content.load_content`), so the order is total and stable.

The views are plain `pages.render` calls, like every public page: they read the
content snapshot once and render. The one database read, the article's
approved comments, is public data shared by every visitor; anything that
differs per visitor (a pending comment shown to its own author) never enters
these bytes.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk import atom, comments, jsonld
from frontdesk.content import Category, Content, Post
from frontdesk.pages import PUBLIC_CACHE, absolute, content_of, render, today

PAGE_SIZE = 10
FEED_SIZE = 20


@dataclass(frozen=True)
class Page:
    """One page of a listing."""

    posts: Sequence[Post]
    number: int  # 1-based
    count: int  # how many pages there are (at least 1)
    total: int  # how many articles in the whole listing

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.count else None


def paginate(posts: Sequence[Post], raw_page: str | None, size: int = PAGE_SIZE) -> Page:
    """Slice out page `raw_page` (as it came in the query); nonsense means page 1, too far means the last page."""
    try:
        number = int(raw_page or "1")
    except ValueError:
        number = 1
    count = max(1, math.ceil(len(posts) / size))
    number = min(max(1, number), count)
    return Page(posts[(number - 1) * size : number * size], number, count, len(posts))


def neighbours(posts: Sequence[Post], slug: str) -> tuple[Post | None, Post | None]:
    """(previous, next) for the article `slug` in a newest-first list: previous is older, next is newer."""
    index = next(i for i, p in enumerate(posts) if p.slug == slug)
    older = posts[index + 1] if index + 1 < len(posts) else None
    newer = posts[index - 1] if index > 0 else None
    return older, newer


def in_category(content: Content, slug: str) -> list[Post]:
    return [p for p in content.posts if any(c.slug == slug for c in p.categories)]


def _page_url(path: str, number: int) -> str:
    return path if number == 1 else f"{path}?page={number}"


def _listing(request: Request, posts: Sequence[Post], path: str, extra: dict[str, object]) -> Response:
    page = paginate(posts, request.query_params.get("page"))
    return render(
        request,
        "insights/index.html",
        {
            "page": page,
            "page_url": lambda n: _page_url(path, n),
            "canonical": absolute(request, _page_url(path, page.number)),
            # "Was this information helpful?" on listings that the sitemap knows (categories with articles).
            "feedback_page": path if posts else None,
            **extra,
        },
    )


async def index(request: Request) -> Response:
    content = content_of(request)
    return _listing(
        request,
        content.posts,
        "/insights",
        {
            "title": "Insights",
            "heading": "Insights",
            "description": f"Articles from {content.site.name} on communication, healthcare, marketing and more.",
            "category": None,
        },
    )


def _category_or_404(content: Content, slug: str) -> Category:
    found = content.category(slug)
    if found is None:
        raise HTTPException(404)
    return found


async def category(request: Request) -> Response:
    content = content_of(request)
    found = _category_or_404(content, request.path_params["slug"])
    return _listing(
        request,
        in_category(content, found.slug),
        f"/insights/category/{found.slug}",
        {
            "title": f"{found.name}: insights",
            "heading": found.name,
            "description": found.description or f"Articles about {found.name} from {content.site.name}.",
            "category": found,
        },
    )


def post_or_404(request: Request) -> Post:
    post = content_of(request).post(request.path_params["slug"])
    if post is None:
        raise HTTPException(404)
    return post


async def article_context(request: Request, post: Post) -> dict[str, Any]:
    """Everything the article template needs, with an empty comment form (the 422 view fills it in)."""
    content = content_of(request)
    older, newer = neighbours(content.posts, post.slug)
    async with request.app.state.db.read() as conn:
        shown = await comments.approved(conn, post.slug)
    open_ = comments.is_open(post, content.site, today(request))
    url = absolute(request, f"/insights/{post.slug}")
    return {
        "post": post,
        "title": post.title,
        "description": post.summary,
        "og_type": "article",
        "canonical": url,
        "feedback_page": f"/insights/{post.slug}",
        "jsonld": jsonld.to_script(jsonld.article(post, content, url)),
        "previous": older,
        "next": newer,
        "comments": shown,
        "comments_open": open_,
        "comments_close_on": comments.closes_on(post, content.site),
        "count_line": comments.count_line(len(shown), open_=open_),
        "values": {},
        "errors": {},
    }


async def article(request: Request) -> Response:
    post = post_or_404(request)
    return render(request, "insights/article.html", await article_context(request, post))


def forget_article(app: Any, slug: str) -> None:
    """Make the next reader of the article get a fresh render, with its comments as they are now.

    The page cache (where present) is dropped whole: comment decisions are rare (a few a day), a page
    re-renders in about a millisecond, and the list pages do not show comments anyway. The article's own
    page is what matters; `slug` names it for a cache that can drop one page.
    """
    cache = getattr(app.state, "page_cache", None)
    if cache is not None:
        cache.clear()


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def build_feed(request: Request, posts: Sequence[Post], *, category: Category | None) -> atom.Feed:
    content = content_of(request)
    base = request.app.state.settings.public_url
    page_path = f"/insights/category/{category.slug}" if category else "/insights"
    newest = posts[0].date if posts else (content.posts[0].date if content.posts else dt.date(2000, 1, 1))
    entries = [
        atom.Entry(
            id=f"{base}/insights/{p.slug}",
            title=p.title,
            url=f"{base}/insights/{p.slug}",
            published=_midnight(p.date),
            updated=_midnight(p.date),
            author=p.author,
            summary=p.summary,
            content_html=p.html,
            categories=[atom.Category(c.slug, c.name, f"{base}/insights/category/") for c in p.categories],
        )
        for p in posts[:FEED_SIZE]
    ]
    return atom.Feed(
        id=f"{base}{page_path}",
        title=f"{content.site.name} insights" + (f": {category.name}" if category else ""),
        subtitle=category.description if category else content.site.tagline,
        self_url=f"{base}{page_path}/feed.xml",
        alternate_url=f"{base}{page_path}",
        base_url=f"{base}/",
        author=content.site.name,
        updated=_midnight(newest),
        entries=entries,
    )


def _feed_response(feed: atom.Feed) -> Response:
    return Response(atom.render(feed), media_type=atom.MEDIA_TYPE, headers={"Cache-Control": PUBLIC_CACHE})


async def feed(request: Request) -> Response:
    return _feed_response(build_feed(request, content_of(request).posts, category=None))


async def category_feed(request: Request) -> Response:
    content = content_of(request)
    found = _category_or_404(content, request.path_params["slug"])
    return _feed_response(build_feed(request, in_category(content, found.slug), category=found))


routes = [
    Route("/insights", index, name="insights"),
    Route("/insights/feed.xml", feed, name="insights_feed"),
    Route("/insights/category/{slug}", category, name="insights_category"),
    Route("/insights/category/{slug}/feed.xml", category_feed, name="insights_category_feed"),
    Route("/insights/{slug}", article, name="insights_article"),
]
