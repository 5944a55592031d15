"""A real SMTP relay for tests: aiosmtpd on a free 127.0.0.1 port, in a thread with its own event loop.

It records every message it accepts (envelope and parsed headers). Tests tell it how to answer::

    relay.mode = "451"   # 451 to every DATA (a 4xx: try again later); also "554" (a 5xx), "ok"
    relay.stop()         # connection refused from now on (the same port stays reserved for start())

`Relay(tls=(certfile, keyfile))` offers STARTTLS, requires it before MAIL, and takes any AUTH LOGIN/PLAIN
over it, recording the user name in `relay.logins` (`tls_certificate` makes a self-signed one). With
`implicit=True` it speaks TLS from the first byte instead (port 465's smtps://), and its `url` says so.
Each arrival records whether its connection was encrypted (`Arrived.tls`).

Use it through the `relay` fixture (tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass
class Arrived:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool = False  # the connection it came over was encrypted

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
        encrypted = server.transport is not None and server.transport.get_extra_info("ssl_object") is not None
        self.relay.arrived.append(Arrived(str(envelope.mail_from), list(envelope.rcpt_tos), parsed, encrypted))
        return "250 OK"


def tls_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl), to be trusted through SSL_CERT_FILE."""
    cert, key = folder / "relay.pem", folder / "relay.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


class Relay:
    def __init__(self, tls: tuple[Path, Path] | None = None, implicit: bool = False) -> None:
        self.mode = "ok"
        self.implicit = implicit
        self.arrived: list[Arrived] = []
        self.logins: list[str] = []
        self.tls = tls
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"{'smtps' if self.implicit else 'smtp'}://127.0.0.1:{self.port}"

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    async def _serve(self) -> None:
        handler = _Handler(self)
        options: dict[str, Any] = {}
        wrapped: ssl.SSLContext | None = None
        if self.tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(self.tls[0]), str(self.tls[1]))
            if self.implicit:
                # The socket is TLS before SMTP starts. aiosmtpd knows only STARTTLS as encryption, so it is
                # told not to ask for it before AUTH: the whole connection already is encrypted.
                wrapped = context
                options = {"authenticator": self._authenticate, "auth_require_tls": False}
            else:
                options = {"tls_context": context, "require_starttls": True, "authenticator": self._authenticate}
        self._server = await self._loop.create_server(
            lambda: SMTP(handler, hostname="relay.test", loop=self._loop, **options),
            "127.0.0.1",
            self.port,
            ssl=wrapped,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        await asyncio.sleep(0.1)  # let connections that said QUIT finish closing (a TLS shutdown takes a turn)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword):
            self.logins.append(data.login.decode())
        return AuthResult(success=True)

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
