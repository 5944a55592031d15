"""What the request-path defences cost: the app with them against the same app without, in one run.

The defences measured are the three pure-ASGI middlewares (request shape, cross-origin check, body cap)
and the per-form rate limit (memory storage). Requests are driven straight into the ASGI app in-process,
so the numbers are the app's own work, without network or server overhead, which would only dilute them.

    python bench/security_overhead.py [--n 3000]

Prints requests per second for each case and the ratio with/without (1.00 = free).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from frontdesk.app import create_app
from frontdesk.bodylimit import BodyLimitMiddleware
from frontdesk.csrf import CrossOriginMiddleware
from frontdesk.db import migrate
from frontdesk.settings import Settings
from frontdesk.shape import RequestShapeMiddleware

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
        app.state.startup_hooks = [h for h in app.state.startup_hooks if h.__module__ != "frontdesk.ratelimit"]
    return app


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


async def measure(app: Any, n: int) -> dict[str, float]:
    results = {}
    async with app.router.lifespan_context(app):
        # The lifespan's startup hooks normally run through Starlette's lifespan protocol; run them here.
        for name, (method, path, body, headers) in CASES.items():
            for _ in range(50):
                await call(app, method, path, body, headers)
            started = time.perf_counter()
            for _ in range(n):
                await call(app, method, path, body, headers)
            results[name] = n / (time.perf_counter() - started)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=3000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="fd-bench-"))
    try:
        migrate(f"sqlite+aiosqlite:///{tmp / 'bench.db'}")
        without = asyncio.run(measure(build(tmp, defended=False), args.n))
        with_ = asyncio.run(measure(build(tmp, defended=True), args.n))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'case':28} {'without req/s':>14} {'with req/s':>12} {'ratio':>7}")
    for name in CASES:
        print(f"{name:28} {without[name]:14.0f} {with_[name]:12.0f} {with_[name] / without[name]:7.2f}")


if __name__ == "__main__":
    main()
