"""Spam: cheap checks that catch bots without bothering people.

- The honeypot is a field (`fax`) that people never see or hear: it is hidden
  visually and from assistive technology, and skipped by the tab order. Bots
  that fill every field fill it in.
- The time trap is a signed token with the time the form was rendered. A form
  sent back within `form_min_seconds` (3 s by default) was not filled in by a
  person; one older than `form_max_age_seconds` (24 h) is a replay.

A submission caught by these is not rejected: it gets the same answer as a real
one and is stored as spam with its delivery held, so a filter that guessed
wrong never throws a real lead away (staff can release it).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from frontdesk.settings import Settings

HONEYPOT = "fax"
TOKEN_FIELD = "_t"  # noqa: S105 - a field name, not a secret


def _sig(secret: str, payload: str) -> str:
    mac = hmac.new(secret.encode(), b"form-token:" + payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode()


def issue_token(settings: Settings, now: dt.datetime) -> str:
    payload = str(int(now.timestamp()))
    return f"{payload}.{_sig(settings.secret_key, payload)}"


def token_age(settings: Settings, token: str, now: dt.datetime) -> float | None:
    """Seconds since the token was issued, or None if it is missing or forged."""
    payload, _, sig = token.partition(".")
    if not payload.isdigit() or len(payload) > 12 or not hmac.compare_digest(sig, _sig(settings.secret_key, payload)):
        return None
    return now.timestamp() - int(payload)


def first(raw: Mapping[str, Any], name: str) -> str:
    value = raw.get(name, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return value if isinstance(value, str) else ""


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
