"""What operators and their tools ask: `/healthz`, `/readyz` and `/metrics`.

- `/healthz`: the process is up and answers (a liveness probe restarts it otherwise).
- `/readyz`: the database answers and can take a write now, the uploads folder can be written, and the
  content is loaded (a load balancer sends traffic only then). A database that another process keeps
  locked, or a read-only one, used to pass here while every form hung; now it answers 503 and says why.
- `/metrics`: delivery health for Prometheus (`delivery/metrics.py`), for loopback clients that did not
  come through a proxy, or anyone sending `Authorization: Bearer <FRONTDESK_METRICS_TOKEN>` when that is
  set. Everyone else gets a 404 (no token configured: the page does not exist for them) or a 403.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
from pathlib import Path

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from frontdesk import web
from frontdesk.delivery import metrics
from frontdesk.signing import same_signature

NO_STORE = {"Cache-Control": "no-store"}
# A reverse proxy on the same host makes every visitor look like 127.0.0.1; these headers give it away.
PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok", headers=NO_STORE)


def _uploads_writable(folder: Path) -> bool:
    """The uploads folder (or the data dir that will hold it) takes new files."""
    target = folder
    while not target.exists() and target != target.parent:
        target = target.parent  # not made yet: whatever will hold it must be writable
    return target.is_dir() and os.access(target, os.W_OK | os.X_OK)


async def readyz(request: Request) -> Response:
    found = web.services(request)
    db_ok = await found.db.ping()
    write_problem = await found.db.writable() if db_ok else None
    uploads_ok = await asyncio.to_thread(_uploads_writable, found.settings.uploads_dir)
    content_ok = found.content.current is not None
    ok = db_ok and write_problem is None and uploads_ok and content_ok
    database = "unreachable" if not db_ok else f"cannot take a write ({write_problem})" if write_problem else "ok"
    body = (
        f"database: {database}\n"
        f"uploads: {'ok' if uploads_ok else 'not writable'}\n"
        f"content: {'ok' if content_ok else 'not loaded'}\n"
    )
    return PlainTextResponse(body, status_code=200 if ok else 503, headers=NO_STORE)


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def metrics_allowed(request: Request, token: str) -> bool:
    if token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and same_signature(given.strip(), token):
            return True
    host = request.client.host if request.client else ""
    return is_loopback(host) and not any(h in request.headers for h in PROXY_HEADERS)


class MetricsEndpoint:
    """`/metrics`, with a registry of its own (one per app), refilled from the database at each scrape."""

    def __init__(self) -> None:
        self.registry: CollectorRegistry
        self.registry, self.snapshot = metrics.registry()

    async def endpoint(self, request: Request) -> Response:
        found = web.services(request)
        token = found.settings.metrics_token
        if not metrics_allowed(request, token):
            raise HTTPException(403 if token else 404)
        self.snapshot.families = await metrics.gather(found.db, found.clock, found.outbox)
        encode, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encode(self.registry), headers={"content-type": content_type, **NO_STORE})


def routes() -> list[Route]:
    return [
        Route("/healthz", healthz, name="healthz"),
        Route("/readyz", readyz, name="readyz"),
        Route("/metrics", MetricsEndpoint().endpoint, name="metrics"),
    ]
