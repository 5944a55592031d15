"""Comments on insight articles: when they are open, how they are shown, and reading them.

A comment's life::

    posted ──> pending ──(staff: approve)──> approved   (shown on the article)
       │          └─────(staff: spam)──────> spam       (kept for the retention period, never shown)
       └─(its email already has an approved comment)──> approved at once
    any state ──(staff: delete)──> deleted              (the row stays, its text is never shown)

Comments are plain text. `comment_html` is the only way a body reaches a page:
every character is escaped first, then line breaks become `<br>` and blank
lines new paragraphs, and http(s) URLs become links with `rel="nofollow ugc"`
(so search engines do not count them as the site's endorsement). A body that
contains `<script>` therefore shows the word "<script>" and nothing runs.

Comments on an article close a number of days after its date: the post's
`comments_close_after_days` if it sets one, else the site's. 0 means the
article never takes comments.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup, escape
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.content import Post, SiteFile
from frontdesk.db import tables

c = tables.comments

# What counts as a link, for display and for the two-links rule. Trailing punctuation is not part of it:
# "see https://example.com." links https://example.com.
URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""


def closes_on(post: Post, site: SiteFile) -> dt.date:
    """The first day on which the article no longer takes comments."""
    days = post.meta.comments_close_after_days
    if days is None:
        days = site.comments_close_after_days
    return post.meta.date + dt.timedelta(days=days)


def is_open(post: Post, site: SiteFile, today: dt.date) -> bool:
    return today < closes_on(post, site)


def _url_spans(text: str) -> list[tuple[int, str]]:
    """(start, url) for each URL in the text, trailing punctuation trimmed (kept balanced parentheses)."""
    spans = []
    for match in URL.finditer(text):
        url = match.group(0)
        while url and url[-1] in _TRAILING and not (url[-1] == ")" and url.count("(") >= url.count(")")):
            url = url[:-1]
        spans.append((match.start(), url))
    return spans


def find_urls(text: str) -> list[str]:
    return [url for _, url in _url_spans(text)]


def _link(url: str) -> str:
    href = url if url.lower().startswith(("http://", "https://")) else "https://" + url
    return f'<a href="{escape(href)}" rel="nofollow ugc">{escape(url)}</a>'


def _linkify_line(line: str) -> str:
    out: list[str] = []
    pos = 0
    for start, url in _url_spans(line):
        out.append(str(escape(line[pos:start])))
        out.append(_link(url))
        pos = start + len(url)
    out.append(str(escape(line[pos:])))
    return "".join(out)


def comment_html(body: str) -> Markup:
    """A plain-text comment as safe HTML: escaped, paragraphs and line breaks kept, URLs linked."""
    paragraphs = [p.strip("\n") for p in re.split(r"\n[ \t]*\n", body.replace("\r\n", "\n").replace("\r", "\n"))]
    html = "".join(
        "<p>" + "<br>\n".join(_linkify_line(line) for line in p.split("\n")) + "</p>" for p in paragraphs if p.strip()
    )
    return Markup(html)  # noqa: S704 - every piece of text was escaped above


def website_href(website: str | None) -> str | None:
    """The commenter's website, if it is an http(s) address (nothing else is ever made a link)."""
    if website and website.lower().startswith(("http://", "https://")):
        return website
    return None


def count_line(count: int, *, open_: bool) -> str:
    """The line under an article's title that says how many comments it has and what to do next."""
    if count == 0:
        return "No comments yet, be the first" if open_ else "No comments"
    noun = "1 comment" if count == 1 else f"{count} comments"
    pronoun = "it" if count == 1 else "them"
    return f"{noun}, read {pronoun} below or add one" if open_ else f"{noun}, read {pronoun} below"


@dataclass(frozen=True)
class Shown:
    """A comment as the article page shows it: never the email."""

    id: str
    name: str
    website: str | None
    html: Markup
    created_at: dt.datetime
    pending: bool = False


def shown(row: Any, *, pending: bool = False) -> Shown:
    """A comments row (id, name, website, body, created_at) as the page shows it."""
    return Shown(
        id=row.id,
        name=row.name,
        website=website_href(row.website),
        html=comment_html(row.body),
        created_at=row.created_at,
        pending=pending,
    )


async def approved(conn: AsyncConnection, post: str) -> list[Shown]:
    """The article's approved comments, oldest first (a conversation reads top down)."""
    rows = await conn.execute(
        sa.select(c.c.id, c.c.name, c.c.website, c.c.body, c.c.created_at)
        .where(c.c.post == post, c.c.state == "approved", c.c.body != "")  # never an erased, empty one
        .order_by(c.c.created_at, c.c.id)
    )
    return [shown(r) for r in rows]
