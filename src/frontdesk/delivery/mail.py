"""The SMTP side of a delivery: turn a stored message into MIME, hand it to the relay, classify the answer.

The outbox (`outbox.py`) drives this channel exactly as it drives `crm.post`: a route for the `mail`
endpoint calls `Mailer.send(id, body)` and gets back a `crm.Answer`, which the one retry policy
(`retries.py`) reads. The SMTP reply code stands where an HTTP status would: 250 delivers (it lies in
the 2xx range the policy calls success), a 4xx or 5xx reply is a failed attempt to retry, and a relay
that cannot be reached is an attempt without a status. After the schedule the email is a dead letter,
kept and replayable like any delivery. Nothing here knows the database.

The relay is FRONTDESK_SMTP_URL: `smtps://` is TLS from the first byte (465); `smtp://` upgrades with
STARTTLS when the relay offers it, and insists on it when credentials are given, so a password never
crosses the network in the clear. Errors and logs name the relay without its credentials.

Headers: the message was built with every untrusted value already folded to one line
(`records.mail.header_text`); here every header is checked once more and a message with CR or LF in
one is refused before a byte goes out (a stored payload is data, and data is not trusted twice over).
The `email` package's SMTP policy writes CRLF line endings and folds long headers correctly.
"""

from __future__ import annotations

import asyncio
import email.policy
import json
import logging
import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import aiosmtplib

from frontdesk.delivery.crm import Answer
from frontdesk.settings import Settings, SmtpServer

log = logging.getLogger("frontdesk.mail")


class Refused(ValueError):
    """The stored message cannot be sent as it is (a header with CR/LF, no recipient)."""


def _header(name: str, value: Any) -> str:
    if not isinstance(value, str) or any(c in value for c in "\r\n\x00"):
        raise Refused(f"the {name} header would carry a line break")
    return value


def build(message: dict[str, Any], mail_from: str) -> EmailMessage:
    """The MIME message (text, with an HTML alternative) from a stored `records.mail.Message`."""
    to = [_header("To", a) for a in message.get("to") or []]
    if not to:
        raise Refused("the email has no recipient")
    mime = EmailMessage(policy=email.policy.SMTP)
    mime["From"] = _header("From", mail_from)
    mime["To"] = ", ".join(to)
    if message.get("reply_to"):
        mime["Reply-To"] = _header("Reply-To", message["reply_to"])
    mime["Subject"] = _header("Subject", message.get("subject", ""))
    mime["Date"] = _header("Date", message["date"])
    mime["Message-ID"] = _header("Message-ID", message["message_id"])
    mime["Auto-Submitted"] = "auto-generated"  # RFC 3834: autoresponders must not answer it
    mime.set_content(str(message.get("text", "")))
    if message.get("html"):
        mime.add_alternative(str(message["html"]), subtype="html")
    return mime


class Mailer:
    """Sends the `mail` endpoint's deliveries through the relay of FRONTDESK_SMTP_URL."""

    def __init__(self, settings: Settings, timeout: float | None = None) -> None:
        self.server: SmtpServer = settings.smtp
        self.mail_from = settings.mail_from
        self.timeout = timeout or settings.webhook_timeout

    async def send(self, delivery_id: str, body: str) -> Answer:
        started = time.monotonic()

        def took() -> int:
            return int((time.monotonic() - started) * 1000)

        try:
            mime = build(json.loads(body), self.mail_from)
        except (Refused, ValueError, KeyError, TypeError) as exc:
            log.warning("email %s refused: %s", delivery_id, exc)
            return Answer(None, took(), error=f"refused: {exc}"[:500])
        try:
            return await self._relay(mime, took)
        finally:
            # The closed connection's socket is let go in the loop's next turns: give it them here, so a loop
            # that ends right after (`frontdesk worker --once`) leaves no socket open.
            for _ in range(3):
                await asyncio.sleep(0)

    async def _relay(self, mime: EmailMessage, took: Callable[[], int]) -> Answer:
        server = self.server
        try:
            errors, _ = await aiosmtplib.send(
                mime,
                hostname=server.host,
                port=server.port,
                username=server.username or None,
                password=server.password or None,
                use_tls=server.implicit_tls,
                # STARTTLS when offered; required when a password would otherwise go in the clear.
                start_tls=None if server.implicit_tls or not server.username else True,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPResponseException as exc:  # the relay answered 4xx/5xx
            return Answer(exc.code, took(), error=f"SMTP {exc.code} from {server.shown}")
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            return Answer(max(codes, default=550), took(), error=f"every recipient refused by {server.shown}")
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            return Answer(None, took(), error=f"{type(exc).__name__} talking to {server.shown}")
        if errors:  # some recipients were refused: the others have it, so this one is done
            log.info("email to %s: %d recipient(s) refused by the relay", mime["Message-ID"], len(errors))
        return Answer(250, took())
