"""Feedback: "Was this information helpful?" votes, their daily counters, and tallies.

One vote per visitor per page: a second vote from the same visitor replaces
the first. Alongside each vote the `vote_days` counters are updated in the same
transaction (the old vote's day is decremented, today's incremented), so the
staff tallies sum a few hundred small rows per page instead of scanning
millions of votes, and can never drift from the votes themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk import tables

REASONS = {
    "hard-to-understand": "Hard to understand",
    "incorrect": "Incorrect or out of date",
    "missing": "Missing information",
    "other": "Other",
}


@dataclass(frozen=True)
class VoteResult:
    replaced: bool  # the visitor had voted on this page before
    previous_helpful: bool | None


def _upsert_insert(conn: AsyncConnection) -> Any:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


async def _bump(conn: AsyncConnection, page: str, day: dt.date, helpful: bool, delta: int) -> None:
    insert = _upsert_insert(conn)
    column = "yes" if helpful else "no"
    stmt = insert(tables.vote_days).values(
        page=page, day=day, yes=max(delta, 0) if helpful else 0, no=0 if helpful else max(delta, 0)
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["page", "day"],
        set_={column: getattr(tables.vote_days.c, column) + delta},
    )
    await conn.execute(stmt)


async def record_vote(
    conn: AsyncConnection,
    *,
    page: str,
    visitor: str,
    helpful: bool,
    reason: str | None,
    comment: str | None,
    now: dt.datetime,
    submission_id: str | None = None,
) -> VoteResult:
    """Insert or replace one visitor's vote on one page, and keep the daily counters exact.

    Call inside a write transaction (`db.write()`), e.g. from `submissions.accept(extra=...)`.
    """
    v = tables.votes
    query = sa.select(v.c.id, v.c.helpful, v.c.updated_at).where(v.c.page == page, v.c.visitor == visitor)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    old = (await conn.execute(query)).first()
    if old is None and conn.dialect.name == "postgresql":
        # Two first votes racing from one visitor: let one insert win, then treat the other as a replacement.
        insert = _upsert_insert(conn)
        inserted = await conn.execute(
            insert(v)
            .values(
                page=page,
                visitor=visitor,
                helpful=helpful,
                reason=reason,
                comment=comment,
                submission_id=submission_id,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["page", "visitor"])
        )
        if inserted.rowcount == 1:
            await _bump(conn, page, now.date(), helpful, 1)
            return VoteResult(False, None)
        old = (await conn.execute(query)).first()
    if old is None:
        await conn.execute(
            v.insert().values(
                page=page,
                visitor=visitor,
                helpful=helpful,
                reason=reason,
                comment=comment,
                submission_id=submission_id,
                created_at=now,
                updated_at=now,
            )
        )
        await _bump(conn, page, now.date(), helpful, 1)
        return VoteResult(False, None)
    old_day = old.updated_at.astimezone(dt.UTC).date() if old.updated_at.tzinfo else old.updated_at.date()
    await _bump(conn, page, old_day, old.helpful, -1)
    await conn.execute(
        v.update()
        .where(v.c.id == old.id)
        .values(
            helpful=helpful,
            reason=reason,
            comment=comment,
            submission_id=submission_id,
            updated_at=now,
            triage="new",
        )
    )
    await _bump(conn, page, now.date(), helpful, 1)
    return VoteResult(True, old.helpful)
