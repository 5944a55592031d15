"""Slowing down password guessing where it comes from, without locking anyone out.

The old rule locked an *account* after five wrong passwords, for everyone: anyone who knew a staff email
could keep its owner (an admin included) out with five requests, over and over. Now failures are counted
per account *and source* (the client's address, an IPv6 /64; see `guard/ratelimit.client_key`):

- after `FREE_FAILURES` wrong passwords in a row from one source for one account, that source is paused
  for that account for 15 minutes, doubling with each further pause in a row (30, 60, ... at most a day);
  while paused, even the right password from there is refused with the same answer as any failure;
- the owner signing in from anywhere else is not affected, and a success from a source clears that
  source's record;
- failures decay: a source's count is forgotten `DECAY` after its last failure, and its run of pauses
  `PAUSES_DECAY` after it;
- an admin can lift every pause on an account (`/staff/accounts`, `frontdesk staff unlock`), audited.

The per-client rate limit on the sign-in form (`FRONTDESK_RATE_LIMIT_LOGIN`) slows any one address across
all accounts; this slows it on one account for much longer. Old records are pruned as sign-ins happen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.db import tables

FREE_FAILURES = 5
PAUSE_BASE = dt.timedelta(minutes=15)
PAUSE_MAX = dt.timedelta(hours=24)
DECAY = dt.timedelta(minutes=15)
PAUSES_DECAY = dt.timedelta(hours=24)

f = tables.sign_in_failures


def pause_length(pauses: int) -> dt.timedelta:
    """15 minutes for the first pause, doubling with each one in a row, at most `PAUSE_MAX`."""
    doublings: int = 2 ** max(0, pauses - 1)
    return min(PAUSE_BASE * doublings, PAUSE_MAX)


@dataclass(frozen=True)
class Failure:
    paused_until: dt.datetime | None  # set when this failure started a pause


async def _row(conn: AsyncConnection, account: str, source: str) -> tables.Row | None:
    query = sa.select(f).where(f.c.account == account, f.c.source == source)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return (await conn.execute(query)).first()


async def paused_until(conn: AsyncConnection, account: str, source: str, now: dt.datetime) -> dt.datetime | None:
    """When this source may try this account again, if it is paused now."""
    row = await _row(conn, account, source)
    until: dt.datetime | None = row.paused_until if row is not None else None
    return until if until is not None and until > now else None


async def fail(conn: AsyncConnection, account: str, source: str, now: dt.datetime) -> Failure:
    """Count a wrong password from `source` for `account`; may start a pause."""
    await conn.execute(f.delete().where(f.c.last_at < now - PAUSES_DECAY))  # prune what has decayed fully
    row = await _row(conn, account, source)
    failures, pauses = (0, 0) if row is None else (row.failures, row.pauses)
    if row is not None and row.last_at < now - DECAY:
        failures = 0  # the last failure is old: forgotten (the run of pauses decays more slowly)
    failures += 1
    until = None
    if failures >= FREE_FAILURES:
        pauses += 1
        until = now + pause_length(pauses)
        failures = 0
    values = {"failures": failures, "pauses": pauses, "last_at": now, "paused_until": until}
    if row is None:
        await conn.execute(f.insert().values(account=account, source=source, **values))
    else:
        await conn.execute(f.update().where(f.c.account == account, f.c.source == source).values(**values))
    return Failure(until)


async def succeed(conn: AsyncConnection, account: str, source: str) -> None:
    """A right password from `source`: its record goes (other sources' stay)."""
    await conn.execute(f.delete().where(f.c.account == account, f.c.source == source))


async def paused_sources(conn: AsyncConnection, now: dt.datetime) -> dict[str, int]:
    """How many sources are paused right now, per account (for the staff accounts page)."""
    rows = await conn.execute(
        sa.select(f.c.account, sa.func.count()).where(f.c.paused_until > now).group_by(f.c.account)
    )
    return {account: int(n) for account, n in rows}


async def lift(conn: AsyncConnection, account: str) -> int:
    """Lift every pause on `account`; returns how many sources were paused or counting."""
    result = await conn.execute(f.delete().where(f.c.account == account))
    return result.rowcount
