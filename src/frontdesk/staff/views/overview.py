"""The staff home page (`/staff`).

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

from frontdesk import web
from frontdesk.clock import start_of_day
from frontdesk.records import deliveries, votes
from frontdesk.staff import queries
from frontdesk.staff.access import render

WEAKEST = 5


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
    found = web.services(request)
    now = found.clock()
    today = now.date()
    month_start = today - dt.timedelta(days=29)
    async with found.db.read() as conn:
        today_counts = await queries.counts_since(conn, queries.PERSON_KINDS, start_of_day(today))
        month_counts = await queries.counts_since(conn, queries.PERSON_KINDS, start_of_day(month_start))
        votes_today = await votes.totals(conn, today, today)
        votes_month = await votes.totals(conn, month_start, today)
        month_tallies = await votes.tallies(conn, month_start, today)
        health = await deliveries.stats(conn)
        paused = await deliveries.paused_endpoints(conn)
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
