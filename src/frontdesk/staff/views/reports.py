"""The reports (`/staff/reports/sources`, `/staff/reports/pages`) and their CSV exports.

Both are aggregates without personal data, so viewers read them as they read the feedback tallies; an
export is audited all the same. The range is the feedback pages' (`staff/ranges.py`: 7, 30, 90 days or
custom, at most 366 days); anything else out of range is a 400 that says what to send instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from frontdesk import audit, web
from frontdesk.public.local import percent
from frontdesk.staff import chart, csvfile, ranges, reports
from frontdesk.staff.access import NO_STORE, render, user
from frontdesk.staff.views.feedback import day_range

TOUCH_NAMES = {"first": "First touch", "last": "Latest touch"}
SOURCES_HEADER = ["touch", "source", "medium", "campaign", "leads", "applications", "total"]
SHOWN = 200  # table rows on the page; the CSV has every row
PAGES_HEADER = ["path", "views", "leads", "applications", "conversion_pct", "feedback_votes", "helpful_pct"]


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.2f}"


async def sources(request: Request) -> Response:
    span = day_range(request)
    touch = web.choice_param(request, "touch", reports.TOUCHES, "first")
    async with web.services(request).db.read() as conn:
        found = await reports.sources(conn, span.start, span.end, touch, limit=SHOWN)
    rows = found.rows
    ranked = [(" / ".join(p for p in (r.source, r.medium, r.campaign) if p), r.leads, r.applications) for r in rows]
    return render(
        request,
        "staff/report_sources.html",
        {
            "title": "Sources",
            "span": span,
            "presets": ranges.PRESETS,
            "touch": touch,
            "touch_names": TOUCH_NAMES,
            "rows": rows,
            "more": len(rows) == SHOWN,
            "leads": found.leads,
            "applications": found.applications,
            "chart": chart.ranked_chart(ranked, title=f"Leads and applications by {TOUCH_NAMES[touch].lower()}"),
            "names": ("leads", "applications"),
            "query": urlencode({**span.query(), "touch": touch}),
            "range_query": urlencode(span.query()),
        },
    )


async def pages(request: Request) -> Response:
    span = day_range(request)
    async with web.services(request).db.read() as conn:
        rows = await reports.pages(conn, span.start, span.end)
    return render(
        request,
        "staff/report_pages.html",
        {
            "title": "Pages",
            "span": span,
            "presets": ranges.PRESETS,
            "rows": rows[:SHOWN],
            "more": len(rows) > SHOWN,
            "views": sum(r.views for r in rows),
            "started": sum(r.started for r in rows),
            "percent": percent,
            "query": urlencode(span.query()),
        },
    )


async def _audited(request: Request, target: str, detail: str) -> None:
    services = web.services(request)
    async with services.db.write() as conn:
        await audit.record(
            conn, at=services.clock(), actor=user(request).email, action="report.export", target=target, detail=detail
        )


async def _one(rows: Sequence[Sequence[object]]) -> AsyncIterator[Sequence[Sequence[object]]]:
    yield rows


async def sources_csv(request: Request) -> Response:
    span = day_range(request)
    touch = web.choice_param(request, "touch", reports.TOUCHES, "first")
    async with web.services(request).db.read() as conn:
        rows = (await reports.sources(conn, span.start, span.end, touch)).rows
    await _audited(request, f"sources ({touch} touch)", f"{span.start} to {span.end}")
    table = [[touch, r.source, r.medium, r.campaign, r.leads, r.applications, r.total] for r in rows]
    name = f"sources-{touch}-{span.start}-to-{span.end}.csv"
    return csvfile.response(name, SOURCES_HEADER, _one(table), cache_control=NO_STORE)


async def pages_csv(request: Request) -> Response:
    span = day_range(request)
    async with web.services(request).db.read() as conn:
        rows = await reports.pages(conn, span.start, span.end)
    await _audited(request, "pages", f"{span.start} to {span.end}")
    table = [
        [r.path, r.views, r.leads, r.applications, _pct(r.conversion), r.votes, _pct(r.helpful_share)] for r in rows
    ]
    name = f"pages-{span.start}-to-{span.end}.csv"
    return csvfile.response(name, PAGES_HEADER, _one(table), cache_control=NO_STORE)
