"""Email as deliveries: the `mail` endpoint, the stored message, the reference number, the rate limit.

An email is a delivery like a webhook (docs/email.md). It is written by `submissions.accept` in the
submission's own transaction, claimed, retried on the same schedule and dead-lettered by the same
worker (`delivery/outbox.py`), and replayed from the same staff page. What makes it an email:

- its `endpoint_id` is `MAIL_ENDPOINT_ID`, an endpoint row named `mail` that the worker creates (`sync`)
  when FRONTDESK_SMTP_URL and FRONTDESK_MAIL_FROM are set; its URL is the relay without credentials.
  Staff pause and resume it like any endpoint. Its filter (`,email,`) takes no webhook event, so
  webhook endpoints never receive emails and the mail endpoint never receives webhooks;
- its `event_type` is one of `EVENT_TYPES`;
- its payload is the message as it will be sent (`Message`), built once, so every retry sends the same
  bytes under the same Message-ID, as a webhook keeps its `webhook-id`.

The rows are written with the endpoint id directly (not through `endpoints.routes`), so an email
written before the worker first ran simply waits, pending, until the endpoint exists.

Every header value that can carry something a person typed goes through `header_text`, which folds
CR, LF and every other control character into a space: a header cannot be injected into from a form.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TypedDict

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.db import tables

MAIL_ENDPOINT_ID = "ep_mail"
MAIL_ENDPOINT_NAME = "mail"
MAIL_EVENTS = ",email,"  # matches no webhook event type (see endpoints.Routes.targets)
STAFF = "email.staff"
CONFIRMATION = "email.confirmation"
EVENT_TYPES = (STAFF, CONFIRMATION)
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # no I, L, O, U: read aloud over the phone without doubt

e = tables.endpoints
s = tables.submissions
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")


class Message(TypedDict):
    """One email as stored in its delivery's payload (From is FRONTDESK_MAIL_FROM at sending time)."""

    to: list[str]
    reply_to: str | None
    subject: str
    date: str  # RFC 5322, fixed when the submission was accepted
    message_id: str  # <...@domain>, the same on every retry
    text: str
    html: str


def header_text(value: str, limit: int = 200) -> str:
    """A value that is safe in a header: control characters (CR and LF among them) become one space."""
    return _CONTROL.sub(" ", value).strip()[:limit]


def reference(submission_id: str) -> str:
    """FD-XXXX-XXXX: the first 40 bits of the submission's id in Crockford base32, readable on a phone call.

    Derived, not stored: staff find the submission from it (`id_prefix`), and it reveals nothing else.
    """
    bits = int(submission_id.replace("-", "")[:10], 16)
    chars = "".join(CROCKFORD[(bits >> shift) & 31] for shift in range(35, -1, -5))
    return f"FD-{chars[:4]}-{chars[4:]}"


def id_prefix(ref: str) -> str | None:
    """The first 10 hex digits of the submission id that `ref` names, or None if it is no reference."""
    cleaned = ref.strip().upper().replace("O", "0").replace("I", "1").replace("L", "1")
    match = re.fullmatch(r"(?:FD-?)?([0-9A-Z]{4})-?([0-9A-Z]{4})", cleaned)
    if not match or any(c not in CROCKFORD for c in match.group(1) + match.group(2)):
        return None
    bits = 0
    for c in match.group(1) + match.group(2):
        bits = bits << 5 | CROCKFORD.index(c)
    return f"{bits:010x}"


def message_id(delivery_id: str, mail_from: str) -> str:
    """<delivery id@the From's domain>: unique per email and the same on every retry."""
    domain = mail_from.rsplit("@", 1)[-1].strip(" >") or "frontdesk.invalid"
    return f"<{delivery_id}@{domain}>"


async def sync(conn: AsyncConnection, shown_url: str, *, now: dt.datetime) -> None:
    """Create the `mail` endpoint, or bring its URL in line with FRONTDESK_SMTP_URL (without credentials)."""
    row = (await conn.execute(sa.select(e.c.id, e.c.url).where(e.c.id == MAIL_ENDPOINT_ID))).first()
    if row is None:
        await conn.execute(
            e.insert().values(
                id=MAIL_ENDPOINT_ID,
                name=MAIL_ENDPOINT_NAME,
                url=shown_url,
                secrets=[],
                events=MAIL_EVENTS,
                rate_limit=None,
                state="active",
                source="env",
                created_at=now,
            )
        )
    elif row.url != shown_url:
        await conn.execute(e.update().where(e.c.id == MAIL_ENDPOINT_ID).values(url=shown_url))


def is_mail(endpoint_id: str) -> bool:
    return endpoint_id == MAIL_ENDPOINT_ID


async def recent_submissions(conn: AsyncConnection, address: str, *, since: dt.datetime) -> int:
    """How many submissions came from `address` since `since`: the confirmations' rate limit per address.

    Counted from the submissions themselves (their e-mail column is indexed and lower-cased), so the limit
    holds across processes and restarts without a table of its own.
    """
    query = sa.select(sa.func.count()).select_from(s).where(s.c.email == address.lower(), s.c.created_at >= since)
    return int((await conn.execute(query)).scalar_one())
