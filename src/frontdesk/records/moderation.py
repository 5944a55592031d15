"""Comment writes: storing a new comment in its first state, and the staff's decisions on it.

A new comment goes through `submissions.accept(kind="comment", extra=...)`:
the submission, its `comment.created` webhook delivery and the `comments` row
are written in ONE transaction, so a comment is never stored without its
event, nor the event sent for a comment that was rolled back.

Its first state is decided inside that same transaction:

- caught by the spam checks (honeypot, time trap): `spam`, and its delivery
  is held, exactly as for any other form;
- a returning commenter, whom the staff have trusted before: `approved`. An
  email address proves nothing (anyone can type someone else's), so it takes
  the same email AND the same browser: the visitor id (`fd_vid`, a random
  128-bit HttpOnly cookie, unguessable) that posted an approved comment under
  that email. And at most `AUTO_APPROVALS_PER_DAY` comments of one email are
  approved that way in 24 hours, so a stolen cookie cannot flood an article;
- otherwise `pending`, until staff approve it.

Staff decisions (`decide`) change the state and stamp who and when, in the
caller's transaction, where the staff view also writes its audit entry.
Approving a comment that was held as spam also releases its held delivery,
through `submissions.release_spam`, exactly as "not spam" does for other
submissions.
Nothing is ever hard-deleted here: "delete" hides the comment for good and
keeps the row for the audit trail; erasure of personal data is the privacy
tools' job. An erased comment (its text gone) can never be approved again:
`decide` refuses with `ErasedComment`, and the article never shows an empty one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.db import Database, tables
from frontdesk.db.tables import Row
from frontdesk.records import comments, payloads, submissions

c = tables.comments
STATES = ("pending", "approved", "spam", "deleted")
AUTO_APPROVALS_PER_DAY = 3
AUTO = "auto: returning commenter"  # `moderated_by` of a comment approved at once
ERASED_BY = "erased"  # `moderated_by` of a comment whose personal data was erased (records/privacy.py)


class ErasedComment(Exception):
    """The comment's text was erased on request: there is nothing left to approve."""


# What each staff action does to a comment's state.
ACTIONS = {"approve": "approved", "spam": "spam", "delete": "deleted"}


@dataclass(frozen=True)
class NewComment:
    """A validated comment, ready to store."""

    post: str
    post_title: str
    url: str  # the article's absolute URL, for the webhook
    name: str
    email: str
    website: str
    body: str
    visitor: str | None


@dataclass(frozen=True)
class Stored:
    comment_id: str
    submission_id: str
    state: str


async def trusted(conn: AsyncConnection, email: str, visitor: str | None, now: dt.datetime) -> bool:
    """A returning commenter: this email and this browser have an approved comment, and the day's quota is left."""
    if not visitor:
        return False
    address = email.lower()
    approved_before = sa.select(c.c.id).where(
        c.c.email == address, c.c.visitor == visitor, c.c.state == "approved", c.c.moderated_by != AUTO
    )
    if (await conn.execute(approved_before.limit(1))).first() is None:
        return False
    recent = sa.select(sa.func.count()).where(
        c.c.email == address, c.c.moderated_by == AUTO, c.c.created_at > now - dt.timedelta(days=1)
    )
    return int((await conn.execute(recent)).scalar_one()) < AUTO_APPROVALS_PER_DAY


async def store(db: Database, new: NewComment, *, now: dt.datetime, spam_reason: str | None) -> Stored:
    """Accept the comment: submission, delivery and comment row in one transaction."""
    comment_id = str(uuid.uuid4())
    decided: dict[str, str] = {}

    async def insert_comment(conn: AsyncConnection, submission_id: str) -> dict[str, Any]:
        if spam_reason:
            state = "spam"
        elif await trusted(conn, new.email, new.visitor, now):
            state = "approved"
        else:
            state = "pending"
        decided["state"] = state
        await conn.execute(
            c.insert().values(
                id=comment_id,
                submission_id=submission_id,
                post=new.post,
                name=new.name,
                email=new.email.lower(),
                website=new.website or None,
                body=new.body,
                state=state,
                visitor=new.visitor,
                created_at=now,
                moderated_at=now if state == "approved" else None,
                moderated_by=AUTO if state == "approved" else None,
            )
        )
        more: payloads.CommentExtra = {"comment_id": comment_id, "state": state}
        return dict(more)

    data: payloads.CommentData = {
        "post": new.post,
        "post_title": new.post_title,
        "url": new.url,
        "name": new.name,
        "email": new.email,
        "website": new.website or None,
        "comment": new.body,
    }
    accepted = await submissions.accept(
        db,
        kind="comment",
        data=dict(data),
        email=new.email,
        spam_reason=spam_reason,
        now=now,
        extra=insert_comment,
    )
    return Stored(comment_id, accepted.submission_id, decided["state"])


async def for_visitor(conn: AsyncConnection, post: str, visitor: str) -> list[comments.Shown]:
    """This browser's comments on the article that are not shown to everyone yet, oldest first.

    Comments the spam checks caught are included: their author gets the same
    answer as anyone else, so a person caught by mistake is not told so.
    """
    rows = await conn.execute(
        sa.select(c.c.id, c.c.name, c.c.website, c.c.body, c.c.created_at)
        .where(c.c.post == post, c.c.visitor == visitor, c.c.state.in_(("pending", "spam")))
        .order_by(c.c.created_at, c.c.id)
        .limit(20)
    )
    return [comments.shown(r, pending=True) for r in rows]


async def counts(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(sa.select(c.c.state, sa.func.count()).group_by(c.c.state))
    return dict.fromkeys(STATES, 0) | {state: n for state, n in rows}


async def queue(conn: AsyncConnection, *, state: str, limit: int, offset: int) -> list[Row]:
    """Comments in one state for the staff, newest first, with whether the email was approved before."""
    earlier = sa.alias(c, "earlier")
    is_returning = (
        sa.select(earlier.c.id)
        .where(earlier.c.email == c.c.email, earlier.c.state == "approved", earlier.c.id != c.c.id)
        .exists()
        .label("is_returning")
    )
    query = (
        sa.select(c, is_returning)
        .where(c.c.state == state)
        .order_by(c.c.created_at.desc(), c.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(await conn.execute(query))


@dataclass(frozen=True)
class Decision:
    comment_id: str
    post: str
    before: str
    after: str


async def decide(
    conn: AsyncConnection, comment_id: str, action: str, *, actor: str, now: dt.datetime
) -> Decision | None:
    """Apply a staff action to a comment; None if there is no such comment. Raises KeyError for an unknown action.

    Approving a comment also judges it not spam: a held submission is released and its event goes out.
    """
    after = ACTIONS[action]
    row = (
        await conn.execute(
            sa.select(c.c.post, c.c.state, c.c.submission_id, c.c.moderated_by).where(c.c.id == comment_id)
        )
    ).first()
    if row is None:
        return None
    if row.moderated_by == ERASED_BY and after == "approved":
        raise ErasedComment(comment_id)
    await conn.execute(c.update().where(c.c.id == comment_id).values(state=after, moderated_at=now, moderated_by=actor))
    if after == "approved":
        await submissions.release_spam(conn, row.submission_id, now=now)
    return Decision(comment_id, row.post, row.state, after)
