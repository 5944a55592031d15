"""Who may see what: every staff endpoint is declared with the role it needs.

`staff_route(path, view, role=...)` wraps a view so that, before it runs:

- a signed-out visitor (no session, an expired one, or a disabled account) is
  sent to `/staff/login?next=...` with a 303, except on `.csv` and `.json`
  routes and requests that ask for JSON, which get a 401 (a script cannot
  follow a sign-in form);
- a signed-in user without the role gets a 403;
- the user is available to the view as `request.state.staff`.

Every answer from a staff route says `Cache-Control: no-store`: personal data
must not stay in a browser's or a proxy's cache after sign-out. The role is
also kept on the endpoint (`staff_role`), which lets a test walk the router
and prove that no staff route was left unguarded.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

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
    accept = request.headers.get("accept", "")
    json_wanted = "application/json" in accept and "text/html" not in accept
    return request.url.path.endswith((".csv", ".json")) or json_wanted


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
    if expired or request.cookies.get(sessions.cookie_name(request.app.state.settings)):
        sessions.clear_cookie(response, request.app.state.settings)
    return response


async def current_staff(request: Request) -> sessions.Resolved:
    settings = request.app.state.settings
    token = request.cookies.get(sessions.cookie_name(settings))
    return await sessions.resolve(request.app.state.db, token, now=request.app.state.clock(), settings=settings)


def require(role: str) -> Callable[[View], View]:
    if role not in ("viewer", "admin"):
        raise ValueError(f"unknown role {role!r}")

    def decorate(view: View) -> View:
        @functools.wraps(view)
        async def guarded(request: Request) -> Response:
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
    ctx = {
        "content": request.app.state.content,
        "path": request.url.path,
        "staff": getattr(request.state, "staff", None),
        **context,
    }
    html = request.app.state.templates.get_template(template).render(request=request, **ctx)
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": NO_STORE})


def int_param(request: Request, name: str, default: int, *, minimum: int = 1, maximum: int = 100_000) -> int:
    """An integer query parameter, or a 400 that names it."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise HTTPException(400, f"The {name} parameter must be a whole number.") from None
    if not minimum <= value <= maximum:
        raise HTTPException(400, f"The {name} parameter must be between {minimum} and {maximum}.")
    return value


def choice_param(request: Request, name: str, allowed: Sequence[str], default: str = "") -> str:
    """A query parameter limited to known values, or a 400."""
    value = request.query_params.get(name, default) or default
    if value and value not in allowed:
        raise HTTPException(400, f"Unknown {name}: choose one of {', '.join(allowed)}.")
    return value
