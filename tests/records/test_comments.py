"""Comments: plain text shown safely, links with rel="nofollow ugc", the count line, and when comments close."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from frontdesk.content import load_content
from frontdesk.records import comments

DEMO_CONTENT = Path(__file__).resolve().parents[2] / "content"


def test_html_and_script_show_as_text():
    html = comments.comment_html('<script>alert("x")</script> <b>bold</b> & <img src=x onerror=alert(1)>')
    assert "<script>" not in html and "<b>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&amp;" in html


def test_line_breaks_and_paragraphs_are_kept():
    assert comments.comment_html("one\ntwo\r\n\r\nthree") == "<p>one<br>\ntwo</p><p>three</p>"
    assert comments.comment_html("\n\n  \n") == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "see https://example.com/a?b=1&c=2.",
            'see <a href="https://example.com/a?b=1&amp;c=2" rel="nofollow ugc">https://example.com/a?b=1&amp;c=2</a>.',
        ),
        (
            "(http://example.com/x_(y))",
            '(<a href="http://example.com/x_(y)" rel="nofollow ugc">http://example.com/x_(y)</a>)',
        ),
        ("www.example.com", '<a href="https://www.example.com" rel="nofollow ugc">www.example.com</a>'),
        ("javascript:alert(1)", "javascript:alert(1)"),
        ('https://x.example/"onmouseover="alert(1)', '<a href="https://x.example/" rel="nofollow ugc">'),
    ],
)
def test_urls_become_nofollow_ugc_links(text, expected):
    assert expected in comments.comment_html(text)


def test_find_urls_counts_links():
    assert comments.find_urls("a https://one.example b www.two.example, c http://three.example/x.") == [
        "https://one.example",
        "www.two.example",
        "http://three.example/x",
    ]


def test_website_is_linked_only_when_http():
    assert comments.website_href("https://me.example") == "https://me.example"
    assert comments.website_href("javascript:alert(1)") is None
    assert comments.website_href(None) is None


@pytest.mark.parametrize(
    ("count", "open_", "line"),
    [
        (0, True, "No comments yet, be the first"),
        (1, True, "1 comment, read it below or add one"),
        (3, True, "3 comments, read them below or add one"),
        (0, False, "No comments"),
        (1, False, "1 comment, read it below"),
    ],
)
def test_count_line(count, open_, line):
    assert comments.count_line(count, open_=open_) == line


def test_comments_close_after_the_site_default_or_the_post_override():
    content = load_content(DEMO_CONTENT)
    site = content.site
    recent = content.post("measuring-website-help-pages")  # 2026-11-12, site default 60 days
    assert comments.closes_on(recent, site) == dt.date(2027, 1, 11)
    assert comments.is_open(recent, site, dt.date(2027, 1, 10))
    assert not comments.is_open(recent, site, dt.date(2027, 1, 11))
    overridden = content.post("patient-privacy-on-social-media")  # 2026-07-22, 365 days
    assert comments.closes_on(overridden, site) == dt.date(2027, 7, 22)
    never = overridden.meta.model_copy(update={"comments_close_after_days": 0})
    assert not comments.is_open(type(overridden)(never, overridden.html, overridden.categories), site, never.date)
