"""Staff accounts: creating them, signing in with a per-account lockout, disabling.

Roles are `viewer` (reads feedback tallies, the overview and delivery health)
and `admin` (also sees personal data, replays deliveries, reviews spam and the
audit log). Accounts are made from the CLI (`frontdesk staff add`); there is
no sign-up page.

The lockout works per account, not per client, so a password guesser gains
nothing from many addresses: after `MAX_FAILURES` wrong passwords in a row
the account is locked for 15 minutes, and each further lockout before a
successful sign-in doubles that (30, 60, ... minutes, at most a day). While
locked, even the right password is refused. Every refusal (unknown account,
wrong password, locked, disabled) looks the same to the person signing in
and costs one Argon2 verification; only the audit log says which it was.
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

ROLES = ("viewer", "admin")
MAX_FAILURES = 5
LOCK_BASE = dt.timedelta(minutes=15)
LOCK_MAX = dt.timedelta(hours=24)

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


def lock_duration(lockouts: int) -> dt.timedelta:
    """15 minutes for the first lockout, doubling with each repeat, at most `LOCK_MAX`."""
    doublings: int = 2 ** max(0, lockouts - 1)
    return min(LOCK_BASE * doublings, LOCK_MAX)


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


async def set_password_hash(
    conn: AsyncConnection, email: str, password_hash: str, *, now: dt.datetime, actor: str = "cli"
) -> None:
    """Replace a password, lift any lockout, and end the account's sessions (a stolen cookie dies with it)."""
    row = await _require(conn, email)
    await conn.execute(
        s.update().where(s.c.id == row.id).values(password_hash=password_hash, failed=0, lockouts=0, locked_until=None)
    )
    await conn.execute(tables.staff_sessions.delete().where(tables.staff_sessions.c.staff_id == row.id))
    await audit.record(conn, at=now, actor=actor, action="staff.set_password", target=row.email)


def sign_in_email(email: str) -> str:
    """The email as typed on the sign-in form, as accounts are looked up by it (trimmed, lower-cased, bounded)."""
    return email.strip().lower()[:320]


async def find(conn: AsyncConnection, email: str) -> Row | None:
    """The account for a sign-in, read before the password is checked (outside any write transaction)."""
    return await _by_email(conn, sign_in_email(email))


async def record_sign_in(
    conn: AsyncConnection, email: str, *, matches: bool, new_hash: str | None, now: dt.datetime
) -> StaffUser | None:
    """Count a sign-in attempt whose password was already checked; the user, or None for every kind of refusal.

    Runs in the sign-in's write transaction (the password check, which is slow on purpose, runs before it,
    outside any transaction, so a sign-in never holds the database's write lock). The counters are read
    again here, locked on PostgreSQL, so two attempts at once count twice.
    """
    email = sign_in_email(email)
    row = await _by_email(conn, email, for_update=True)
    if row is None:
        await audit.record(conn, at=now, actor=_typed(email), action="login.failed", detail="unknown account")
        return None
    if row.disabled:
        await audit.record(conn, at=now, actor=email, action="login.failed", detail="account disabled")
        return None
    if row.locked_until is not None and row.locked_until > now:
        # Attempts during a lockout neither count nor extend it: the owner gets back in when it ends.
        await audit.record(conn, at=now, actor=email, action="login.failed", detail="account locked")
        return None
    if not matches:
        failed = row.failed + 1
        values: dict[str, Any] = {"failed": failed}
        if failed >= MAX_FAILURES:
            lockouts = row.lockouts + 1
            until = now + lock_duration(lockouts)
            values = {"failed": 0, "lockouts": lockouts, "locked_until": until}
            await audit.record(
                conn, at=now, actor=email, action="login.locked", detail=f"until {until:%Y-%m-%d %H:%M} UTC"
            )
        await conn.execute(s.update().where(s.c.id == row.id).values(**values))
        await audit.record(conn, at=now, actor=email, action="login.failed", detail="wrong password")
        return None
    values = {"failed": 0, "lockouts": 0, "locked_until": None}
    if new_hash is not None:
        values["password_hash"] = new_hash
    await conn.execute(s.update().where(s.c.id == row.id).values(**values))
    await audit.record(conn, at=now, actor=email, action="login.ok")
    return StaffUser(row.id, row.email, row.role)
