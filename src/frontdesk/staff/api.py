"""The read-only JSON API for integrators who pull rather than receive: `GET /api/v1/submissions`.

Authentication is a bearer token per integration (`Authorization: Bearer fd_...`), made and revoked by
admins at `/staff/integrations` (records/api_tokens.py); a missing, unknown or revoked token is a 401,
and a revocation holds from the next request on. Each token has its own rate limit (`api`, by default
60 requests a minute, `FRONTDESK_RATE_LIMIT_API`), and every answered request is written to the audit
log with the integration's name and the query.

Results come oldest first, with an opaque cursor: pass `next_cursor` back as `cursor` to read on. A page
that ends the list still carries a cursor, so an integration that polls with its last cursor receives
exactly what arrived since. Submissions younger than `SETTLE_SECONDS` are held back until the next poll,
so one committed a moment late (its time is taken before its commit) is never skipped by a cursor that
had already passed its time. The filters are the admin list's (`staff/filters.py`).

This lives in `staff/` rather than an area of its own because it is the admin list's query and filters
behind another door, and its tokens are managed there; a separate area could import neither.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from frontdesk import audit, web
from frontdesk.records import api_tokens
from frontdesk.staff import filters, queries

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
SETTLE_SECONDS = 5
NO_STORE = {"Cache-Control": "no-store"}


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers={**NO_STORE, **(headers or {})})


def encode_cursor(at: dt.datetime, submission_id: str) -> str:
    raw = json.dumps([at.astimezone(dt.UTC).isoformat(), submission_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str) -> tuple[dt.datetime, str] | None:
    """The position a cursor names; None when it is not one this API gave out."""
    if len(value) > 200:
        return None
    try:
        at, sid = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        moment = dt.datetime.fromisoformat(at)
    except (ValueError, TypeError, binascii.Error):
        return None
    if not isinstance(sid, str) or len(sid) > 36 or moment.tzinfo is None:
        return None
    return moment, sid


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def item(r: Any) -> dict[str, Any]:
    """One submission as the API gives it: like the webhook's `data`, with its time and delivery state."""
    return {
        "id": r.id,
        "kind": r.kind,
        "created_at": r.created_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "email": r.email,
        "data": r.data,
        "consent": r.consent,
        "attribution": r.attribution,
        "delivery_state": r.delivery_state,
        "erased": r.erased_at is not None,
    }


async def submissions(request: Request) -> Response:
    services = web.services(request)
    token = _bearer(request)
    async with services.db.read() as conn:
        found = await api_tokens.find(conn, token) if token else None
    if found is None:
        return _error(401, "Send a valid API token: Authorization: Bearer fd_...", {"WWW-Authenticate": "Bearer"})
    retry_after = await services.limiter.hit_key(f"token-{found.id}", "api")
    if retry_after is not None:
        return _error(
            429, "Too many requests for this token; try again shortly.", {"Retry-After": str(int(retry_after) + 1)}
        )
    params = request.query_params
    try:
        chosen = filters.parse(params, timezone=web.content(request).site.timezone)
    except filters.FilterError as exc:
        return _error(400, str(exc))
    limit = web.parse_int(params.get("limit", str(DEFAULT_LIMIT)))
    if limit is None or not 1 <= limit <= MAX_LIMIT:
        return _error(400, f"The limit parameter must be a whole number between 1 and {MAX_LIMIT}.")
    after = None
    if params.get("cursor"):
        after = decode_cursor(params["cursor"])
        if after is None:
            return _error(400, "The cursor parameter is not one this API gave out: pass next_cursor back unchanged.")
    now = services.clock()
    async with services.db.read() as conn:
        rows = await queries.oldest_first(
            conn, chosen, after=after, until=now - dt.timedelta(seconds=SETTLE_SECONDS), limit=limit
        )
    async with services.db.write() as conn:
        await api_tokens.used(conn, found.id, now)
        await audit.record(
            conn,
            at=now,
            actor=f"api:{found.name}"[:320],
            action="api.read",
            target="submissions",
            detail=f"{chosen.described()}, limit={limit}{', from a cursor' if after else ''}"[:500],
        )
    last = rows[-1] if rows else None
    next_cursor = encode_cursor(last.created_at, last.id) if last else params.get("cursor") or None
    return JSONResponse(
        {"data": [item(r) for r in rows], "next_cursor": next_cursor, "has_more": len(rows) == limit},
        headers=NO_STORE,
    )


routes = [Route("/api/v1/submissions", submissions, methods=["GET"], name="api_submissions")]
