"""Signing in and out of the staff area.

`GET /staff/login` shows the form; `POST /staff/login` checks the password
(one Argon2 verification, outside any transaction), then counts the attempt
with `accounts.record_sign_in` (lockout, one message for every refusal,
comparable time) and on success opens a fresh server-side session in the same
transaction, and sends the browser on to `next`, a path inside the staff area
only (never another site).
Sign-out is a POST, so a link or an image on another page cannot sign anyone
out, and it deletes the session row, not just the cookie.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from frontdesk import audit, web
from frontdesk.guard import ratelimit
from frontdesk.guard.bodies import first, read_form
from frontdesk.staff import accounts, passwords, sessions
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
        sessions.clear_cookie(response, web.services(request).settings)
    return response


async def login_submit(request: Request) -> Response:
    # Per client, before any password is checked: guessing is slowed for every account at once.
    found_services = web.services(request)
    retry_after = await found_services.limiter.hit(request, "login")
    form = await read_form(request, max_fields=10, max_part_size=8192)
    email = first(form, "email")[:MAX_EMAIL]
    password = first(form, "password")
    next_path = safe_next(first(form, "next"))
    if retry_after is not None:
        error = f"Too many sign-in attempts. Please wait {ratelimit.describe_wait(retry_after)} and try again."
        context = {"title": "Staff sign-in", "next": next_path, "email": email.strip(), "error": error, "notice": None}
        response = render(request, "staff/login.html", context, status_code=429)
        response.headers.update(ratelimit.retry_after_header(retry_after))
        return response
    db, settings = found_services.db, found_services.settings
    now = found_services.clock()
    async with db.read() as conn:
        row = await accounts.find(conn, email)
    # The slow part runs outside any transaction, so a sign-in never holds the database's write lock.
    matches = await passwords.verify_or_dummy(row.password_hash if row is not None else None, password)
    new_hash = None
    if matches and row is not None and passwords.needs_rehash(row.password_hash):
        new_hash = await passwords.rehash(password)
    source = ratelimit.client_key(request, found_services.limiter.proxies)
    async with db.write() as conn:
        found = await accounts.record_sign_in(conn, email, source=source, matches=matches, new_hash=new_hash, now=now)
        token = await sessions.start(conn, found.id, now=now, settings=settings) if found is not None else None
    if found is None or token is None:
        response = render(
            request,
            "staff/login.html",
            {"title": "Staff sign-in", "next": next_path, "email": email.strip(), "error": FAILED, "notice": None},
            status_code=401,
        )
        response.headers["WWW-Authenticate"] = 'Cookie realm="frontdesk-staff"'
        return response
    redirect = RedirectResponse(next_path, status_code=303, headers={"Cache-Control": NO_STORE})
    sessions.set_cookie(redirect, token, settings)
    return redirect


async def logout(request: Request) -> Response:
    found = web.services(request)
    settings = found.settings
    token = request.cookies.get(sessions.cookie_name(settings))
    async with found.db.write() as conn:
        if token:
            await sessions.end(conn, token)
        await audit.record(conn, at=found.clock(), actor=user(request).email, action="logout")
    response = RedirectResponse("/staff/login?signed_out=1", status_code=303)
    sessions.clear_cookie(response, settings)
    return response
