"""Job applications: `/careers/{slug}/apply` (the form), its POST with a résumé, and the thanks.

The steps are those of every public form (see `request_info.py`), plus the résumé: its type is decided
from its bytes (`records/sniff.py`), it is written privately under the data dir before the transaction,
and the transaction records it with the application. If the transaction does not commit, the file is
removed again, so no orphan is left. The CRM gets a signed, expiring link to it (`delivery/files.py`).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk import web
from frontdesk.content import Job
from frontdesk.db import DatabaseUnavailable, tables
from frontdesk.delivery.files import signed_link
from frontdesk.guard import bodies, spam
from frontdesk.intake import attribution, models
from frontdesk.intake.answers import invalid, success, too_many, unavailable
from frontdesk.intake.consent import consent_record
from frontdesk.pagecache import Rendered
from frontdesk.public.rendering import PageEnv, cached, render
from frontdesk.records import submissions, uploads

log = logging.getLogger("frontdesk.forms")

TEMPLATE = "forms/apply.html"


def _open_job(request: Request) -> Job:
    job = web.content(request).job(request.path_params["slug"])
    if job is None:
        raise HTTPException(404)
    if not job.is_open(web.today(request)):
        raise HTTPException(410, "This position is no longer open. See our open positions on the careers page.")
    return job


def _context(job: Job, values: dict[str, Any]) -> dict[str, Any]:
    return {"title": f"Apply: {job.title}", "job": job, "values": values, "errors": {}, "robots": "noindex"}


async def form(request: Request) -> Response:
    """The empty application form, from the page cache."""
    slug = _open_job(request).slug

    def build(env: PageEnv) -> Rendered:
        job = env.content.job(slug)
        assert job is not None  # the view checked
        return env.render(TEMPLATE, _context(job, {}), f"/careers/{slug}/apply")

    return cached(request, ("apply", slug), build)


async def submit(request: Request) -> Response:
    try:
        return await _apply(request)
    finally:
        await bodies.close(request)  # closes the spooled upload file, on every path


async def _apply(request: Request) -> Response:
    found = web.services(request)
    retry_after = await found.limiter.hit(request, "apply")
    job = _open_job(request)
    raw = await bodies.read_form(request, max_files=1)
    files = raw.pop("resume", [])
    clean, errors, values = models.validate(models.Application, raw)
    if retry_after is not None:
        note = "What you typed is kept below; please choose your résumé file again."
        return too_many(request, TEMPLATE, {**_context(job, values), "errors": errors}, retry_after, note=note)
    upload = files[0] if len(files) == 1 and isinstance(files[0], UploadFile) else None
    data, kind = b"", ""
    if upload is None or not upload.filename:
        errors.setdefault("resume", f"Attach your résumé ({uploads.ACCEPTED}, up to 10 MB).")
    else:
        data = await upload.read(uploads.MAX_RESUME_BYTES + 1)
        try:
            kind = await uploads.inspect(data)
        except uploads.UploadRejected as exc:
            errors.setdefault("resume", str(exc))
    if errors or clean is None or upload is None:
        if upload is not None and upload.filename and "resume" not in errors:
            errors["resume"] = (
                "Your file was fine, but please choose it again: browsers cannot keep a file between tries."
            )
        return invalid(request, TEMPLATE, _context(job, values), errors)

    settings = found.settings
    now = found.clock()
    spam_reason = await spam.check(request, raw, now, settings=settings, turnstile=found.turnstile)
    again = "Your résumé was not kept: please choose it again."
    try:
        stored = uploads.store(settings, data, upload.filename or "", kind)
    except uploads.UploadNotStored as exc:
        log.warning("application not stored: the upload could not be written (%s)", exc)
        return unavailable(request, TEMPLATE, _context(job, values), note=again)

    async def record_upload(conn: AsyncConnection, submission_id: str) -> dict[str, Any]:
        await conn.execute(
            tables.uploads.insert().values(
                id=stored.id,
                submission_id=submission_id,
                stored_name=stored.stored_name,
                original_name=stored.original_name,
                mime=stored.mime,
                size=stored.size,
                sha256=stored.sha256,
                created_at=now,
            )
        )
        return {
            "resume": {
                "url": signed_link(settings, stored.id, now),
                "filename": stored.original_name,
                "content_type": stored.mime,
                "size": stored.size,
                "sha256": stored.sha256,
            }
        }

    data_out = clean.model_dump(exclude={"consent"})
    data_out["job"] = {"slug": job.slug, "title": job.title, "office": job.office.slug}
    try:
        accepted = await submissions.accept(
            found.db,
            kind="application",
            data=data_out,
            email=clean.email,
            consent=consent_record(request),
            attribution=attribution.record(request, bodies.first(raw, "page") or f"/careers/{job.slug}"),
            spam_reason=spam_reason,
            now=now,
            extra=record_upload,
        )
    except DatabaseUnavailable as exc:
        uploads.discard(settings, stored)  # the transaction did not commit: leave no orphan file
        log.warning("application not stored: %s", exc)
        return unavailable(request, TEMPLATE, _context(job, values), note=again)
    except BaseException:
        uploads.discard(settings, stored)
        raise
    log.info("application accepted submission=%s job=%s spam=%s", accepted.submission_id, job.slug, accepted.spam)
    return success(request, f"/careers/{job.slug}/apply/thanks", "Thank you for applying. We have your application.")


async def thanks(request: Request) -> Response:
    job = web.content(request).job(request.path_params["slug"])
    if job is None:
        raise HTTPException(404)
    return render(
        request,
        "forms/thanks.html",
        {"title": "Application received", "kind": "application", "job": job, "robots": "noindex"},
    )


routes = [
    Route("/careers/{slug}/apply", form, methods=["GET"], name="apply"),
    Route("/careers/{slug}/apply", submit, methods=["POST"]),
    Route("/careers/{slug}/apply/thanks", thanks, name="apply_thanks"),
]
