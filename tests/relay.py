"""A real SMTP relay for tests: aiosmtpd on a free 127.0.0.1 port, in a thread with its own event loop.

It records every message it accepts (envelope and parsed headers). Tests tell it how to answer::

    relay.mode = "451"   # 451 to every DATA (a 4xx: try again later); also "554" (a 5xx), "ok"
    relay.stop()         # connection refused from now on (the same port stays reserved for start())

Use it through the `relay` fixture (tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Arrived:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    def __getitem__(self, header: str) -> Any:
        return self.message[header]


class _Handler:
    def __init__(self, relay: Relay) -> None:
        self.relay = relay

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        mode = self.relay.mode
        if mode != "ok":
            return f"{mode} not now, please"
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.relay.arrived.append(Arrived(str(envelope.mail_from), list(envelope.rcpt_tos), parsed))
        return "250 OK"


class Relay:
    def __init__(self) -> None:
        self.mode = "ok"
        self.arrived: list[Arrived] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    async def _serve(self) -> None:
        handler = _Handler(self)
        self._server = await self._loop.create_server(
            lambda: SMTP(handler, hostname="relay.test", loop=self._loop), "127.0.0.1", self.port
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def start(self) -> None:
        self._call(self._serve())

    def stop(self) -> None:
        self._call(self._close())

    def close(self) -> None:
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()


@pytest.fixture
def relay() -> Iterator[Relay]:
    r = Relay()
    r.start()
    try:
        yield r
    finally:
        r.close()
