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

Every page here comes from the page cache (`rendering.cached`, see pagecache/),
like the other public pages: rendered once per content version and day, then
served as bytes with ETags and compression. Listings and feeds take the fast
path (answered before routing). An article also shows its approved comments,
which live in the database and change when staff decide, possibly in another
process: so the article view reads the approved comments every time and puts
their ids in the page's key. A decision anywhere (approve, spam, delete, an
erasure) changes that set, and the very next request gets a page built for
it; no process has to tell another to forget anything. The comments are
public, the same for every visitor; what differs per visitor (a pending
comment shown to its own author) never enters these bytes (intake/comment_form.py).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk import web
from frontdesk.content import Category, Content, Post
from frontdesk.media import ImageLibrary
from frontdesk.pagecache import Rendered
from frontdesk.public import atom, jsonld
from frontdesk.public.kinds import takes_feedback
from frontdesk.public.rendering import PageEnv, cached
from frontdesk.records import comments

PAGE_SIZE = 10
FEED_SIZE = 20


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


def _category_or_404(content: Content, slug: str) -> Category:
    found = content.category(slug)
    if found is None:
        raise HTTPException(404)
    return found


async def index(request: Request) -> Response:
    number = web.paginate(
        web.content(request).posts, web.lenient_page_number(request.query_params.get("page")), PAGE_SIZE
    ).number
    return cached(request, ("insights", "", number), functools.partial(_listing, category_slug="", number=number))


async def category(request: Request) -> Response:
    snapshot = web.content(request)
    found = _category_or_404(snapshot, request.path_params["slug"])
    posts = in_category(snapshot, found.slug)
    number = web.paginate(posts, web.lenient_page_number(request.query_params.get("page")), PAGE_SIZE).number
    build = functools.partial(_listing, category_slug=found.slug, number=number)
    return cached(request, ("insights", found.slug, number), build)


def _listing(env: PageEnv, *, category_slug: str, number: int) -> Rendered:
    content = env.content
    found = content.category(category_slug) if category_slug else None
    posts = in_category(content, category_slug) if found else content.posts
    path = f"/insights/category/{category_slug}" if found else "/insights"
    page = web.paginate(posts, number, PAGE_SIZE)
    if found:
        extra = {
            "title": f"{found.name}: insights",
            "heading": found.name,
            "description": found.description or f"Articles about {found.name} from {content.site.name}.",
        }
    else:
        extra = {
            "title": "Insights",
            "heading": "Insights",
            "description": f"Articles from {content.site.name} on communication, healthcare, marketing and more.",
        }
    context = {
        **extra,
        "category": found,
        "page": page,
        "page_url": lambda n: _page_url(path, n),
        "canonical": env.public_url + _page_url(path, page.number),
        # "Was this information helpful?" (where site.yaml shows it on lists) on listings the sitemap knows.
        "feedback_page": path if posts and takes_feedback(content, path) else None,
    }
    return env.render("insights/index.html", context, path)


def post_or_404(request: Request) -> Post:
    post = web.content(request).post(request.path_params["slug"])
    if post is None:
        raise HTTPException(404)
    return post


def article_context(
    content: Content,
    post: Post,
    day: dt.date,
    shown: Sequence[comments.Shown],
    public_url: str,
    media: ImageLibrary,
) -> dict[str, Any]:
    """Everything the article template needs, with an empty comment form (the 422 view fills it in)."""
    older, newer = neighbours(content.posts, post.slug)
    open_ = comments.is_open(post, content.site, day)
    url = f"{public_url}/insights/{post.slug}"
    return {
        "post": post,
        "title": post.title,
        "description": post.summary,
        "og_type": "article",
        "canonical": url,
        "feedback_page": f"/insights/{post.slug}" if takes_feedback(content, f"/insights/{post.slug}") else None,
        "jsonld": jsonld.to_script(jsonld.article(post, content, url, public_url, media)),
        "og_picture": post.cover.picture if post.cover else None,
        "previous": older,
        "next": newer,
        "comments": shown,
        "comments_open": open_,
        "comments_close_on": comments.closes_on(post, content.site),
        "count_line": comments.count_line(len(shown), open_=open_),
        "values": {},
        "errors": {},
    }


async def approved_comments(request: Request, post: Post) -> list[comments.Shown]:
    async with web.services(request).db.read() as conn:
        return await comments.approved(conn, post.slug)


async def article_context_for(request: Request, post: Post) -> dict[str, Any]:
    """The article's context for a per-request render (the comment form re-rendered with errors)."""
    shown = await approved_comments(request, post)
    found = web.services(request)
    return article_context(
        web.content(request), post, web.today(request), shown, found.settings.public_url, found.media
    )


async def article(request: Request) -> Response:
    post = post_or_404(request)
    shown = tuple(await approved_comments(request, post))
    # The approved comments' ids are part of the key: a moderation decision made by any process shows at once.
    key = ("insight", post.slug, *(c.id for c in shown))
    return cached(request, key, functools.partial(_article, slug=post.slug, shown=shown), fast_path=False)


def _article(env: PageEnv, *, slug: str, shown: Sequence[comments.Shown]) -> Rendered:
    post = env.content.post(slug)
    assert post is not None  # the view checked
    context = article_context(env.content, post, env.day, shown, env.public_url, env.media)
    return env.render("insights/article.html", context, f"/insights/{slug}")


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def build_feed(content: Content, public_url: str, posts: Sequence[Post], *, category: Category | None) -> atom.Feed:
    base = public_url
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


def _feed(env: PageEnv, *, category_slug: str) -> Rendered:
    found = env.content.category(category_slug) if category_slug else None
    posts = in_category(env.content, category_slug) if found else env.content.posts
    feed = build_feed(env.content, env.public_url, posts, category=found)
    return Rendered(atom.render(feed).decode(), media_type=atom.MEDIA_TYPE)


async def feed(request: Request) -> Response:
    return cached(request, ("insights-feed", ""), functools.partial(_feed, category_slug=""))


async def category_feed(request: Request) -> Response:
    found = _category_or_404(web.content(request), request.path_params["slug"])
    return cached(request, ("insights-feed", found.slug), functools.partial(_feed, category_slug=found.slug))


routes = [
    Route("/insights", index, name="insights"),
    Route("/insights/feed.xml", feed, name="insights_feed"),
    Route("/insights/category/{slug}", category, name="insights_category"),
    Route("/insights/category/{slug}/feed.xml", category_feed, name="insights_category_feed"),
    Route("/insights/{slug}", article, name="insights_article"),
]
