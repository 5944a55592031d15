"""The CRM side of a delivery: sign one webhook message, POST it, classify the answer.

This module knows HTTP and the Standard Webhooks signature scheme, and nothing
of the database: `outbox.py` hands it a delivery's id and frozen body and gets
back an `Answer` to record. Keeping the two apart keeps each readable, and lets
the benchmark post exactly the bytes the worker would.

Signing (https://www.standardwebhooks.com): the signed content is
``"{webhook-id}.{webhook-timestamp}.{body}"``, HMAC-SHA256 with the secret's
base64-decoded bytes, sent as ``webhook-signature: v1,<base64>``. The body is
frozen when the submission is accepted, so every retry sends the same bytes
under the same `webhook-id`; only the timestamp (and so the signature) is
fresh, because receivers reject timestamps older than a few minutes. An
endpoint in the middle of a secret rotation has several live secrets; the
header then carries one `v1,` signature per secret, separated by spaces, and a
receiver that knows either secret verifies the message.

Destination URLs can hold credentials (a Slack-style `/services/T0/B0/XYZ`, a
`?token=`), so httpx2's INFO line names only the endpoint's origin
(`redact_url`), and an error never repeats the URL.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import json
import logging
import math
import re
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import httpx2
from standardwebhooks.webhooks import Webhook

from frontdesk import __version__

# A receiver may ask us to wait (429/503 + Retry-After); we honour it up to this cap, so a
# misconfigured "Retry-After: 31536000" cannot park deliveries for a year.
RETRY_AFTER_CAP = 3600.0
# We never store the CRM's response body (it may echo personal data back), and read at most this much
# of it: enough for the connection to be reused for small answers, bounded for huge ones.
MAX_RESPONSE_READ = 64 * 1024
USER_AGENT = f"Frontdesk-Webhooks/{__version__}"


@dataclass(frozen=True)
class Answer:
    """What one POST came to. `status` is None when no HTTP answer arrived (timeout, refused, reset)."""

    status: int | None
    latency_ms: int
    error: str | None = None  # a short description, never the response body
    retry_after: float | None = None  # seconds, from a 429/503 Retry-After

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def encode_body(payload: dict[str, Any]) -> str:
    """The exact JSON text that is signed and sent (compact, UTF-8, key order as stored)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


class Signer:
    """Signs with every live secret of an endpoint (the newest first)."""

    def __init__(self, *secrets: str) -> None:
        if not secrets:
            raise ValueError("a signer needs at least one secret")
        self.secrets = secrets
        self._webhooks = [Webhook(secret) for secret in secrets]

    def signature(self, msg_id: str, body: str, now: dt.datetime) -> str:
        return " ".join(webhook.sign(msg_id, now, body) for webhook in self._webhooks)

    def headers(self, msg_id: str, body: str, now: dt.datetime) -> dict[str, str]:
        return {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": msg_id,
            "webhook-timestamp": str(math.floor(now.timestamp())),
            "webhook-signature": self.signature(msg_id, body, now),
        }


def redact_url(url: object) -> str:
    """`https://crm.example:8443/…`: the origin only, never the path, the query or a user:password."""
    try:
        parts = urllib.parse.urlsplit(str(url))
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(an invalid URL)"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{port}/…"


class _RedactURLs(logging.Filter):
    """Rewrite the URL argument of httpx2's "HTTP Request: POST <url> ..." line to its origin."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 2:
            record.args = (record.args[0], redact_url(record.args[1]), *record.args[2:])
        return True


_REDACTOR = _RedactURLs()


def _redact_client_logs() -> None:
    logger = logging.getLogger("httpx2")
    if _REDACTOR not in logger.filters:
        logger.addFilter(_REDACTOR)


def parse_retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date).

    None, so that the normal retry schedule applies, when it is absent, malformed (superscript digits,
    a fraction, garbage), in the past, or beyond `RETRY_AFTER_CAP`.
    """
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"[0-9]{1,10}", value):
        seconds = float(value)
    elif value[:1].isdigit() or len(value) > 64:
        return None
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # HTTP dates are GMT by definition
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - now).total_seconds()
    if not 0 < seconds <= RETRY_AFTER_CAP:
        return None
    return seconds


def make_client(timeout: float, connections: int) -> httpx2.AsyncClient:
    """The one long-lived client the worker uses: keep-alive pool sized to the concurrency, no redirects.

    `trust_env=False`: a proxy configured for people's shells must not silently reroute leads.
    """
    _redact_client_logs()
    return httpx2.AsyncClient(
        timeout=httpx2.Timeout(timeout),
        limits=httpx2.Limits(max_connections=connections, max_keepalive_connections=connections),
        follow_redirects=False,
        trust_env=False,
    )


def _describe(exc: BaseException, url: str) -> str:
    text = str(exc).strip().replace(url, redact_url(url))
    return f"{type(exc).__name__}: {text}"[:500] if text else type(exc).__name__


async def post(
    client: httpx2.AsyncClient,
    url: str,
    signer: Signer,
    msg_id: str,
    body: str,
    *,
    time_limit: float,
    now: dt.datetime,
) -> Answer:
    """POST one signed message. Never raises for anything the URL, the network or the receiver does."""
    headers = signer.headers(msg_id, body, dt.datetime.now(dt.UTC))
    started = time.perf_counter()
    status: int | None = None
    retry_after_header: str | None = None
    reason = ""
    try:
        # httpx timeouts are per phase (connect, each read...); the CRM contract is "2xx within N s" in all.
        async with asyncio.timeout(time_limit):
            async with client.stream("POST", url, content=body.encode(), headers=headers) as response:
                status = response.status_code
                reason = response.reason_phrase
                retry_after_header = response.headers.get("retry-after")
                read = 0
                async for chunk in response.aiter_raw():
                    read += len(chunk)
                    if read >= MAX_RESPONSE_READ:
                        break
    except TimeoutError:
        if status is None:
            return Answer(None, _ms(started), f"timed out after {time_limit:g} s")
        # The status line came in time but the body did not: the CRM answered; trust the status.
    except httpx2.HTTPError as exc:
        if status is None:
            return Answer(None, _ms(started), _describe(exc, url))
    except Exception as exc:  # an invalid URL, a TLS failure outside httpx2's wrappers, ...
        # Recorded as an attempt like any other failure (never a lost lane); the URL is not repeated.
        if status is None:
            return Answer(None, _ms(started), _describe(exc, url))
    latency = _ms(started)
    if 200 <= status < 300:
        return Answer(status, latency)
    retry_after = parse_retry_after(retry_after_header, now) if status in (429, 503) else None
    return Answer(status, latency, f"HTTP {status} {reason}".strip()[:500], retry_after)


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
