"""Server-side staff sessions, kept in `staff_sessions` and carried by one cookie.

The cookie holds a random 256-bit token; the database holds only its SHA-256.
Someone who reads the database (a backup, a replica) therefore cannot sign in
as anyone, while the server can still look a session up in one indexed query.
A session ends when it has been idle for `session_idle_minutes` (30) or has
lasted `session_max_hours` (8) in all, whichever comes first; both are
measured with the app's clock, so tests can move time.

To spare the database a write on every page view, `last_seen` is refreshed
at most once a minute, so the idle limit holds to within that minute. These
functions take a connection; `access.py` opens the transactions (a read for
every staff page, a write only to end or touch a session).

The cookie is `HttpOnly` (scripts cannot read it), `SameSite=Strict` (no other
site can make a browser send it) and `Path=/`. Over HTTPS it is also `Secure`
and named with the `__Host-` prefix, which browsers accept only from a secure
origin, without a Domain attribute and with Path=/, so a sibling subdomain
cannot plant or overwrite it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from frontdesk.db import tables
from frontdesk.db.tables import Row
from frontdesk.settings import Settings

COOKIE = "frontdesk_staff"
TOUCH_EVERY = dt.timedelta(minutes=1)

ss = tables.staff_sessions


def cookie_name(settings: Settings) -> str:
    return f"__Host-{COOKIE}" if settings.https else COOKIE


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def expired(created_at: dt.datetime, last_seen: dt.datetime, now: dt.datetime, settings: Settings) -> bool:
    idle = now - last_seen > dt.timedelta(minutes=settings.session_idle_minutes)
    too_old = now - created_at > dt.timedelta(hours=settings.session_max_hours)
    return idle or too_old


def due_for_touch(last_seen: dt.datetime, now: dt.datetime) -> bool:
    return now - last_seen >= TOUCH_EVERY


async def start(conn: AsyncConnection, staff_id: int, *, now: dt.datetime, settings: Settings) -> str:
    """Open a session and return the cookie token. A new token at every sign-in prevents session fixation."""
    token = secrets.token_urlsafe(32)
    # Housekeeping: timed-out sessions are of no further use. Sign-ins are rare, so this keeps the
    # (small) table clean without a background job.
    oldest_alive = now - dt.timedelta(hours=settings.session_max_hours)
    idle_since = now - dt.timedelta(minutes=settings.session_idle_minutes)
    await conn.execute(ss.delete().where(sa.or_(ss.c.created_at < oldest_alive, ss.c.last_seen < idle_since)))
    await conn.execute(ss.insert().values(id=token_id(token), staff_id=staff_id, created_at=now, last_seen=now))
    return token


def usable_token(token: str | None) -> bool:
    return bool(token) and len(token or "") <= 100


async def lookup(conn: AsyncConnection, token: str) -> Row | None:
    """The session of a cookie token with its account: created_at, last_seen, id, email, role, disabled."""
    st = tables.staff
    return (
        await conn.execute(
            sa.select(ss.c.created_at, ss.c.last_seen, st.c.id, st.c.email, st.c.role, st.c.disabled)
            .join(st, st.c.id == ss.c.staff_id)
            .where(ss.c.id == token_id(token))
        )
    ).first()


async def touch(conn: AsyncConnection, token: str, *, now: dt.datetime) -> None:
    await conn.execute(ss.update().where(ss.c.id == token_id(token)).values(last_seen=now))


async def end(conn: AsyncConnection, token: str) -> None:
    await conn.execute(ss.delete().where(ss.c.id == token_id(token)))


def set_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        cookie_name(settings),
        token,
        max_age=settings.session_max_hours * 3600,
        path="/",
        secure=settings.https,
        httponly=True,
        samesite="strict",
    )


def clear_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(cookie_name(settings), path="/", secure=settings.https, httponly=True, samesite="strict")
