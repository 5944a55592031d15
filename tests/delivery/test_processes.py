"""Delivery across real processes: two workers on one database, SIGTERM, and the crash test.

These start `python -m frontdesk.cli serve` / `worker` subprocesses against the
test database (SQLite, and PostgreSQL when FRONTDESK_TEST_DATABASE_URL is set)
and a real receiver in this process.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest

from frontdesk.db import Database, tables
from frontdesk.records import submissions
from receiver import Receiver, free_port
from support import db_rows, run_async

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def env_for(settings: Any, receiver: Receiver, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    env.update(
        FRONTDESK_DATABASE_URL=settings.database_url,
        FRONTDESK_DATA_DIR=str(settings.data_dir),
        FRONTDESK_CONTENT_DIR=str(settings.content_dir),
        FRONTDESK_SECRET_KEY=settings.secret_key,
        FRONTDESK_CRM_WEBHOOK_URL=receiver.url,
        FRONTDESK_CRM_WEBHOOK_SECRET=receiver.secret,
        FRONTDESK_WORKER_POLL_SECONDS="0.05",
        FRONTDESK_LOG_LEVEL="warning",
    )
    env.update(extra)
    return env


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, "-m", "frontdesk", *args], env=env, stdout=out, stderr=out, cwd=ROOT)


def seed(url: str, n: int) -> list[str]:
    async def go() -> list[str]:
        db = Database(url)
        try:
            now = dt.datetime.now(dt.UTC)
            return [(await submissions.accept(db, kind="lead", data={"n": i}, now=now)).delivery_id for i in range(n)]
        finally:
            await db.dispose()

    return run_async(go)


def wait_until(predicate: Any, within: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}" + (f"\n{log.read_text()}" if log else ""))
        time.sleep(0.05)


def test_two_worker_processes_deliver_each_message_once(settings, receiver, tmp_path):
    ids = seed(settings.database_url, 150)
    receiver.delay = 0.005  # long enough that both workers find work
    env = env_for(settings, receiver)
    workers = [spawn(["worker", "--concurrency", "8"], env, tmp_path / f"worker{i}.log") for i in range(2)]
    try:
        wait_until(lambda: set(ids) <= set(receiver.messages), 60, "all deliveries")
        time.sleep(0.5)  # room for a duplicate to show up, if the claims were not exclusive
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        codes = [w.wait(timeout=30) for w in workers]
    assert codes == [0, 0], (tmp_path / "worker0.log").read_text() + (tmp_path / "worker1.log").read_text()
    assert {i: receiver.count(i) for i in ids} == dict.fromkeys(ids, 1)
    assert len(receiver.requests) == len(ids)
    attempts = db_rows(settings.database_url, tables.delivery_attempts)
    assert len(attempts) == len(ids) and {a.outcome for a in attempts} == {"delivered"}


def test_sigterm_lets_the_worker_finish_in_flight_deliveries(settings, receiver, tmp_path):
    [msg_id] = seed(settings.database_url, 1)
    receiver.delay = 1.0
    worker = spawn(["worker"], env_for(settings, receiver), tmp_path / "worker.log")
    try:
        wait_until(lambda: len(receiver.requests) == 1, 30, "the POST to arrive")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=20) == 0
    finally:
        worker.kill()
    assert receiver.count(msg_id) == 1
    [row] = db_rows(settings.database_url, tables.deliveries)
    assert row.state == "delivered" and row.lease_owner is None


# -- the crash test ----------------------------------------------------------------------------------


class Site:
    """`frontdesk serve` in a subprocess, restartable on the same port."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "FRONTDESK_PUBLIC_URL": self.url}
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *extra: str) -> None:
        self.proc = spawn(["serve", "--port", str(self.port), *extra], self.env, self.log)

        def up() -> bool:
            assert self.proc is not None and self.proc.poll() is None, self.log.read_text()
            try:
                return httpx2.get(f"{self.url}/healthz", timeout=1, trust_env=False).status_code == 200
            except httpx2.HTTPError:
                return False

        wait_until(up, 60, "the server to start")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def test_serve_with_two_workers_runs_one_delivery_worker(settings, receiver, tmp_path):
    """`serve --workers 2`: two processes serve the site, one delivers (delivery/once.py)."""
    log = tmp_path / "serve.log"
    site = Site(env_for(settings, receiver, FRONTDESK_LOG_LEVEL="info"), log)
    site.start("--workers", "2")
    try:
        ids = seed(settings.database_url, 30)
        # Generous: a loaded CI machine starts two processes slowly; the server's log says what happened.
        wait_until(lambda: set(ids) <= set(receiver.messages), 90, "every message delivered", log)
        wait_until(lambda: "stands by" in log.read_text(), 30, "the second process to stand by", log)
        text = log.read_text()
    finally:
        site.stop()
    assert text.count("the delivery worker runs in this process") == 1, text
    assert text.count("another process runs the delivery worker") == 1, text
    assert all(len(receiver.messages[i]) == 1 for i in ids)


def post_lead(client: httpx2.Client, base: str, marker: str) -> bool:
    """Fill in Request Info the way a browser does: load the form, keep its hidden fields, send it."""
    try:
        page = client.get(f"{base}/request-info", headers={"Referer": f"{base}/offices"})
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
        form = {
            **hidden,
            "fax": "",
            "name": "Crash Test",
            "email": "crash@example.com",
            "interest": "business",
            "message": marker,
            "consent": "yes",
        }
        r = client.post(f"{base}/request-info", data=form, headers={"Origin": base, "Referer": f"{base}/request-info"})
    except httpx2.HTTPError:
        return False  # the server was killed under us: not accepted, the person would see an error
    return r.status_code == 303 and r.headers["location"].startswith("/request-info/thanks?ref=FD-")


def test_crash_test_every_accepted_lead_arrives(settings, receiver, tmp_path):
    receiver.mode = "fail"
    env = env_for(
        settings,
        receiver,
        FRONTDESK_RETRY_SCHEDULE=",".join(["0", "0.3", "0.5"] + ["1"] * 40),  # outlasts the outage
        FRONTDESK_LEASE_SECONDS="2",  # a killed server's claims come back quickly
        FRONTDESK_FORM_MIN_SECONDS="0",
        FRONTDESK_RATE_LIMIT_REQUEST_INFO="100000/minute",
    )
    site = Site(env, tmp_path / "serve.log")
    accepted: list[str] = []
    stop_posting = threading.Event()

    def keep_posting() -> None:
        with httpx2.Client(timeout=5, trust_env=False) as client:
            i = 0
            while not stop_posting.is_set():
                marker = f"crash-lead-{i}"
                if post_lead(client, site.url, marker):
                    accepted.append(marker)
                i += 1

    site.start()
    try:
        poster = threading.Thread(target=keep_posting)
        poster.start()
        wait_until(lambda: len(accepted) >= 20 and len(receiver.requests) >= 5, 60, "leads and failing attempts")
        site.kill9()  # mid-stream: requests in flight, deliveries leased and being retried
        before_restart = len(accepted)
        site.start()
        wait_until(lambda: len(accepted) >= before_restart + 10, 60, "leads after the restart")
        stop_posting.set()
        poster.join(timeout=30)
        receiver.mode = "ok"  # the CRM recovers
        wait_until(
            lambda: set(accepted) <= {b["data"]["message"] for b in receiver.all_bodies()},
            90,
            "every accepted lead at the receiver",
        )
        time.sleep(0.5)
    finally:
        stop_posting.set()
        site.stop()

    by_marker: dict[str, set[str]] = {}
    for msg_id, items in receiver.messages.items():
        for item in items:
            by_marker.setdefault(item.body["data"]["message"], set()).add(msg_id)
    assert all(len(by_marker[m]) == 1 for m in accepted)  # one webhook-id per lead, however often retried
    stored = db_rows(settings.database_url, tables.deliveries)
    assert len(stored) >= len(accepted)  # a request cut by the kill may still have committed
    assert {r.id for r in stored if r.state == "delivered"} == set(receiver.messages)
    assert not [r for r in stored if r.state != "delivered"]
    assert receiver.rejected == 0, receiver.rejections
    assert len(accepted) >= 30 and any(a == "fail" for _, a in receiver.requests)
