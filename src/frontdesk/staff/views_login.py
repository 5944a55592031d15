"""Signing in and out of the staff area.

`GET /staff/login` shows the form; `POST /staff/login` checks it through
`accounts.authenticate` (lockout, one message for every refusal, comparable
time) and on success opens a fresh server-side session and sends the browser
on to `next`, a path inside the staff area only (never another site).
Sign-out is a POST, so a link or an image on another page cannot sign anyone
out, and it deletes the session row, not just the cookie.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from frontdesk import formdata, ratelimit
from frontdesk.staff import accounts, audit, sessions
from frontdesk.staff.access import NO_STORE, current_staff, render, safe_next, user

FAILED = (
    "That email and password did not work. Check them and try again. After repeated failures, "
    "sign-in for the account pauses for a while."
)
MAX_EMAIL = 320


def _notice(request: Request) -> str | None:
    if request.query_params.get("expired"):
        return "Your session ended. Please sign in again."
    if request.query_params.get("signed_out"):
        return "You have signed out."
    return None


async def login_form(request: Request) -> Response:
    next_path = safe_next(request.query_params.get("next"))
    found = await current_staff(request)
    if found.user is not None:
        return RedirectResponse(next_path, status_code=303, headers={"Cache-Control": NO_STORE})
    response = render(
        request,
        "staff/login.html",
        {"title": "Staff sign-in", "next": next_path, "email": "", "error": None, "notice": _notice(request)},
    )
    if found.expired:
        sessions.clear_cookie(response, request.app.state.settings)
    return response


async def login_submit(request: Request) -> Response:
    # Per client, before any password is checked: guessing is slowed for every account at once.
    retry_after = await ratelimit.check(request, "login")
    form = await formdata.read(request, max_files=0, max_fields=10, max_part_size=8192)
    email = str(form.get("email") or "")[:MAX_EMAIL]
    password = str(form.get("password") or "")
    next_path = safe_next(str(form.get("next") or ""))
    if retry_after is not None:
        error = f"Too many sign-in attempts. Please wait {ratelimit.describe_wait(retry_after)} and try again."
        context = {"title": "Staff sign-in", "next": next_path, "email": email.strip(), "error": error, "notice": None}
        response = render(request, "staff/login.html", context, status_code=429)
        response.headers.update(ratelimit.retry_after_header(retry_after))
        return response
    app = request.app
    now = app.state.clock()
    found = await accounts.authenticate(app.state.db, email, password, now=now)
    if found is None:
        response = render(
            request,
            "staff/login.html",
            {"title": "Staff sign-in", "next": next_path, "email": email.strip(), "error": FAILED, "notice": None},
            status_code=401,
        )
        response.headers["WWW-Authenticate"] = 'Cookie realm="frontdesk-staff"'
        return response
    token = await sessions.start(app.state.db, found, now=now, settings=app.state.settings)
    redirect = RedirectResponse(next_path, status_code=303, headers={"Cache-Control": NO_STORE})
    sessions.set_cookie(redirect, token, app.state.settings)
    return redirect


async def logout(request: Request) -> Response:
    settings = request.app.state.settings
    db = request.app.state.db
    await sessions.end(db, request.cookies.get(sessions.cookie_name(settings)))
    async with db.write() as conn:
        await audit.record(conn, at=request.app.state.clock(), actor=user(request).email, action="logout")
    response = RedirectResponse("/staff/login?signed_out=1", status_code=303)
    sessions.clear_cookie(response, settings)
    return response
