"""Webhook endpoints as admins manage them (`/staff/endpoints`): list, add, pause, disable, resume, rotate,
remove, test.

The same operations as `frontdesk endpoints` (records/endpoints.py), each in one transaction with its
audit entry. Bad input re-renders the page with the error beside its field and what was typed kept (422);
nothing is saved. A secret generated here is shown once, on the page that answers the POST (never in a
URL, never again). "Send test" posts a signed ping at once (delivery/ping.py) and shows its status,
latency and error on the page it returns.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from frontdesk import audit, web
from frontdesk.delivery import ping
from frontdesk.guard.bodies import first, read_form
from frontdesk.records import deliveries, endpoints
from frontdesk.records.endpoints import EndpointError
from frontdesk.staff.access import render, user

NOTICES = {
    "paused": "The endpoint is paused: its deliveries wait until it is resumed.",
    "disabled": "The endpoint is disabled: new submissions make no deliveries for it until it is resumed.",
    "resumed": "The endpoint was resumed; waiting deliveries are due now.",
    "removed": "The endpoint was removed. Its delivery history is kept; what was pending is cancelled.",
}
FIELDS = ("name", "url", "events", "secret", "rate_limit")


async def _page(request: Request, status_code: int = 200, **context: Any) -> Response:
    found = web.services(request)
    now = found.clock()
    async with found.db.read() as conn:
        rows = await endpoints.listing(conn, now=now)
        queues = {q.endpoint: q.depth for q in await deliveries.queues(conn)}
    ctx: dict[str, Any] = {
        "title": "Webhook endpoints",
        "rows": rows,
        "queues": queues,
        "event_types": endpoints.EVENT_TYPES,
        "values": {"events": "*"},
        "errors": {},
        "notice": NOTICES.get(request.query_params.get("notice", "")),
        "added": None,
        "rotated": None,
        "new_secret": None,
        "pinged": None,
        "rotate_errors": {},
        **context,
    }
    return render(request, "staff/endpoints.html", ctx, status_code=status_code)


async def listing(request: Request) -> Response:
    return await _page(request)


async def add(request: Request) -> Response:
    form = await read_form(request, max_fields=20, max_part_size=4096)
    values = {name: (first(form, name) or "").strip() for name in FIELDS}
    events_chosen = [v.strip() for v in form.get("events", []) if isinstance(v, str) and v.strip()]
    values["events"] = ",".join(events_chosen) or values["events"]
    errors: dict[str, str] = {}
    checked: dict[str, Any] = {}
    for field, check in (
        ("name", endpoints.check_name),
        ("url", endpoints.check_url),
        ("events", endpoints.check_events),
        ("rate_limit", endpoints.check_rate_limit),
    ):
        try:
            checked[field] = check(values[field])
        except EndpointError as exc:
            errors[field] = str(exc)
    generated = not values["secret"]
    try:
        secret = endpoints.new_secret() if generated else endpoints.check_secret(values["secret"])
    except EndpointError as exc:
        errors["secret"], secret = str(exc), ""
    found = web.services(request)
    now = found.clock()
    if not errors:
        try:
            async with found.db.write() as conn:
                await endpoints.add(
                    conn,
                    name=checked["name"],
                    url=checked["url"],
                    secret=secret,
                    events=checked["events"],
                    rate_limit=checked["rate_limit"],
                    now=now,
                )
                await audit.record(
                    conn,
                    at=now,
                    actor=user(request).email,
                    action="endpoint.add",
                    target=checked["name"],
                    detail=",".join(checked["events"]),
                )
        except EndpointError as exc:  # the name is taken
            errors[exc.field] = str(exc)
    if errors:
        values["secret"] = ""  # never echo a secret back into a page
        return await _page(request, 422, values=values, errors=errors)
    shown = {"name": checked["name"], "secret": secret} if generated else None
    return await _page(request, added=checked["name"], new_secret=shown)


async def _named(request: Request) -> endpoints.Endpoint:
    found = web.services(request)
    async with found.db.read() as conn:
        endpoint = await endpoints.get(conn, request.path_params["name"], now=found.clock())
    if endpoint is None:
        raise HTTPException(404, "There is no endpoint with that name.")
    return endpoint


async def change(request: Request) -> Response:
    """Pause, disable, resume or remove (the last path segment says which)."""
    action = request.url.path.rsplit("/", 1)[-1]
    endpoint = await _named(request)
    found = web.services(request)
    now = found.clock()
    if action == "remove" and endpoint.source == "env":
        raise HTTPException(409, "This endpoint comes from FRONTDESK_CRM_WEBHOOK_URL: unset it to stop using it.")
    async with found.db.write() as conn:
        if action == "remove":
            await endpoints.remove(conn, endpoint.name, now=now)
            notice = "removed"
        else:
            await endpoints.change_state(conn, endpoint.name, action, now=now)
            notice = endpoints.CHANGES[action][0] if action != "resume" else "resumed"
        await audit.record(conn, at=now, actor=user(request).email, action=f"endpoint.{action}", target=endpoint.name)
    return RedirectResponse(f"/staff/endpoints?notice={notice}", status_code=303)


async def rotate(request: Request) -> Response:
    endpoint = await _named(request)
    form = await read_form(request, max_fields=10, max_part_size=4096)
    given = (first(form, "secret") or "").strip()
    overlap_text = (first(form, "overlap") or "24h").strip()
    errors: dict[str, str] = {}
    if endpoint.source == "env":
        errors["rotate"] = "This endpoint's secret is FRONTDESK_CRM_WEBHOOK_SECRET: change it there."
    try:
        overlap = endpoints.parse_overlap(overlap_text)
    except EndpointError as exc:
        errors["rotate"] = str(exc)
    try:
        secret = endpoints.check_secret(given) if given else endpoints.new_secret()
    except EndpointError as exc:
        errors["rotate"] = str(exc)
    if errors:
        return await _page(request, 422, rotate_errors={endpoint.name: errors["rotate"]})
    found = web.services(request)
    now = found.clock()
    async with found.db.write() as conn:
        until = await endpoints.rotate(conn, endpoint.name, secret=secret, overlap=overlap, now=now)
        await audit.record(conn, at=now, actor=user(request).email, action="endpoint.rotate", target=endpoint.name)
    shown = {"name": endpoint.name, "secret": secret} if not given else None
    return await _page(request, rotated={"name": endpoint.name, "until": until}, new_secret=shown)


async def test(request: Request) -> Response:
    endpoint = await _named(request)
    found = web.services(request)
    answer = await ping.send(endpoint, time_limit=found.settings.webhook_timeout, now=found.clock())
    async with found.db.write() as conn:
        detail = f"status {answer.status}" if answer.status else (answer.error or "")
        await audit.record(
            conn,
            at=found.clock(),
            actor=user(request).email,
            action="endpoint.test",
            target=endpoint.name,
            detail=detail,
        )
    return await _page(request, pinged={"name": endpoint.name, "answer": answer})
