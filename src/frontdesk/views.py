"""The public forms: Request Info, job applications and "Was this information helpful?".

Each POST view follows the same steps, flaskr-style:

1. parse the body (bounded: few fields, small parts, at most one file);
2. `forms.validate` it: on errors, re-render the form with a 422, the errors
   beside their fields and the person's input kept (JSON for scripts);
3. otherwise `submissions.accept` it, which commits the submission and its
   webhook delivery in one transaction, and only then answer with a 303 to a
   thank-you page (or `{"ok": true}` for scripts).

Nothing here talks to the CRM: the outbox worker does, later.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from frontdesk import attribution, feedback, formdata, forms, ratelimit, spam, submissions, tables, uploads
from frontdesk.content import Content
from frontdesk.pagecache import Rendered
from frontdesk.pages import PageEnv, cached, content_of, render, sitemap_paths, today

log = logging.getLogger("frontdesk.forms")

MAX_FIELDS = 30
MAX_TEXT_PART = 64 * 1024
MAX_URLENCODED = 64 * 1024
VISITOR_COOKIE = "fd_vid"


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


async def read_form(request: Request, *, max_files: int = 0) -> dict[str, list[Any]]:
    """The body as {name: [values]}; a malformed body is a 400, never a 500.

    URL-encoded bodies (every form without a file) are parsed with the standard
    library in one pass, several times faster than a streaming parser, and must
    be valid UTF-8. Multipart goes through Starlette with its limits on files,
    fields and part sizes, and must not be cut off (see formdata.py).
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        body = await request.body()
        if len(body) > MAX_URLENCODED:
            raise HTTPException(413)
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="strict")
        except UnicodeDecodeError:
            raise HTTPException(400, "The form was not sent as UTF-8 text.") from None
        except ValueError:
            raise HTTPException(400, "The form has too many fields.") from None
        fields: dict[str, list[Any]] = {}
        for key, value in pairs:
            fields.setdefault(key, []).append(value)
        return fields
    if content_type != "multipart/form-data":
        raise HTTPException(415, "Send the form as application/x-www-form-urlencoded or multipart/form-data.")
    # Multipart: Starlette's parser with its limits, plus a check that the body reached its closing boundary.
    form = await formdata.read(request, max_files=max_files, max_fields=MAX_FIELDS, max_part_size=MAX_TEXT_PART)
    return {key: form.getlist(key) for key in form}


def consent_record(request: Request) -> dict[str, Any]:
    site = content_of(request).site
    return {
        "given": True,
        "text": site.consent_text,
        "policy_version": site.privacy_policy_version,
        "at": request.app.state.clock().isoformat(),
    }


def attribution_record(request: Request, page: str) -> dict[str, Any]:
    record: dict[str, Any] = dict.fromkeys(attribution.UTM_KEYS, "")
    record.update(referrer="", landing_page="")
    record.update(attribution.read(request.cookies))
    record["form_page"] = request.url.path
    record["sent_from"] = page[:300] if page.startswith("/") else ""
    return record


def invalid(request: Request, template: str, context: dict[str, Any], errors: dict[str, str]) -> Response:
    if wants_json(request):
        return JSONResponse({"ok": False, "errors": errors}, status_code=422, headers={"Cache-Control": "no-store"})
    return render(request, template, {**context, "errors": errors}, status_code=422)


def too_many(
    request: Request, template: str, context: dict[str, Any], retry_after: float, *, note: str = ""
) -> Response:
    """429: the same form re-rendered with what the person typed, and when they may send it again."""
    wait = ratelimit.describe_wait(retry_after)
    message = f"You have sent this form several times in a short while. Please wait {wait} and send it again."
    headers = {"Cache-Control": "no-store", **ratelimit.retry_after_header(retry_after)}
    if wants_json(request):
        body = {
            "ok": False,
            "error": "Too many requests",
            "detail": message,
            "retry_after": int(headers["Retry-After"]),
        }
        return JSONResponse(body, status_code=429, headers=headers)
    return render(
        request, template, {**context, "too_many": f"{message} {note}".strip()}, status_code=429, headers=headers
    )


def success(request: Request, location: str, message: str, **extra: Any) -> Response:
    if wants_json(request):
        return JSONResponse({"ok": True, "message": message, **extra}, headers={"Cache-Control": "no-store"})
    return RedirectResponse(location, status_code=303, headers={"Cache-Control": "no-store"})


# -- Request Info -------------------------------------------------------------------------------------------


def _request_info_context(content: Content, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": "Request information",
        "description": f"Ask {content.site.name} for information, a quote or a call back.",
        "values": values,
        "errors": {},
        "interest_options": [(i.slug, i.name) for i in content.site.interests],
        "office_options": [(o.slug, o.name) for o in content.offices],
    }


async def request_info_form(request: Request) -> Response:
    """The empty form, from the page cache (pages.py): `?office=` preselects an office we have.

    The page it was sent from is not rendered here: that comes from the visitor's Referer, and the cached
    bytes go to every visitor. site.js fills the hidden `page` field from `document.referrer` instead.
    """
    office = request.query_params.get("office", "")
    if content_of(request).office(office) is None:
        office = ""

    def build(env: PageEnv) -> Rendered:
        values = {"page": "", "office": office}
        return env.render("forms/request_info.html", _request_info_context(env.content, values), "/request-info")

    return cached(request, ("request-info", office), build)


async def request_info_submit(request: Request) -> Response:
    retry_after = await ratelimit.check(request, "request_info")
    raw = await read_form(request)
    content = content_of(request)
    clean, errors, values = forms.validate(
        forms.RequestInfo,
        raw,
        interests=[i.slug for i in content.site.interests],
        offices=[o.slug for o in content.offices],
    )
    page = spam.first(raw, "page")
    values["page"] = page[:300]
    if retry_after is not None:
        context = {**_request_info_context(content, values), "errors": errors}
        return too_many(request, "forms/request_info.html", context, retry_after, note="What you typed is kept below.")
    if clean is None:
        return invalid(request, "forms/request_info.html", _request_info_context(content, values), errors)
    now = request.app.state.clock()
    accepted = await submissions.accept(
        request.app.state.db,
        kind="lead",
        data=clean.model_dump(exclude={"consent"}),
        email=clean.email,
        consent=consent_record(request),
        attribution=attribution_record(request, page),
        spam_reason=await spam.check(request, raw, now, turnstile=True),
        now=now,
    )
    log.info("lead accepted submission=%s spam=%s", accepted.submission_id, accepted.spam)
    return success(request, "/request-info/thanks", "Thank you. We will be in touch within one business day.")


async def request_info_thanks(request: Request) -> Response:
    return render(request, "forms/thanks.html", {"title": "Thank you", "kind": "lead", "robots": "noindex"})


# -- Job applications ---------------------------------------------------------------------------------------


def _open_job(request: Request) -> Any:
    job = content_of(request).job(request.path_params["slug"])
    if job is None:
        raise HTTPException(404)
    if not job.is_open(today(request)):
        raise HTTPException(410, "This position is no longer open. See our open positions on the careers page.")
    return job


def _apply_context(job: Any, values: dict[str, Any]) -> dict[str, Any]:
    return {"title": f"Apply: {job.title}", "job": job, "values": values, "errors": {}, "robots": "noindex"}


async def apply_form(request: Request) -> Response:
    """The empty application form, from the page cache (pages.py)."""
    slug = _open_job(request).slug

    def build(env: PageEnv) -> Rendered:
        job = env.content.job(slug)
        return env.render("forms/apply.html", _apply_context(job, {}), f"/careers/{slug}/apply")

    return cached(request, ("apply", slug), build)


async def apply_submit(request: Request) -> Response:
    try:
        return await _apply(request)
    finally:
        await formdata.close(request)  # closes the spooled upload file, on every path


async def _apply(request: Request) -> Response:
    retry_after = await ratelimit.check(request, "apply")
    job = _open_job(request)
    raw = await read_form(request, max_files=1)
    files = raw.pop("resume", [])
    clean, errors, values = forms.validate(forms.Application, raw)
    if retry_after is not None:
        note = "What you typed is kept below; please choose your résumé file again."
        return too_many(
            request, "forms/apply.html", {**_apply_context(job, values), "errors": errors}, retry_after, note=note
        )
    upload = files[0] if len(files) == 1 and isinstance(files[0], UploadFile) else None
    data = b""
    if upload is None or not upload.filename:
        errors.setdefault("resume", f"Attach your résumé ({uploads.ACCEPTED}, up to 10 MB).")
    else:
        data = await upload.read(uploads.MAX_RESUME_BYTES + 1)
        try:
            uploads.detect(data)
        except uploads.UploadRejected as exc:
            errors.setdefault("resume", str(exc))
    if errors or clean is None:
        if upload is not None and upload.filename and "resume" not in errors:
            errors["resume"] = (
                "Your file was fine, but please choose it again: browsers cannot keep a file between tries."
            )
        return invalid(request, "forms/apply.html", _apply_context(job, values), errors)

    settings = request.app.state.settings
    now = request.app.state.clock()
    spam_reason = await spam.check(request, raw, now, turnstile=True)
    assert upload is not None  # no file is an error above
    stored = uploads.store(settings, data, upload.filename or "")

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
                "url": uploads.signed_link(settings, stored.id, now),
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
            request.app.state.db,
            kind="application",
            data=data_out,
            email=clean.email,
            consent=consent_record(request),
            attribution=attribution_record(request, spam.first(raw, "page") or f"/careers/{job.slug}"),
            spam_reason=spam_reason,
            now=now,
            extra=record_upload,
        )
    except BaseException:
        uploads.discard(settings, stored)  # the transaction did not commit: leave no orphan file
        raise
    log.info("application accepted submission=%s job=%s spam=%s", accepted.submission_id, job.slug, accepted.spam)
    return success(request, f"/careers/{job.slug}/apply/thanks", "Thank you for applying. We have your application.")


async def apply_thanks(request: Request) -> Response:
    job = content_of(request).job(request.path_params["slug"])
    if job is None:
        raise HTTPException(404)
    return render(
        request,
        "forms/thanks.html",
        {"title": "Application received", "kind": "application", "job": job, "robots": "noindex"},
    )


async def resume_download(request: Request) -> Response:
    settings = request.app.state.settings
    upload_id = request.path_params["upload_id"]
    q = request.query_params
    if not uploads.check_link(settings, upload_id, q.get("expires", ""), q.get("sig", ""), request.app.state.clock()):
        raise HTTPException(403, "This link has expired or is not valid.")
    async with request.app.state.db.read() as conn:
        row = (
            await conn.execute(
                sa.select(tables.uploads).where(tables.uploads.c.id == upload_id, tables.uploads.c.erased_at.is_(None))
            )
        ).first()
    path = uploads.path_of(settings, row.stored_name) if row else None
    if row is None or path is None or not path.is_file():
        raise HTTPException(404)
    return FileResponse(
        path,
        media_type=row.mime,
        filename=row.original_name or "resume",
        content_disposition_type="attachment",
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


# -- Was this information helpful? ---------------------------------------------------------------------------


def feedback_pages(request: Request) -> set[str]:
    return {p for p in sitemap_paths(content_of(request), today(request)) if p != "/request-info"}


async def feedback_submit(request: Request) -> Response:
    retry_after = await ratelimit.check(request, "feedback")
    raw = await read_form(request)
    clean, errors, values = forms.validate(
        forms.Feedback, raw, pages=feedback_pages(request), reasons=list(feedback.REASONS)
    )
    if retry_after is not None:
        context = {"title": "Was this information helpful?", "values": values, "reasons": feedback.REASONS}
        return too_many(request, "forms/feedback.html", {**context, "errors": errors}, retry_after)
    if clean is None:
        context = {"title": "Was this information helpful?", "values": values, "reasons": feedback.REASONS}
        return invalid(request, "forms/feedback.html", context, errors)
    settings = request.app.state.settings
    now = request.app.state.clock()
    visitor = request.cookies.get(VISITOR_COOKIE, "")
    new_visitor = not (16 <= len(visitor) <= 64 and visitor.isalnum())
    if new_visitor:
        import secrets

        visitor = secrets.token_hex(16)
    spam_reason = spam.verdict(settings, raw, now)
    helpful = clean.helpful == "yes"

    async def record(conn: AsyncConnection, submission_id: str) -> dict[str, Any]:
        if spam_reason:
            return {}  # spam never moves the tallies
        result = await feedback.record_vote(
            conn,
            page=clean.page,
            visitor=visitor,
            helpful=helpful,
            reason=clean.reason or None,
            comment=clean.comment or None,
            now=now,
            submission_id=submission_id,
        )
        return {"replaces_previous_vote": result.replaced, "previous_helpful": result.previous_helpful}

    accepted = await submissions.accept(
        request.app.state.db,
        kind="feedback",
        data={"page": clean.page, "helpful": helpful, "reason": clean.reason or None, "comment": clean.comment or None},
        spam_reason=spam_reason,
        now=now,
        extra=record,
    )
    log.info("feedback accepted submission=%s spam=%s", accepted.submission_id, accepted.spam)
    ask_reason = not helpful and not clean.reason and not clean.comment
    state = "more" if ask_reason else "thanks"
    response = success(
        request, f"{clean.page}?feedback={state}#feedback", "Thank you for your feedback.", ask_reason=ask_reason
    )
    if new_visitor:
        response.set_cookie(
            VISITOR_COOKIE, visitor, max_age=365 * 86400, httponly=True, samesite="lax", secure=settings.https
        )
    return response


routes = [
    Route("/request-info", request_info_form, methods=["GET"], name="request_info"),
    Route("/request-info", request_info_submit, methods=["POST"]),
    Route("/request-info/thanks", request_info_thanks, name="request_info_thanks"),
    Route("/careers/{slug}/apply", apply_form, methods=["GET"], name="apply"),
    Route("/careers/{slug}/apply", apply_submit, methods=["POST"]),
    Route("/careers/{slug}/apply/thanks", apply_thanks, name="apply_thanks"),
    Route("/feedback", feedback_submit, methods=["POST"], name="feedback"),
    Route("/files/resume/{upload_id}", resume_download, name="resume"),
]
