"""Personal data: retention (`frontdesk purge`) and erasure on request (`frontdesk erase EMAIL`).

What "erased" means here: the rows stay, so anonymous counts survive, but
everything that says who a person is or what they wrote is removed.

- `submissions`: `data` becomes `{}`; `consent`, `attribution` and `email`
  become NULL; `erased_at` is set. `kind` and `created_at` stay, which is what
  "submissions per kind per day" needs.
- `deliveries.payload`: replaced by a stub (`type`, `timestamp`, and
  `data: {id, kind, erased: true}`), so the delivery log still adds up.
- `uploads`: the file is deleted from disk; the row keeps mime and size but
  loses the original file name and checksum, and gets `erased_at`.
- `votes`: the free-text comment is cleared; `helpful`, `reason` and the
  `vote_days` counters stay.
- `comments`: name, email, website and body are blanked and the comment is
  marked `deleted`, which the blog never shows.

`purge` applies this to submissions whose every delivery was `delivered` and
that are older than the retention period (`FRONTDESK_RETENTION_DAYS`, 180 by
default); anything not yet delivered is kept so nothing is lost on its way to
the CRM. Spam (never delivered) older than `FRONTDESK_SPAM_RETENTION_DAYS`
(30) is deleted outright, rows and files.

`erase` applies it to every submission and comment of one email address,
whatever its state, and the command writes an `audit` row. A delivery that had not gone
out yet is marked cancelled ("erased before delivery") rather than sent. The
audit row names the person only by a keyed hash of the address (HMAC with the
secret key), so the audit log itself holds no personal data, yet an operator
who is asked "did you erase x@y?" can recompute it and check.

The CRM keeps its own copy of everything delivered; erasing it there is the
CRM's business, and `docs/security.md` says so.

Nothing here prints or logs an email address, a name or a message: only counts.
Work goes in batches of `BATCH` submissions, one transaction each, so a large
purge never holds SQLite's write lock for long: each function below does one
batch in the caller's transaction, and the command (`cli/privacy.py`) loops
until a batch comes back empty.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.db import tables
from frontdesk.records.moderation import ERASED_BY

log = logging.getLogger("frontdesk.privacy")

BATCH = 500
UNDELIVERED_ERASED = "erased on request before delivery"
s_ = tables.submissions
d_ = tables.deliveries
u_ = tables.uploads
c_ = tables.comments
v_ = tables.votes


class InvalidDuration(ValueError):
    """A retention period that is not like `180d`, `12h` or `2w`."""


_UNITS = {"": 86400, "d": 86400, "h": 3600, "w": 7 * 86400}


def parse_duration(text: str) -> dt.timedelta:
    """`180d` -> 180 days; `12h`, `2w`; a bare number means days."""
    match = re.fullmatch(r"\s*(\d{1,6})\s*([dhw]?)\s*", text.lower())
    if not match:
        raise InvalidDuration(f"{text!r} is not a duration: use e.g. 180d, 12h or 2w")
    return dt.timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


@dataclass
class Counts:
    submissions: int = 0
    deliveries: int = 0
    upload_files: int = 0
    vote_comments: int = 0
    comments: int = 0
    spam_deleted: int = 0
    held_resumes: int = 0  # résumés held past their hour for an application nobody finished

    def add(self, other: Counts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def summary(self) -> str:
        return ", ".join(f"{getattr(self, f.name)} {f.name.replace('_', ' ')}" for f in fields(self))


def email_fingerprint(email: str, secret_key: str) -> str:
    """A keyed hash of a normalized address: recomputable by the operator, useless to anyone else."""
    digest = hmac.new(secret_key.encode(), normalize_email(email).encode(), hashlib.sha256).hexdigest()
    return f"hmac-sha256:{digest[:32]}"


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _upload_path(uploads_dir: Path, stored_name: str) -> Path | None:
    """The file of an upload row, refusing any stored name that would leave the uploads directory."""
    root = uploads_dir.resolve()
    path = (root / stored_name).resolve()
    return path if path.is_relative_to(root) and path != root else None


def _delete_file(uploads_dir: Path, stored_name: str) -> bool:
    path = _upload_path(uploads_dir, stored_name)
    if path is None:
        log.warning("upload with an unsafe stored name was not touched on disk")
        return False
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _stub(payload: Any, submission_id: str, kind: str) -> dict[str, Any]:
    payload = payload if isinstance(payload, dict) else {}
    return {
        "type": payload.get("type"),
        "timestamp": payload.get("timestamp"),
        "data": {"id": submission_id, "kind": kind, "erased": True},
    }


async def _scrub(
    conn: AsyncConnection, ids: Sequence[str], *, now: dt.datetime, uploads_dir: Path, undelivered_error: str | None
) -> Counts:
    """Erase the personal data of these submissions, in the caller's transaction. Files go first:
    if the transaction then fails, a rerun finds the rows unerased and finishes the job."""
    counts = Counts()
    kinds = dict((await conn.execute(sa.select(s_.c.id, s_.c.kind).where(s_.c.id.in_(ids)))).all())
    rows = (await conn.execute(sa.select(u_.c.id, u_.c.stored_name).where(u_.c.submission_id.in_(ids)))).all()
    for row in rows:
        counts.upload_files += _delete_file(uploads_dir, row.stored_name)
    if rows:
        await conn.execute(
            u_.update().where(u_.c.id.in_([r.id for r in rows])).values(original_name=None, sha256="", erased_at=now)
        )
    deliveries = (
        await conn.execute(
            sa.select(d_.c.id, d_.c.submission_id, d_.c.payload, d_.c.state).where(d_.c.submission_id.in_(ids))
        )
    ).all()
    for delivery in deliveries:
        values: dict[str, Any] = {
            "payload": _stub(delivery.payload, delivery.submission_id, kinds.get(delivery.submission_id, ""))
        }
        if undelivered_error and delivery.state != "delivered":  # not a failure, and never replayed
            values.update(state="cancelled", last_error=undelivered_error, lease_until=None, lease_owner=None)
        await conn.execute(d_.update().where(d_.c.id == delivery.id).values(**values))
    counts.deliveries = len(deliveries)
    result = await conn.execute(
        v_.update().where(v_.c.submission_id.in_(ids), v_.c.comment.is_not(None)).values(comment=None)
    )
    counts.vote_comments = result.rowcount
    result = await conn.execute(
        c_.update()
        .where(c_.c.submission_id.in_(ids))
        .values(name="", email="", website=None, body="", state="deleted", moderated_at=now, moderated_by=ERASED_BY)
    )
    counts.comments = result.rowcount
    result = await conn.execute(
        s_.update().where(s_.c.id.in_(ids)).values(data={}, consent=None, attribution=None, email=None, erased_at=now)
    )
    counts.submissions = result.rowcount
    return counts


async def _delete_spam(conn: AsyncConnection, ids: Sequence[str], *, uploads_dir: Path) -> Counts:
    """Delete spam submissions outright, with everything that hangs off them."""
    counts = Counts()
    delivery_ids = sa.select(d_.c.id).where(d_.c.submission_id.in_(ids))
    await conn.execute(
        tables.delivery_attempts.delete().where(tables.delivery_attempts.c.delivery_id.in_(delivery_ids))
    )
    await conn.execute(d_.delete().where(d_.c.submission_id.in_(ids)))
    for row in await conn.execute(sa.select(u_.c.stored_name).where(u_.c.submission_id.in_(ids))):
        counts.upload_files += _delete_file(uploads_dir, row.stored_name)
    await conn.execute(u_.delete().where(u_.c.submission_id.in_(ids)))
    await conn.execute(c_.delete().where(c_.c.submission_id.in_(ids)))
    await conn.execute(v_.update().where(v_.c.submission_id.in_(ids)).values(submission_id=None, comment=None))
    result = await conn.execute(s_.delete().where(s_.c.id.in_(ids)))
    counts.spam_deleted = result.rowcount
    return counts


def _delivered_before(cutoff: dt.datetime) -> sa.ColumnElement[bool]:
    # Finished: nothing left pending, held or failed. Delivered rows may have been pruned already (the
    # worker's FRONTDESK_DELIVERY_RETENTION_DAYS), and a delivery cancelled with its endpoint goes nowhere.
    unfinished = sa.exists().where(d_.c.submission_id == s_.c.id, d_.c.state.in_(("pending", "held", "failed")))
    return sa.and_(s_.c.created_at < cutoff, s_.c.erased_at.is_(None), s_.c.spam.is_(False), ~unfinished)


def _old_spam(now: dt.datetime, spam_older_than: dt.timedelta) -> sa.ColumnElement[bool]:
    return sa.and_(s_.c.spam.is_(True), s_.c.created_at < now - spam_older_than)


async def count_purgeable(
    conn: AsyncConnection, *, now: dt.datetime, older_than: dt.timedelta, spam_older_than: dt.timedelta
) -> Counts:
    """What a purge would do: delivered submissions to erase, spam to delete (a dry run)."""
    count = sa.select(sa.func.count()).select_from(s_)
    return Counts(
        submissions=(await conn.execute(count.where(_delivered_before(now - older_than)))).scalar_one(),
        spam_deleted=(await conn.execute(count.where(_old_spam(now, spam_older_than)))).scalar_one(),
    )


async def purge_batch(
    conn: AsyncConnection, *, now: dt.datetime, older_than: dt.timedelta, uploads_dir: Path
) -> Counts:
    """Erase one batch of delivered submissions past retention; `submissions == 0` when none is left."""
    ids = list(
        (await conn.execute(sa.select(s_.c.id).where(_delivered_before(now - older_than)).limit(BATCH))).scalars()
    )
    if not ids:
        return Counts()
    return await _scrub(conn, ids, now=now, uploads_dir=uploads_dir, undelivered_error=None)


async def purge_vote_comments(conn: AsyncConnection, *, now: dt.datetime, older_than: dt.timedelta) -> int:
    """Old vote comments whose submission is gone or was never linked: the text goes, the vote stays."""
    result = await conn.execute(
        v_.update().where(v_.c.updated_at < now - older_than, v_.c.comment.is_not(None)).values(comment=None)
    )
    return result.rowcount


async def delete_spam_batch(
    conn: AsyncConnection, *, now: dt.datetime, spam_older_than: dt.timedelta, uploads_dir: Path
) -> Counts:
    """Delete one batch of spam past its retention; `spam_deleted == 0` when none is left."""
    ids = list((await conn.execute(sa.select(s_.c.id).where(_old_spam(now, spam_older_than)).limit(BATCH))).scalars())
    if not ids:
        return Counts()
    return await _delete_spam(conn, ids, uploads_dir=uploads_dir)


def _by_email(address: str) -> sa.ColumnElement[bool]:
    return sa.or_(
        s_.c.email == address,
        s_.c.id.in_(sa.select(c_.c.submission_id).where(sa.func.lower(c_.c.email) == address)),
    )


async def erase_batch(conn: AsyncConnection, email: str, *, now: dt.datetime, uploads_dir: Path) -> Counts:
    """Erase one batch of one address's submissions; `submissions == 0` when none is left.

    Each batch is selected afresh: a batch once erased no longer matches (its email is NULL, its comment blank).
    """
    address = normalize_email(email)
    ids = list((await conn.execute(sa.select(s_.c.id).where(_by_email(address)).limit(BATCH))).scalars())
    if not ids:
        return Counts()
    return await _scrub(conn, ids, now=now, uploads_dir=uploads_dir, undelivered_error=UNDELIVERED_ERASED)


async def erase_loose_comments(conn: AsyncConnection, email: str, *, now: dt.datetime) -> int:
    """Comments rows of the address without a submission of their own (imported, say): erased too."""
    result = await conn.execute(
        c_.update()
        .where(sa.func.lower(c_.c.email) == normalize_email(email))
        .values(name="", email="", website=None, body="", state="deleted", moderated_at=now, moderated_by=ERASED_BY)
    )
    return result.rowcount
