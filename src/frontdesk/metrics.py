"""`/metrics`: delivery health for Prometheus, read from the database at scrape time.

Why from the database and not from in-process counters: deliveries may be made
by the worker inside `frontdesk serve`, by several `serve --workers N`
processes, or by separate `frontdesk worker` processes on other machines. The
database is the one place that sees all of them, so any instance answers a
scrape with the same, complete numbers. The queries are small aggregates over
indexed columns (the attempt log is one row per POST; even a busy agency has a
few thousand a month), so a scrape every 15 s costs nothing worth caching.

Metrics (all prefixed `frontdesk_`):
- `deliveries{state}` (gauge): pending, retrying (pending after a failure), delivered, failed, held
- `delivery_oldest_pending_age_seconds` (gauge): 0 when nothing waits
- `delivery_attempts_total{outcome}` (counter): delivered, retry, failed, paused
- `delivery_latency_seconds` (histogram): how long the CRM took to answer each attempt
- `delivery_endpoint_paused` (gauge): 1 while the CRM endpoint is paused after a 410
- `outbox_in_flight` (gauge): POSTs this process has in flight

Access: loopback clients that did not come through a proxy, or anyone sending
`Authorization: Bearer <FRONTDESK_METRICS_TOKEN>` when that is set. Everyone else
gets a 404 (no token configured: the page does not exist for them) or a 403.
A registry of its own (not prometheus_client's global one) keeps tests and
several apps in one process apart.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from frontdesk import deliveries, tables

LATENCY_BUCKETS_MS = (50, 100, 250, 500, 1000, 2500, 5000, 10000, 15000)
OUTCOMES = ("delivered", "retry", "failed", "paused")
# A reverse proxy on the same host makes every visitor look like 127.0.0.1; these headers give it away.
PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


class _Snapshot:
    """A collector that yields the families gathered by the last scrape."""

    def __init__(self) -> None:
        self.families: list[Metric] = []

    def collect(self) -> Iterable[Metric]:
        return list(self.families)


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed(request: Request, token: str) -> bool:
    if token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return True
    host = request.client.host if request.client else ""
    return is_loopback(host) and not any(h in request.headers for h in PROXY_HEADERS)


async def gather(app_state: Any) -> list[Metric]:
    db = app_state.db
    now = app_state.clock()
    stats = await deliveries.stats(db)
    a = tables.delivery_attempts
    buckets = [sa.func.sum(sa.case((a.c.latency_ms <= ms, 1), else_=0)) for ms in LATENCY_BUCKETS_MS]
    async with db.read() as conn:
        by_outcome = dict((await conn.execute(sa.select(a.c.outcome, sa.func.count()).group_by(a.c.outcome))).all())
        count, total_ms, *cumulative = (
            await conn.execute(sa.select(sa.func.count(), sa.func.sum(a.c.latency_ms), *buckets))
        ).one()
        paused = (await conn.execute(sa.select(sa.func.count()).select_from(tables.endpoint_pauses))).scalar_one()

    states = GaugeMetricFamily("frontdesk_deliveries", "Deliveries by state", labels=["state"])
    for state, n in stats.counts.items():
        states.add_metric([state], n - (stats.retrying if state == "pending" else 0))
    states.add_metric(["retrying"], stats.retrying)
    oldest = GaugeMetricFamily(
        "frontdesk_delivery_oldest_pending_age_seconds",
        "Age of the oldest delivery still waiting to reach the CRM (0 when none waits)",
        value=stats.oldest_pending_age(now) or 0.0,
    )
    attempts = CounterMetricFamily("frontdesk_delivery_attempts", "Delivery attempts by outcome", labels=["outcome"])
    for outcome in OUTCOMES:
        attempts.add_metric([outcome], by_outcome.get(outcome, 0))
    latency = HistogramMetricFamily(
        "frontdesk_delivery_latency_seconds",
        "Time the CRM took to answer each delivery attempt",
        buckets=[
            *((str(ms / 1000), float(n or 0)) for ms, n in zip(LATENCY_BUCKETS_MS, cumulative, strict=True)),
            ("+Inf", float(count)),
        ],
        sum_value=(total_ms or 0) / 1000,
    )
    paused_gauge = GaugeMetricFamily(
        "frontdesk_delivery_endpoint_paused", "1 while a CRM endpoint is paused after answering 410", value=paused
    )
    worker = getattr(app_state, "outbox", None)
    in_flight = GaugeMetricFamily(
        "frontdesk_outbox_in_flight",
        "Deliveries this process is posting right now",
        value=worker.in_flight if worker is not None else 0,
    )
    return [states, oldest, attempts, latency, paused_gauge, in_flight]


def _registry(app_state: Any) -> tuple[CollectorRegistry, _Snapshot]:
    if not hasattr(app_state, "metrics_registry"):
        snapshot = _Snapshot()
        registry = CollectorRegistry(auto_describe=False)
        registry.register(snapshot)
        app_state.metrics_registry = (registry, snapshot)
    return app_state.metrics_registry  # type: ignore[no-any-return]


async def endpoint(request: Request) -> Response:
    token = request.app.state.settings.metrics_token
    if not allowed(request, token):
        raise HTTPException(403 if token else 404)
    registry, snapshot = _registry(request.app.state)
    snapshot.families = await gather(request.app.state)
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encode(registry), headers={"content-type": content_type, "cache-control": "no-store"})
