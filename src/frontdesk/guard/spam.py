"""Spam: cheap checks that catch bots without bothering people.

- The honeypot is a field (`fax`) that people never see or hear: it is hidden
  visually and from assistive technology, and skipped by the tab order. Bots
  that fill every field fill it in.
- The time trap is a signed token with the time the form was rendered. A form
  sent back within `form_min_seconds` (3 s by default) was not filled in by a
  person; one older than `form_max_age_seconds` (24 h) is a replay.

- Cloudflare Turnstile, when `FRONTDESK_TURNSTILE_SITEKEY` and `..._SECRET`
  are set: the widget (script from challenges.cloudflare.com, which the CSP
  then allows) puts a token in the form, and `check()` asks siteverify
  whether it is good. Only the forms that carry personal data use it
  (Request Info, applications); votes do not load a third party on every page.
  If siteverify cannot be reached, the submission passes (and a warning is
  logged): an outage at Cloudflare must not quarantine every real lead.

A submission caught by these is not rejected: it gets the same answer as a real
one and is stored as spam with its delivery held, so a filter that guessed
wrong never throws a real lead away (staff can release it).

The cheap checks run first; siteverify is only asked about submissions that
passed them, so bots that trip the honeypot cost no outgoing request.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import logging
import uuid
from collections.abc import Mapping
from typing import Any

import httpx2
from starlette.requests import Request

from frontdesk.guard.bodies import first
from frontdesk.guard.ratelimit import client_address, parse_networks
from frontdesk.settings import Settings
from frontdesk.signing import same_signature

log = logging.getLogger("frontdesk.spam")

HONEYPOT = "fax"
TOKEN_FIELD = "_t"  # noqa: S105 - a field name, not a secret
TURNSTILE_FIELD = "cf-turnstile-response"
TURNSTILE_TOKEN_MAX = 2048  # Cloudflare's documented maximum


def _sig(secret: str, payload: str) -> str:
    mac = hmac.new(secret.encode(), b"form-token:" + payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode()


def issue_token(settings: Settings, now: dt.datetime) -> str:
    payload = str(int(now.timestamp()))
    return f"{payload}.{_sig(settings.secret_key, payload)}"


def token_age(settings: Settings, token: str, now: dt.datetime) -> float | None:
    """Seconds since the token was issued, or None if it is missing or forged."""
    payload, _, sig = token.partition(".")
    # ASCII digits only: '²'.isdigit() is true, and int('²') fails.
    if not (payload.isascii() and payload.isdecimal()) or len(payload) > 12:
        return None
    if not same_signature(sig, _sig(settings.secret_key, payload)):
        return None
    return now.timestamp() - int(payload)


def verdict(settings: Settings, raw: Mapping[str, Any], now: dt.datetime) -> str | None:
    """Why this submission looks like spam, or None if it passes."""
    if first(raw, HONEYPOT).strip():
        return "honeypot"
    age = token_age(settings, first(raw, TOKEN_FIELD), now)
    if age is None:
        return "time-trap: missing or invalid token"
    if age < settings.form_min_seconds:
        return f"time-trap: sent {max(age, 0):.1f}s after render"
    if age > settings.form_max_age_seconds:
        return "time-trap: form too old"
    return None


class Turnstile:
    """Verifies Turnstile tokens with siteverify, over one long-lived HTTP client."""

    def __init__(self, client: httpx2.AsyncClient, secret: str, verify_url: str) -> None:
        self.client = client
        self.secret = secret
        self.verify_url = verify_url

    async def verify(self, token: str, remote_ip: str | None) -> str | None:
        """None if the token is good (or siteverify is unreachable), else why the submission is spam."""
        if not token:
            return "turnstile: no token"
        if len(token) > TURNSTILE_TOKEN_MAX:
            return "turnstile: malformed token"
        form = {"secret": self.secret, "response": token, "idempotency_key": str(uuid.uuid4())}
        if remote_ip:
            form["remoteip"] = remote_ip
        try:
            response = await self.client.post(self.verify_url, data=form)
            answer = response.json() if response.status_code == 200 else None
        except (httpx2.HTTPError, ValueError) as exc:
            log.warning("turnstile siteverify failed (%s): letting the submission through", type(exc).__name__)
            return None
        if not isinstance(answer, dict) or not isinstance(answer.get("success"), bool):
            log.warning("turnstile siteverify answered %s without a verdict: letting it through", response.status_code)
            return None
        if answer["success"]:
            return None
        codes = answer.get("error-codes")
        shown = ",".join(str(c) for c in codes[:3])[:100] if isinstance(codes, list) else ""
        return f"turnstile: {shown or 'failed'}"


async def check(
    request: Request, raw: Mapping[str, Any], now: dt.datetime, *, settings: Settings, turnstile: Turnstile | None
) -> str | None:
    """Why this submission looks like spam (honeypot, time trap, then Turnstile when given a verifier), or None."""
    reason = verdict(settings, raw, now)
    if reason is not None or turnstile is None:
        return reason
    address = client_address(
        request.client.host if request.client else None,
        request.headers.getlist("x-forwarded-for"),
        parse_networks(settings.trusted_proxies),
    )
    return await turnstile.verify(first(raw, TURNSTILE_FIELD), str(address) if address else None)


async def start(stack: contextlib.AsyncExitStack, settings: Settings) -> Turnstile | None:
    """A Turnstile verifier for the app's lifespan when the keys are set (`stack` closes its client), else None."""
    if not settings.turnstile_secret:
        return None
    client = httpx2.AsyncClient(timeout=httpx2.Timeout(5.0), follow_redirects=False, trust_env=False)
    await stack.enter_async_context(client)
    return Turnstile(client, settings.turnstile_secret, settings.turnstile_verify_url)
