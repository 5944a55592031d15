"""Admin pages with personal data: submissions, one submission, its files, and the spam queue.

Only admins reach these routes. A submission's page shows what the person
sent, where they came from (attribution), what they agreed to (the consent
text and privacy policy version recorded at the time), and whether it reached
the CRM. A résumé is downloaded through `/staff/files/{id}` as an attachment
with `nosniff`, so a browser never renders an uploaded file as a page.

"Not spam" releases a held submission through `records.submissions.release_spam`,
which queues its delivery, and the decision is written to the audit log in
the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from frontdesk import audit, web
from frontdesk.content import Content
from frontdesk.db import tables
from frontdesk.db.tables import Row
from frontdesk.records import submissions, uploads
from frontdesk.settings import Settings
from frontdesk.staff import csvfile, filters, queries, readable
from frontdesk.staff.access import NO_STORE, render, user

PAGE_SIZE = 50


def summary(data: object) -> str:
    """A one-line gist of a submission for listings: the name, else the first text field."""
    if not isinstance(data, dict):
        return ""
    if data.get("name"):
        return str(data["name"])[:80]
    return next((v[:80] for v in data.values() if isinstance(v, str) and v), "")


def list_filters(request: Request) -> filters.Filters:
    """The list's filters from the query, in the site's time zone, or a 400 that says what is wrong."""
    try:
        return filters.parse(request.query_params, timezone=web.content(request).site.timezone)
    except filters.FilterError as exc:
        raise HTTPException(400, str(exc)) from None


async def listing(request: Request) -> Response:
    chosen = list_filters(request)
    number = web.int_param(request, "page", 1, maximum=web.MAX_PAGE)
    async with web.services(request).db.read() as conn:
        rows, total = await queries.search(conn, chosen, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    page = web.page_of(rows, number, PAGE_SIZE, total=total)
    content = web.content(request)
    return render(
        request,
        "staff/submissions.html",
        {
            "title": "Submissions",
            "rows": page.items,
            "total": total,
            "f": chosen,
            "states": filters.STATES,
            "interests": content.site.interests,
            "offices": content.offices,
            "jobs": content.jobs,
            "local": readable.Local.of(content),
            "pager": page,
            "pager_href": lambda n: "?" + urlencode({**chosen.query(), "page": n}),
            "csv_href": "/staff/submissions.csv?" + urlencode(chosen.query()),
            "summary": summary,
        },
    )


async def export_csv(request: Request) -> Response:
    """The filtered list as CSV (admins only, like the list): audited first, then streamed in batches."""
    chosen = list_filters(request)
    services = web.services(request)
    async with services.db.write() as conn:
        await audit.record(
            conn,
            at=services.clock(),
            actor=user(request).email,
            action="submissions.export",
            target="leads and applications",
            detail=chosen.described()[:500],
        )

    async def batches() -> AsyncIterator[list[list[object]]]:
        after: tuple[dt.datetime, str] | None = None
        while True:
            async with services.db.read() as conn:
                batch = await queries.search_after(conn, chosen, after=after, limit=EXPORT_BATCH)
            yield [export_row(r) for r in batch]
            if len(batch) < EXPORT_BATCH:
                return
            after = (batch[-1].created_at, batch[-1].id)

    stamp = services.clock().strftime("%Y%m%d-%H%M")
    return csvfile.response(f"submissions-{stamp}.csv", EXPORT_HEADER, batches(), cache_control=NO_STORE)


EXPORT_BATCH = 1000
EXPORT_FIELDS = ("name", "phone", "company", "interest", "office", "message", "cover_letter")
TOUCH_FIELDS = tuple(f"{t}_{n}" for t in ("first", "last") for n, _ in tables.TOUCH_COLUMNS)
EXPORT_HEADER = ["id", "kind", "received_at", "email", *EXPORT_FIELDS, "job", "delivery", *TOUCH_FIELDS, "erased"]


def export_row(r: Row) -> list[object]:
    data = r.data if isinstance(r.data, dict) else {}
    job = data.get("job")
    return [
        r.id, r.kind, csvfile.iso(r.created_at), r.email,
        *(readable.text(data.get(k)) for k in EXPORT_FIELDS),
        job.get("slug", "") if isinstance(job, dict) else "",
        r.delivery_state or "",
        *(getattr(r, k) for k in TOUCH_FIELDS),
        "yes" if r.erased_at else "",
    ]  # fmt: skip


async def detail(request: Request) -> Response:
    async with web.services(request).db.read() as conn:
        found = await queries.record(conn, request.path_params["submission_id"])
    if found is None:
        raise HTTPException(404, "There is no submission with that id.")
    content = web.content(request)
    local = readable.Local.of(content)
    return render(
        request,
        "staff/submission.html",
        {
            "title": f"Submission {found.submission.id}",
            "record": found,
            "sub": found.submission,
            "local": local,
            "readable": _Readable(content, local),
            "touches": readable.touches(found.submission.attribution, local),
        },
    )


class _Readable:
    """`readable.fields` bound to this request's content and dates, for the template."""

    def __init__(self, content: Content, local: readable.Local) -> None:
        self.content, self.local = content, local

    def fields(self, data: object) -> list[tuple[str, str]]:
        return readable.fields(data if isinstance(data, dict) else None, self.content, self.local)


def stored_file(settings: Settings, stored_name: str) -> Path | None:
    """The upload's file under the uploads directory, if it is still there (`uploads.path_of` keeps only the
    name's last part, so a stored name can never point elsewhere)."""
    path = uploads.path_of(settings, stored_name)
    return path if path.is_file() else None


async def download(request: Request) -> Response:
    upload_id = request.path_params["upload_id"]
    services = web.services(request)
    async with services.db.read() as conn:
        found = await queries.upload(conn, upload_id)
    if found is None:
        raise HTTPException(404, "There is no such file.")
    path = await run_in_threadpool(stored_file, services.settings, found.stored_name)
    if path is None:
        raise HTTPException(404, "That file is no longer stored.")
    async with services.db.write() as conn:
        await audit.record(
            conn, at=services.clock(), actor=user(request).email, action="file.download", target=upload_id
        )
    return FileResponse(
        path,
        media_type=found.mime or "application/octet-stream",
        filename=uploads.download_name(found.original_name, found.mime, f"upload-{upload_id}"),
        content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": NO_STORE},
    )


async def spam(request: Request) -> Response:
    number = web.int_param(request, "page", 1, maximum=web.MAX_PAGE)
    async with web.services(request).db.read() as conn:
        rows, total = await queries.spam(conn, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    page = web.page_of(rows, number, PAGE_SIZE, total=total)
    return render(
        request,
        "staff/spam.html",
        {
            "title": "Spam",
            "rows": page.items,
            "total": total,
            "pager": page,
            "pager_href": lambda n: f"?page={n}",
            "summary": summary,
            "notice": {"released": "Marked as not spam: it is being delivered.", "not_released": None}.get(
                request.query_params.get("notice", "")
            ),
        },
    )


async def release(request: Request) -> Response:
    submission_id = request.path_params["submission_id"]
    services = web.services(request)
    now = services.clock()
    async with services.db.write() as conn:
        if not await submissions.release_spam(conn, submission_id, now=now):
            raise HTTPException(404, "That submission is not held as spam.")
        await audit.record(conn, at=now, actor=user(request).email, action="spam.release", target=submission_id)
    return RedirectResponse("/staff/spam?notice=released", status_code=303)
