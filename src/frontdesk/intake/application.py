"""Job applications: `/careers/{slug}/apply` (the form), its POST with a résumé, and the thanks.

The steps are those of every public form (see `request_info.py`), plus the résumé: its type is decided
from its bytes (`records/sniff.py`), it is written privately under the data dir before the transaction,
and the transaction records it with the application. If the transaction does not commit, the file is
removed again, so no orphan is left. The CRM gets a signed, expiring link to it (`delivery/files.py`).

Nothing a person typed is lost on the way:

- a résumé over the limit (`uploads.LIMIT_TEXT`) comes back as the form, with the error beside the
  résumé field and every other field kept (the form reader cuts the file short and reads on);
- a résumé that passed its checks, in an application that failed on another field (or that the database
  could not take: 503), is held for an hour behind a signed token (`uploads.hold`), so the next try does
  not ask for it again (WCAG 2.2 3.3.7);
- JSON answers (site.js) carry the same errors, the held résumé's token and name, and on success the same
  words as the thank-you page (`thanks_message`).
"""

from __future__ import annotations

import contextlib
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
from frontdesk.intake import attribution, models, notices, reference
from frontdesk.intake.answers import NO_STORE, invalid, success, too_many, unavailable
from frontdesk.intake.consent import consent_record
from frontdesk.pagecache import Rendered
from frontdesk.public.rendering import PageEnv, cached, render
from frontdesk.records import mail, payloads, submissions, uploads

log = logging.getLogger("frontdesk.forms")

TEMPLATE = "forms/apply.html"


def _open_job(request: Request) -> Job:
    job = web.content(request).job(request.path_params["slug"])
    if job is None:
        raise HTTPException(404)
    if not job.is_open(web.today(request)):
        raise HTTPException(410, "This position is no longer open. See our open positions on the careers page.")
    return job


def _context(job: Job, values: dict[str, Any], kept: uploads.Held | None = None) -> dict[str, Any]:
    return {
        "title": f"Apply: {job.title}",
        "job": job,
        "values": values,
        "errors": {},
        "robots": "noindex",
        "held": kept,
        "resume_limit": uploads.LIMIT_TEXT,
        "resume_max_bytes": uploads.MAX_RESUME_BYTES,
    }


def thanks_message(job: Job) -> str:
    """What the thank-you page says, word for word: the JSON answer (site.js) shows the same."""
    return (
        f"We have received your application for {job.title}. Our hiring team reads every application "
        "and will contact you by email."
    )


def _held_fields(kept: uploads.Held | None) -> dict[str, Any]:
    """What a JSON answer tells site.js about a held résumé, so that it can say so beside the field."""
    if kept is None:
        return {}
    return {"resume_token": kept.token, "resume_name": kept.filename}


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
    settings = found.settings
    now = found.clock()
    retry_after = await found.limiter.hit(request, "apply")
    job = _open_job(request)
    raw = await bodies.read_form(request, max_files=1, max_file_size=uploads.MAX_RESUME_BYTES)
    files = raw.pop("resume", [])
    token = bodies.first(raw, "resume_token")
    clean, errors, values = models.validate(models.Application, raw)
    upload = files[0] if len(files) == 1 and isinstance(files[0], UploadFile) and files[0].filename else None
    kept = uploads.held(settings, token, job.slug, now) if token else None
    # (bytes, the applicant's file name, the type found in the bytes) once a résumé passed its checks
    resume: tuple[bytes, str, str] | None = None
    if "resume" in bodies.oversized(request):
        errors["resume"] = uploads.too_large_message()
    elif upload is not None:
        data = await upload.read(uploads.MAX_RESUME_BYTES + 1)
        try:
            resume = (data, upload.filename or "", await uploads.inspect(data))
        except uploads.UploadRejected as exc:
            errors.setdefault("resume", str(exc))
    elif kept is not None:
        try:  # held only after it passed; read again, as any file is before it is stored
            resume = (kept.data, kept.filename, await uploads.inspect(kept.data))
        except uploads.UploadRejected as exc:
            errors.setdefault("resume", str(exc))
    elif token:
        errors.setdefault("resume", "We keep a résumé for one hour only. Please choose your file again.")
    else:
        errors.setdefault("resume", f"Attach your résumé ({uploads.ACCEPTED}, up to {uploads.LIMIT_TEXT}).")

    if retry_after is not None or errors or clean is None or resume is None:
        # Hold a résumé that passed, so the next try need not choose it again; a new file replaces a held one.
        if resume is not None and upload is not None:
            if kept is not None:
                uploads.release(settings, kept)
            kept = uploads.hold(settings, resume[0], resume[1], job.slug, now)
        context = _context(job, values, kept)
        if retry_after is not None:
            note = "What you typed is kept below" + (", and so is your résumé." if kept else ".")
            return too_many(request, TEMPLATE, {**context, "errors": errors}, retry_after, note=note)
        return invalid(request, TEMPLATE, context, errors, extra=_held_fields(kept))

    data, filename, kind = resume
    assert clean is not None
    spam_reason = await spam.check(request, raw, now, settings=settings, turnstile=found.turnstile)

    def not_stored() -> Response:
        """503 with the form kept, and the résumé held too when it can still be written (a full disk cannot)."""
        nonlocal kept
        if kept is None and upload is not None:
            with contextlib.suppress(OSError):
                kept = uploads.hold(settings, data, filename, job.slug, now)
        note = "What you typed is kept below"
        note += ", and so is your résumé." if kept else "; please choose your résumé again."
        context = _context(job, values, kept)
        return unavailable(request, TEMPLATE, context, note=note, extra=_held_fields(kept))

    try:
        stored = uploads.store(settings, data, filename, kind)
    except uploads.UploadNotStored as exc:
        log.warning("application not stored: the upload could not be written (%s)", exc)
        return not_stored()

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
        more: payloads.ApplicationExtra = {
            "resume": {
                "url": signed_link(settings, stored.id, now),
                "filename": stored.original_name,
                "content_type": stored.mime,
                "size": stored.size,
                "sha256": stored.sha256,
            }
        }
        return dict(more)

    data_out = clean.model_dump(exclude={"consent"})
    job_out: payloads.Job = {"slug": job.slug, "title": job.title, "office": job.office.slug}
    data_out["job"] = job_out
    try:
        mailing = notices.Mailing(settings, found.templates, web.content(request), now)
        mails = await notices.plan(
            mailing, found.db, kind="application", data=data_out, spam=spam_reason is not None, job=job
        )
        accepted = await submissions.accept(
            found.db,
            kind="application",
            data=data_out,
            email=clean.email,
            consent=consent_record(request),
            attribution=attribution.record(
                request, bodies.first(raw, "page") or f"/careers/{job.slug}", found.settings.secret_key
            ),
            spam_reason=spam_reason,
            now=now,
            extra=record_upload,
            mails=mails,
        )
    except DatabaseUnavailable as exc:
        uploads.discard(settings, stored)  # the transaction did not commit: leave no orphan file
        log.warning("application not stored: %s", exc)
        return not_stored()
    except BaseException:
        uploads.discard(settings, stored)
        raise
    if kept is not None:
        uploads.release(settings, kept)
    log.info("application accepted submission=%s job=%s spam=%s", accepted.submission_id, job.slug, accepted.spam)
    ref = mail.reference(accepted.submission_id)
    location = reference.thanks_url(settings, f"/careers/{job.slug}/apply/thanks", ref)
    return success(request, location, thanks_message(job), title="Application received", reference=ref)


async def thanks(request: Request) -> Response:
    job = web.content(request).job(request.path_params["slug"])
    if job is None:
        raise HTTPException(404)
    ref = reference.shown(web.services(request).settings, request.query_params.get(reference.PARAM))
    return render(
        request,
        "forms/thanks.html",
        {
            "title": "Application received",
            "kind": "application",
            "job": job,
            "message": thanks_message(job),
            "robots": "noindex",
            "reference": ref,
        },
        headers=NO_STORE if ref else None,
    )


routes = [
    Route("/careers/{slug}/apply", form, methods=["GET"], name="apply"),
    Route("/careers/{slug}/apply", submit, methods=["POST"]),
    Route("/careers/{slug}/apply/thanks", thanks, name="apply_thanks"),
]
