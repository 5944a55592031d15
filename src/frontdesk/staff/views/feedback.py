"""Feedback pages: tallies per page, a drill-down per page, comment triage, and the CSV export.

`/staff/feedback` sums the `vote_days` counters for the chosen range (one
GROUP BY over at most pages x days small rows) and never reads `votes`, so it
renders in the same few milliseconds at a million votes as at ten; see
`bench/tallies.py`. Sorting happens in Python on the per-page rows.

`/staff/feedback.csv` streams one row per vote in the range, in batches, so
an export of any size uses constant memory. Cells that a spreadsheet would
run as a formula (starting with = + - @, a tab or a carriage return) are
prefixed with a single quote, as OWASP recommends against CSV injection.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import quote, urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from frontdesk import audit, web
from frontdesk.guard.bodies import first, read_form
from frontdesk.public.kinds import page_title
from frontdesk.public.local import percent
from frontdesk.records import votes as feedback
from frontdesk.staff import chart, csvfile, ranges
from frontdesk.staff.access import NO_STORE, render, user
from frontdesk.staff.csvfile import iso

SORTS = {
    "page": lambda t: t.page,
    "yes": lambda t: (t.yes, t.page),
    "no": lambda t: (t.no, t.page),
    "total": lambda t: (t.total, t.page),
    "pct": lambda t: (t.helpful_pct or 0.0, t.total),
    "rank": lambda t: (t.rank, t.total),
}
COLUMNS = [("page", "Page"), ("yes", "Yes"), ("no", "No"), ("total", "Total"), ("pct", "% helpful"), ("rank", "Rank")]
COMMENTS_PAGE = 50
MAX_ID = 2**31 - 1
EXPORT_BATCH = 2000
# A path on this site that is safe to link to: browsers read "//x" and "/\x" as another host.
OWN_PATH = re.compile(r"/(?![/\\])[^\s\\]*")
CSV_HEADER = ["vote_id", "page", "voted_at", "first_voted_at", "helpful", "reason", "comment", "triage"]


def day_range(request: Request) -> ranges.DayRange:
    try:
        return ranges.parse(request.query_params, web.today(request))
    except ranges.RangeError as exc:
        raise HTTPException(400, str(exc)) from None


def page_param(value: str | None) -> str:
    if not value or not value.startswith("/") or len(value) > 300 or any(ord(c) < 32 for c in value):
        raise HTTPException(400, "Give the page as its path, e.g. path=/offices.")
    return value


async def tallies(request: Request) -> Response:
    span = day_range(request)
    sort = web.choice_param(request, "sort", tuple(SORTS), "rank")
    direction = web.choice_param(request, "dir", ("asc", "desc"), "asc" if sort == "page" else "desc")
    async with web.services(request).db.read() as conn:
        rows = await feedback.tallies(conn, span.start, span.end)
    rows.sort(key=SORTS[sort], reverse=direction == "desc")
    yes = sum(t.yes for t in rows)
    no = sum(t.no for t in rows)
    base = span.query()

    def sort_link(column: str) -> str:
        flip = "asc" if sort == column and direction == "desc" else "desc"
        if sort != column:
            flip = "asc" if column == "page" else "desc"
        return "?" + urlencode({**base, "sort": column, "dir": flip})

    # Formatted here rather than in the template: at 500 pages, per-row filters were most of the render time.
    range_query = urlencode(base)
    content = web.content(request)
    table = [
        (
            f"/staff/feedback/page?{range_query}&path={quote(t.page, safe='/')}",
            t.page,
            page_title(content, t.page),  # listed by title, the path beside it
            t.yes,
            t.no,
            t.total,
            percent(t.helpful_pct),
            f"{t.rank:.3f}",
        )
        for t in rows
    ]
    return render(
        request,
        "staff/feedback.html",
        {
            "title": "Feedback",
            "span": span,
            "rows": table,
            "overall": feedback.PageTally("all pages", yes, no),
            "columns": COLUMNS,
            "sort": sort,
            "direction": direction,
            "sort_link": sort_link,
            "range_query": range_query,
            "presets": ranges.PRESETS,
        },
    )


async def page_detail(request: Request) -> Response:
    span = day_range(request)
    page = page_param(request.query_params.get("path"))
    status = web.choice_param(request, "status", tuple(feedback.TRIAGE))
    number = web.int_param(request, "page", 1, maximum=web.MAX_PAGE)
    async with web.services(request).db.read() as conn:
        days = await feedback.trend(conn, page, span.start, span.end)
        reasons = await feedback.reasons(conn, page, span.start, span.end)
        comments, comment_count = await feedback.comments(
            conn, page, span.start, span.end, triage=status or None, limit=COMMENTS_PAGE,
            offset=(number - 1) * COMMENTS_PAGE,
        )  # fmt: skip
    tally = feedback.PageTally(page, sum(d.yes for d in days), sum(d.no for d in days))
    base = {**span.query(), "path": page}
    return render(
        request,
        "staff/feedback_page.html",
        {
            "title": f"Feedback for {page}",
            "page": page,
            "page_href": page if OWN_PATH.fullmatch(page) else None,
            "span": span,
            "tally": tally,
            "days": days,
            "chart": chart.trend_chart(days, page=page),
            "reasons": [(feedback.REASONS.get(r, r or "No reason given"), n) for r, n in reasons],
            "reason_labels": feedback.REASONS,
            "no_total": tally.no,
            "comments": comments,
            "comment_count": comment_count,
            "status": status,
            "triage": feedback.TRIAGE,
            "pager": web.page_of(comments, number, COMMENTS_PAGE, total=comment_count),
            "pager_href": lambda n: "?" + urlencode({**base, "status": status, "page": n}),
            "base_query": urlencode(base),
            "range_query": urlencode(span.query()),
            "span_fields": span.query(),
            "presets": ranges.PRESETS,
            "csv_query": urlencode(base),
            "notice": "Triage status saved." if request.query_params.get("saved") else None,
        },
    )


async def set_triage(request: Request) -> Response:
    vote_id = request.path_params["vote_id"]
    if not 0 < vote_id <= MAX_ID:  # the column is a 32-bit integer on PostgreSQL
        raise HTTPException(404, "There is no comment with that number.")
    form = await read_form(request, max_fields=10, max_part_size=4096)
    status = first(form, "status")
    if status not in feedback.TRIAGE:
        raise HTTPException(400, "Choose a triage status: new, in progress, resolved or dismissed.")
    try:
        span = ranges.parse({k: first(form, k) for k in form}, web.today(request))
    except ranges.RangeError:
        span = ranges.preset(ranges.DEFAULT, web.today(request))
    now = web.services(request).clock()
    async with web.services(request).db.write() as conn:
        page = await feedback.set_triage(conn, vote_id, status)
        if page is None:
            raise HTTPException(404, "There is no comment with that number.")
        await audit.record(
            conn, at=now, actor=user(request).email, action="feedback.triage", target=f"vote {vote_id}", detail=status
        )
    query = urlencode({**span.query(), "path": page, "saved": "1"})
    return RedirectResponse(f"/staff/feedback/page?{query}#comment-{vote_id}", status_code=303)


async def export_csv(request: Request) -> Response:
    span = day_range(request)
    page = page_param(request.query_params["path"]) if request.query_params.get("path") else None
    db = web.services(request).db
    async with db.write() as conn:
        target = page or "all pages"
        await audit.record(
            conn,
            at=web.services(request).clock(),
            actor=user(request).email,
            action="feedback.export",
            target=target,
            detail=f"{span.start} to {span.end}",
        )

    async def batches() -> AsyncIterator[list[list[object]]]:
        after = 0
        while True:
            async with db.read() as conn:
                batch = await feedback.votes_in_range(
                    conn, span.start, span.end, page=page, after_id=after, limit=EXPORT_BATCH
                )
            yield [
                [v.id, v.page, iso(v.updated_at), iso(v.created_at), "yes" if v.helpful else "no", v.reason,
                 v.comment, v.triage]
                for v in batch
            ]  # fmt: skip
            if len(batch) < EXPORT_BATCH:
                return
            after = batch[-1].id

    return csvfile.response(f"feedback-{span.start}-to-{span.end}.csv", CSV_HEADER, batches(), cache_control=NO_STORE)
