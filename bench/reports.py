"""Benchmark: the Sources and Pages reports over a year at 100,000 submissions and 10 million views, on SQLite.

    PYTHONPATH=src python bench/reports.py [--submissions 100000] [--views 10000000] [--paths 500] [--runs 30]
    PYTHONPATH=src python bench/reports.py --quick     # seconds: proves it runs, asserts no speed

What it does:

1. Builds a migrated SQLite database in a temp dir and bulk-inserts, straight through sqlite3:
   the submissions (leads and a fifth applications, 2% spam) spread over 365 days, each with a first and
   a latest touch drawn from 40 sources x 6 media x 30 campaigns and a landing page among `--paths`
   (a third are direct visits); `page_views` as the counter would have left them, one row per path and
   day whose views add up to `--views` (a long tail: a few pages draw most views); and `vote_days`.
2. Builds the real app on that file, runs its lifespan, signs a staff viewer in, and requests through
   httpx2's ASGITransport (the full stack: guard, session, query, render or CSV):
   `/staff/reports/sources` (first and latest touch), `/staff/reports/pages`, and both CSV exports,
   for the whole year (a custom 366-day range) and for the last 30 days.

Target: p95 < 200 ms for every report over the year.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx2
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from common import bulk_load  # noqa: E402
from frontdesk.app import create_app  # noqa: E402
from frontdesk.db import tables  # noqa: E402
from frontdesk.db.migrate import migrate  # noqa: E402
from frontdesk.settings import Settings  # noqa: E402
from tallies import pct  # noqa: E402

TODAY = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 20, 18, 0, tzinfo=dt.UTC)
DAYS = 365
TOKEN = "bench-session-token-0123456789abcdef0123456789"
TARGET_MS = 200.0


def _touch(rnd: random.Random, paths: list[str]) -> tuple[str, str, str, str]:
    if rnd.random() < 1 / 3:
        return ("", "", "", "")
    source = f"source-{int(rnd.paretovariate(1.2)) % 40:02d}"
    medium = rnd.choice(["cpc", "email", "social", "referral", "display", "affiliate"])
    campaign = f"campaign-{rnd.randrange(30):02d}" if medium != "referral" else ""
    return (source, medium, campaign, paths[min(len(paths) - 1, int(rnd.paretovariate(1.0)) - 1)])


def build(path: Path, submissions: int, views: int, n_paths: int, seed: int = 14) -> tuple[int, int]:
    rnd = random.Random(seed)
    paths = ["/", "/offices", "/careers", "/request-info"] + [f"/insights/post-{i:03d}" for i in range(n_paths - 4)]
    start = dt.datetime.combine(TODAY - dt.timedelta(days=DAYS - 1), dt.time(), dt.UTC)

    def submission_rows():
        for _ in range(submissions):
            when = start + dt.timedelta(seconds=rnd.randrange(DAYS * 86400))
            first = _touch(rnd, paths)
            last = first if rnd.random() < 0.6 else _touch(rnd, paths)
            yield (
                str(uuid.UUID(int=rnd.getrandbits(128))),
                "application" if rnd.random() < 0.2 else "lead",
                when.strftime("%Y-%m-%d %H:%M:%S.%f"),
                "{}",
                int(rnd.random() < 0.02),
                *first,
                *last,
            )

    weights = [1 / (i + 1) for i in range(n_paths)]
    total_weight = sum(weights)

    def view_rows():
        for d in range(DAYS):
            day = (TODAY - dt.timedelta(days=d)).isoformat()
            for p, w in enumerate(weights):
                n = round(views / DAYS * w / total_weight)
                if n:
                    yield (day, paths[p], n)

    def load(conn: sqlite3.Connection) -> None:
        conn.executemany(
            "INSERT INTO submissions (id, kind, created_at, data, spam, first_source, first_medium, first_campaign,"
            " first_landing, last_source, last_medium, last_campaign, last_landing)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            submission_rows(),
        )
        conn.executemany("INSERT INTO page_views (day, path, views) VALUES (?, ?, ?)", view_rows())
        conn.executemany(
            "INSERT INTO vote_days (page, day, yes, no) VALUES (?, ?, ?, ?)",
            (
                (paths[p], (TODAY - dt.timedelta(days=d)).isoformat(), rnd.randrange(5), rnd.randrange(3))
                for d in range(DAYS)
                for p in range(min(n_paths, 100))
            ),
        )

    bulk_load(path, ("submissions", "page_views"), load, NOW.strftime("%Y-%m-%d %H:%M:%S.%f"))
    conn = sqlite3.connect(path)
    try:
        n_subs = conn.execute("SELECT count(*) FROM submissions").fetchone()[0]
        n_views = conn.execute("SELECT sum(views) FROM page_views").fetchone()[0]
    finally:
        conn.close()
    return n_subs, n_views


async def measure(url: str, data_dir: Path, runs: int) -> list[tuple[str, str, float, float]]:
    settings = Settings(
        content_dir=ROOT / "content",
        data_dir=data_dir,
        database_url=url,
        secret_key="bench-secret-key-0123456789abcdefghijklmnop",
        run_worker=False,
    )
    app = create_app(settings, clock=lambda: NOW)
    db = app.state.services.db
    results = []
    async with app.router.lifespan_context(app):
        async with db.write() as conn:
            staff_id = (await conn.execute(sa.select(tables.staff.c.id))).scalar_one()
            await conn.execute(
                tables.staff_sessions.insert().values(
                    id=hashlib.sha256(TOKEN.encode()).hexdigest(), staff_id=staff_id, created_at=NOW, last_seen=NOW
                )
            )
        transport = httpx2.ASGITransport(app=app)
        year = f"range=custom&from={TODAY - dt.timedelta(days=365)}&to={TODAY}"
        async with httpx2.AsyncClient(
            transport=transport, base_url="http://bench", cookies={"frontdesk_staff": TOKEN}
        ) as client:
            for span, query in (("366d", year), ("30d", "range=30d")):
                for report in (
                    "sources?touch=first",
                    "sources?touch=last",
                    "pages?",
                    "sources.csv?touch=first",
                    "pages.csv?",
                ):
                    path = f"/staff/reports/{report}&{query}"
                    for _ in range(2):  # warm the caches and the connection pool
                        response = await client.get(path)
                        assert response.status_code == 200, (path, response.status_code)
                    samples = []
                    for _ in range(runs):
                        t0 = time.perf_counter()
                        response = await client.get(path)
                        samples.append((time.perf_counter() - t0) * 1000)
                    results.append((span, report.rstrip("?"), pct(samples, 0.5), pct(samples, 0.95)))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=100_000)
    parser.add_argument("--views", type=int, default=10_000_000)
    parser.add_argument("--paths", type=int, default=500)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--quick", action="store_true", help="5,000 submissions, 100,000 views, 3 requests: proves it runs"
    )
    args = parser.parse_args()
    if args.quick:
        args.submissions, args.views, args.paths, args.runs = 5_000, 100_000, 50, 3

    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-") as tmp:
        path = Path(tmp) / "bench.db"
        url = f"sqlite+aiosqlite:///{path}"
        t0 = time.perf_counter()
        migrate(url)
        n_subs, n_views = build(path, args.submissions, args.views, args.paths)
        print(f"built {n_subs:,} submissions and {n_views:,} views ({args.paths} paths, {DAYS} days)", end=" ")
        print(f"in {time.perf_counter() - t0:.1f} s")
        results = asyncio.run(measure(url, Path(tmp) / "data", args.runs))

    print()
    print(f"/staff/reports on SQLite, in-process (httpx2 ASGITransport), {args.runs} requests each")
    print(f"{'range':<6} {'report':<24} {'p50':>9} {'p95':>9}")
    ok = True
    for span, report, p50, p95 in results:
        print(f"{span:<6} {report:<24} {p50:>7.1f}ms {p95:>7.1f}ms")
        ok = ok and p95 < TARGET_MS
    print()
    print(f"target p95 < {TARGET_MS:.0f} ms over a year of data: {'met' if ok else 'NOT met'}")
    return 0 if ok or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
