"""API tokens as admins manage them (`/staff/integrations`): one per integration, shown once, revocable.

Making a token shows it on the answer page only (with `no-store`, like every staff page) and never again;
the list shows each token's name, who made it and when, when it was last used, and whether it is revoked.
Both actions are written to the audit log in their own transaction.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from frontdesk import audit, web
from frontdesk.guard.bodies import first, read_form
from frontdesk.records import api_tokens
from frontdesk.staff.access import render, user


async def _page(request: Request, *, created: str | None = None, error: str | None = None, name: str = "") -> Response:
    async with web.services(request).db.read() as conn:
        rows = await api_tokens.all_tokens(conn)
    return render(
        request,
        "staff/integrations.html",
        {
            "title": "Integrations",
            "rows": rows,
            "created": created,
            "error": error,
            "name": name,
            "notice": "Token revoked: it is refused from now on." if request.query_params.get("notice") else None,
            "public_url": web.services(request).settings.public_url,
        },
        status_code=422 if error else 200,
    )


async def listing(request: Request) -> Response:
    return await _page(request)


async def create(request: Request) -> Response:
    raw = await read_form(request)
    given = first(raw, "name") or ""
    try:
        name = api_tokens.check_name(given)
    except api_tokens.TokenNameError as exc:
        return await _page(request, error=str(exc), name=" ".join(given.split())[: api_tokens.MAX_NAME])
    services = web.services(request)
    now = services.clock()
    async with services.db.write() as conn:
        token_id, token = await api_tokens.create(conn, name, now=now, actor=user(request).email)
        await audit.record(
            conn, at=now, actor=user(request).email, action="api_token.create", target=f"{token_id}: {name}"
        )
    return await _page(request, created=token)


async def revoke(request: Request) -> Response:
    services = web.services(request)
    now = services.clock()
    token_id = request.path_params["token_id"]
    async with services.db.write() as conn:
        row = await api_tokens.revoke(conn, token_id, now)
        if row is None:
            raise HTTPException(404, "There is no live API token with that number.")
        await audit.record(
            conn, at=now, actor=user(request).email, action="api_token.revoke", target=f"{row.id}: {row.name}"
        )
    return RedirectResponse("/staff/integrations?notice=revoked", status_code=303)
