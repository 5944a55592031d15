"""Delivery health: counts by state, a filterable list, each delivery's attempt log, replay and resume.

Everything here goes through `frontdesk.deliveries`, which the CLI shares;
this module only turns requests into calls and results into pages. Viewers
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

from frontdesk import deliveries, submissions
from frontdesk.staff import audit
from frontdesk.staff.access import NO_STORE, choice_param, int_param, render, user
from frontdesk.staff.views_overview import human_age

STATE_FILTERS = ("pending", "retrying", "delivered", "failed", "held")
EVENT_TYPES = tuple(sorted(set(submissions.EVENT_TYPES.values())))
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
        count = request.query_params.get("count", "0")
        text = text.format(count=int(count) if count.isdigit() else 0)
    return text


async def listing(request: Request) -> Response:
    state = choice_param(request, "state", STATE_FILTERS)
    event_type = choice_param(request, "type", EVENT_TYPES)
    page = int_param(request, "page", 1, maximum=10_000)
    db = request.app.state.db
    stats = await deliveries.stats(db)
    rows = await deliveries.listing(
        db, state=state or None, event_type=event_type or None, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE
    )
    filters = {k: v for k, v in (("state", state), ("type", event_type)) if v}
    today = request.app.state.clock().date()
    return render(
        request,
        "staff/deliveries.html",
        {
            "title": "Deliveries",
            "stats": stats,
            "oldest_age": human_age(stats.oldest_pending_age(request.app.state.clock())),
            "rows": rows[:PAGE_SIZE],
            "state": state,
            "event_type": event_type,
            "states": STATE_FILTERS,
            "event_types": EVENT_TYPES,
            "page": page,
            "has_next": len(rows) > PAGE_SIZE,
            "page_query": lambda n: "?" + urlencode({**filters, "page": n}),
            "paused": await deliveries.paused_endpoints(db),
            "host_of": host_of,
            "notice": notice(request),
            "default_from": (today - dt.timedelta(days=7)).isoformat(),
            "default_to": today.isoformat(),
        },
    )


async def detail(request: Request) -> Response:
    delivery_id = request.path_params["delivery_id"]
    db = request.app.state.db
    found = await deliveries.get(db, delivery_id)
    if found is None:
        raise HTTPException(404, "There is no delivery with that id.")
    return render(
        request,
        "staff/delivery.html",
        {
            "title": f"Delivery {delivery_id}",
            "delivery": found,
            "attempts": await deliveries.attempts(db, delivery_id),
            "notice": notice(request),
        },
    )


async def _audit(request: Request, action: str, target: str, detail: str | None = None) -> None:
    async with request.app.state.db.write() as conn:
        await audit.record(
            conn, at=request.app.state.clock(), actor=user(request).email, action=action, target=target, detail=detail
        )


async def replay_one(request: Request) -> Response:
    delivery_id = request.path_params["delivery_id"]
    db = request.app.state.db
    if await deliveries.get(db, delivery_id) is None:
        raise HTTPException(404, "There is no delivery with that id.")
    done = await deliveries.replay(db, delivery_id, now=request.app.state.clock())
    if done:
        await _audit(request, "delivery.replay", delivery_id)
    notice = "replayed" if done else "not_replayed"
    return RedirectResponse(f"/staff/deliveries/{delivery_id}?notice={notice}", status_code=303)


def _form_date(value: object, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise HTTPException(400, f"Give the {name} date as YYYY-MM-DD.") from None


async def replay_failed(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=10, max_part_size=1024)
    start = _form_date(form.get("from"), "from")
    end = _form_date(form.get("to"), "to")
    if start > end:
        raise HTTPException(400, "The from date must be on or before the to date.")
    since = dt.datetime.combine(start, dt.time(), dt.UTC)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC)
    count = await deliveries.replay_failed(
        request.app.state.db, since=since, until=until, now=request.app.state.clock()
    )
    await _audit(request, "delivery.replay_failed", f"{start} to {end}", f"{count} requeued")
    return RedirectResponse(f"/staff/deliveries?notice=replayed_failed&count={count}", status_code=303)


async def resume(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=10, max_part_size=2048)
    endpoint = str(form.get("endpoint") or "")
    if not endpoint:
        raise HTTPException(400, "Say which endpoint to resume.")
    done = await deliveries.resume_endpoint(request.app.state.db, endpoint, now=request.app.state.clock())
    if done:
        await _audit(request, "endpoint.resume", endpoint[:300])
    return RedirectResponse(f"/staff/deliveries?notice={'resumed' if done else 'not_resumed'}", status_code=303)


async def health_json(request: Request) -> Response:
    """Delivery health for scripts and monitors that hold a staff session."""
    stats = await deliveries.stats(request.app.state.db)
    paused = await deliveries.paused_endpoints(request.app.state.db)
    return JSONResponse(
        {
            "counts": stats.counts,
            "retrying": stats.retrying,
            "oldest_pending_age_seconds": stats.oldest_pending_age(request.app.state.clock()),
            "paused_endpoints": len(paused),
        },
        headers={"Cache-Control": NO_STORE},
    )
