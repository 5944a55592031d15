"""Comment moderation: `/staff/comments` lists comments by state; admins approve, mark as spam or delete.

Admins only, like the other pages that show personal data (a commenter's
email is shown here and nowhere else). Each decision goes through
`moderation.decide`, which writes the new state and an audit entry in one
transaction. The article's cached page is keyed by its approved comments
(insights.py), so the next reader, served by any process, sees the comment
appear (or disappear) at once.
"""

from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from frontdesk import comments, moderation
from frontdesk.staff import audit
from frontdesk.staff.access import choice_param, int_param, render, user

PAGE_SIZE = 50
STATE_LABELS = {"pending": "Pending", "approved": "Approved", "spam": "Spam", "deleted": "Deleted"}
NOTICES = {
    "approve": "Approved: the comment is on the article.",
    "spam": "Marked as spam: the comment is hidden.",
    "delete": "Deleted: the comment is hidden for good.",
}


async def listing(request: Request) -> Response:
    state = choice_param(request, "state", moderation.STATES, "pending")
    page = int_param(request, "page", 1, maximum=10_000)
    async with request.app.state.db.read() as conn:
        counts = await moderation.counts(conn)
        rows = await moderation.queue(conn, state=state, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    content = request.app.state.content
    titles = {p.slug: p.title for p in content.posts}
    return render(
        request,
        "staff/comments.html",
        {
            "title": "Comments",
            "state": state,
            "states": STATE_LABELS,
            "counts": counts,
            "rows": rows[:PAGE_SIZE],
            "titles": titles,
            "comment_html": comments.comment_html,
            "website_href": comments.website_href,
            "page": page,
            "has_next": len(rows) > PAGE_SIZE,
            "pager_href": lambda n: "?" + urlencode({"state": state, "page": n}),
            "notice": NOTICES.get(request.query_params.get("notice", "")),
        },
    )


async def decide(request: Request) -> Response:
    action = request.path_params["action"]
    if action not in moderation.ACTIONS:
        raise HTTPException(404)
    now = request.app.state.clock()

    async def write_audit(conn: AsyncConnection, actor: str, name: str, target: str) -> None:
        await audit.record(conn, at=now, actor=actor, action=name, target=target)

    decision = await moderation.decide(
        request.app.state.db,
        request.path_params["comment_id"],
        action,
        actor=user(request).email,
        now=now,
        audit=write_audit,
    )
    if decision is None:
        raise HTTPException(404, "There is no comment with that id.")
    back = request.query_params.get("state", "")
    back = back if back in moderation.STATES else decision.before
    return RedirectResponse(f"/staff/comments?{urlencode({'state': back, 'notice': action})}", status_code=303)
