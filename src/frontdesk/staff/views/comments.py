"""Comment moderation: `/staff/comments` lists comments by state; admins approve, mark as spam or delete.

Admins only, like the other pages that show personal data (a commenter's
email is shown here and nowhere else). Each decision goes through
`records.moderation.decide`, in one transaction with its audit entry. The
article's cached page is keyed by its approved comments (public/insights.py),
so the next reader, served by any process, sees the comment appear (or
disappear) at once.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from frontdesk import audit, web
from frontdesk.records import comments, moderation
from frontdesk.staff.access import render, user

PAGE_SIZE = 50
STATE_LABELS = {"pending": "Pending", "approved": "Approved", "spam": "Spam", "deleted": "Deleted"}
NOTICES = {
    "approve": "Approved: the comment is on the article.",
    "spam": "Marked as spam: the comment is hidden.",
    "delete": "Deleted: the comment is hidden for good.",
}


async def listing(request: Request) -> Response:
    state = web.choice_param(request, "state", moderation.STATES, "pending")
    number = web.int_param(request, "page", 1, maximum=web.MAX_PAGE)
    async with web.services(request).db.read() as conn:
        counts = await moderation.counts(conn)
        rows = await moderation.queue(conn, state=state, limit=PAGE_SIZE + 1, offset=(number - 1) * PAGE_SIZE)
    page = web.page_of(rows, number, PAGE_SIZE)
    titles = {p.slug: p.title for p in web.content(request).posts}
    return render(
        request,
        "staff/comments.html",
        {
            "title": "Comments",
            "state": state,
            "states": STATE_LABELS,
            "counts": counts,
            "rows": page.items,
            "titles": titles,
            "comment_html": comments.comment_html,
            "website_href": comments.website_href,
            "pager": page,
            "pager_href": lambda n: "?" + urlencode({"state": state, "page": n}),
            "notice": NOTICES.get(request.query_params.get("notice", "")),
        },
    )


async def decide(request: Request) -> Response:
    action = request.path_params["action"]
    if action not in moderation.ACTIONS:
        raise HTTPException(404)
    services = web.services(request)
    now = services.clock()
    actor = user(request).email
    comment_id = request.path_params["comment_id"]
    async with services.db.write() as conn:
        try:
            decision = await moderation.decide(conn, comment_id, action, actor=actor, now=now)
        except moderation.ErasedComment:
            raise HTTPException(409, "This comment was erased on request: there is nothing left to approve.") from None
        if decision is None:
            raise HTTPException(404, "There is no comment with that id.")
        await audit.record(conn, at=now, actor=actor, action=f"comment.{action}", target=comment_id)
    back = request.query_params.get("state", "")
    back = back if back in moderation.STATES else decision.before
    return RedirectResponse(f"/staff/comments?{urlencode({'state': back, 'notice': action})}", status_code=303)
