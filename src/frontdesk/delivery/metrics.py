"""Delivery health for Prometheus, read from the database at scrape time (`ops.py` serves it at `/metrics`).

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
- `delivery_endpoint_paused` (gauge): how many endpoints are paused (after a 410, or by hand)
- `delivery_queue_depth{endpoint}` (gauge): pending deliveries per endpoint (by name; "unrouted" while none)
- `delivery_queue_oldest_age_seconds{endpoint}` (gauge): age of each endpoint's oldest pending delivery
- `outbox_in_flight` (gauge): POSTs this process has in flight

A registry of its own per app (not prometheus_client's global one) keeps tests
and several apps in one process apart.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from frontdesk.clock import Clock
from frontdesk.db import Database, tables
from frontdesk.delivery.outbox import Outbox
from frontdesk.records import deliveries

LATENCY_BUCKETS_MS = (50, 100, 250, 500, 1000, 2500, 5000, 10000, 15000)
OUTCOMES = ("delivered", "retry", "failed", "paused")


class Snapshot:
    """A collector that yields the families gathered by the last scrape."""

    def __init__(self) -> None:
        self.families: list[Metric] = []

    def collect(self) -> Iterable[Metric]:
        return list(self.families)


def registry() -> tuple[CollectorRegistry, Snapshot]:
    """A registry of its own, holding one `Snapshot` that each scrape refills."""
    snapshot = Snapshot()
    found = CollectorRegistry(auto_describe=False)
    found.register(snapshot)
    return found, snapshot


async def gather(db: Database, clock: Clock, outbox: Outbox | None) -> list[Metric]:
    now = clock()
    a = tables.delivery_attempts
    buckets = [sa.func.sum(sa.case((a.c.latency_ms <= ms, 1), else_=0)) for ms in LATENCY_BUCKETS_MS]
    async with db.read() as conn:
        stats = await deliveries.stats(conn)
        by_outcome: dict[str, int] = dict(
            (await conn.execute(sa.select(a.c.outcome, sa.func.count()).group_by(a.c.outcome))).all()
        )
        count, total_ms, *cumulative = (
            await conn.execute(sa.select(sa.func.count(), sa.func.sum(a.c.latency_ms), *buckets))
        ).one()
        paused = len(await deliveries.paused_endpoints(conn))
        queues = await deliveries.queues(conn)

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
        "frontdesk_delivery_endpoint_paused", "Webhook endpoints paused (after a 410, or by hand)", value=paused
    )
    depth = GaugeMetricFamily("frontdesk_delivery_queue_depth", "Pending deliveries per endpoint", labels=["endpoint"])
    age = GaugeMetricFamily(
        "frontdesk_delivery_queue_oldest_age_seconds",
        "Age of each endpoint's oldest pending delivery (0 when none waits)",
        labels=["endpoint"],
    )
    for q in queues:
        depth.add_metric([q.endpoint], q.depth)
        age.add_metric(
            [q.endpoint], max(0.0, (now - q.oldest_pending_at).total_seconds()) if q.oldest_pending_at else 0
        )
    in_flight = GaugeMetricFamily(
        "frontdesk_outbox_in_flight",
        "Deliveries this process is posting right now",
        value=outbox.in_flight if outbox is not None else 0,
    )
    return [states, oldest, attempts, latency, paused_gauge, depth, age, in_flight]
