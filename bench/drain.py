"""Drain benchmark: how fast the outbox worker empties a backlog, against a bare httpx2 loop.

    python bench/drain.py [--n 10000] [--concurrency 16] [--rounds 2]

It seeds N pending deliveries (the rows `submissions.accept` writes, bulk-inserted) into a fresh
SQLite file, starts `bench/_receiver.py` under uvicorn in its own process (1 worker, no access
log), then in each round:

1. baseline: a bare httpx2 loop POSTs the same N bodies with the same concurrency (no database,
   no signing, no bookkeeping): the fastest this machine can push these requests;
2. worker: the real `Outbox` claims, signs, POSTs and records every delivery until none is pending.

It prints both rates and the ratio of the best worker round to the best baseline round.
Target (issue 3): ratio >= 0.70.

Then one more round with two endpoints (issue 12): every delivery is also owed to an endpoint that
accepts connections and never answers (each of its POSTs waits out the timeout). The healthy endpoint
must still drain at >= 0.70 of the bare loop's best rate: a hanging endpoint only occupies its own lanes.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from frontdesk.db import Database, tables  # noqa: E402
from frontdesk.db.migrate import migrate  # noqa: E402
from frontdesk.delivery import crm  # noqa: E402
from frontdesk.delivery.outbox import Outbox  # noqa: E402
from frontdesk.records import endpoints, submissions  # noqa: E402
from frontdesk.settings import Settings  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_receiver(port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "BENCH_RECEIVER_MODE": "healthy"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "_receiver:app",
            "--app-dir",
            str(ROOT / "bench"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("receiver did not start")


def lead_data(i: int) -> dict[str, object]:
    return {
        "name": f"Prospect {i}",
        "email": f"prospect{i}@example.com",
        "phone": "+1 605-555-0111",
        "company": "Analytical Engines",
        "interest": "business",
        "office": "sioux-falls-agency",
        "message": "Please call me about business cover for a team of twelve. " * 4,
    }


async def seed(db: Database, n: int) -> None:
    now = dt.datetime.now(dt.UTC)
    subs, dels = [], []
    for i in range(n):
        sid = str(uuid.uuid4())
        data = lead_data(i)
        subs.append({"id": sid, "kind": "lead", "created_at": now, "email": data["email"], "data": data})
        body = submissions.event_body("lead.created", now, {"id": sid, "kind": "lead", **data})
        dels.append(
            {
                "id": submissions.new_delivery_id(now),
                "submission_id": sid,
                "event_type": "lead.created",
                "state": "pending",
                "attempts": 0,
                "payload": body,
                "created_at": now,
                "next_attempt_at": now,
            }
        )
    async with db.write() as conn:
        await conn.execute(tables.submissions.insert(), subs)
        await conn.execute(tables.deliveries.insert(), dels)


async def reset(db: Database) -> None:
    d = tables.deliveries
    async with db.write() as conn:
        await conn.execute(tables.delivery_attempts.delete())
        await conn.execute(
            d.update().values(
                state="pending", attempts=0, delivered_at=None, next_attempt_at=d.c.created_at, last_status=None
            )
        )


async def bare_loop(url: str, bodies: list[tuple[str, str]], concurrency: int) -> float:
    items = iter(bodies)
    async with crm.make_client(15.0, concurrency) as client:

        async def lane() -> None:
            for msg_id, body in items:  # one shared iterator: each body is sent once
                r = await client.post(
                    url, content=body.encode(), headers={"content-type": "application/json", "webhook-id": msg_id}
                )
                if not 200 <= r.status_code < 300:
                    raise RuntimeError(f"receiver answered {r.status_code}")

        started = time.perf_counter()
        await asyncio.gather(*(lane() for _ in range(concurrency)))
        return len(bodies) / (time.perf_counter() - started)


async def worker_drain(
    db: Database, settings: Settings, n: int, concurrency: int, skip_endpoint: str | None = None
) -> float:
    """Run the worker until the (healthy) deliveries are delivered; `skip_endpoint`'s never are."""
    d = tables.deliveries
    mine = d.c.endpoint_id.is_distinct_from(skip_endpoint) if skip_endpoint else sa.true()
    pending = sa.select(sa.func.count()).select_from(d).where(d.c.state == "pending", mine)
    worker = Outbox(db, settings, concurrency=concurrency)  # each endpoint gets its own connection pool
    started = time.perf_counter()
    worker.start()
    while True:
        await asyncio.sleep(0.1)
        async with db.read() as conn:
            if (await conn.execute(pending)).scalar_one() == 0:
                break
    elapsed = time.perf_counter() - started
    await worker.stop(grace=0.5)  # the hanging endpoint's POSTs are handed back
    async with db.read() as conn:
        query = sa.select(sa.func.count()).where(d.c.state == "delivered", mine)
        delivered = (await conn.execute(query)).scalar_one()
    if delivered != n:
        raise RuntimeError(f"only {delivered} of {n} delivered")
    return n / elapsed


async def add_hanging_endpoint(db: Database, port: int) -> str:
    """An endpoint on a socket that accepts and never answers, owed a copy of every delivery."""
    d = tables.deliveries
    now = dt.datetime.now(dt.UTC)
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    async with db.write() as conn:
        hang_id = await endpoints.add(
            conn,
            name="hangs",
            url=f"http://127.0.0.1:{port}/hook",
            secret=secret,
            events=("*",),
            rate_limit=None,
            now=now,
        )
        rows = (await conn.execute(sa.select(d).where(d.c.endpoint_id != hang_id))).mappings().all()
        copies = [{**r, "id": submissions.new_delivery_id(now), "endpoint_id": hang_id} for r in rows]
        await conn.execute(d.insert(), copies)
    return hang_id


async def bench(url: str, crm_url: str, n: int, concurrency: int, rounds: int) -> None:
    db = Database(url)
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    settings = Settings(database_url=url, crm_webhook_url=crm_url, crm_webhook_secret=secret, worker_poll_seconds=0.05)
    try:
        started = time.perf_counter()
        await seed(db, n)
        print(f"seeded {n} pending deliveries in {time.perf_counter() - started:.1f} s")
        async with db.read() as conn:
            d = tables.deliveries
            bodies = [tuple(r) for r in await conn.execute(sa.select(d.c.id, sa.cast(d.c.payload, sa.Text)))]
        print(f"body size: {statistics.mean(len(b) for _, b in bodies):.0f} bytes on average")
        base_rates, worker_rates = [], []
        for i in range(rounds):
            cpu = time.process_time()
            base_rates.append(await bare_loop(crm_url, bodies, concurrency))
            base_cpu, cpu = (time.process_time() - cpu) / n * 1000, time.process_time()
            worker_rates.append(await worker_drain(db, settings, n, concurrency))
            worker_cpu = (time.process_time() - cpu) / n * 1000
            print(
                f"round {i + 1}: bare httpx2 {base_rates[-1]:,.0f}/s ({base_cpu:.2f} ms CPU each), "
                f"worker {worker_rates[-1]:,.0f}/s ({worker_cpu:.2f} ms CPU each)"
            )
            await reset(db)
        with socket.socket() as hang:  # listening: connections succeed, and nothing ever answers
            hang.bind(("127.0.0.1", 0))
            hang.listen(4096)
            hang_id = await add_hanging_endpoint(db, hang.getsockname()[1])
            cpu = time.process_time()
            beside_hang = await worker_drain(db, settings.with_overrides(webhook_timeout=5.0), n, concurrency, hang_id)
            print(f"two endpoints, one hanging: healthy {beside_hang:,.0f}/s ({time.process_time() - cpu:.1f} s CPU)")
    finally:
        await db.dispose()
    ratio = max(worker_rates) / max(base_rates)
    hang_ratio = beside_hang / max(base_rates)
    print()
    print(f"| {n:,} deliveries, concurrency {concurrency}, SQLite | deliveries/s (best of {rounds}) |")
    print("|---|---|")
    print(f"| bare httpx2 loop (baseline) | {max(base_rates):,.0f} |")
    print(f"| Frontdesk outbox worker | {max(worker_rates):,.0f} |")
    print(f"| ratio (target >= 0.70) | {ratio:.2f} {'PASS' if ratio >= 0.70 else 'FAIL'} |")
    print(f"| worker, beside an endpoint that hangs | {beside_hang:,.0f} |")
    verdict = "PASS" if hang_ratio >= 0.70 else "FAIL"
    print(f"| ratio beside a hanging endpoint (target >= 0.70) | {hang_ratio:.2f} {verdict} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--quick", action="store_true", help="a few hundred deliveries, one round: proves it runs, asserts no speed"
    )
    args = parser.parse_args()
    if args.quick:
        args.n, args.rounds = 300, 1
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/frontdesk.db"
        migrate(url)
        port = free_port()
        receiver = start_receiver(port)
        try:
            asyncio.run(bench(url, f"http://127.0.0.1:{port}/hooks/crm", args.n, args.concurrency, args.rounds))
        finally:
            receiver.terminate()
            receiver.wait(timeout=10)


if __name__ == "__main__":
    main()
