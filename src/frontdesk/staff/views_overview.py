"""The staff home page (`/staff`) and the audit log (`/staff/audit`).

The overview answers "is everything all right?" at a glance: how many leads,
applications and feedback votes came in today and in the last 30 days, whether
deliveries to the CRM are flowing (pending, retrying, failed, and how long the
oldest pending one has waited), and which pages help readers least. The
weakest pages are ranked by the Wilson *upper* bound of their helpful share,
so one unlucky "no" on a page nobody reads does not top the list.
"""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request
from starlette.responses import Response

from frontdesk import deliveries, feedback
from frontdesk.staff import audit, records
from frontdesk.staff.access import choice_param, int_param, render

WEAKEST = 5
AUDIT_PAGE = 100


def human_age(seconds: float | None) -> str:
    if seconds is None:
        return "none waiting"
    minutes = int(seconds // 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    return f"{hours // 24} days {hours % 24} h"


async def overview(request: Request) -> Response:
    app = request.app
    now = app.state.clock()
    today = now.date()
    month_start = today - dt.timedelta(days=29)
    since_today = dt.datetime.combine(today, dt.time(), dt.UTC)
    since_month = dt.datetime.combine(month_start, dt.time(), dt.UTC)
    async with app.state.db.read() as conn:
        today_counts = await records.counts_since(conn, records.PERSON_KINDS, since_today)
        month_counts = await records.counts_since(conn, records.PERSON_KINDS, since_month)
        votes_today = await feedback.totals(conn, today, today)
        votes_month = await feedback.totals(conn, month_start, today)
        month_tallies = await feedback.tallies(conn, month_start, today)
    health = await deliveries.stats(app.state.db)
    paused = await deliveries.paused_endpoints(app.state.db)
    weakest = sorted(month_tallies, key=lambda t: (t.upper, -t.total, t.page))[:WEAKEST]
    rows = [
        ("Leads", today_counts["lead"], month_counts["lead"]),
        ("Applications", today_counts["application"], month_counts["application"]),
        ("Feedback votes", sum(votes_today), sum(votes_month)),
    ]
    return render(
        request,
        "staff/overview.html",
        {
            "title": "Overview",
            "rows": rows,
            "health": health,
            "oldest_age": human_age(health.oldest_pending_age(now)),
            "paused": paused,
            "weakest": weakest,
        },
    )


async def audit_log(request: Request) -> Response:
    action = choice_param(request, "action", tuple(audit.ACTIONS))
    page = int_param(request, "page", 1, maximum=10_000)
    async with request.app.state.db.read() as conn:
        entries = await audit.entries(conn, action=action or None, limit=AUDIT_PAGE + 1, offset=(page - 1) * AUDIT_PAGE)
    return render(
        request,
        "staff/audit.html",
        {
            "title": "Audit log",
            "entries": entries[:AUDIT_PAGE],
            "actions": audit.ACTIONS,
            "action": action,
            "page": page,
            "has_next": len(entries) > AUDIT_PAGE,
        },
    )
