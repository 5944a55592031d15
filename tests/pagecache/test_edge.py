"""The edge (pagecache/edge.py): the same answer as the full app, byte for byte, and a fall-through for
everything that needs per-request work (landings, odd shapes, HTTPS without HSTS configured, a new day)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from frontdesk.app import create_app
from frontdesk.public.crawlers import sitemap_paths
from frontdesk.settings import Settings
from support import DEMO_CONTENT, TEST_SECRET, FakeClock

ENCODINGS = ["", "gzip", "br", "gzip, deflate, br"]
EXTRA = ["/robots.txt", "/sitemap.xml", "/careers?type=internship", "/request-info"]


@pytest.fixture
def site(tmp_path: Path, sqlite_template: Path, media_cache: Path, clock: FakeClock) -> Iterator[Any]:
    """The demo site on SQLite (the edge never touches the database), with its lifespan running."""
    shutil.copy(sqlite_template, tmp_path / "edge.db")
    settings = Settings(
        env="development",
        content_dir=DEMO_CONTENT,
        data_dir=tmp_path / "data",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'edge.db'}",
        secret_key=TEST_SECRET,
        public_url="http://testserver",
        run_worker=False,
        media_dir_override=media_cache,
    )
    app = create_app(settings, clock=clock)
    with TestClient(app, follow_redirects=False) as client:
        client.app_under_test = app  # type: ignore[attr-defined]
        yield client


def scope_for(path: str, *headers: tuple[bytes, bytes], method: str = "GET", scheme: str = "http") -> dict[str, Any]:
    raw_path, _, query = path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": scheme,
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"user-agent", b"edge-test"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }


def call(client: TestClient, asgi: Any, scope: dict[str, Any]) -> list[dict[str, Any]]:
    """Every message `asgi` sends for `scope`, copied (the edge shares its header lists between requests)."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append({k: list(v) if k == "headers" else v for k, v in message.items()})

    async def go() -> None:
        await asgi(dict(scope), receive, send)

    assert client.portal is not None
    client.portal.call(go)
    return sent


def both(client: TestClient, scope: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], bool]:
    """(what the edge path sent, what the full app sent, whether the edge answered it itself)."""
    app = client.app_under_test  # type: ignore[attr-defined]
    before = app.edge.hits
    edge = call(client, app, scope)
    served_at_edge = app.edge.hits == before + 1
    full = call(client, app.edge.app, {**scope, "app": app})  # the built middleware stack, without the edge
    return edge, full, served_at_edge


def every_page(client: TestClient) -> list[str]:
    app = client.app_under_test  # type: ignore[attr-defined]
    services = app.state.services
    paths = sitemap_paths(services.content.current, services.clock().date())
    return [*paths, *EXTRA]


def test_every_public_page_and_encoding_is_the_same_at_the_edge_as_through_the_app(site):
    paths = every_page(site)
    assert len(paths) > 20
    # Articles are not cached pages: their comments come from the database, so they always reach the app.
    articles = {f"/insights/{post.slug}" for post in site.app_under_test.state.services.content.current.posts}
    for path in paths:
        assert site.get(path).status_code == 200, path  # a view builds and files it
        if path in articles:
            assert not both(site, scope_for(path))[2]
            continue
        for coding in ENCODINGS:
            headers = [(b"accept-encoding", coding.encode())] if coding else []
            edge, full, at_edge = both(site, scope_for(path, *headers))
            assert at_edge, path
            assert edge == full, (path, coding)
            start = dict(edge[0]["headers"])
            assert b"content-security-policy" in start and b"x-frame-options" in start
            etag = start[b"etag"]
            edge, full, at_edge = both(site, scope_for(path, *headers, (b"if-none-match", etag)))
            assert at_edge and edge == full and edge[0]["status"] == 304, path
            edge, full, at_edge = both(site, scope_for(path, *headers, method="HEAD"))
            assert at_edge and edge == full and edge[1]["body"] == b"", path


def test_a_campaign_landing_falls_through_and_sets_the_attribution_cookie(site):
    path = "/offices"
    site.get(path)
    edge, _full, at_edge = both(site, scope_for(path + "?utm_source=news&utm_campaign=fall"))
    assert not at_edge  # never filed under that query, and it is a landing
    edge, _full, at_edge = both(site, scope_for(path, (b"referer", b"https://search.example/?q=insurance")))
    assert not at_edge
    headers = dict(edge[0]["headers"])
    assert b"set-cookie" in headers and headers[b"cache-control"] == b"private, no-store"
    edge, _full, at_edge = both(site, scope_for(path, (b"referer", b"http://testserver/careers")))
    assert at_edge  # a link from our own page is no landing


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ([(b"host", b"second.example")], 400),  # a repeated Host
        ([(b"x-big", b"y" * 9000)], 431),
        ([(f"x-{i}".encode(), b"1") for i in range(120)], 431),
    ],
)
def test_what_the_guard_would_refuse_is_refused_by_the_guard(site, headers, status):
    site.get("/offices")
    edge, full, at_edge = both(site, scope_for("/offices", *headers))
    assert not at_edge and edge[0]["status"] == full[0]["status"] == status


def test_odd_but_acceptable_shapes_fall_through_and_still_get_the_page(site):
    site.get("/offices")
    many = [(f"x-{i}".encode(), b"1") for i in range(30)]
    edge, full, at_edge = both(site, scope_for("/offices", *many))
    assert not at_edge and edge[0]["status"] == full[0]["status"] == 200
    bad_host = scope_for("/offices")
    bad_host["headers"] = [(b"host", b"bad host!"), (b"user-agent", b"edge-test")]
    edge, _full, at_edge = both(site, bad_host)
    assert not at_edge and edge[0]["status"] == 400


def test_https_on_a_site_without_https_settings_gets_hsts_from_the_guard(site):
    site.get("/offices")
    edge, full, at_edge = both(site, scope_for("/offices", scheme="https"))
    assert not at_edge and edge == full
    assert b"strict-transport-security" in dict(edge[0]["headers"])


def test_unfiled_urls_and_other_methods_reach_the_app(site):
    site.get("/offices")
    _edge, _full, at_edge = both(site, scope_for("/offices?page=2"))
    assert not at_edge
    edge, _full, at_edge = both(site, scope_for("/no-such-page"))
    assert not at_edge and edge[0]["status"] == 404
    edge, _full, at_edge = both(site, scope_for("/offices", method="POST"))
    assert not at_edge and edge[0]["status"] in (403, 405)


def test_a_new_day_rebuilds_the_pages_before_the_edge_serves_again(site, clock):
    site.get("/careers")
    assert both(site, scope_for("/careers"))[2]
    clock.advance(days=1)
    assert not both(site, scope_for("/careers"))[2]  # yesterday's page is not sent
    assert site.get("/careers").status_code == 200
    assert both(site, scope_for("/careers"))[2]


def test_page_views_are_counted_for_what_the_edge_answers(site):
    app = site.app_under_test
    seen: list[str] = []
    app.edge.on_view = lambda path, agent, prefetch, day: seen.append((path, agent, prefetch))
    site.get("/offices")
    both(site, scope_for("/offices"))
    etag = dict(both(site, scope_for("/offices"))[0][0]["headers"])[b"etag"]
    both(site, scope_for("/offices", (b"if-none-match", etag)))  # a 304 is not a view
    both(site, scope_for("/offices", (b"sec-purpose", b"prefetch;prerender")))
    assert seen == [("/offices", b"edge-test", False)] * 2 + [("/offices", b"edge-test", True)]


def test_the_edge_counts_people_not_robots_or_prefetches(site):
    """The edge hands the counter what its own header scan found; the counter decides."""
    counter = site.app_under_test.state.services.views
    site.get("/offices")  # filed in the cache
    counter.drain()
    browser = (b"user-agent", b"Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36")
    for extra in [(), ((b"purpose", b"prefetch"),), ((b"x-moz", b"prefetch"),)]:
        edge, _, at_edge = both(site, {**scope_for("/offices"), "headers": [(b"host", b"testserver"), browser, *extra]})
        assert at_edge and edge[0]["status"] == 200
    both(site, {**scope_for("/offices"), "headers": [(b"host", b"testserver"), (b"user-agent", b"Googlebot/2.1")]})
    counted = {path: n for (_, path), n in counter.drain().items()}
    assert counted == {"/offices": 2}  # one from the edge, one from the full app beside it: the person's GET
