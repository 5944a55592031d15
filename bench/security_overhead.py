"""What the request-path defences cost: the app with them against the same app without, in one run.

The defences measured are the three pure-ASGI middlewares (request shape, cross-origin check, body cap)
and the per-form rate limit (memory storage). Requests are driven straight into the ASGI app in-process,
so the numbers are the app's own work, without network or server overhead, which would only dilute them.

    python bench/security_overhead.py [--n 1000] [--rounds 5]

Prints the best requests per second of several alternating rounds for each case, and the ratio
with/without (1.00 = free).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from frontdesk import services
from frontdesk.app import create_app
from frontdesk.db.migrate import migrate
from frontdesk.guard.bodylimit import BodyLimitMiddleware
from frontdesk.guard.csrf import CrossOriginMiddleware
from frontdesk.guard.request_shape import RequestShapeMiddleware
from frontdesk.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DEFENCES = (RequestShapeMiddleware, CrossOriginMiddleware, BodyLimitMiddleware)
LEAD = b"name=Ada&email=not-an-email&interest=business&message=Hello&consent=yes"


def build(data_dir: Path, *, defended: bool) -> Any:
    settings = Settings(
        content_dir=ROOT / "content",
        data_dir=data_dir,
        database_url=f"sqlite+aiosqlite:///{data_dir / 'bench.db'}",
        secret_key="bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        run_worker=False,
        rate_limits={k: "1000000/minute" for k in Settings().rate_limits},
    )
    app = create_app(settings)
    if not defended:
        app.user_middleware = [m for m in app.user_middleware if m.cls not in DEFENCES]
    return app


class NoLimit:
    """A limiter that lets everything through: the "without" app's rate limiting, switched off."""

    async def hit(self, request: Any, form: str) -> None:
        return None


async def call(app: Any, method: str, path: str, body: bytes = b"", headers: list[tuple[bytes, bytes]] = ()) -> int:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"bench"), (b"content-length", str(len(body)).encode()), *headers],
        "client": ("127.0.0.1", 5000), "server": ("bench", 80), "state": {},
    }  # fmt: skip
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


CASES = {
    "GET /offices": ("GET", "/offices", b"", []),
    "POST /request-info (422)": (
        "POST", "/request-info", LEAD,
        [(b"content-type", b"application/x-www-form-urlencoded"), (b"sec-fetch-site", b"same-origin")],
    ),
}  # fmt: skip


async def rate(app: Any, case: tuple[str, str, bytes, list[tuple[bytes, bytes]]], n: int) -> float:
    method, path, body, headers = case
    started = time.perf_counter()
    for _ in range(n):
        await call(app, method, path, body, headers)
    return n / (time.perf_counter() - started)


async def measure(apps: dict[str, Any], n: int, rounds: int) -> dict[str, dict[str, float]]:
    """Best of `rounds` for each app and case, alternating the apps so that machine noise hits both alike."""
    best: dict[str, dict[str, float]] = {label: dict.fromkeys(CASES, 0.0) for label in apps}
    async with contextlib.AsyncExitStack() as stack:
        for label, app in apps.items():
            await stack.enter_async_context(app.router.lifespan_context(app))
            started = services.of(app).started
            if label == "without" and started is not None:
                started.limiter = NoLimit()  # type: ignore[assignment]
            for case in CASES.values():
                await rate(app, case, 50)  # warm up: templates compiled, connections open
        for _ in range(rounds):
            for label, app in apps.items():
                for name, case in CASES.items():
                    best[label][name] = max(best[label][name], await rate(app, case, n))
    return best


async def _noop(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def per_request_cost(n: int, rounds: int) -> tuple[float, float]:
    """Microseconds per request through a do-nothing app, bare and wrapped in the three middlewares."""
    wrapped: Any = _noop
    for cls in reversed(DEFENCES):
        wrapped = cls(wrapped)
    case = CASES["POST /request-info (422)"]
    bare, defended = [], []
    for _ in range(rounds):
        bare.append(1e6 / await rate(_noop, case, n))
        defended.append(1e6 / await rate(wrapped, case, n))
    return min(bare), min(defended)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000, help="requests per case per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="100 requests, one round: proves it runs")
    args = parser.parse_args()
    if args.quick:
        args.n, args.rounds = 100, 1
    tmp = Path(tempfile.mkdtemp(prefix="fd-bench-"))
    try:
        migrate(f"sqlite+aiosqlite:///{tmp / 'bench.db'}")
        apps = {"without": build(tmp, defended=False), "with": build(tmp, defended=True)}
        best = asyncio.run(measure(apps, args.n, args.rounds))
        without, with_ = best["without"], best["with"]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'case':28} {'without req/s':>14} {'with req/s':>12} {'ratio':>7}")
    for name in CASES:
        print(f"{name:28} {without[name]:14.0f} {with_[name]:12.0f} {with_[name] / without[name]:7.2f}")
    bare, defended = asyncio.run(per_request_cost(args.n * 10, args.rounds))
    print(f"\nthe three middlewares alone, around a do-nothing app (best of {args.rounds}):")
    print(f"{'bare app':28} {bare:10.1f} us/request")
    print(f"{'with shape, origin, body cap':28} {defended:10.1f} us/request  (+{defended - bare:.1f} us)")


if __name__ == "__main__":
    main()
