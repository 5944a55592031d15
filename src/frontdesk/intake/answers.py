"""How a public form answers: 422 with the errors, 429 with the wait, 303 to the thanks, or JSON for scripts.

Every public form answers the same four ways, flaskr-style:

- `invalid`: 422, the form re-rendered with each error beside its field and what the person typed kept;
- `too_many`: 429 with `Retry-After`, the form re-rendered with the input kept and how long to wait;
- `unavailable`: 503 with `Retry-After` when the database (or the upload disk) cannot take the write just
  now: the form re-rendered with the input kept and "please try again", nothing stored;
- `success`: 303 to the thank-you page, only after the submission is committed;
- for a script (`Accept: application/json`, as `site.js` sends), the same as `{"ok": ..., ...}`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from frontdesk import web
from frontdesk.guard import ratelimit
from frontdesk.public.rendering import render

NO_STORE = {"Cache-Control": "no-store"}


def invalid(
    request: Request,
    template: str,
    context: dict[str, Any],
    errors: dict[str, str],
    *,
    extra: dict[str, Any] | None = None,
) -> Response:
    """422: the form with each error beside its field; `extra` goes into the JSON answer (a held résumé's token)."""
    if web.wants_json(request):
        return JSONResponse({"ok": False, "errors": errors, **(extra or {})}, status_code=422, headers=NO_STORE)
    return render(request, template, {**context, "errors": errors}, status_code=422)


def too_many(
    request: Request, template: str, context: dict[str, Any], retry_after: float, *, note: str = ""
) -> Response:
    """429: the same form re-rendered with what the person typed, and when they may send it again."""
    wait = ratelimit.describe_wait(retry_after)
    message = f"You have sent this form several times in a short while. Please wait {wait} and send it again."
    headers = {**NO_STORE, **ratelimit.retry_after_header(retry_after)}
    if web.wants_json(request):
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


RETRY_UNAVAILABLE = 5  # seconds: about the database's lock timeout


def unavailable(
    request: Request, template: str, context: dict[str, Any], *, note: str = "", extra: dict[str, Any] | None = None
) -> Response:
    """503: nothing was stored; the same form with what the person typed, and a request to send it again.

    `extra` goes into the JSON answer (a held résumé's token), as for `invalid`."""
    message = f"We could not save this just now, so nothing was sent. Please send it again in a moment. {note}"
    headers = {**NO_STORE, "Retry-After": str(RETRY_UNAVAILABLE)}
    if web.wants_json(request):
        body = {"ok": False, "error": message.strip(), **(extra or {})}
        return JSONResponse(body, status_code=503, headers=headers)
    context = {"errors": {}, **context, "unavailable": message.strip()}
    return render(request, template, context, status_code=503, headers=headers)


def success(request: Request, location: str, message: str, **extra: Any) -> Response:
    if web.wants_json(request):
        return JSONResponse({"ok": True, "message": message, **extra}, headers=NO_STORE)
    return RedirectResponse(location, status_code=303, headers=NO_STORE)
