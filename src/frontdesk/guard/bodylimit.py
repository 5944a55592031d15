"""Request body caps and slow-body timeouts, as pure ASGI middleware.

Why not trust `Content-Length`: a client may leave it out (chunked transfer
encoding) or state less than it sends. So the cap counts the bytes of the
body as the server hands them over, and refuses the request as soon as the
count passes the limit, without buffering what follows:

- A declared `Content-Length` above the limit is refused before the view
  runs, without reading a byte of the body (and, for `Expect: 100-continue`,
  before the client is even told to send it).
- A malformed `Content-Length` is a 400.
- While the view reads the body, each chunk is counted; past the limit the
  read raises `RequestBodyTooLarge`, an `HTTPException(413)`, so the app's
  error page answers it in the site's layout, as for any other 4xx.
- A body that stalls (no chunk for `idle_timeout` seconds), trickles in slower
  than `min_rate` bytes a second on average once `RATE_GRACE` seconds have
  passed, or drags on past `total_timeout` raises `RequestBodyTimeout`, a 408.
  Slowloris-style clients therefore cannot hold a worker for long. (A client
  slow with its *headers* is cut off before the app: `slow_clients.py`.)

Both answers carry `Connection: close`: the rest of the body is never read,
so the connection cannot be reused for another request.

The limit depends on the path: `limits` is a list of (regex, bytes, message)
tried in order, falling back to `default_limit`. Frontdesk uses 64 KiB for
plain forms and `APPLY_LIMIT` for `/careers/{slug}/apply`.

The résumé limit itself is one number, `records.sniff.MAX_BYTES` (10 MB), and
it is the only one a person ever reads: the form's hint, the error beside the
résumé field and this 413 all say it. A résumé over it is not refused here: the
form reader (`bodies.py`) cuts the file short and keeps reading the other fields,
so the applicant gets the form back with everything typed kept. `APPLY_LIMIT`
sits well above the résumé limit only so that a body far beyond any honest file
is still cut off without being read; its 413 names the résumé limit too.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk.records.sniff import MAX_BYTES as MAX_RESUME_BYTES
from frontdesk.records.sniff import size_text

log = logging.getLogger("frontdesk.bodylimit")

KiB = 1024
MiB = 1024 * KiB
FORM_LIMIT = 64 * KiB
# The transport cap for applications: three résumés' worth plus the form, so that an over-limit résumé
# (a 12 MB or 25 MB scan) still reaches the view and comes back as the form with an error beside it.
APPLY_LIMIT = 3 * MAX_RESUME_BYTES + 2 * MiB
APPLY_TOO_LARGE = (
    f"Your résumé must be {size_text(MAX_RESUME_BYTES)} or smaller. Please go back to the form, choose a smaller "
    "file (saving it as a PDF usually makes it much smaller) and send the form again."
)
# Paths whose bodies may be larger than a plain form: the job application carries a résumé.
PATH_LIMITS: tuple[tuple[str, int, str], ...] = ((r"/careers/[^/]+/apply/?", APPLY_LIMIT, APPLY_TOO_LARGE),)

CLOSE = {"Connection": "close"}
RATE_GRACE = 10.0  # seconds before the minimum rate applies: a slow start (TLS, a phone waking up) is fine

ErrorRenderer = Callable[[Request, Exception], Awaitable[Response]]


class RequestBodyTooLarge(HTTPException):
    """The request body (declared or counted) is larger than this path accepts."""

    def __init__(self, limit: int, message: str = "") -> None:
        text = message or f"What you sent is larger than we accept (at most {_human(limit)})."
        super().__init__(413, text, headers=CLOSE)


class RequestBodyTimeout(HTTPException):
    """The client stopped sending the body, or sent it too slowly."""

    def __init__(self) -> None:
        super().__init__(408, "The request took too long to arrive. Please try again.", headers=CLOSE)


class MalformedContentLength(HTTPException):
    """`Content-Length` is not a single non-negative integer."""

    def __init__(self) -> None:
        super().__init__(400, "The request's Content-Length header is not valid.", headers=CLOSE)


def _human(size: int) -> str:
    return f"{size // MiB} MB" if size >= MiB else f"{size // KiB} KB"


def declared_length(headers: Headers) -> int | None:
    """The Content-Length as an int, None when absent; raises MalformedContentLength."""
    values = headers.getlist("content-length")
    if not values:
        return None
    # Several headers (or a list) must all agree, as RFC 9110 allows; anything else is malformed.
    parts = {p.strip() for v in values for p in v.split(",")}
    if len(parts) != 1:
        raise MalformedContentLength()
    (raw,) = parts
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise MalformedContentLength()
    return int(raw)


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        default_limit: int = FORM_LIMIT,
        limits: Sequence[tuple[str, int, str]] = PATH_LIMITS,
        idle_timeout: float = 15.0,
        total_timeout: float = 300.0,
        min_rate: float = 0.0,
        render_error: ErrorRenderer | None = None,
    ) -> None:
        self.app = app
        self.default_limit = default_limit
        self.limits = [(re.compile(pattern), size, message) for pattern, size, message in limits]
        self.idle_timeout = idle_timeout
        self.total_timeout = total_timeout
        self.min_rate = min_rate
        self.render_error = render_error

    def limit_for(self, path: str) -> int:
        return self._limit(path)[0]

    def _limit(self, path: str) -> tuple[int, str]:
        for pattern, size, message in self.limits:
            if pattern.fullmatch(path):
                return size, message
        return self.default_limit, ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, message = self._limit(scope["path"])
        try:
            declared = declared_length(Headers(scope=scope))
            if declared is not None and declared > limit:
                raise RequestBodyTooLarge(limit, message)
        except HTTPException as exc:
            await self._answer(scope, receive, send, exc)
            return

        guard = _BodyGuard(receive, limit, self.idle_timeout, self.total_timeout, self.min_rate, message=message)
        response_started = False

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, guard.receive, tracking_send)
        except (RequestBodyTooLarge, RequestBodyTimeout) as exc:
            # Normally the app's exception handler has already answered; this is the fallback
            # for a body read outside of it. If a response is under way it cannot be replaced.
            if response_started:
                log.warning("body refused (%s) after the response started on %s", exc.status_code, scope["path"])
                return
            await self._answer(scope, receive, send, exc)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, exc: HTTPException) -> None:
        log.info("refused body on %s %s: %s", scope["method"], scope["path"], exc.status_code)
        if self.render_error is None:
            response: Response = PlainTextResponse(str(exc.detail), status_code=exc.status_code, headers=exc.headers)
        else:
            response = await self.render_error(Request(scope, receive), exc)
        await response(scope, receive, send)


class _BodyGuard:
    """Wraps `receive`: counts body bytes and times out stalls, until the body is complete."""

    def __init__(
        self, receive: Receive, limit: int, idle: float, total: float, min_rate: float = 0.0, *, message: str = ""
    ) -> None:
        self._receive = receive
        self.limit = limit
        self.message = message
        self.idle = idle
        self.started = time.monotonic()
        self.deadline = self.started + total
        self.min_rate = min_rate
        self.received = 0
        self.complete = False
        self.failure: HTTPException | None = None

    async def receive(self) -> Message:
        if self.failure is not None:
            raise self.failure
        if self.complete:
            # After the body, receive() only waits for a disconnect (streaming responses): no timeout.
            return await self._receive()
        wait = min(self.idle, self.deadline - time.monotonic())
        try:
            if wait <= 0:
                raise TimeoutError
            async with asyncio.timeout(wait):
                message = await self._receive()
        except TimeoutError:
            self.failure = RequestBodyTimeout()
            raise self.failure from None
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                self.failure = RequestBodyTooLarge(self.limit, self.message)
                raise self.failure
            elapsed = time.monotonic() - self.started
            more = message.get("more_body", False)
            if more and self.min_rate and elapsed > RATE_GRACE and self.received < self.min_rate * elapsed:
                self.failure = RequestBodyTimeout()
                raise self.failure
            if not message.get("more_body", False):
                self.complete = True
        else:  # http.disconnect
            self.complete = True
        return message
