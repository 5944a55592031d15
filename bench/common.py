"""Shared helpers for the benchmarks: free ports, pinned server processes, wrk runs."""

from __future__ import annotations

import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pin(core: int) -> list[str]:
    """Prefix a command with taskset when there is more than one core, so load and server do not share."""
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", str(core)]
    return []


def wait_http(url: str, timeout: float = 30) -> None:
    import httpx2

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx2.get(url, timeout=1).status_code < 500:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


def wait_port(port: int, timeout: float = 30) -> None:
    """Wait until something accepts TCP connections on 127.0.0.1:port (a slow receiver never answers quickly)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def start(cmd: list[str], env: dict[str, str] | None = None, core: int | None = None) -> subprocess.Popen[bytes]:
    full_env = {**os.environ, **(env or {})}
    prefix = pin(core) if core is not None else []
    return subprocess.Popen(prefix + cmd, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, *, seconds: int, connections: int = 32, script: str | None = None, core: int = 1) -> dict[str, float]:
    """Run wrk pinned to `core`; returns rps, p50, p99 (ms) and the count of non-2xx/3xx answers."""
    cmd = [*pin(core), "wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    return parse_wrk(out)


def parse_wrk(out: str) -> dict[str, float]:
    """wrk's summary as numbers. The percentiles are read from their own lines of the latency distribution:
    a bare "50%" also matches the +/- Stdev column of the thread stats ("72.50%")."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return {"rps": rps, "p50": p50, "p99": p99, "errors": float(bad.group(1)) if bad else 0.0, "total": float(total)}


QUICK_HELP = "about a second per case: proves the benchmark runs (CI), asserts no speed"


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def serve_app(app: Any, port: int, **options: Any) -> None:
    """uvicorn as every baseline app runs: loopback, no access log, no proxy headers, no Server header.

    The same options as `frontdesk serve` uses, so a ratio compares the apps and not the servers.
    """
    import uvicorn

    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
        server_header=False,
        **options,
    )


BENCH_STAFF = (
    "INSERT INTO staff (email, role, password_hash, failed, lockouts, disabled, created_at)"
    " VALUES ('bench@staff.example', 'viewer', 'x', 0, 0, 0, ?)"
)


def bulk_load(path: Path, tables: tuple[str, ...], load: Callable[[sqlite3.Connection], None], now: str) -> None:
    """Fill a migrated SQLite file fast: `load(conn)` runs in one transaction with `tables`' indexes dropped.

    Secondary indexes are dropped during the load and rebuilt after it, which is far faster than keeping
    them up row by row; the schema ends up exactly as the migrations made it. The file is a throwaway, so
    it is written without fsync. A viewer account (`bench@staff.example`, created at `now`) is added for
    the staff pages the benchmarks fetch.
    """
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-262144")
        marks = ", ".join("?" for _ in tables)
        indexes = conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({marks}) AND sql IS NOT NULL",
            tables,
        ).fetchall()
        conn.execute("BEGIN")
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        load(conn)
        conn.execute(BENCH_STAFF, (now,))
        for _, sql in indexes:
            conn.execute(sql)
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
    finally:
        conn.close()
