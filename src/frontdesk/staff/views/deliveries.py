"""Delivery health: counts by state, a filterable list, each delivery's attempt log, replay and resume.

Everything here goes through `records/deliveries.py`, which the CLI shares;
this module only turns requests into calls and results into pages, and owns
the transaction of each action, in which it writes the audit entry. Viewers
see the state of the pipeline (no personal data: a delivery's body is never
shown here). Admins may replay one delivery, replay every failed delivery in
a date range, and resume an endpoint that was paused after answering 410.
Each of those actions is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode, urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from frontdesk import audit, web
from frontdesk.clock import start_of_day
from frontdesk.guard.bodies import first, read_form
from frontdesk.records import deliveries, mail, submissions
from frontdesk.staff import ranges
from frontdesk.staff.access import NO_STORE, render, user
from frontdesk.staff.views.overview import human_age

STATE_FILTERS = ("pending", "retrying", "delivered", "failed", "held")
EVENT_TYPES = tuple(sorted(set(submissions.EVENT_TYPES.values()) | set(mail.EVENT_TYPES)))
PAGE_SIZE = 50
NOTICES = {
    "replayed": "The delivery was queued again; the worker sends it shortly.",
    "not_replayed": "That delivery could not be replayed: only failed or delivered ones can.",
    "replayed_failed": "Failed deliveries queued again: {count}.",
    "resumed": "The endpoint was resumed; waiting deliveries are due now.",
    "not_resumed": "That endpoint was not paused.",
}


def host_of(endpoint: str) -> str:
    """Only the host: webhook URLs often carry a secret in their path, which viewers need not see."""
    return urlsplit(endpoint).netloc or "the CRM endpoint"


def notice(request: Request) -> str | None:
    text = NOTICES.get(request.query_params.get("notice", ""))
    if text and "{count}" in text:
        text = text.format(count=web.parse_int(request.query_params.get("count", "0")) or 0)
    return text


async def listing(request: Request) -> Response:
    state = web.choice_param(request, "state", STATE_FILTERS)
    event_type = web.choice_param(request, "type", EVENT_TYPES)
    number = web.int_param(request, "page", 1, maximum=web.MAX_PAGE)
    found = web.services(request)
    async with found.db.read() as conn:
        stats = await deliveries.stats(conn)
        rows = await deliveries.listing(
            conn,
            state=state or None,
            event_type=event_type or None,
            limit=PAGE_SIZE + 1,
            offset=(number - 1) * PAGE_SIZE,
        )
        paused = await deliveries.paused_endpoints(conn)
    page = web.page_of(rows, number, PAGE_SIZE)
    filters = {k: v for k, v in (("state", state), ("type", event_type)) if v}
    now = found.clock()
    today = now.date()
    return render(
        request,
        "staff/deliveries.html",
        {
            "title": "Deliveries",
            "stats": stats,
            "oldest_age": human_age(stats.oldest_pending_age(now)),
            "rows": page.items,
            "state": state,
            "event_type": event_type,
            "states": STATE_FILTERS,
            "event_types": EVENT_TYPES,
            "pager": page,
            "pager_href": lambda n: "?" + urlencode({**filters, "page": n}),
            "paused": paused,
            "host_of": host_of,
            "notice": notice(request),
            "default_from": (today - dt.timedelta(days=7)).isoformat(),
            "default_to": today.isoformat(),
        },
    )


async def detail(request: Request) -> Response:
    delivery_id = request.path_params["delivery_id"]
    async with web.services(request).db.read() as conn:
        found = await deliveries.get(conn, delivery_id)
        attempts = await deliveries.attempts(conn, delivery_id)
    if found is None:
        raise HTTPException(404, "There is no delivery with that id.")
    return render(
        request,
        "staff/delivery.html",
        {"title": f"Delivery {delivery_id}", "delivery": found, "attempts": attempts, "notice": notice(request)},
    )


async def replay_one(request: Request) -> Response:
    delivery_id = request.path_params["delivery_id"]
    found = web.services(request)
    now = found.clock()
    async with found.db.write() as conn:
        if await deliveries.get(conn, delivery_id) is None:
            raise HTTPException(404, "There is no delivery with that id.")
        done = await deliveries.replay(conn, delivery_id, now=now)
        if done:
            await audit.record(conn, at=now, actor=user(request).email, action="delivery.replay", target=delivery_id)
    notice = "replayed" if done else "not_replayed"
    return RedirectResponse(f"/staff/deliveries/{delivery_id}?notice={notice}", status_code=303)


def _form_date(value: str, name: str) -> dt.date:
    try:
        return ranges.parse_day(value, name)
    except ranges.RangeError as exc:
        raise HTTPException(400, str(exc)) from None


async def replay_failed(request: Request) -> Response:
    form = await read_form(request, max_fields=10, max_part_size=1024)
    start = _form_date(first(form, "from"), "from")
    end = _form_date(first(form, "to"), "to")
    if start > end:
        raise HTTPException(400, "The from date must be on or before the to date.")
    found = web.services(request)
    now = found.clock()
    async with found.db.write() as conn:
        count = await deliveries.replay_failed(
            conn, since=start_of_day(start), until=start_of_day(end + dt.timedelta(days=1)), now=now
        )
        await audit.record(
            conn,
            at=now,
            actor=user(request).email,
            action="delivery.replay_failed",
            target=f"{start} to {end}",
            detail=f"{count} requeued",
        )
    return RedirectResponse(f"/staff/deliveries?notice=replayed_failed&count={count}", status_code=303)


async def resume(request: Request) -> Response:
    form = await read_form(request, max_fields=10, max_part_size=2048)
    endpoint = first(form, "endpoint")
    if not endpoint:
        raise HTTPException(400, "Say which endpoint to resume.")
    found = web.services(request)
    now = found.clock()
    async with found.db.write() as conn:
        done = await deliveries.resume_endpoint(conn, endpoint, now=now)
        if done:
            await audit.record(conn, at=now, actor=user(request).email, action="endpoint.resume", target=endpoint)
    return RedirectResponse(f"/staff/deliveries?notice={'resumed' if done else 'not_resumed'}", status_code=303)


async def health_json(request: Request) -> Response:
    """Delivery health for scripts and monitors that hold a staff session."""
    found = web.services(request)
    async with found.db.read() as conn:
        stats = await deliveries.stats(conn)
        paused = await deliveries.paused_endpoints(conn)
    return JSONResponse(
        {
            "counts": stats.counts,
            "retrying": stats.retrying,
            "oldest_pending_age_seconds": stats.oldest_pending_age(found.clock()),
            "paused_endpoints": len(paused),
        },
        headers={"Cache-Control": NO_STORE},
    )
