"""Admin pages with personal data: submissions, one submission, its files, and the spam queue.

Only admins reach these routes. A submission's page shows what the person
sent, where they came from (attribution), what they agreed to (the consent
text and privacy policy version recorded at the time), and whether it reached
the CRM. A résumé is downloaded through `/staff/files/{id}` as an attachment
with `nosniff`, so a browser never renders an uploaded file as a page.

"Not spam" releases a held submission through `submissions.release_spam`,
which queues its delivery, and the decision is written to the audit log.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from frontdesk import submissions, uploads
from frontdesk.settings import Settings
from frontdesk.staff import audit, records
from frontdesk.staff.access import NO_STORE, choice_param, int_param, render, user

PAGE_SIZE = 50
MAX_QUERY = 320


def summary(data: object) -> str:
    """A one-line gist of a submission for listings: the name, else the first text field."""
    if not isinstance(data, dict):
        return ""
    if data.get("name"):
        return str(data["name"])[:80]
    return next((v[:80] for v in data.values() if isinstance(v, str) and v), "")


async def listing(request: Request) -> Response:
    kind = choice_param(request, "kind", records.PERSON_KINDS)
    email = request.query_params.get("email", "").strip()[:MAX_QUERY]
    page = int_param(request, "page", 1, maximum=10_000)
    async with request.app.state.db.read() as conn:
        rows, total = await records.search(
            conn, kind=kind or None, email=email, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
    filters = {k: v for k, v in (("kind", kind), ("email", email)) if v}
    return render(
        request,
        "staff/submissions.html",
        {
            "title": "Submissions",
            "rows": rows,
            "total": total,
            "kind": kind,
            "email": email,
            "page": page,
            "has_next": page * PAGE_SIZE < total,
            "page_query": lambda n: "?" + urlencode({**filters, "page": n}),
            "summary": summary,
        },
    )


async def detail(request: Request) -> Response:
    async with request.app.state.db.read() as conn:
        found = await records.record(conn, request.path_params["submission_id"])
    if found is None:
        raise HTTPException(404, "There is no submission with that id.")
    return render(
        request,
        "staff/submission.html",
        {"title": f"Submission {found.submission.id}", "record": found, "sub": found.submission},
    )


def stored_file(settings: Settings, stored_name: str) -> Path | None:
    """The upload's file under the uploads directory, if it is still there (`uploads.path_of` keeps only the
    name's last part, so a stored name can never point elsewhere)."""
    path = uploads.path_of(settings, stored_name)
    return path if path.is_file() else None


async def download(request: Request) -> Response:
    upload_id = request.path_params["upload_id"]
    async with request.app.state.db.read() as conn:
        found = await records.upload(conn, upload_id)
    if found is None:
        raise HTTPException(404, "There is no such file.")
    path = await run_in_threadpool(stored_file, request.app.state.settings, found.stored_name)
    if path is None:
        raise HTTPException(404, "That file is no longer stored.")
    async with request.app.state.db.write() as conn:
        await audit.record(
            conn, at=request.app.state.clock(), actor=user(request).email, action="file.download", target=upload_id
        )
    return FileResponse(
        path,
        media_type=found.mime or "application/octet-stream",
        filename=(found.original_name or f"upload-{upload_id}")[:200],
        content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": NO_STORE},
    )


async def spam(request: Request) -> Response:
    page = int_param(request, "page", 1, maximum=10_000)
    async with request.app.state.db.read() as conn:
        rows, total = await records.spam(conn, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render(
        request,
        "staff/spam.html",
        {
            "title": "Spam",
            "rows": rows,
            "total": total,
            "page": page,
            "has_next": page * PAGE_SIZE < total,
            "summary": summary,
            "notice": {"released": "Marked as not spam: it is being delivered.", "not_released": None}.get(
                request.query_params.get("notice", "")
            ),
        },
    )


async def release(request: Request) -> Response:
    submission_id = request.path_params["submission_id"]
    now = request.app.state.clock()
    done = await submissions.release_spam(request.app.state.db, submission_id, now=now)
    if not done:
        raise HTTPException(404, "That submission is not held as spam.")
    async with request.app.state.db.write() as conn:
        await audit.record(conn, at=now, actor=user(request).email, action="spam.release", target=submission_id)
    return RedirectResponse("/staff/spam?notice=released", status_code=303)
