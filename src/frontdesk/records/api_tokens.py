"""API tokens: one bearer token per integration that pulls submissions from `/api/v1`.

A token is `fd_` and 43 URL-safe characters (32 random bytes); only its SHA-256 is stored, so the
database never holds a usable token and the token is shown once, when an admin makes it. Looking a token
up is by that hash (unique, indexed), and a revoked token is found revoked on the very next request:
nothing is cached.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.db import tables
from frontdesk.db.tables import Row

t = tables.api_tokens
PREFIX = "fd_"
MAX_TOKEN = 100
MAX_NAME = 100


class TokenNameError(ValueError):
    """An integration's name that cannot label a token: empty, too long, or with control characters."""


def check_name(raw: str) -> str:
    """The integration's name with its runs of white space made single spaces; `TokenNameError` if unfit."""
    name = " ".join(raw.split())
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise TokenNameError(f"Name the integration in 1 to {MAX_NAME} characters.")
    return name


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create(conn: AsyncConnection, name: str, *, now: dt.datetime, actor: str) -> tuple[int, str]:
    """Make a token for the integration `name`; returns its id and the token (never stored)."""
    token = PREFIX + secrets.token_urlsafe(32)
    result = await conn.execute(
        t.insert().values(name=name, token_hash=digest(token), created_at=now, created_by=actor).returning(t.c.id)
    )
    return int(result.scalar_one()), token


async def find(conn: AsyncConnection, token: str) -> Row | None:
    """The live (not revoked) token row for a presented token, else None."""
    if not token.startswith(PREFIX) or len(token) > MAX_TOKEN or not token.isascii():
        return None
    return (await conn.execute(sa.select(t).where(t.c.token_hash == digest(token), t.c.revoked_at.is_(None)))).first()


async def used(conn: AsyncConnection, token_id: int, now: dt.datetime) -> None:
    await conn.execute(t.update().where(t.c.id == token_id).values(last_used_at=now))


async def revoke(conn: AsyncConnection, token_id: int, now: dt.datetime) -> Row | None:
    """Revoke a live token; returns its row, or None if there is no live token with that id."""
    row = (await conn.execute(sa.select(t).where(t.c.id == token_id, t.c.revoked_at.is_(None)))).first()
    if row is not None:
        await conn.execute(t.update().where(t.c.id == token_id).values(revoked_at=now))
    return row


async def all_tokens(conn: AsyncConnection) -> list[Row]:
    return list(await conn.execute(sa.select(t).order_by(t.c.revoked_at.is_not(None), t.c.created_at.desc())))
