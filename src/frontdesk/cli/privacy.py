"""`frontdesk purge` and `frontdesk erase EMAIL`: retention and erasure on request (`records/privacy.py`).

    frontdesk purge [--older-than 180d] [--spam-older-than 30d] [--dry-run]
    frontdesk erase person@example.com

Both work in batches, one transaction each, until a batch comes back empty, so a large purge never holds
SQLite's write lock for long. An erasure writes its audit entry in the transaction of its last step; the
entry names the person only by a keyed hash of the address (HMAC with the secret key), which an operator
asked "did you erase x@y?" can recompute. Nothing printed names a person: only counts.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from frontdesk.cli.base import CommandError, run_with_db
from frontdesk.clock import utcnow
from frontdesk.settings import Settings, ensure_secret_key

if TYPE_CHECKING:
    from frontdesk.db import Database
    from frontdesk.records.privacy import Counts

log = logging.getLogger("frontdesk.privacy")


async def purge(
    db: Database,
    *,
    now: dt.datetime,
    older_than: dt.timedelta,
    spam_older_than: dt.timedelta,
    uploads_dir: Path,
    held_dir: Path | None = None,
    dry_run: bool = False,
) -> Counts:
    """Erase delivered submissions past retention, delete spam past its own, and held résumés past their hour."""
    from frontdesk.records import privacy, uploads

    if dry_run:
        async with db.read() as conn:
            return await privacy.count_purgeable(conn, now=now, older_than=older_than, spam_older_than=spam_older_than)
    total = privacy.Counts()
    while True:
        async with db.write() as conn:
            batch = await privacy.purge_batch(conn, now=now, older_than=older_than, uploads_dir=uploads_dir)
        if not batch.submissions:
            break
        total.add(batch)
    async with db.write() as conn:
        total.vote_comments += await privacy.purge_vote_comments(conn, now=now, older_than=older_than)
    while True:
        async with db.write() as conn:
            batch = await privacy.delete_spam_batch(
                conn, now=now, spam_older_than=spam_older_than, uploads_dir=uploads_dir
            )
        if not batch.spam_deleted:
            break
        total.add(batch)
    if held_dir is not None:
        total.held_resumes += await asyncio.to_thread(uploads.sweep_held, held_dir)
    log.info("purge: %s", total.summary())
    return total


async def erase(
    db: Database, email: str, *, now: dt.datetime, uploads_dir: Path, secret_key: str, actor: str = "cli"
) -> tuple[Counts, int]:
    """Erase everything held about one email address. Returns the counts and the audit entry's id."""
    from frontdesk import audit
    from frontdesk.records import privacy

    total = privacy.Counts()
    while True:
        async with db.write() as conn:
            batch = await privacy.erase_batch(conn, email, now=now, uploads_dir=uploads_dir)
        if not batch.submissions:
            break
        total.add(batch)
    async with db.write() as conn:
        total.comments += await privacy.erase_loose_comments(conn, email, now=now)
        audit_id = await audit.record(
            conn,
            at=now,
            actor=actor,
            action="erase",
            target=privacy.email_fingerprint(email, secret_key),
            detail=total.summary(),
        )
    log.info("erase: audit %s: %s", audit_id, total.summary())
    return total, audit_id


def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    from frontdesk.records.privacy import InvalidDuration, parse_duration

    try:
        older = parse_duration(args.older_than) if args.older_than else dt.timedelta(days=settings.retention_days)
        spam = (
            parse_duration(args.spam_older_than)
            if args.spam_older_than
            else dt.timedelta(days=settings.spam_retention_days)
        )
    except InvalidDuration as exc:
        raise CommandError(str(exc)) from None

    async def work(db: Database) -> Counts:
        return await purge(
            db,
            now=utcnow(),
            older_than=older,
            spam_older_than=spam,
            uploads_dir=settings.uploads_dir,
            held_dir=settings.held_dir,
            dry_run=args.dry_run,
        )

    counts = run_with_db(settings, work)
    if args.dry_run:
        print(f"would erase {counts.submissions} delivered submissions older than {older.days} days")
        print(f"would delete {counts.spam_deleted} spam submissions older than {spam.days} days")
    else:
        print(f"purged: {counts.summary()}")
    return 0


def cmd_erase(args: argparse.Namespace, settings: Settings) -> int:
    if "@" not in args.email or len(args.email) > 320:
        raise CommandError("give the email address to erase, e.g. frontdesk erase person@example.com")
    settings = ensure_secret_key(settings)

    async def work(db: Database) -> tuple[Counts, int]:
        return await erase(
            db, args.email, now=utcnow(), uploads_dir=settings.uploads_dir, secret_key=settings.secret_key
        )

    counts, audit_id = run_with_db(settings, work)
    print(f"erased: {counts.summary()}")
    print(f"audit entry {audit_id} (the address is recorded only as a keyed hash)")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("purge", help="remove personal data past retention; delete old spam")
    p.add_argument(
        "--older-than",
        metavar="AGE",
        help="erase delivered submissions older than AGE (default FRONTDESK_RETENTION_DAYS)",
    )
    p.add_argument("--spam-older-than", metavar="AGE", help="delete spam older than AGE (default 30d)")
    p.add_argument("--dry-run", action="store_true", help="only count what would be removed")
    p.set_defaults(handler=cmd_purge)

    p = sub.add_parser("erase", help="erase one person's data everywhere (GDPR/CCPA request)")
    p.add_argument("email", help="the person's email address")
    p.set_defaults(handler=cmd_erase)
