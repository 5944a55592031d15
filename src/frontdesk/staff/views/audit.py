"""The audit log (`/staff/audit`, admins only): every entry, newest first, filterable by action.

Every action `audit.record` writes is in `audit.ACTIONS`, so each can be chosen in the filter and is shown
with its label.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from frontdesk import audit, web
from frontdesk.staff.access import render

PAGE_SIZE = 100


async def audit_log(request: Request) -> Response:
    action = web.choice_param(request, "action", tuple(audit.ACTIONS))
    number = web.int_param(request, "page", 1, maximum=web.MAX_PAGE)
    async with web.services(request).db.read() as conn:
        rows = await audit.entries(conn, action=action or None, limit=PAGE_SIZE + 1, offset=(number - 1) * PAGE_SIZE)
    page = web.page_of(rows, number, PAGE_SIZE)
    return render(
        request,
        "staff/audit.html",
        {
            "title": "Audit log",
            "entries": page.items,
            "actions": audit.ACTIONS,
            "action": action,
            "pager": page,
            "pager_href": lambda n: "?" + urlencode({"action": action, "page": n}),
        },
    )
