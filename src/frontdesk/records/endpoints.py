"""Webhook endpoints: where deliveries go, with their secrets, event filters, pace and state.

An endpoint is one destination (a CRM, an applicant-tracking system, a Slack relay). Each has

- a unique `name` (what people type: `frontdesk endpoints rotate ats`) and an http(s) `url`;
- one or more signing secrets (`whsec_` + base64 of at least 16 bytes). The newest signs first; a secret
  rotated out keeps signing until its `expires_at`, so a receiver can switch at its own pace. Every message
  carries one `v1,` signature per live secret, as the Standard Webhooks spec allows;
- an event filter: event types (`EVENT_TYPES`) or `*` for every type, stored as `,a,b,` so one LIKE finds
  an endpoint's deliveries and a person can read the column;
- an optional rate limit (deliveries per second);
- a state: `active`, `paused` (it answered 410 Gone, or staff paused it: its deliveries wait, none are lost)
  or `disabled` (takes no new deliveries).

`routes(conn)` is what `submissions.accept` reads, inside the submission's transaction, to write one
delivery per matching endpoint (`Routes.targets`). When none matches (nothing configured yet), the delivery is
written "unrouted" (`endpoint_id` NULL) and the next endpoint whose filter takes it adopts it, so a lead
accepted before the CRM was configured is still sent, as before endpoints existed.

FRONTDESK_CRM_WEBHOOK_URL/_SECRET describe the endpoint named `crm` (`source='env'`): `sync_env`, run by
every worker as it starts, creates or updates it from the environment. Changing the secret there is a
rotation with the default overlap. Such an endpoint is managed by its settings, not by the CLI's
`rotate`/`remove`.

Removing an endpoint deletes its row only: its deliveries keep their history, and those still pending
become `cancelled`. Every function takes a connection; the view or command owns the transaction.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import secrets as token
import urllib.parse
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.db import tables
from frontdesk.db.clock import due_now
from frontdesk.db.tables import Row

EVENT_TYPES = ("lead.created", "application.created", "feedback.created", "comment.created")
WILDCARD = "*"
STATES = ("active", "paused", "disabled")
ENV_NAME = "crm"  # the endpoint FRONTDESK_CRM_WEBHOOK_URL describes
DEFAULT_OVERLAP = dt.timedelta(hours=24)
MAX_OVERLAP = dt.timedelta(days=30)
MIN_SECRET_BYTES = 16
NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")

e = tables.endpoints
d = tables.deliveries


class EndpointError(ValueError):
    """Bad input for an endpoint: the message is one line, naming the field (`field`) that is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Endpoint:
    """One endpoint as the worker and the pages use it."""

    id: str
    name: str
    url: str
    secrets: tuple[str, ...]  # the live ones, newest first
    events: tuple[str, ...]  # ("*",) for every type
    rate_limit: float | None
    state: str
    state_reason: str | None
    source: str
    breaker_failures: int
    breaker_until: dt.datetime | None

    def takes(self, event_type: str) -> bool:
        return WILDCARD in self.events or event_type in self.events


# -- validation: one line per problem, shared by the CLI and the staff form -------------------------


def check_name(value: str) -> str:
    name = value.strip().lower()
    if not NAME_RE.fullmatch(name):
        raise EndpointError("name", "a name is 1-64 of a-z, 0-9, - and _, starting with a letter or digit")
    return name


def check_url(value: str) -> str:
    url = value.strip()
    if len(url) > 2000 or any(ord(c) < 33 or ord(c) > 126 for c in url):
        raise EndpointError("url", "the URL must be plain ASCII without spaces, at most 2000 characters")
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018  (raises for a port that is not a number in range)
    except ValueError:
        raise EndpointError("url", "the URL is not valid") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EndpointError("url", "the URL must start with http:// or https:// and name a host")
    return url


def check_secret(value: str) -> str:
    secret = value.strip()
    raw = secret.removeprefix("whsec_")
    try:
        decoded = base64.b64decode(raw, validate=True) if secret.startswith("whsec_") else b""
    except (binascii.Error, ValueError):
        decoded = b""
    if len(decoded) < MIN_SECRET_BYTES:
        raise EndpointError("secret", f"a secret is whsec_ followed by base64 of at least {MIN_SECRET_BYTES} bytes")
    return secret


def check_events(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)
    names = [item.strip() for item in items if item.strip()]
    if not names:
        raise EndpointError("events", "name at least one event type, or * for all")
    unknown = [n for n in names if n != WILDCARD and n not in EVENT_TYPES]
    if unknown:
        known = ", ".join((*EVENT_TYPES, WILDCARD))
        raise EndpointError("events", f"unknown event type {unknown[0][:60]!r}: use {known}")
    return (WILDCARD,) if WILDCARD in names else tuple(dict.fromkeys(names))


def check_rate_limit(value: str | float | None) -> float | None:
    if value is None or value == "":
        return None
    try:
        rate = float(value)
    except ValueError:
        raise EndpointError("rate_limit", "the rate limit is a number of deliveries per second") from None
    if not 0.01 <= rate <= 10000:
        raise EndpointError("rate_limit", "the rate limit is between 0.01 and 10000 deliveries per second")
    return rate


def parse_overlap(value: str) -> dt.timedelta:
    """`24h`, `90m`, `2d`, `0` or plain seconds; at most 30 days."""
    match = re.fullmatch(r"\s*(\d{1,7})\s*([smhd]?)\s*", value)
    if not match:
        raise EndpointError("overlap", "the overlap is a whole number with s, m, h or d, e.g. 24h")
    size = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    overlap = dt.timedelta(seconds=int(match.group(1)) * size)
    if overlap > MAX_OVERLAP:
        raise EndpointError("overlap", "the overlap is at most 30 days")
    return overlap


def new_secret() -> str:
    return "whsec_" + base64.b64encode(token.token_bytes(24)).decode()


def _events_column(events: tuple[str, ...]) -> str:
    return WILDCARD if WILDCARD in events else "," + ",".join(events) + ","


def _iso(when: dt.datetime | None) -> str | None:
    return when.astimezone(dt.UTC).isoformat() if when else None


def live_secrets(stored: list[dict[str, Any]], now: dt.datetime) -> tuple[str, ...]:
    """The secrets that still sign at `now`, newest first."""
    live = []
    for item in stored:
        expires = item.get("expires_at")
        if expires is None or dt.datetime.fromisoformat(expires) > now:
            live.append(str(item["secret"]))
    return tuple(live)


def from_row(row: Row, now: dt.datetime) -> Endpoint:
    events = (WILDCARD,) if row.events == WILDCARD else tuple(x for x in row.events.split(",") if x)
    return Endpoint(
        id=row.id,
        name=row.name,
        url=row.url,
        secrets=live_secrets(row.secrets, now),
        events=events,
        rate_limit=row.rate_limit,
        state=row.state,
        state_reason=row.state_reason,
        source=row.source,
        breaker_failures=row.breaker_failures,
        breaker_until=row.breaker_until,
    )


# -- reading -----------------------------------------------------------------------------------------


async def listing(conn: AsyncConnection, *, now: dt.datetime) -> list[Endpoint]:
    return [from_row(r, now) for r in await conn.execute(sa.select(e).order_by(e.c.created_at, e.c.name))]


async def get(conn: AsyncConnection, name: str, *, now: dt.datetime) -> Endpoint | None:
    row = (await conn.execute(sa.select(e).where(e.c.name == name.strip().lower()))).first()
    return from_row(row, now) if row is not None else None


@dataclass(frozen=True)
class Routes:
    """Which endpoints take which event types, as read inside one write transaction."""

    filters: tuple[tuple[str, str], ...]  # (endpoint id, events column), not disabled, by id

    def targets(self, event_type: str) -> list[str | None]:
        """The endpoint ids a new delivery of `event_type` goes to; `[None]` (unrouted) when none takes it."""
        needle = f",{event_type},"
        ids: list[str | None] = [eid for eid, events in self.filters if events == WILDCARD or needle in events]
        return ids or [None]


def routes(conn: sa.Connection) -> Routes:
    """Read the routing table (one small query; `submissions.accept` shares it across a group commit).

    Synchronous, because the SQLite group commit runs its whole transaction in a worker thread
    (`db/engine.py`); an async caller uses `await conn.run_sync(routes)`.
    """
    found = conn.execute(sa.select(e.c.id, e.c.events).where(e.c.state != "disabled").order_by(e.c.id))
    return Routes(tuple((str(eid), str(events)) for eid, events in found))


# -- writing -----------------------------------------------------------------------------------------


async def add(
    conn: AsyncConnection,
    *,
    name: str,
    url: str,
    secret: str,
    events: tuple[str, ...],
    rate_limit: float | None,
    now: dt.datetime,
    source: str = "admin",
) -> str:
    """Create an endpoint (inputs already checked) and adopt the unrouted deliveries it takes."""
    if (await conn.execute(sa.select(e.c.id).where(e.c.name == name))).first() is not None:
        raise EndpointError("name", f"an endpoint named {name!r} exists already")
    endpoint_id = f"ep_{token.token_hex(8)}"
    await conn.execute(
        e.insert().values(
            id=endpoint_id,
            name=name,
            url=url,
            secrets=[{"secret": secret, "expires_at": None}],
            events=_events_column(events),
            rate_limit=rate_limit,
            state="active",
            source=source,
            created_at=now,
        )
    )
    await adopt_unrouted(conn, endpoint_id, events)
    return endpoint_id


async def adopt_unrouted(conn: AsyncConnection, endpoint_id: str, events: tuple[str, ...]) -> int:
    """Hand the endpoint the pending and held deliveries that waited for a destination it takes."""
    where = sa.and_(d.c.endpoint_id.is_(None), d.c.state.in_(("pending", "held")))
    if WILDCARD not in events:
        where = sa.and_(where, d.c.event_type.in_(events))
    result = await conn.execute(d.update().where(where).values(endpoint_id=endpoint_id))
    return result.rowcount


async def _stored(conn: AsyncConnection, name: str) -> Row:
    row = (await conn.execute(sa.select(e).where(e.c.name == name))).first()
    if row is None:
        raise EndpointError("name", f"no endpoint named {name[:64]!r}")
    return row


async def rotate(
    conn: AsyncConnection, name: str, *, secret: str, overlap: dt.timedelta, now: dt.datetime
) -> dt.datetime:
    """Sign with `secret` from now on; older live secrets keep signing until now + overlap (returned)."""
    row = await _stored(conn, name)
    return await _rotate_row(conn, row, secret, overlap, now)


async def _rotate_row(
    conn: AsyncConnection, row: Row, secret: str, overlap: dt.timedelta, now: dt.datetime
) -> dt.datetime:
    until = now + overlap
    kept = []
    for item in row.secrets:  # drop what has expired; cut the others' life to the overlap
        expires = item.get("expires_at")
        expires_at = dt.datetime.fromisoformat(expires) if expires else None
        if item["secret"] == secret or (expires_at is not None and expires_at <= now):
            continue
        if overlap:
            kept.append({"secret": item["secret"], "expires_at": _iso(min(until, expires_at or until))})
    await conn.execute(
        e.update().where(e.c.id == row.id).values(secrets=[{"secret": secret, "expires_at": None}, *kept])
    )
    return until


async def set_state(conn: AsyncConnection, name: str, state: str, *, reason: str | None, now: dt.datetime) -> bool:
    """Pause, resume (active) or disable an endpoint; resuming makes its waiting deliveries due now.

    Returns False when the endpoint was in that state already.
    """
    row = await _stored(conn, name)
    if row.state == state:
        return False
    values: dict[str, Any] = {"state": state, "state_reason": reason, "state_at": now}
    if state == "active":
        values.update(breaker_failures=0, breaker_until=None)
    await conn.execute(e.update().where(e.c.id == row.id).values(**values))
    if state == "active":
        await conn.execute(
            d.update()
            .where(d.c.endpoint_id == row.id, d.c.state == "pending")
            .values(next_attempt_at=due_now(conn, now))
        )
    return True


# What staff can do to an endpoint's state, from the CLI and /staff/endpoints alike: (new state, reason).
# Paused: its deliveries are still made and wait. Disabled: no deliveries are made for it at all (new
# submissions skip it, `routes`), while those made before wait. Resume makes either active again.
CHANGES: dict[str, tuple[str, str | None]] = {
    "pause": ("paused", "paused by hand"),
    "disable": ("disabled", "disabled by hand"),
    "resume": ("active", None),
}


async def change_state(conn: AsyncConnection, name: str, change: str, *, now: dt.datetime) -> bool:
    """Apply a staff change (a key of `CHANGES`); False when the endpoint was in that state already."""
    state, reason = CHANGES[change]
    return await set_state(conn, name, state, reason=reason, now=now)


def gone_statement(endpoint_id: str, *, reason: str, now: dt.datetime) -> sa.Update:
    """Pause an endpoint that answered 410 Gone (unless staff disabled it meanwhile): the worker's statement."""
    return (
        e.update()
        .where(e.c.id == endpoint_id, e.c.state == "active")
        .values(state="paused", state_reason=reason[:500], state_at=now)
    )


async def remove(conn: AsyncConnection, name: str, *, now: dt.datetime) -> int:
    """Delete the endpoint; its pending deliveries become `cancelled`. Returns how many were cancelled."""
    row = await _stored(conn, name)
    result = await conn.execute(
        d.update()
        .where(d.c.endpoint_id == row.id, d.c.state.in_(("pending", "held")))
        .values(state="cancelled", last_error=f"endpoint {row.name} removed", lease_until=None, lease_owner=None)
    )
    await conn.execute(e.delete().where(e.c.id == row.id))
    return result.rowcount


async def sync_env(conn: AsyncConnection, url: str, secret: str, *, now: dt.datetime) -> str | None:
    """Create or update the `crm` endpoint from FRONTDESK_CRM_WEBHOOK_URL/_SECRET; return its id.

    A changed secret is a rotation with the default overlap. A pause that the table of before endpoints
    held for this URL moves onto the endpoint, and the unrouted deliveries that waited for it are adopted.
    Nothing happens (None) when the settings name no endpoint.
    """
    if not url or not secret:
        return None
    row = (await conn.execute(sa.select(e).where(e.c.name == ENV_NAME))).first()
    if row is None:
        endpoint_id = await add(
            conn, name=ENV_NAME, url=url, secret=secret, events=(WILDCARD,), rate_limit=None, now=now, source="env"
        )
    else:
        endpoint_id = row.id
        if row.url != url:
            await conn.execute(e.update().where(e.c.id == row.id).values(url=url))
        if row.secrets[0]["secret"] != secret:
            await _rotate_row(conn, row, secret, DEFAULT_OVERLAP, now)
        await adopt_unrouted(conn, endpoint_id, from_row(row, now).events)
    p = tables.endpoint_pauses
    legacy = (await conn.execute(sa.select(p).where(p.c.endpoint == url))).first()
    if legacy is not None:
        await conn.execute(
            e.update()
            .where(e.c.id == endpoint_id, e.c.state == "active")
            .values(state="paused", state_reason=legacy.reason, state_at=legacy.paused_at)
        )
        await conn.execute(p.delete().where(p.c.endpoint == url))
    return endpoint_id
