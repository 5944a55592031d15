"""Slow clients cannot hold connections: a header deadline in uvicorn, a minimum body rate, and the settings.

Before, a connection that sent nothing, or its headers a byte at a time, stayed open indefinitely, and a
body could trickle for 300 s; with the descriptor limit at 256, 260 idle sockets starved real visitors.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from frontdesk.guard import bodylimit, slow_clients
from frontdesk.settings import Settings
from support import DEMO_CONTENT, TEST_SECRET, read_response, run_async

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(tmp_path) -> Any:
    """`frontdesk serve` with a half-second header deadline and keep-alive, on a free port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")} | {
        "FRONTDESK_CONTENT_DIR": str(DEMO_CONTENT),
        "FRONTDESK_DATA_DIR": str(tmp_path / "data"),
        "FRONTDESK_SECRET_KEY": TEST_SECRET,
        "FRONTDESK_RUN_WORKER": "false",
        "FRONTDESK_HEADER_TIMEOUT": "0.5",
        "FRONTDESK_KEEPALIVE_TIMEOUT": "0.5",
        "FRONTDESK_LOG_LEVEL": "warning",
    }
    proc = subprocess.Popen([sys.executable, "-m", "frontdesk", "serve", "--port", str(port)], env=env, cwd=tmp_path)
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                if b"200 OK" in read_response(sock, 5):
                    break
        except OSError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.1)
    yield port
    proc.terminate()
    proc.wait(timeout=30)


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        return sock.recv(1024) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


@pytest.mark.slow
def test_a_connection_that_sends_nothing_is_closed(server):
    with socket.create_connection(("127.0.0.1", server)) as sock:
        assert _closed_within(sock, 5)


@pytest.mark.slow
def test_headers_a_byte_at_a_time_are_cut_off(server):
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server)) as sock:
        for byte in b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa":
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                break
            time.sleep(0.05)
        assert _closed_within(sock, 5)
    assert time.monotonic() - started < 4  # about the half-second deadline, not the whole trickle


@pytest.mark.slow
def test_a_normal_request_and_keep_alive_still_work(server):
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.settimeout(5)
        for _ in range(3):  # three requests on one connection, each well inside the deadline
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            answer = b""
            while not answer.endswith(b"\r\n\r\nok"):
                answer += sock.recv(65536)
            assert answer.startswith(b"HTTP/1.1 200 OK")
        assert _closed_within(sock, 5)  # then idle: closed after the keep-alive timeout


def test_a_body_below_the_minimum_rate_gets_408(monkeypatch):
    monkeypatch.setattr(bodylimit, "RATE_GRACE", 0.05)
    chunks = [{"type": "http.request", "body": b"x" * 10, "more_body": True} for _ in range(3)]

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(0.05)
        return chunks.pop(0)

    async def go() -> None:
        guard = bodylimit._BodyGuard(receive, limit=10_000, idle=5, total=60, min_rate=1000)
        with pytest.raises(bodylimit.RequestBodyTimeout):
            for _ in range(3):
                await guard.receive()

    run_async(go)


def test_a_fast_body_is_not_cut_off(monkeypatch):
    monkeypatch.setattr(bodylimit, "RATE_GRACE", 0.0)
    chunks = [
        {"type": "http.request", "body": b"x" * 100_000, "more_body": True},
        {"type": "http.request", "body": b"x", "more_body": False},
    ]

    async def receive() -> dict[str, Any]:
        return chunks.pop(0)

    async def go() -> None:
        guard = bodylimit._BodyGuard(receive, limit=1_000_000, idle=5, total=60, min_rate=1000)
        assert (await guard.receive())["more_body"] and not (await guard.receive())["more_body"]

    run_async(go)


def test_serve_hands_uvicorn_the_timeouts_and_the_concurrency_limit(monkeypatch, tmp_path):
    import uvicorn

    from frontdesk.cli import serve

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(kwargs))
    settings = Settings.from_env(
        {
            "FRONTDESK_CONTENT_DIR": str(DEMO_CONTENT),
            "FRONTDESK_DATA_DIR": str(tmp_path),
            "FRONTDESK_SECRET_KEY": TEST_SECRET,
            "FRONTDESK_HEADER_TIMEOUT": "7",
            "FRONTDESK_KEEPALIVE_TIMEOUT": "3",
            "FRONTDESK_LIMIT_CONCURRENCY": "200",
        }
    )
    args = argparse.Namespace(
        host="127.0.0.1", port=8000, workers=1, no_migrate=True, access_log=False, reload_content=False
    )
    serve.cmd_serve(args, settings)
    assert seen["timeout_keep_alive"] == 3 and seen["limit_concurrency"] == 200
    assert issubclass(seen["http"], slow_clients._HeaderDeadline) and slow_clients.HEADER_TIMEOUT == 7
    slow_clients.configure(10.0)


@pytest.mark.parametrize("name", ["HEADER_TIMEOUT", "KEEPALIVE_TIMEOUT", "LIMIT_CONCURRENCY", "BODY_MIN_RATE"])
def test_bad_values_name_the_variable(name):
    from frontdesk.settings import SettingsError

    with pytest.raises(SettingsError, match=f"FRONTDESK_{name}"):
        Settings.from_env({f"FRONTDESK_{name}": "soon"})
