"""The one error page: every 4xx and 5xx, in the site's layout for browsers and as JSON for scripts.

Views raise `HTTPException(status, detail)` with a sentence written for the person who must act; the guard's
middleware renders its refusals through the same `error_page`. A 500 is logged with its traceback and shown
as a short apology, never as the traceback. If the layout itself cannot render, a plain line still answers.

Database errors are handled here too, and logged without their messages: PostgreSQL's own message for a
failed constraint quotes the failing row ("Failing row contains (..., person@example.com, ...)"), and the
parameters are people's data. `database_failure` names the driver's error class and the statement's first
line, with the traceback's frames but none of its messages. A database that cannot take a write just now
(`DatabaseUnavailable`, e.g. locked longer than the lock timeout) is a 503 with `Retry-After`.
"""

from __future__ import annotations

import logging
import traceback

import sqlalchemy as sa
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Match

from frontdesk import web
from frontdesk.db import DatabaseUnavailable
from frontdesk.public.rendering import render

log = logging.getLogger("frontdesk")

ERROR_TITLES = {
    400: ("Bad request", "We could not understand that request."),
    403: ("Forbidden", "That request was refused."),
    404: ("Page not found", "We could not find that page. It may have moved."),
    405: ("Method not allowed", "That page does not accept this kind of request."),
    408: ("Request timeout", "The request took too long to arrive. Please try again."),
    410: ("Gone", "That page is no longer available."),
    413: ("Too large", "What you sent is larger than we accept."),
    415: ("Unsupported format", "That request was sent in a format we do not accept."),
    422: ("Check your input", "Some of what you sent needs another look."),
    429: ("Too many requests", "Please wait a little and try again."),
    431: ("Request headers too large", "The request's headers are too large."),
    500: ("Something went wrong", "An error on our side stopped this page. Please try again shortly."),
    503: ("Temporarily unavailable", "Please try again in a moment."),
}


def slash_twin(request: Request) -> str | None:
    """The same path with its trailing slash added or removed, if that one is a route of the app."""
    path = request.url.path
    if path == "/":
        return None
    twin = path[:-1] if path.endswith("/") else path + "/"
    scope = {**request.scope, "path": twin}
    for route in request.app.router.routes:
        match, _ = route.matches(scope)
        if match is not Match.NONE:
            return twin
    return None


def database_failure(exc: BaseException) -> str:
    """A database error described for the log: its kind and statement, and no value from any row."""
    orig = getattr(exc, "orig", None)
    kind = type(orig).__name__ if orig is not None else type(exc).__name__
    statement = str(getattr(exc, "statement", "") or "").strip().splitlines()
    frames = "".join(traceback.format_tb(exc.__traceback__))
    where = f" in {statement[0][:200]!r}" if statement else ""
    return f"{kind}{where}\n{frames}".rstrip()


async def client_gone(request: Request, exc: Exception) -> Response:
    """The client went away in the middle of its body: its problem, not an error of ours, and no traceback.

    Registered for `ClientDisconnect`, which the exception middleware handles without re-raising; nobody
    is left to read the answer.
    """
    log.info("client disconnected during the body of %s %s", request.method, request.url.path)
    return Response(status_code=400, headers={"Cache-Control": "no-store", "Connection": "close"})


async def error_page(request: Request, exc: Exception) -> Response:
    """One handler for every error: the site's layout for browsers, JSON for scripts, never a traceback.

    A 404 whose path differs from a route only by its trailing slash is redirected (307) to that route on
    `FRONTDESK_PUBLIC_URL`: never to the request's Host header, which the client wrote, and always with the
    site's own scheme (https on an https site behind a proxy).
    """
    if isinstance(exc, HTTPException):
        status = exc.status_code
    elif isinstance(exc, DatabaseUnavailable):
        status = 503
        exc = HTTPException(503, "We could not save this just now. Please try again in a moment.", {"Retry-After": "5"})
    else:
        status = 500
    if status == 404 and (twin := slash_twin(request)) is not None:
        query = f"?{request.url.query}" if request.url.query else ""
        location = web.services(request).settings.public_url + twin + query
        return RedirectResponse(location, status_code=307, headers={"Cache-Control": "no-store"})
    if status == 500 and isinstance(exc, sa.exc.SQLAlchemyError):
        log.error("database error on %s %s: %s", request.method, request.url.path, database_failure(exc))
    elif status == 500:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    title, text = ERROR_TITLES.get(status, ("Error", "That request could not be completed."))
    if isinstance(exc, HTTPException) and exc.detail and exc.detail != title and status != 500:
        text = str(exc.detail)
    headers = {"Cache-Control": "no-store"}
    if isinstance(exc, HTTPException) and exc.headers:
        headers.update(exc.headers)
    if web.wants_json(request) or request.url.path.endswith((".json", ".csv")):
        return JSONResponse({"error": title, "detail": text}, status_code=status, headers=headers)
    if status in (204, 304):
        return Response(status_code=status, headers=headers)
    # A form refused as too large: its page is at the same path, so offer the way back to it (the browser's
    # own Back button usually keeps what was typed, too).
    back = (
        request.url.path if status == 413 and request.method == "POST" and request.url.path.endswith("/apply") else ""
    )
    try:
        return render(
            request,
            "errors/error.html",
            {"title": title, "message": text, "status": status, "robots": "noindex", "back_url": back},
            status_code=status,
            headers=headers,
        )
    except Exception:  # the layout itself failed: still no traceback
        log.exception("error page failed to render")
        return PlainTextResponse(f"{status} {title}", status_code=status, headers=headers)
