"""Staff accounts: creating them, counting sign-in attempts, disabling, unlocking.

Roles are `viewer` (reads feedback tallies, the overview and delivery health)
and `admin` (also sees personal data, replays deliveries, reviews spam and the
audit log). Accounts are made from the CLI (`frontdesk staff add`); there is
no sign-up page.

Wrong passwords slow down the source they come from, for that account
(`throttle.py`), instead of locking the account for everyone. Every refusal
(unknown account, wrong password, a paused source, a disabled account) looks
the same to the person signing in and costs one Argon2 verification; only the
audit log says which it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk import audit
from frontdesk.db import tables
from frontdesk.db.tables import Row
from frontdesk.staff import throttle

ROLES = ("viewer", "admin")

s = tables.staff


class AccountError(Exception):
    """An account operation could not be done; the message says why, in one line."""


@dataclass(frozen=True)
class StaffUser:
    id: int
    email: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def normalize_email(email: str) -> str:
    """A staff email, syntax-checked (no network) and lower-cased. Raises `AccountError`."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise AccountError(f"{email!r} is not a valid email address: {exc}") from None


def _typed(email: str) -> str:
    """What to log as the actor of a sign-in for an unknown account. People sometimes type their password
    into the email field; only something shaped like an address is kept, so no password lands in the log."""
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return "(not an email address)"


async def _by_email(conn: AsyncConnection, email: str, *, for_update: bool = False) -> Row | None:
    query = sa.select(s).where(s.c.email == email)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return (await conn.execute(query)).first()


async def create(
    conn: AsyncConnection, email: str, role: str, password_hash: str, *, now: dt.datetime, actor: str = "cli"
) -> StaffUser:
    """Add an account, with its audit entry. `password_hash` comes from `passwords.hash_password`."""
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    email = normalize_email(email)
    if await _by_email(conn, email) is not None:
        raise AccountError(f"a staff account for {email} already exists")
    result = await conn.execute(
        s.insert().values(email=email, role=role, password_hash=password_hash, created_at=now, disabled=False)
    )
    await audit.record(conn, at=now, actor=actor, action="staff.add", target=email, detail=f"role {role}")
    assert result.inserted_primary_key is not None
    return StaffUser(int(result.inserted_primary_key[0]), email, role)


async def all_accounts(conn: AsyncConnection) -> list[Row]:
    return list(await conn.execute(sa.select(s).order_by(s.c.email)))


async def _require(conn: AsyncConnection, email: str) -> Row:
    row = await _by_email(conn, normalize_email(email), for_update=True)
    if row is None:
        raise AccountError(f"no staff account for {email.strip().lower()}")
    return row


async def set_disabled(
    conn: AsyncConnection, email: str, disabled: bool, *, now: dt.datetime, actor: str = "cli"
) -> None:
    """Disable (and sign out everywhere) or re-enable an account, with its audit entry."""
    row = await _require(conn, email)
    await conn.execute(s.update().where(s.c.id == row.id).values(disabled=disabled))
    if disabled:
        await conn.execute(tables.staff_sessions.delete().where(tables.staff_sessions.c.staff_id == row.id))
    action = "staff.disable" if disabled else "staff.enable"
    await audit.record(conn, at=now, actor=actor, action=action, target=row.email)


@dataclass(frozen=True)
class MailChoices:
    """The emails one account gets: the weekly digest (opt in) and, for admins, delivery alerts (opt out)."""

    digest: bool
    alerts: bool

    def described(self) -> str:
        return f"digest {'on' if self.digest else 'off'}, alerts {'on' if self.alerts else 'off'}"


async def mail_choices(conn: AsyncConnection, staff_id: int) -> MailChoices:
    row = (await conn.execute(sa.select(s.c.mail_digest, s.c.mail_alerts).where(s.c.id == staff_id))).one()
    return MailChoices(bool(row.mail_digest), bool(row.mail_alerts))


async def set_mail_choices(
    conn: AsyncConnection, staff_id: int, choices: MailChoices, *, now: dt.datetime, actor: str
) -> bool:
    """Store the account's choices with an audit entry; False (and no entry) when nothing changed."""
    if await mail_choices(conn, staff_id) == choices:
        return False
    values = {"mail_digest": choices.digest, "mail_alerts": choices.alerts}
    await conn.execute(s.update().where(s.c.id == staff_id).values(**values))
    await audit.record(conn, at=now, actor=actor, action="staff.mail", target=actor, detail=choices.described())
    return True


async def set_password_hash(
    conn: AsyncConnection, email: str, password_hash: str, *, now: dt.datetime, actor: str = "cli"
) -> None:
    """Replace a password, lift any lockout, and end the account's sessions (a stolen cookie dies with it)."""
    row = await _require(conn, email)
    await conn.execute(
        s.update().where(s.c.id == row.id).values(password_hash=password_hash, failed=0, lockouts=0, locked_until=None)
    )
    await conn.execute(tables.staff_sessions.delete().where(tables.staff_sessions.c.staff_id == row.id))
    await throttle.lift(conn, row.email)
    await audit.record(conn, at=now, actor=actor, action="staff.set_password", target=row.email)


def sign_in_email(email: str) -> str:
    """The email as typed on the sign-in form, as accounts are looked up by it (trimmed, lower-cased, bounded)."""
    return email.strip().lower()[:320]


async def find(conn: AsyncConnection, email: str) -> Row | None:
    """The account for a sign-in, read before the password is checked (outside any write transaction)."""
    return await _by_email(conn, sign_in_email(email))


async def record_sign_in(
    conn: AsyncConnection, email: str, *, source: str, matches: bool, new_hash: str | None, now: dt.datetime
) -> StaffUser | None:
    """Count a sign-in attempt from `source` whose password was already checked; the user, or None.

    Runs in the sign-in's write transaction (the password check, slow on purpose, runs before it, outside
    any transaction, so a sign-in never holds the database's write lock). Unknown accounts count like
    known ones, so a pause says nothing about whether an account exists.
    """
    email = sign_in_email(email)
    row = await _by_email(conn, email, for_update=True)
    actor = email if row is not None else _typed(email)
    if await throttle.paused_until(conn, email, source, now) is not None:
        # Attempts during a pause neither count nor extend it: it ends on time.
        await audit.record(conn, at=now, actor=actor, action="login.failed", detail="paused for this address")
        return None
    if row is not None and row.disabled:
        await audit.record(conn, at=now, actor=email, action="login.failed", detail="account disabled")
        return None
    if row is None or not matches:
        failure = await throttle.fail(conn, email, source, now)
        if failure.paused_until is not None:
            until = f"for one address until {failure.paused_until:%Y-%m-%d %H:%M} UTC"
            await audit.record(conn, at=now, actor=actor, action="login.locked", detail=until)
        detail = "unknown account" if row is None else "wrong password"
        await audit.record(conn, at=now, actor=actor, action="login.failed", detail=detail)
        return None
    await throttle.succeed(conn, email, source)
    values: dict[str, Any] = {"failed": 0, "lockouts": 0, "locked_until": None}
    if new_hash is not None:
        values["password_hash"] = new_hash
    await conn.execute(s.update().where(s.c.id == row.id).values(**values))
    await audit.record(conn, at=now, actor=email, action="login.ok")
    return StaffUser(row.id, row.email, row.role)


async def unlock(conn: AsyncConnection, email: str, *, now: dt.datetime, actor: str = "cli") -> int:
    """Lift every sign-in pause on an account, with its audit entry; returns the sources that were counted."""
    row = await _require(conn, email)
    lifted = await throttle.lift(conn, row.email)
    await conn.execute(s.update().where(s.c.id == row.id).values(failed=0, lockouts=0, locked_until=None))
    await audit.record(conn, at=now, actor=actor, action="staff.unlock", target=row.email, detail=f"{lifted} sources")
    return lifted
