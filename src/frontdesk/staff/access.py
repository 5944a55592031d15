"""Who may see what: every staff endpoint is declared with the role it needs.

`staff_route(path, view, role=...)` wraps a view so that, before it runs:

- a signed-out visitor (no session, an expired one, or a disabled account) is
  sent to `/staff/login?next=...` with a 303, except on `.csv` and `.json`
  routes and requests that ask for JSON, which get a 401 (a script cannot
  follow a sign-in form);
- a signed-in user without the role gets a 403;
- the user is available to the view as `user(request)`.

Every answer from a staff route says `Cache-Control: no-store`: personal data
must not stay in a browser's or a proxy's cache after sign-out. The role is
also kept on the endpoint (`staff_role`), which lets a test walk the router
and prove that no staff route was left unguarded.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from frontdesk import web
from frontdesk.staff import sessions
from frontdesk.staff.accounts import StaffUser

View = Callable[[Request], Awaitable[Response]]
NO_STORE = "no-store"
LOGIN_PATH = "/staff/login"


def safe_next(value: str | None) -> str:
    """A post-sign-in destination: only a path inside the staff area of this site, else `/staff`."""
    if not value or len(value) > 2000 or "\\" in value or any(ord(c) < 32 for c in value):
        return "/staff"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not (parts.path == "/staff" or parts.path.startswith("/staff/")):
        return "/staff"
    if parts.path.startswith("//") or parts.path == LOGIN_PATH:
        return "/staff"
    return value


def _answers_401(request: Request) -> bool:
    return request.url.path.endswith((".csv", ".json")) or web.wants_json(request)


def signed_out(request: Request, *, expired: bool = False) -> Response:
    if _answers_401(request):
        response: Response = JSONResponse(
            {"error": "Sign-in required", "detail": "Sign in at /staff/login."},
            status_code=401,
            headers={"WWW-Authenticate": 'Cookie realm="frontdesk-staff"', "Cache-Control": NO_STORE},
        )
    else:
        target = LOGIN_PATH
        if request.method in ("GET", "HEAD"):
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            target += "?next=" + quote(safe_next(here), safe="/")
        if expired:
            target += ("&" if "?" in target else "?") + "expired=1"
        response = RedirectResponse(target, status_code=303, headers={"Cache-Control": NO_STORE})
    settings = web.services(request).settings
    if expired or request.cookies.get(sessions.cookie_name(settings)):
        sessions.clear_cookie(response, settings)
    return response


@dataclass(frozen=True)
class Resolved:
    user: StaffUser | None
    expired: bool  # a session existed but has timed out (so the login page can say so)


async def current_staff(request: Request) -> Resolved:
    """The signed-in user of this request's session cookie, or None (no, unknown, expired or disabled session).

    One read per staff page; a write only to end a session that timed out, or to touch `last_seen`.
    """
    found = web.services(request)
    token = request.cookies.get(sessions.cookie_name(found.settings))
    if token is None or not sessions.usable_token(token):
        return Resolved(None, False)
    now = found.clock()
    async with found.db.read() as conn:
        row = await sessions.lookup(conn, token)
    if row is None:
        return Resolved(None, False)
    if row.disabled or sessions.expired(row.created_at, row.last_seen, now, found.settings):
        async with found.db.write() as conn:
            await sessions.end(conn, token)
        return Resolved(None, not row.disabled)
    if sessions.due_for_touch(row.last_seen, now):
        async with found.db.write() as conn:
            await sessions.touch(conn, token, now=now)
    return Resolved(StaffUser(row.id, row.email, row.role), False)


def require(role: str) -> Callable[[View], View]:
    if role not in ("viewer", "admin"):
        raise ValueError(f"unknown role {role!r}")

    def decorate(view: View) -> View:
        @functools.wraps(view)
        async def guarded(request: Request) -> Response:
            if b"%00" in request.scope.get("query_string", b""):  # PostgreSQL refuses NUL in text
                raise HTTPException(400, "The address contains a character no staff page takes.")
            found = await current_staff(request)
            if found.user is None:
                return signed_out(request, expired=found.expired)
            if role == "admin" and not found.user.is_admin:
                raise HTTPException(403, "This page is for admins only.", headers={"Cache-Control": NO_STORE})
            request.state.staff = found.user
            response = await view(request)
            response.headers["Cache-Control"] = NO_STORE
            return response

        guarded.staff_role = role  # type: ignore[attr-defined]
        return guarded

    return decorate


def staff_route(
    path: str, view: View, *, role: str = "viewer", methods: Sequence[str] = ("GET",), name: str | None = None
) -> Route:
    return Route(path, require(role)(view), methods=list(methods), name=name)


def user(request: Request) -> StaffUser:
    found: StaffUser = request.state.staff
    return found


def render(request: Request, template: str, context: dict[str, Any], *, status_code: int = 200) -> HTMLResponse:
    """Render a page in the staff layout; never cached."""
    found = web.services(request)
    ctx = {
        "content": found.content.current,
        "path": request.url.path,
        "staff": getattr(request.state, "staff", None),
        **context,
    }
    html = found.templates.get_template(template).render(request=request, **ctx)
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": NO_STORE})
