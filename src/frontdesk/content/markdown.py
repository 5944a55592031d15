"""Markdown, rendered one way everywhere: CommonMark plus tables, with raw HTML disabled.

Content is written by the agency's editors, not by visitors, but raw HTML is still off: templates then only
ever insert HTML that came out of this renderer, and the strict Content-Security-Policy holds for every
page an editor writes.
"""

from __future__ import annotations

from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def render_markdown(text: str) -> str:
    return str(_markdown.render(text))
