"""Accepting a submission: one transaction that writes it and its delivery rows.

This is the durability promise in code, and the one domain function here that
takes the `Database` rather than a connection: it hands its rows to the group
commit (`db.transact`), which shares one SQLite commit among every submission
that arrives meanwhile. `accept()` inserts the submission and
one webhook message per endpoint whose filter takes its event type
(`endpoints.routes`, read in the same transaction, so a submission never
misses an endpoint added before it committed), and returns only after
COMMIT. The caller answers "thank you" after that, so once a person sees
the thanks their submission survives a `kill -9` of every process: the
outbox worker finds the pending deliveries whenever it next runs.

The webhook body is built here, once, and stored with the delivery, so every
retry sends the same bytes under the same `webhook-id` and a receiver can
deduplicate. Spam is stored too (never silently dropped), with its delivery
`held` instead of `pending`, until staff decide otherwise.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.db import Database, Inserts, tables
from frontdesk.db.clock import due_now, earliest
from frontdesk.db.tables import Row
from frontdesk.records import endpoints, mail

NOTIFY_CHANNEL = "frontdesk_deliveries"  # PostgreSQL: idle workers LISTEN on it (delivery/outbox.py)

EVENT_TYPES = {
    "lead": "lead.created",
    "application": "application.created",
    "feedback": "feedback.created",
    "comment": "comment.created",
}

Extra = Callable[[AsyncConnection, str], Awaitable[dict[str, Any] | None]]
# Given the new submission's id: the emails it sends, as (event type, `mail.Message`) pairs.
Mails = Callable[[str], Sequence[tuple[str, Mapping[str, Any]]]]


@dataclass(frozen=True)
class Reading:
    """What the accepting transaction reads before it writes the deliveries."""

    routes: endpoints.Routes
    db_now: dt.datetime | None  # the database's clock (PostgreSQL): new deliveries are due by it (db/clock.py)


def routes_and_wake(conn: sa.Connection) -> Reading:
    """The routing table, read in the accepting transaction; on PostgreSQL also a NOTIFY for idle workers.

    PostgreSQL sends the notification at COMMIT, so a worker it wakes finds the new rows. The same
    statement reads the database's clock, so a web host whose clock is fast does not make its leads wait.
    Once per transaction: the group commit (SQLite) shares it across the batch, where there is no NOTIFY.
    """
    db_now = None
    if conn.dialect.name == "postgresql":
        db_now = conn.execute(sa.select(sa.func.pg_notify(NOTIFY_CHANNEL, ""), sa.func.now())).one()[1]
    return Reading(endpoints.routes(conn), db_now)


@dataclass(frozen=True)
class Accepted:
    submission_id: str
    delivery_id: str  # the first of `delivery_ids`
    spam: bool
    delivery_ids: tuple[str, ...] = ()  # one per endpoint that takes the event (one unrouted when none does)
    mail_ids: tuple[str, ...] = ()  # the emails' deliveries (records/mail.py)


def new_delivery_id(now: dt.datetime) -> str:
    """A webhook-id: `msg_`, a sortable time part, then randomness."""
    return f"msg_{int(now.timestamp() * 1000):012x}{secrets.token_hex(8)}"


def event_body(event_type: str, now: dt.datetime, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": event_type,
        "timestamp": now.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "data": data,
    }


def touch_columns(attribution: dict[str, Any] | None) -> dict[str, str]:
    """The report columns of a submission (`first_source`, ..., `last_landing`) from its attribution's two
    touches; "" for a direct visit. The landing page is kept as its path, without the query."""
    out: dict[str, str] = {}
    for touch in ("first", "last"):
        found = (attribution or {}).get(f"{touch}_touch") or {}
        for name, size in tables.TOUCH_COLUMNS:
            value = found.get("landing_page" if name == "landing" else name, "")
            value = value if isinstance(value, str) else ""
            if name == "landing":
                value = value.split("?", 1)[0].split("#", 1)[0]
            out[f"{touch}_{name}"] = value[:size]
    return out


async def accept(
    db: Database,
    *,
    kind: str,
    data: dict[str, Any],
    now: dt.datetime,
    email: str | None = None,
    consent: dict[str, Any] | None = None,
    attribution: dict[str, Any] | None = None,
    spam_reason: str | None = None,
    extra: Extra | None = None,
    mails: Mails | None = None,
) -> Accepted:
    """Store a submission and one delivery per matching endpoint in one transaction.

    `extra(conn, submission_id)` runs inside the same transaction, for rows
    that belong to the submission (a vote and its daily counter, an upload, a
    comment). It may return fields to merge into the webhook's `data`.
    `mails(submission_id)` gives the emails to send, written as deliveries to the
    mail endpoint in the same transaction (held, like the webhooks, when it is spam).
    """
    submission_id = str(uuid.uuid4())
    delivery_id = new_delivery_id(now)
    spam = spam_reason is not None

    submission_row = {
        "id": submission_id,
        "kind": kind,
        "created_at": now,
        "email": email.lower() if email else None,
        "data": data,
        "consent": consent,
        "attribution": attribution,
        "spam": spam,
        "spam_reason": spam_reason,
        **touch_columns(attribution),
    }

    event_type = EVENT_TYPES[kind]

    def delivery_rows(more: dict[str, Any] | None, targets: list[str | None], due: dt.datetime) -> list[dict[str, Any]]:
        payload_data: dict[str, Any] = {"id": submission_id, "kind": kind, **data, **(more or {})}
        if consent is not None:
            payload_data["consent"] = consent
        if attribution is not None:
            payload_data["attribution"] = attribution
        payload = event_body(event_type, now, payload_data)
        return [
            {
                "id": delivery_id if i == 0 else new_delivery_id(now),
                "submission_id": submission_id,
                "endpoint_id": target,
                "event_type": event_type,
                "state": "held" if spam else "pending",
                "attempts": 0,
                "payload": payload,
                "created_at": now,
                "next_attempt_at": due,
            }
            for i, target in enumerate(targets)
        ]

    mail_rows: list[dict[str, Any]] = [
        {
            "id": new_delivery_id(now),
            "submission_id": submission_id,
            "endpoint_id": mail.MAIL_ENDPOINT_ID,
            "event_type": mail_type,
            "state": "held" if spam else "pending",
            "attempts": 0,
            "payload": dict(message),
            "created_at": now,
            "next_attempt_at": now,
        }
        for mail_type, message in (mails(submission_id) if mails is not None else ())
    ]
    written: list[str] = []  # the delivery ids, known once the rows are made inside the transaction

    def deliveries_for(reading: Reading, more: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        due = earliest(now, reading.db_now)
        rows = delivery_rows(more, reading.routes.targets(event_type), due)
        written[:] = [row["id"] for row in rows]
        for row in mail_rows:
            row["next_attempt_at"] = due
        return rows + mail_rows

    if extra is None:  # rows only: the group commit batches them with every other submission meanwhile
        await db.transact(
            Inserts(
                ((tables.submissions, submission_row),),
                lookup=routes_and_wake,
                more=lambda reading: tuple((tables.deliveries, row) for row in deliveries_for(reading)),
            )
        )
    else:

        async def write(conn: AsyncConnection) -> None:
            await conn.execute(tables.submissions.insert(), submission_row)
            more = await extra(conn, submission_id)
            await conn.execute(tables.deliveries.insert(), deliveries_for(await conn.run_sync(routes_and_wake), more))

        await db.transact(write)
    return Accepted(submission_id, delivery_id, spam, tuple(written), tuple(row["id"] for row in mail_rows))


async def release_spam(conn: AsyncConnection, submission_id: str, *, now: dt.datetime) -> bool:
    """Mark a held submission as not spam, so its delivery goes out. Returns False if none was held.

    Staff do this from the spam queue, and by approving a comment the spam checks held.
    """
    result = await conn.execute(
        tables.submissions.update()
        .where(tables.submissions.c.id == submission_id, tables.submissions.c.spam.is_(True))
        .values(spam=False, spam_reason=None)
    )
    if result.rowcount == 0:
        return False
    await conn.execute(
        tables.deliveries.update()
        .where(tables.deliveries.c.submission_id == submission_id, tables.deliveries.c.state == "held")
        .values(state="pending", next_attempt_at=due_now(conn, now))
    )
    return True


async def get(conn: AsyncConnection, submission_id: str) -> Row | None:
    return (await conn.execute(sa.select(tables.submissions).where(tables.submissions.c.id == submission_id))).first()
