"""Staff accounts as admins see them (`/staff/accounts`): who has access, and lifting sign-in pauses.

Accounts are still made from the command line (`frontdesk staff add`); this page lists them with their
role and state and, where wrong passwords have paused sign-ins from some address (staff/throttle.py),
lets an admin lift those pauses at once, with an audit entry.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from frontdesk import web
from frontdesk.staff import accounts, throttle
from frontdesk.staff.access import render, user

NOTICES = {"unlocked": "Sign-in pauses lifted: the account can be signed in to from anywhere."}


async def listing(request: Request) -> Response:
    found = web.services(request)
    now = found.clock()
    async with found.db.read() as conn:
        rows = await accounts.all_accounts(conn)
        paused = await throttle.paused_sources(conn, now)
    return render(
        request,
        "staff/accounts.html",
        {
            "title": "Staff accounts",
            "rows": rows,
            "paused": paused,
            "notice": NOTICES.get(request.query_params.get("notice", "")),
        },
    )


async def unlock(request: Request) -> Response:
    found = web.services(request)
    staff_id = request.path_params["staff_id"]
    async with found.db.write() as conn:
        rows = {row.id: row for row in await accounts.all_accounts(conn)}
        if staff_id not in rows:
            raise HTTPException(404, "There is no staff account with that number.")
        await accounts.unlock(conn, rows[staff_id].email, now=found.clock(), actor=user(request).email)
    return RedirectResponse("/staff/accounts?notice=unlocked", status_code=303)
