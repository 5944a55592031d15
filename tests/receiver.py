"""A real webhook receiver for tests: a small ASGI app under uvicorn on 127.0.0.1, in a thread.

It verifies every request's signature with `standardwebhooks` (as a CRM
would), and records what arrived by `webhook-id`. Tests tell it how to answer::

    receiver.mode = "fail"             # 500 to everything
    receiver.script(["500", "hang"])   # the next answers, in order, then back to `mode`
    receiver.mode = "429:2"            # 429 with Retry-After: 2 (also "503:SECONDS", "410", "hang", "ok")

`hang` holds the request until the test ends (or `receiver.release()`), so the
sender's timeout fires. `stop()` and `start()` close and reopen the same port,
so a sender first meets "connection refused" and then a working CRM.

Use it through the `receiver` fixture (registered in conftest.py).
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    id: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    raw: str = ""  # the body as it arrived, for checking a signature again


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Receiver:
    def __init__(self, secret: str | None = None, port: int | None = None) -> None:
        self.secret = secret or "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks/crm"
        self.mode = "ok"
        self.delay = 0.0  # seconds to wait before answering "ok" (to spread work across workers)
        self._script: list[str] = []
        self._lock = threading.Lock()
        self.messages: dict[str, list[Received]] = defaultdict(list)  # accepted (2xx) deliveries by webhook-id
        self.requests: list[tuple[str, str]] = []  # (webhook-id, answer) for every request, in order
        self.rejected = 0  # requests whose signature did not verify
        self.rejections: list[str] = []  # why, for the assertion message
        self.aborted = 0  # requests whose sender went away before the body was complete (a killed worker)
        self._release = threading.Event()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # -- control ---------------------------------------------------------------------------------

    def script(self, answers: list[str]) -> None:
        with self._lock:
            self._script = list(answers)

    def release(self) -> None:
        self._release.set()

    def _next_answer(self) -> str:
        with self._lock:
            return self._script.pop(0) if self._script else self.mode

    def count(self, msg_id: str) -> int:
        return len(self.messages.get(msg_id, []))

    def wait_for(self, predicate: Any, timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.02)
        return bool(predicate())

    def wait_delivered(self, ids: set[str], timeout: float = 15.0) -> bool:
        return self.wait_for(lambda: ids <= set(self.messages), timeout)

    # -- the ASGI app ----------------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                # The sender was cut off mid-request (kill -9 of a worker): a real receiver never sees
                # a whole request to verify or act on, so this is not a bad signature. The sender did
                # not get an answer either, so the delivery is retried and must arrive in full later.
                self.aborted += 1
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        msg_id = headers.get("webhook-id", "")
        try:
            payload = Webhook(self.secret).verify(body.decode(), headers)
        except WebhookVerificationError as exc:
            self.rejected += 1
            self.rejections.append(f"{exc} (body {len(body)} bytes)")
            await self._answer(send, 400, b"bad signature")
            return
        answer = self._next_answer()
        self.requests.append((msg_id, answer))
        kind, _, arg = answer.partition(":")
        if kind == "hang":
            while not self._release.is_set():  # noqa: ASYNC110 - a threading.Event, set by the test's thread
                await asyncio.sleep(0.05)
            await self._answer(send, 500, b"released")
        elif kind in ("429", "503"):
            await self._answer(send, int(kind), b"slow down", [(b"retry-after", arg.encode() or b"1")])
        elif kind in ("500", "fail"):
            await self._answer(send, 500, b"boom")
        elif kind == "410":
            await self._answer(send, 410, b"gone")
        else:
            if self.delay:
                await asyncio.sleep(self.delay)
            with self._lock:
                self.messages[msg_id].append(Received(msg_id, headers, payload, raw=body.decode()))
            await self._answer(send, 204, b"")

    @staticmethod
    async def _answer(send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        await send({"type": "http.response.start", "status": status, "headers": headers or []})
        await send({"type": "http.response.body", "body": body})

    # -- running ---------------------------------------------------------------------------------

    def start(self) -> Receiver:
        self._release.clear()
        config = uvicorn.Config(
            self,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("receiver did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=15)
        self._server = self._thread = None

    def all_bodies(self) -> list[dict[str, Any]]:
        return [r.body for items in self.messages.values() for r in items]

    def dump(self) -> str:
        return json.dumps(
            {
                "messages": {k: len(v) for k, v in self.messages.items()},
                "rejected": self.rejected,
                "aborted": self.aborted,
            }
        )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    try:
        yield r
    finally:
        r.stop()
