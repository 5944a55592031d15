"""What every view shares: its services, JSON or HTML, the visitor cookie, query parameters and pagination.

Each of these once had two or three homes with slightly different rules (two meanings of "wants JSON",
two visitor-cookie readers, three page-number parsers). Here is the one copy of each:

- `services(request)`, `content(request)`, `today(request)`, `absolute(request, path)`;
- `wants_json(request)`: the client asked for JSON and not for HTML (scripts, `site.js`), so errors and
  form answers come back as `{"ok": ..., ...}` or `{"error": ...}` rather than as a page;
- `visitor_id(request)` and `set_visitor_cookie(...)`: the site's anonymous visitor id (`fd_vid`), which
  ties a feedback vote or a pending comment to a browser and to nothing else;
- `int_param`, `choice_param`: query parameters that are whole numbers in a range or one of a few
  values, or a 400 naming the parameter (never a 500: `'²'.isdigit()` is true, `int('²')` is not);
- `Page`, `paginate` and `page_of`: one page of a list, and the numbers the pager partial needs;
- `published(text, media_type)`: a machine-readable document about the site (the event schema, the
  OpenAPI description), cacheable and readable from any origin.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from frontdesk import services as services_module
from frontdesk.content import Content
from frontdesk.services import Services

T = TypeVar("T")

VISITOR_COOKIE = "fd_vid"
VISITOR_MAX_AGE = 365 * 86400


def published(text: str, media_type: str) -> Response:
    """A document that describes the site and holds no data: public for an hour, and open to any origin,
    so an integrator's tools (a code generator, a browser-based API viewer) can fetch it."""
    headers = {"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"}
    return Response(text, media_type=media_type, headers=headers)


def services(request: Request) -> Services:
    return services_module.of(request.app)


def content(request: Request) -> Content:
    """The current content snapshot (a reload may swap it between two requests, never within one call)."""
    return services(request).content.current


def today(request: Request) -> dt.date:
    return services(request).clock().date()


def absolute(request: Request, path: str) -> str:
    return services(request).settings.public_url + path


def wants_json(request: Request) -> bool:
    """True when the client asks for JSON and not for HTML: a script, or site.js, not a browser's navigation."""
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


# -- the visitor cookie ------------------------------------------------------------------------------------


def _valid_visitor(value: str) -> bool:
    return 16 <= len(value) <= 64 and value.isascii() and value.isalnum()


def visitor_id(request: Request) -> tuple[str, bool]:
    """This browser's visitor id, and whether it is new (then the answer must set the cookie)."""
    found = request.cookies.get(VISITOR_COOKIE, "")
    if _valid_visitor(found):
        return found, False
    return secrets.token_hex(16), True


def known_visitor(request: Request) -> str | None:
    """The visitor id the browser sent, if it sent a well-formed one."""
    found = request.cookies.get(VISITOR_COOKIE, "")
    return found if _valid_visitor(found) else None


def set_visitor_cookie(request: Request, response: Response, visitor: str) -> None:
    response.set_cookie(
        VISITOR_COOKIE,
        visitor,
        max_age=VISITOR_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=services(request).settings.https,
    )


# -- query parameters --------------------------------------------------------------------------------------


def parse_int(raw: str, *, maximum_digits: int = 18) -> int | None:
    """A plain base-10 whole number (ASCII digits only, at most `maximum_digits`), else None."""
    raw = raw.strip()
    if not raw or len(raw) > maximum_digits or not raw.isascii() or not raw.isdecimal():
        return None
    return int(raw)


def int_param(request: Request, name: str, default: int, *, minimum: int = 1, maximum: int = 100_000) -> int:
    """An integer query parameter, or a 400 that names it."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    value = parse_int(raw)
    if value is None:
        raise HTTPException(400, f"The {name} parameter must be a whole number.")
    if not minimum <= value <= maximum:
        raise HTTPException(400, f"The {name} parameter must be between {minimum} and {maximum}.")
    return value


def choice_param(request: Request, name: str, allowed: Sequence[str], default: str = "") -> str:
    """A query parameter limited to known values, or a 400."""
    value = request.query_params.get(name, default) or default
    if value and value not in allowed:
        raise HTTPException(400, f"Unknown {name}: choose one of {', '.join(allowed)}.")
    return value


# -- pagination --------------------------------------------------------------------------------------------

MAX_PAGE = 10_000


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, its 1-based number, and whether there is a next one.

    `total` (the length of the whole list) is known for lists that are counted or held in memory; staff lists
    that fetch one row more than a page only know `has_next`.
    """

    items: Sequence[T]
    number: int
    size: int
    has_next: bool
    total: int | None = None

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.has_next else None

    @property
    def count(self) -> int:
        """How many pages there are (at least 1); only for a list whose total is known."""
        return max(1, math.ceil((self.total or 0) / self.size))


def lenient_page_number(raw: str | None) -> int:
    """A public page's `?page=`: nonsense means page 1 (a crawler's odd link still lands somewhere useful)."""
    value = parse_int(raw or "")
    return value if value is not None and value >= 1 else 1


def paginate(items: Sequence[T], number: int, size: int) -> Page[T]:
    """A page of a list held in memory; a number past the end means the last page."""
    count = max(1, math.ceil(len(items) / size))
    number = min(max(1, number), count)
    start = (number - 1) * size
    return Page(items[start : start + size], number, size, number < count, len(items))


def page_of(rows: Sequence[T], number: int, size: int, *, total: int | None = None) -> Page[T]:
    """A page of rows fetched with `limit=size + 1` (the extra row only says that a next page exists)."""
    has_next = len(rows) > size if total is None else number * size < total
    return Page(rows[:size], number, size, has_next, total)
