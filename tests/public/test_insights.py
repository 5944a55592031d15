"""Insights: listing and pagination, previous/next order, categories, Atom feeds, escaping, sitemap, JSON-LD."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from frontdesk.app import create_app
from frontdesk.content import load_content
from frontdesk.db import Database, tables
from support import decide, run_async

# The demo articles, newest first (the test clock stands at 2026-11-20).
NEWEST_FIRST = [
    "measuring-website-help-pages",  # 2026-11-12
    "local-search-and-office-listings",  # 2026-10-05
    "benefits-enrollment-emails-employees-read",  # 2026-08-27
    "patient-privacy-on-social-media",  # 2026-07-22
    "why-hospitals-belong-on-social-media",  # 2026-06-10
]
ATOM = "{http://www.w3.org/2005/Atom}"
ARTICLE_SLUG = "measuring-website-help-pages"
ARTICLE = f"/insights/{ARTICLE_SLUG}"
EVIL = """Q&A: <script>alert("x")</script> & 'quotes'"""


def jsonld_blocks(html: str) -> list[dict]:
    return [json.loads(b) for b in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)]


def rel_links(html: str, rel: str) -> list[str]:
    return re.findall(rf'<a rel="{rel}"[^>]*href="([^"]+)"', html)


def write_post(root: Path, slug: str, day: dt.date, *, title: str | None = None, **fields: str) -> None:
    front = {
        "title": json.dumps(title or f"Article {slug}"),
        "slug": slug,
        "date": day.isoformat(),
        "author": "Test Author",
        "categories": "[communication]",
        "summary": json.dumps(f"Summary of {slug}."),
        **fields,
    }
    text = "---\n" + "".join(f"{k}: {v}\n" for k, v in front.items()) + "---\nBody of the article.\n"
    (root / "posts" / f"{slug}.md").write_text(text)


@pytest.fixture
def many_posts(content_dir: Path) -> Path:
    """The demo content plus 25 older articles: 30 in all, three pages of ten."""
    for i in range(25):
        write_post(content_dir, f"extra-{i:02d}", dt.date(2025, 1, 1) + dt.timedelta(days=i))
    return content_dir


def client_for(make_settings, clock, content_dir: Path) -> TestClient:
    return TestClient(create_app(make_settings(content_dir=content_dir), clock=clock), follow_redirects=False)


# Listing and pagination


def test_listing_is_newest_first_with_summaries_and_linked_categories(client):
    r = client.get("/insights")
    assert r.status_code == 200 and "public" in r.headers["cache-control"]
    html = r.text
    positions = [html.index(f'href="/insights/{slug}"') for slug in NEWEST_FIRST]
    assert positions == sorted(positions)
    assert "Page views don&#39;t tell you whether a help page actually helped." in html
    assert 'href="/insights/category/healthcare"' in html and 'href="/insights/category/social-media"' in html
    assert "Pagination" not in html  # five articles fit on one page
    assert '<link rel="canonical" href="http://testserver/insights">' in html


def test_pagination(make_settings, clock, many_posts):
    with client_for(make_settings, clock, many_posts) as c:
        first = c.get("/insights").text
        assert first.count('class="card post-card"') == 10
        assert "Page 1 of 3" in first
        assert rel_links(first, "next") == ["/insights?page=2"] and rel_links(first, "prev") == []
        assert '<link rel="next" href="/insights?page=2">' in first
        second = c.get("/insights?page=2").text
        assert "Page 2 of 3" in second
        assert rel_links(second, "prev") == ["/insights"] and rel_links(second, "next") == ["/insights?page=3"]
        assert '<link rel="canonical" href="http://testserver/insights?page=2">' in second
        last = c.get("/insights?page=3").text
        assert last.count('class="card post-card"') == 10 and rel_links(last, "next") == []
        assert 'href="/insights/extra-00"' in last  # the oldest is on the last page
        # Every article appears exactly once across the pages.
        seen = [s for page in (first, second, last) for s in re.findall(r'<h2><a href="/insights/([^"]+)"', page)]
        assert len(seen) == 30 == len(set(seen))


@pytest.mark.parametrize(("query", "shown"), [("?page=abc", 1), ("?page=-4", 1), ("?page=0", 1), ("?page=999", 3)])
def test_odd_page_numbers_never_fail(make_settings, clock, many_posts, query, shown):
    with client_for(make_settings, clock, many_posts) as c:
        r = c.get("/insights" + query)
        assert r.status_code == 200 and f"Page {shown} of 3" in r.text


# Previous and next


@pytest.mark.parametrize("index", range(len(NEWEST_FIRST)))
def test_previous_is_older_and_next_is_newer(client, index):
    html = client.get(f"/insights/{NEWEST_FIRST[index]}").text
    older = NEWEST_FIRST[index + 1] if index + 1 < len(NEWEST_FIRST) else None
    newer = NEWEST_FIRST[index - 1] if index > 0 else None
    assert rel_links(html, "prev") == ([f"/insights/{older}"] if older else [])
    assert rel_links(html, "next") == ([f"/insights/{newer}"] if newer else [])


def test_following_previous_from_the_newest_visits_every_article_once(make_settings, clock, many_posts):
    with client_for(make_settings, clock, many_posts) as c:
        path, seen = "/insights/" + NEWEST_FIRST[0], []
        while path:
            seen.append(path.rsplit("/", 1)[1])
            links = rel_links(c.get(path).text, "prev")
            path = links[0] if links else None
        assert seen[:5] == NEWEST_FIRST and len(seen) == 30 == len(set(seen))
        assert seen[-1] == "extra-00"


def test_same_day_articles_have_a_stable_order(content_dir):
    write_post(content_dir, "same-day-a", dt.date(2026, 11, 12))
    posts = [p.slug for p in load_content(content_dir).posts]
    # Same date: ordered by slug, newest-first list reversed, so the order is total and repeatable.
    assert posts[:3] == ["same-day-a", "measuring-website-help-pages", "local-search-and-office-listings"]


# Article page


def test_article_page(client):
    slug = "why-hospitals-belong-on-social-media"
    html = client.get(f"/insights/{slug}").text
    assert '<h1 id="post-title">Why hospitals belong on social media</h1>' in html
    assert "By Dana Whitford" in html and '<time datetime="2026-06-10">June 10, 2026</time>' in html
    assert 'href="/insights/category/healthcare">Healthcare</a>' in html
    assert 'href="/insights/category/social-media">Social Media</a>' in html
    assert '<meta property="og:type" content="article">' in html
    assert '<meta property="article:published_time" content="2026-06-10">' in html
    assert 'class="button" href="/request-info"' in html  # the call to action
    assert "No comments yet, be the first" not in html  # closed: 163 days old, the site closes at 60
    assert "Comments are closed" in html
    assert f'<link rel="canonical" href="http://testserver/insights/{slug}">' in html


def test_article_json_ld(client):
    slug = "patient-privacy-on-social-media"
    (data,) = jsonld_blocks(client.get(f"/insights/{slug}").text)
    assert data["@context"] == "https://schema.org" and data["@type"] == "Article"
    assert data["headline"] == "Patient privacy on social media: a practical checklist for care teams"
    assert data["datePublished"] == "2026-07-22"
    assert data["author"] == {"@type": "Person", "name": "Dana Whitford"}
    assert data["publisher"]["name"] == "Prairie Point Agency"
    assert data["mainEntityOfPage"] == f"http://testserver/insights/{slug}"
    assert data["articleSection"] == ["Healthcare", "Social Media"]
    assert data["description"].startswith("Most social media privacy slips")


def test_unknown_article_is_404(client):
    assert client.get("/insights/no-such-article").status_code == 404
    assert client.get("/insights/..%2F..%2Fetc%2Fpasswd").status_code == 404


@pytest.mark.parametrize(
    "path", ["/insights", "/insights/category/healthcare", "/insights/measuring-website-help-pages", "/"]
)
def test_feed_is_announced_in_the_head(client, path):
    head = client.get(path).text.split("</head>")[0]
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Prairie Point Agency insights" '
        'href="http://testserver/insights/feed.xml">' in head
    )


def test_category_page_announces_its_own_feed(client):
    head = client.get("/insights/category/healthcare").text.split("</head>")[0]
    assert 'href="http://testserver/insights/category/healthcare/feed.xml"' in head


# Categories


def test_category_page_lists_its_articles_only(client):
    r = client.get("/insights/category/healthcare")
    assert r.status_code == 200
    html = r.text
    assert "<h1>Healthcare</h1>" in html
    assert "Notes for hospitals, clinics, and care teams" in html
    listed = re.findall(r'<h2><a href="/insights/([^"]+)"', html)
    assert listed == ["patient-privacy-on-social-media", "why-hospitals-belong-on-social-media"]
    assert 'aria-current="page">Healthcare</a>' in html


def test_article_in_two_categories_is_listed_in_both(client):
    for slug in ["online-marketing", "communication"]:
        assert 'href="/insights/measuring-website-help-pages"' in client.get(f"/insights/category/{slug}").text


def test_unknown_category_is_404(client):
    assert client.get("/insights/category/astrology").status_code == 404
    assert client.get("/insights/category/astrology/feed.xml").status_code == 404


def test_categories_yaml_adds_categories(make_settings, clock, content_dir):
    (content_dir / "categories.yaml").write_text("- {slug: benefits, name: Benefits, description: Plans.}\n")
    write_post(content_dir, "new-benefits", dt.date(2026, 11, 1), categories="[benefits]")
    with client_for(make_settings, clock, content_dir) as c:
        assert 'href="/insights/new-benefits"' in c.get("/insights/category/benefits").text
        assert "<h1>Healthcare</h1>" in c.get("/insights/category/healthcare").text


def test_categories_yaml_may_not_repeat_a_site_category(content_dir):
    from frontdesk.content import ContentError

    (content_dir / "categories.yaml").write_text("categories:\n  - {slug: healthcare, name: Again}\n")
    with pytest.raises(ContentError) as info:
        load_content(content_dir)
    assert any(
        "categories.yaml: categories.0.slug: 'healthcare' is already a category" in p for p in info.value.problems
    )


def test_known_category_without_articles(make_settings, clock, content_dir):
    (content_dir / "categories.yaml").write_text("- {slug: empty, name: Empty}\n")
    with client_for(make_settings, clock, content_dir) as c:
        r = c.get("/insights/category/empty")
        assert r.status_code == 200 and "No articles yet" in r.text
        parsed = feedparser.parse(c.get("/insights/category/empty/feed.xml").content)
        assert parsed.bozo == 0 and parsed.entries == [] and parsed.feed.updated


# Feeds


def _check_atom(xml: bytes, *, self_url: str, alternate_url: str, count: int) -> ET.Element:
    """RFC 4287's required elements, checked on the raw XML (feedparser forgives much)."""
    root = ET.fromstring(xml)
    assert root.tag == f"{ATOM}feed"
    for tag in ["id", "title", "updated", "author"]:
        assert len(root.findall(f"{ATOM}{tag}")) == 1, tag
    assert root.find(f"{ATOM}author/{ATOM}name").text
    links = {(el.get("rel"), el.get("type")): el.get("href") for el in root.findall(f"{ATOM}link")}
    assert links[("self", "application/atom+xml")] == self_url
    assert links[("alternate", "text/html")] == alternate_url
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == count
    for entry in entries:
        for tag in ["id", "title", "updated", "published", "summary", "content"]:
            assert len(entry.findall(f"{ATOM}{tag}")) == 1, tag
        assert entry.find(f"{ATOM}content").get("type") == "html"
        assert entry.find(f"{ATOM}link[@rel='alternate']").get("href").startswith("http://testserver/insights/")
        for tag in ["updated", "published"]:
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry.find(f"{ATOM}{tag}").text)
    return root


def test_feed_is_valid_atom(client):
    r = client.get("/insights/feed.xml")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/atom+xml")
    assert "public" in r.headers["cache-control"]
    _check_atom(
        r.content,
        self_url="http://testserver/insights/feed.xml",
        alternate_url="http://testserver/insights",
        count=5,
    )
    parsed = feedparser.parse(r.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == "Prairie Point Agency insights"
    assert parsed.feed.id == "http://testserver/insights"
    assert parsed.feed.updated == "2026-11-12T00:00:00Z"  # the newest article's date, never "now"
    assert parsed.feed.author == "Prairie Point Agency"
    assert [e.link for e in parsed.entries] == [f"http://testserver/insights/{s}" for s in NEWEST_FIRST]
    first = parsed.entries[0]
    assert first.id == "http://testserver/insights/measuring-website-help-pages"
    assert first.title == "Are your help pages working? How to find out"
    assert first.published == first.updated == "2026-11-12T00:00:00Z"
    assert first.author == "Tom Lindqvist"
    assert first.summary.startswith("Page views don't tell you")
    assert first.content[0].type == "text/html"
    assert "<h2>Decide what" in first.content[0].value
    assert {t.term for t in first.tags} == {"online-marketing", "communication"}


def test_category_feed(client):
    r = client.get("/insights/category/healthcare/feed.xml")
    _check_atom(
        r.content,
        self_url="http://testserver/insights/category/healthcare/feed.xml",
        alternate_url="http://testserver/insights/category/healthcare",
        count=2,
    )
    parsed = feedparser.parse(r.content)
    assert parsed.bozo == 0
    assert parsed.feed.title == "Prairie Point Agency insights: Healthcare"
    assert parsed.feed.updated == "2026-07-22T00:00:00Z"
    assert [e.link.rsplit("/", 1)[1] for e in parsed.entries] == NEWEST_FIRST[3:]


def test_feed_bytes_are_stable(client, clock):
    first = client.get("/insights/feed.xml").content
    clock.advance(days=3)
    assert client.get("/insights/feed.xml").content == first


def test_feed_holds_the_newest_twenty(make_settings, clock, many_posts):
    with client_for(make_settings, clock, many_posts) as c:
        parsed = feedparser.parse(c.get("/insights/feed.xml").content)
        assert parsed.bozo == 0 and len(parsed.entries) == 20


# Escaping


@pytest.fixture
def evil_content(content_dir: Path) -> Path:
    write_post(
        content_dir,
        "evil",
        dt.date(2026, 11, 15),
        title=EVIL,
        summary=json.dumps("Summary with <b>tags</b> & ampersands"),
        author=json.dumps("Ann </script> O'Brien"),
    )
    return content_dir


def test_titles_and_summaries_are_escaped_everywhere(make_settings, clock, evil_content):
    with client_for(make_settings, clock, evil_content) as c:
        for path in ["/insights", "/insights/evil", "/insights/category/communication", "/"]:
            html = c.get(path).text
            assert "<script>alert" not in html, path
            assert "Q&amp;A: &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html, path
        article = c.get("/insights/evil").text
        assert "<b>tags</b>" not in article
        (data,) = jsonld_blocks(article)
        assert data["headline"] == EVIL and data["author"]["name"] == "Ann </script> O'Brien"
        feed = c.get("/insights/feed.xml").content
        parsed = feedparser.parse(feed)
        assert parsed.bozo == 0
        entry = parsed.entries[0]
        assert entry.title == EVIL
        assert entry.summary == "Summary with <b>tags</b> & ampersands"
        root = ET.fromstring(feed)  # still well-formed XML
        assert root.find(f"{ATOM}entry/{ATOM}title").text == EVIL


def test_control_characters_never_break_the_feed(make_settings, clock, content_dir):
    write_post(content_dir, "odd", dt.date(2026, 11, 15), title="Bell\u0007 and form\u000cfeed")
    with client_for(make_settings, clock, content_dir) as c:
        parsed = feedparser.parse(c.get("/insights/feed.xml").content)
        assert parsed.bozo == 0 and parsed.entries[0].title == "Bell and formfeed"


# Sitemap


def test_sitemap_lists_insights_articles_and_used_categories(make_settings, clock, content_dir):
    (content_dir / "categories.yaml").write_text("- {slug: unused, name: Unused}\n")
    with client_for(make_settings, clock, content_dir) as c:
        root = ET.fromstring(c.get("/sitemap.xml").text)
    locs = {el.text for el in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    assert "http://testserver/insights" in locs
    for slug in NEWEST_FIRST:
        assert f"http://testserver/insights/{slug}" in locs
    for category in ["communication", "healthcare", "online-marketing", "social-media"]:
        assert f"http://testserver/insights/category/{category}" in locs
    assert "http://testserver/insights/category/unused" not in locs


# Comments as the article shows them (posting and moderation are tested in test_comments.py)


def insert_comment(
    database_url: str, post: str, *, state: str, body: str, at: dt.datetime, visitor: str | None = None
) -> None:
    """Write a comment row directly, on a connection of its own (the app's engine lives on another loop)."""
    run_async(lambda: _insert_comment(database_url, post, state=state, body=body, at=at, visitor=visitor))


async def _insert_comment(
    database_url: str, post: str, *, state: str, body: str, at: dt.datetime, visitor: str | None
) -> None:
    db = Database(database_url)
    submission = str(uuid.uuid4())
    async with db.write() as conn:
        await conn.execute(
            tables.submissions.insert().values(id=submission, kind="comment", created_at=at, data={}, spam=False)
        )
        await conn.execute(
            tables.comments.insert().values(
                id=str(uuid.uuid4()),
                submission_id=submission,
                post=post,
                name="Reader",
                email="reader@example.com",
                website="https://reader.example",
                body=body,
                state=state,
                visitor=visitor,
                created_at=at,
            )
        )
    await db.dispose()


def test_comment_count_line_and_approved_comments(client, clock, database_url):
    slug, db = "measuring-website-help-pages", database_url
    assert "No comments yet, be the first" in client.get(f"/insights/{slug}").text
    insert_comment(db, slug, state="approved", body="First!\nSecond line", at=clock())
    insert_comment(db, slug, state="pending", body="Not yet shown", at=clock())
    insert_comment(db, slug, state="spam", body="Buy now", at=clock())
    html = client.get(f"/insights/{slug}").text
    assert "1 comment, read it below or add one" in html
    assert "First!<br>\nSecond line" in html
    assert "Not yet shown" not in html and "Buy now" not in html
    assert "reader@example.com" not in html  # the email is never shown
    assert '<a href="https://reader.example" rel="nofollow ugc">Reader</a>' in html
    insert_comment(db, slug, state="approved", body="<script>alert(1)</script>", at=clock())
    html = client.get(f"/insights/{slug}").text
    assert "2 comments, read them below or add one" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html


# The page cache


def test_listings_and_feeds_come_from_the_page_cache(client, app):
    cache = app.state.services.page_cache
    paths = [
        "/insights",
        "/insights/category/healthcare",
        "/insights/feed.xml",
        "/insights/category/healthcare/feed.xml",
    ]
    first = {p: client.get(p) for p in paths}
    renders = cache.renders
    for path, response in first.items():
        assert response.headers["etag"] and "public" in response.headers["cache-control"]
        assert client.get(path, headers={"If-None-Match": response.headers["etag"]}).status_code == 304
        assert client.get(path + "?utm_source=x").content == response.content
    assert cache.renders == renders


def test_article_pages_come_from_the_page_cache(client, app):
    cache = app.state.services.page_cache
    r = client.get(ARTICLE)
    renders = cache.renders
    again = client.get(ARTICLE, headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304
    assert client.get(ARTICLE + "?utm_source=x").status_code == 200
    assert cache.renders == renders
    assert client.get(ARTICLE, headers={"Accept-Encoding": "gzip"}).headers["content-encoding"] == "gzip"


def test_a_moderation_decision_by_another_process_shows_at_once(client, app, clock, database_url):
    """The article's key holds its approved comments: no process needs to be told to forget a page."""

    r = client.get(ARTICLE)
    assert "No comments yet, be the first" in r.text
    insert_comment(database_url, ARTICLE_SLUG, state="pending", body="Waiting for a moderator", at=clock())
    assert client.get(ARTICLE, headers={"If-None-Match": r.headers["etag"]}).status_code == 304  # nothing to show

    async def approve_elsewhere():
        db = Database(database_url)  # its own engine, as the CLI or another worker would have
        try:
            async with db.read() as conn:
                (row,) = list(await conn.execute(sa.select(tables.comments.c.id)))

            async def audit(conn, actor, action, target):
                await conn.execute(tables.audit.insert().values(at=clock(), actor=actor, action=action, target=target))

            await decide(db, row.id, "approve", actor="mod@example.com", now=clock())
        finally:
            await db.dispose()

    run_async(approve_elsewhere)
    fresh = client.get(ARTICLE, headers={"If-None-Match": r.headers["etag"]})
    assert fresh.status_code == 200 and "Waiting for a moderator" in fresh.text
    assert "1 comment, read it below or add one" in fresh.text


def test_article_bytes_are_the_same_for_every_visitor(client, clock, database_url):
    """Even the author of a pending comment gets the shared bytes; only the time-trap token differs."""
    insert_comment(database_url, ARTICLE_SLUG, state="pending", body="Only mine", at=clock(), visitor="a" * 32)
    token = re.compile(rb'name="_t" value="[^"]*"')
    client.cookies.set("fd_vid", "a" * 32)
    client.cookies.set("fd_pending", ARTICLE_SLUG)
    mine = client.get(ARTICLE, headers={"Accept-Encoding": "identity"}).content
    assert b"Only mine" in client.get(ARTICLE + "/your-comments/fragment").content
    client.cookies.clear()
    clock.advance(seconds=2)
    theirs = client.get(ARTICLE, headers={"Accept-Encoding": "identity", "User-Agent": "someone else"}).content
    assert token.sub(b"_t", mine) == token.sub(b"_t", theirs)
    assert b"Only mine" not in mine
