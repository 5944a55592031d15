"""The comment form on each article, and how a browser sees its own comments awaiting moderation.

`POST /insights/{slug}/comments` follows the same steps as every public form
(see `request_info.py`): parse the bounded body, validate, then either re-render the
article with a 422 (errors beside the fields, the input kept) or store the
comment through `submissions.accept` and answer 303 (JSON with
`Accept: application/json`). The same defences apply: the `comment` rate limit
(429 with the input kept), the honeypot, the time trap and, where the site has
configured it, Turnstile, as on Request Info. What they catch is stored as
spam and its author gets the same answer as anyone.

**Pending comments and the page cache.** Article pages are rendered once and
served to everyone, so they never contain anything that belongs to one
visitor. A pending comment reaches its author's browser another way:

- the browser carries the site's visitor id (`fd_vid`, HttpOnly), which is
  stored with the comment;
- without JavaScript, the 303 after posting goes to
  `/insights/{slug}/your-comments`, a private (`no-store`) page that shows
  this browser's comments on the article marked "awaiting moderation";
- with JavaScript, the JSON answer carries the comment's HTML, which the
  script adds to the list at once; on later visits, a non-HttpOnly marker
  cookie (`fd_pending`: slugs only, nothing personal) tells the script to
  fetch `/insights/{slug}/your-comments/fragment`, a private `no-store`
  fragment, and insert it. Visitors without the marker make no extra request.

A returning commenter's comment is approved at once, and the 303 goes to it
on the article (whose cached page is keyed by its approved comments, so the
new one is there).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from frontdesk import web
from frontdesk.content import Post
from frontdesk.db import DatabaseUnavailable
from frontdesk.guard import spam
from frontdesk.guard.bodies import read_form
from frontdesk.intake import models
from frontdesk.intake.answers import invalid, too_many, unavailable
from frontdesk.public import insights
from frontdesk.public.rendering import render
from frontdesk.records import comments, moderation

log = logging.getLogger("frontdesk.comments")

PENDING_COOKIE = "fd_pending"
PENDING_COOKIE_SLUGS = 20
PRIVATE = "private, no-store"


def pending_slugs(request: Request) -> list[str]:
    raw = request.cookies.get(PENDING_COOKIE, "")
    return [s for s in raw.split(".") if s and len(s) <= 80 and s.replace("-", "").isalnum()]


def _mark_pending(request: Request, response: Response, slug: str) -> None:
    slugs = [s for s in pending_slugs(request) if s != slug] + [slug]
    response.set_cookie(
        PENDING_COOKIE,
        ".".join(slugs[-PENDING_COOKIE_SLUGS:]),
        max_age=30 * 86400,
        path="/insights",
        samesite="lax",
        secure=web.services(request).settings.https,
        httponly=False,  # read by site.js to decide whether to fetch the fragment; it holds slugs only
    )


def _comment_item(request: Request, shown: comments.Shown) -> str:
    template = web.services(request).templates.get_template("insights/_comment.html")
    html: str = template.render(comment=shown, content=web.content(request))
    return html


async def submit(request: Request) -> Response:
    post = insights.post_or_404(request)
    found = web.services(request)
    if not comments.is_open(post, web.content(request).site, web.today(request)):
        raise HTTPException(403, "Comments are closed on this article.")
    retry_after = await found.limiter.hit(request, "comment")
    raw = await read_form(request)
    clean, errors, values = models.validate(models.CommentForm, raw)
    if retry_after is not None:
        context = {**await insights.article_context_for(request, post), "values": values, "errors": errors}
        note = "What you typed is kept below."
        return too_many(request, "insights/article.html", context, retry_after, note=note)
    if clean is None:
        context = await insights.article_context_for(request, post)
        return invalid(request, "insights/article.html", {**context, "values": values}, errors)
    now = found.clock()
    visitor, new_visitor = web.visitor_id(request)
    try:
        stored = await _store(request, post, clean, visitor, now, raw)
    except DatabaseUnavailable as exc:
        log.warning("comment not stored: %s", exc)
        context = {**await insights.article_context_for(request, post), "values": values}
        return unavailable(request, "insights/article.html", context)
    log.info(
        "comment accepted submission=%s comment=%s state=%s", stored.submission_id, stored.comment_id, stored.state
    )
    return await _answer(request, post, stored, clean, visitor, new_visitor, now)


async def _store(
    request: Request, post: Post, clean: models.CommentForm, visitor: str, now: dt.datetime, raw: Any
) -> moderation.Stored:
    found = web.services(request)
    return await moderation.store(
        found.db,
        moderation.NewComment(
            post=post.slug,
            post_title=post.title,
            url=web.absolute(request, f"/insights/{post.slug}"),
            name=clean.name,
            email=clean.email,
            website=clean.website,
            body=clean.comment,
            visitor=visitor,
        ),
        now=now,
        spam_reason=await spam.check(request, raw, now, settings=found.settings, turnstile=found.turnstile),
    )


async def _answer(
    request: Request,
    post: Post,
    stored: moderation.Stored,
    clean: models.CommentForm,
    visitor: str,
    new_visitor: bool,
    now: dt.datetime,
) -> Response:
    published = stored.state == "approved"
    shown = comments.Shown(
        id=stored.comment_id,
        name=clean.name,
        website=comments.website_href(clean.website),
        html=comments.comment_html(clean.comment),
        created_at=now,
        pending=not published,
    )
    if published:
        message = "Thank you. Your comment is published."
        location = f"/insights/{post.slug}#comment-{stored.comment_id}"
    else:
        message = "Thank you. Your comment is awaiting moderation and will appear once approved."
        location = f"/insights/{post.slug}/your-comments"
    if web.wants_json(request):
        body = {
            "ok": True,
            "message": message,
            "state": "approved" if published else "pending",
            "html": _comment_item(request, shown),
        }
        response: Response = JSONResponse(body, headers={"Cache-Control": PRIVATE})
    else:
        response = RedirectResponse(location, status_code=303, headers={"Cache-Control": PRIVATE})
    if new_visitor:
        web.set_visitor_cookie(request, response, visitor)
    if not published:
        _mark_pending(request, response, post.slug)
    return response


async def _mine(request: Request, post: Post) -> list[comments.Shown]:
    visitor = web.known_visitor(request)
    if not visitor:
        return []
    async with web.services(request).db.read() as conn:
        return await moderation.for_visitor(conn, post.slug, visitor)


async def your_comments(request: Request) -> Response:
    """The private page a browser lands on after posting: its comments on the article awaiting moderation."""
    post = insights.post_or_404(request)
    mine = await _mine(request, post)
    return render(
        request,
        "insights/your_comments.html",
        {
            "post": post,
            "mine": mine,
            "title": f"Your comments on {post.title}",
            "robots": "noindex",
            "canonical": web.absolute(request, f"/insights/{post.slug}"),
            "feedback_page": None,
        },
        headers={"Cache-Control": PRIVATE, "Vary": "Cookie"},
    )


async def your_comments_fragment(request: Request) -> Response:
    """The same comments as bare `<li>` items, for site.js to add to the article's list."""
    post = insights.post_or_404(request)
    mine = await _mine(request, post)
    html = "".join(_comment_item(request, shown) for shown in mine)
    return HTMLResponse(html, headers={"Cache-Control": PRIVATE, "Vary": "Cookie"})


routes = [
    Route("/insights/{slug}/comments", submit, methods=["POST"], name="insights_comment"),
    Route("/insights/{slug}/your-comments", your_comments, name="insights_your_comments"),
    Route("/insights/{slug}/your-comments/fragment", your_comments_fragment, name="insights_your_comments_fragment"),
]
