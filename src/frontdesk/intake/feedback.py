"""`POST /feedback`: "Was this information helpful?", on the content pages whose kind site.yaml names.

One vote per visitor per page (the visitor cookie, `web.visitor_id`); a second vote replaces the first,
and the daily counters move with it, in the vote's own transaction (`records/votes.py`). A "no" without a
reason brings the visitor back to the widget to ask for one (`?feedback=more`). Spam is stored as a
submission with its event held, and never moves the tallies.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk import web
from frontdesk.db import DatabaseUnavailable
from frontdesk.guard import spam
from frontdesk.guard.bodies import read_form
from frontdesk.intake import models
from frontdesk.intake.answers import invalid, success, too_many, unavailable
from frontdesk.public.crawlers import feedback_paths
from frontdesk.records import payloads, submissions, votes

log = logging.getLogger("frontdesk.forms")

TEMPLATE = "forms/feedback.html"


def feedback_pages(request: Request) -> set[str]:
    """The pages that take a vote: those the sitemap lists whose kind shows the question (site.yaml `feedback`)."""
    return feedback_paths(web.content(request), web.today(request))


async def submit(request: Request) -> Response:
    found = web.services(request)
    retry_after = await found.limiter.hit(request, "feedback")
    raw = await read_form(request)
    clean, errors, values = models.validate(
        models.Feedback, raw, pages=feedback_pages(request), reasons=list(votes.REASONS)
    )
    context = {"title": "Was this information helpful?", "values": values, "reasons": votes.REASONS}
    if retry_after is not None:
        return too_many(request, TEMPLATE, {**context, "errors": errors}, retry_after)
    if clean is None:
        return invalid(request, TEMPLATE, context, errors)
    now = found.clock()
    visitor, new_visitor = web.visitor_id(request)
    spam_reason = spam.verdict(found.settings, raw, now)
    helpful = clean.helpful == "yes"

    async def record(conn: AsyncConnection, submission_id: str) -> dict[str, Any]:
        if spam_reason:
            return {}  # spam never moves the tallies
        result = await votes.record_vote(
            conn,
            page=clean.page,
            visitor=visitor,
            helpful=helpful,
            reason=clean.reason or None,
            comment=clean.comment or None,
            now=now,
            submission_id=submission_id,
        )
        more: payloads.FeedbackExtra = {
            "replaces_previous_vote": result.replaced,
            "previous_helpful": result.previous_helpful,
        }
        return dict(more)

    data: payloads.FeedbackData = {
        "page": clean.page,
        "helpful": helpful,
        "reason": clean.reason or None,
        "comment": clean.comment or None,
    }
    try:
        accepted = await submissions.accept(
            found.db,
            kind="feedback",
            data=dict(data),
            spam_reason=spam_reason,
            now=now,
            extra=record,
        )
    except DatabaseUnavailable as exc:
        log.warning("feedback not stored: %s", exc)
        return unavailable(request, TEMPLATE, context)
    log.info("feedback accepted submission=%s spam=%s", accepted.submission_id, accepted.spam)
    ask_reason = not helpful and not clean.reason and not clean.comment
    state = "more" if ask_reason else "thanks"
    response = success(
        request, f"{clean.page}?feedback={state}#feedback", "Thank you for your feedback.", ask_reason=ask_reason
    )
    if new_visitor:
        web.set_visitor_cookie(request, response, visitor)
    return response


routes = [Route("/feedback", submit, methods=["POST"], name="feedback")]
