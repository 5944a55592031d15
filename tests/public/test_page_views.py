"""Page views: counted per path and day on the server, without cookies; robots, HEAD, 304s and prefetches left out."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from frontdesk.db import tables
from frontdesk.pagecache import ViewCounter
from support import in_app

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"}
DAY = dt.date(2026, 11, 20)  # the clock fixture's day


def flush(client) -> dict[str, int]:
    async def go(app):
        services = app.state.services
        await services.views.flush(services.db)
        async with services.db.read() as conn:
            rows = await conn.execute(sa.select(tables.page_views))
            return {r.path: r.views for r in rows if r.day == DAY}

    return in_app(client, go)


def test_views_are_counted_per_path_from_the_cache_and_behind_it(client):
    for _ in range(3):
        response = client.get("/offices", headers=BROWSER)
        assert response.status_code == 200 and "set-cookie" not in response.headers
    client.get("/careers", headers=BROWSER)
    client.get("/careers?department=sales", headers=BROWSER)  # the path, not the query
    client.get("/request-info", headers=BROWSER)  # a form page, not cached
    assert flush(client) == {"/offices": 3, "/careers": 2, "/request-info": 1}
    client.get("/offices", headers=BROWSER)
    assert flush(client)["/offices"] == 4  # added to the day's row


def test_what_is_not_a_person_reading_a_page_is_not_counted(client, staff_client):
    client.get("/offices", headers=BROWSER)  # now cached
    etag = client.get("/offices", headers=BROWSER).headers["etag"]
    before = flush(client)["/offices"]
    client.head("/offices", headers=BROWSER)
    assert client.get("/offices", headers={**BROWSER, "If-None-Match": etag}).status_code == 304
    client.get("/offices", headers={**BROWSER, "Sec-Purpose": "prefetch;prerender"})
    client.get("/offices", headers={**BROWSER, "Purpose": "prefetch"})
    client.get("/offices", headers={"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1)"})
    client.get("/offices", headers={"User-Agent": "curl/8.5.0"})
    client.get("/offices", headers={"User-Agent": ""})
    client.get("/no-such-page", headers=BROWSER)
    client.get("/robots.txt", headers=BROWSER)
    staff_client("viewer").get("/staff", headers=BROWSER)
    counted = flush(client)
    assert counted["/offices"] == before and set(counted) == {"/offices"}


def test_the_counter_is_bounded_and_keeps_what_a_flush_could_not_write():
    views = ViewCounter(max_keys=2)
    headers = [(b"user-agent", BROWSER["User-Agent"].encode())]
    assert views.count("/a", headers, DAY) and views.count("/b", headers, DAY) and views.count("/a", headers, DAY)
    assert not views.count("/c", headers, DAY) and views.dropped == 1
    counts = views.drain()
    assert counts == {(DAY, "/a"): 2, (DAY, "/b"): 1} and views.drain() == {}
    views.count("/a", headers, DAY)
    views.restore(counts)
    assert views.drain() == {(DAY, "/a"): 3, (DAY, "/b"): 1}


def test_counts_survive_the_apps_shutdown(app, settings):
    from starlette.testclient import TestClient

    from support import db_rows

    with TestClient(app) as c:
        c.get("/offices", headers=BROWSER)
    assert [(r.path, r.views) for r in db_rows(settings.database_url, tables.page_views)] == [("/offices", 1)]
