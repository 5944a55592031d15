"""Request Info: `/request-info` (the form), its POST, and `/request-info/thanks`.

The POST follows the steps every public form does:

1. count the attempt against the client's rate limit;
2. read the bounded body (`guard/bodies.py`) and validate it (`models.RequestInfo`): on errors, re-render
   the form with a 422, the errors beside their fields and the person's input kept (JSON for scripts);
3. otherwise `records.submissions.accept` it, which commits the lead and its webhook delivery in one
   transaction, and only then answer with a 303 to the thank-you page.

Nothing here talks to the CRM: the outbox worker does, later.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk import web
from frontdesk.content import Content
from frontdesk.db import DatabaseUnavailable
from frontdesk.guard import spam
from frontdesk.guard.bodies import first, read_form
from frontdesk.intake import attribution, models, notices, reference
from frontdesk.intake.answers import NO_STORE, invalid, success, too_many, unavailable
from frontdesk.intake.consent import consent_record
from frontdesk.pagecache import Rendered
from frontdesk.public.rendering import PageEnv, cached, render
from frontdesk.records import mail, submissions

log = logging.getLogger("frontdesk.forms")

TEMPLATE = "forms/request_info.html"


THANKS = "We have received your request. We will be in touch within one business day."


def _context(content: Content, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": "Request information",
        "description": f"Ask {content.site.name} for information, a quote or a call back.",
        "values": values,
        "errors": {},
        "interest_options": [(i.slug, i.name) for i in content.site.interests],
        "office_options": [(o.slug, o.name) for o in content.offices],
    }


async def form(request: Request) -> Response:
    """The empty form, from the page cache: `?office=` preselects an office we have, `?interest=` an interest.

    The page it was sent from is not rendered here: that comes from the visitor's Referer, and the cached
    bytes go to every visitor. site.js fills the hidden `page` field from `document.referrer` instead.
    """
    snapshot = web.content(request)
    office = request.query_params.get("office", "")
    if snapshot.office(office) is None:
        office = ""
    interest = request.query_params.get("interest", "")
    if interest not in {i.slug for i in snapshot.site.interests}:
        interest = ""

    def build(env: PageEnv) -> Rendered:
        values = {"page": "", "office": office, "interest": interest}
        return env.render(TEMPLATE, _context(env.content, values), "/request-info")

    return cached(request, ("request-info", office, interest), build)


async def submit(request: Request) -> Response:
    found = web.services(request)
    retry_after = await found.limiter.hit(request, "request_info")
    raw = await read_form(request)
    content = web.content(request)
    clean, errors, values = models.validate(
        models.RequestInfo,
        raw,
        interests=[i.slug for i in content.site.interests],
        offices=[o.slug for o in content.offices],
    )
    page = first(raw, "page")
    values["page"] = page[:300]
    if retry_after is not None:
        context = {**_context(content, values), "errors": errors}
        return too_many(request, TEMPLATE, context, retry_after, note="What you typed is kept below.")
    if clean is None:
        return invalid(request, TEMPLATE, _context(content, values), errors)
    now = found.clock()
    spam_reason = await spam.check(request, raw, now, settings=found.settings, turnstile=found.turnstile)
    data = clean.model_dump(exclude={"consent"})
    try:
        mailing = notices.Mailing(found.settings, found.templates, content, now)
        mails = await notices.plan(mailing, found.db, kind="lead", data=data, spam=spam_reason is not None)
        accepted = await submissions.accept(
            found.db,
            kind="lead",
            data=data,
            email=clean.email,
            consent=consent_record(request),
            attribution=attribution.record(request, page, found.settings.secret_key),
            spam_reason=spam_reason,
            now=now,
            mails=mails,
        )
    except DatabaseUnavailable as exc:
        log.warning("lead not stored: %s", exc)
        return unavailable(request, TEMPLATE, _context(content, values))
    log.info("lead accepted submission=%s spam=%s", accepted.submission_id, accepted.spam)
    ref = mail.reference(accepted.submission_id)
    location = reference.thanks_url(found.settings, "/request-info/thanks", ref)
    return success(request, location, THANKS, title="Thank you", reference=ref)


async def thanks(request: Request) -> Response:
    """The shared thank-you page; with a signed `?ref=` the person's reference too, then never cached."""
    ref = reference.shown(web.services(request).settings, request.query_params.get(reference.PARAM))
    context = {"title": "Thank you", "kind": "lead", "message": THANKS, "robots": "noindex", "reference": ref}
    return render(request, "forms/thanks.html", context, headers=NO_STORE if ref else None)


routes = [
    Route("/request-info", form, methods=["GET"], name="request_info"),
    Route("/request-info", submit, methods=["POST"]),
    Route("/request-info/thanks", thanks, name="request_info_thanks"),
]
