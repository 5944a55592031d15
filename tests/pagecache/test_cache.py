"""The page cache: conditional GETs, encodings, headers, slots, and nothing per visitor in shared bytes."""

from __future__ import annotations

import datetime as dt
import gzip
import re
import zlib

import brotli
import pytest

from frontdesk.pagecache.cache import SLOT_MARKER, Page, Rendered, Slots
from frontdesk.pagecache.compression import negotiate

OFFICE = "/offices/sioux-falls-agency"
JOB = "/careers/licensed-insurance-agent"
PAGES = ["/", "/offices", OFFICE, "/careers", "/careers?type=internship", JOB, "/customer-care", "/request-info"]
PAGES += [f"{JOB}/apply", "/sitemap.xml", "/robots.txt", f"{OFFICE}?feedback=thanks"]
TOKEN = re.compile(rb'name="_t" value="[^"]*"')


def raw(client, path, **headers):
    """The response and its body exactly as sent (not decoded)."""
    with client.stream("GET", path, headers=headers) as r:
        return r, b"".join(r.iter_raw())


def decode(body: bytes, encoding: str | None) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "br":
        return brotli.decompress(body)
    assert encoding is None
    return body


@pytest.mark.parametrize("path", PAGES)
def test_conditional_get_answers_304_with_the_validators(client, path):
    first = client.get(path)
    assert first.status_code == 200
    etag = first.headers["etag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == first.headers["cache-control"]
    assert again.headers.get("vary") == first.headers.get("vary")
    assert "content-security-policy" in again.headers  # 304s pass through the security headers too
    assert client.get(path, headers={"If-None-Match": '"something-else"'}).status_code == 200
    assert client.get(path, headers={"If-None-Match": f'"x", {etag}'}).status_code == 304
    assert client.get(path, headers={"If-None-Match": "*"}).status_code == 304


def test_etags_are_strong_unless_the_page_has_slots(client):
    # An office page carries the feedback form, whose time-trap token is filled per response: a weak ETag.
    assert client.get(OFFICE).headers["etag"].startswith('W/"')
    # The thank-you state of the widget has no form, so no slot: the bytes never change, a strong ETag.
    assert client.get(f"{OFFICE}?feedback=thanks").headers["etag"].startswith('"')
    strong = client.get("/sitemap.xml").headers["etag"]
    assert strong.startswith('"')
    assert client.get("/sitemap.xml", headers={"If-None-Match": "W/" + strong}).status_code == 304  # weak comparison


def test_each_encoding_has_its_own_etag(client):
    plain = client.get(OFFICE, headers={"Accept-Encoding": "identity"}).headers["etag"]
    gz = client.get(OFFICE, headers={"Accept-Encoding": "gzip"}).headers["etag"]
    br = client.get(OFFICE, headers={"Accept-Encoding": "br"}).headers["etag"]
    assert len({plain, gz, br}) == 3
    assert client.get(OFFICE, headers={"Accept-Encoding": "br", "If-None-Match": gz}).status_code == 200
    assert client.get(OFFICE, headers={"Accept-Encoding": "gzip", "If-None-Match": gz}).status_code == 304


@pytest.mark.parametrize("path", PAGES)
def test_public_pages_are_cacheable_by_cdns_and_vary_on_encoding(client, path):
    h = client.get(path).headers
    assert h["cache-control"] == "public, max-age=300, stale-while-revalidate=600"
    if int(h["content-length"]) > 0 and path != "/robots.txt":
        assert h["vary"] == "Accept-Encoding"
    assert "set-cookie" not in h


def test_errors_and_landings_are_not_cacheable(client):
    assert client.get("/offices/nope").headers["cache-control"] == "no-store"
    assert "etag" not in client.get("/offices/nope").headers
    landing = client.get(f"{OFFICE}?utm_source=news")  # sets the attribution cookie
    assert "fd_attr=" in landing.headers["set-cookie"]
    assert landing.headers["cache-control"] == "private, no-store"
    landing = client.get(f"{OFFICE}?utm_source=news", headers={"Referer": "https://search.example/"})
    assert "fd_attr=" in landing.headers["set-cookie"]  # also when the URL is already in the cache


@pytest.mark.parametrize("path", ["/", OFFICE, "/careers", JOB, "/request-info", "/sitemap.xml"])
def test_gzip_and_brotli_decode_to_the_same_bytes(client, path):
    plain_r, plain = raw(client, path, **{"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain_r.headers
    for encoding in ["gzip", "br"]:
        r, body = raw(client, path, **{"Accept-Encoding": encoding})
        assert r.headers["content-encoding"] == encoding
        assert int(r.headers["content-length"]) == len(body) < len(plain)
        assert decode(body, encoding) == plain  # the clock stands still, so the tokens are equal too


def test_encodings_follow_accept_encoding_weights():
    assert negotiate(b"gzip, deflate, br") == "br"
    assert negotiate(b"gzip, deflate") == "gzip"
    assert negotiate(b"br;q=0.5, gzip") == "gzip"
    assert negotiate(b"br;q=0, gzip;q=0") == "identity"
    assert negotiate(b"*") == "br"
    assert negotiate(b"*;q=0.1, gzip;q=0.5") == "gzip"
    assert negotiate(b"identity") == "identity"
    assert negotiate(b"gzip;q=nonsense, br;q=0") == "identity"


def test_head_sends_the_headers_without_the_body(client):
    r = client.head(OFFICE)
    assert r.status_code == 200 and r.content == b""
    assert int(r.headers["content-length"]) > 0 and r.headers["etag"]


def test_two_visitors_get_identical_bytes(make_settings, clock):
    """Cookies, a referrer and other headers never reach the bytes; only documented slots differ."""
    from starlette.testclient import TestClient

    from frontdesk.app import create_app

    app = create_app(make_settings(), clock=clock)
    alice = {"Accept-Encoding": "identity", "User-Agent": "Alice", "Accept-Language": "en"}
    bob = {"Accept-Encoding": "identity", "User-Agent": "Bob", "Accept-Language": "de", "Referer": "http://testserver/"}
    with TestClient(app) as a, TestClient(app) as b:
        a.cookies.set("fd_vid", "a" * 32)
        a.cookies.set("fd_attr", "eyJ1dG1fc291cmNlIjoiYWxpY2Utc2VjcmV0In0")  # {"utm_source":"alice-secret"}
        b.cookies.set("fd_vid", "b" * 32)
        b.cookies.set("fd_session", "bob-private-session")
        for path in PAGES:
            _, first = raw(a, path, **alice)
            clock.advance(seconds=2)  # a new second: a new time-trap token in every form
            _, second = raw(b, path, **bob)
            assert TOKEN.sub(b"_t", first) == TOKEN.sub(b"_t", second), path
            for secret in [b"alice", b"bob", b"a" * 8, b"b" * 8]:
                assert secret not in first.lower() and secret not in second.lower(), (path, secret)
    # What is stored holds markers where the tokens go, and nothing from either visitor.
    for page in app.state.services.page_cache._pages.values():
        stored = b"".join(page.statics)
        assert b"alice" not in stored.lower() and b"bob" not in stored.lower()
        # Each token field is split around its slot: the stored parts hold no token at all.
        assert all(m[0] == b'name="_t" value=""' for m in TOKEN.finditer(stored))
        assert set(page.slot_names) <= {"form_token"}


def test_the_token_slot_carries_a_fresh_token(client, clock):
    first = TOKEN.search(client.get("/request-info").content)[0]
    assert first == TOKEN.search(client.get("/request-info").content)[0]  # same second, same token
    clock.advance(seconds=1)
    second = TOKEN.search(client.get("/request-info").content)[0]
    assert second != first
    stamp = int(second.split(b'value="')[1].split(b".")[0])
    assert stamp == int(clock().timestamp())


def test_a_page_renders_once_per_content_version_and_day(client, app, clock):
    cache = app.state.services.page_cache
    client.get(OFFICE)
    renders = cache.renders
    for query in ["", "?utm_x=1", "?a=1", "?a=2"]:
        assert client.get(OFFICE + query).status_code == 200
    assert cache.renders == renders  # stray query parameters reach the same page
    clock.advance(days=1)
    client.get(OFFICE)
    assert cache.renders == renders + 1  # a new day: postings may have opened or closed


def test_the_fast_path_follows_the_day(client, clock):
    assert client.get(JOB).status_code == 200
    assert client.get(JOB).status_code == 200  # now answered before routing
    clock.advance(days=3650)
    assert client.get(JOB).status_code == 410


def test_urls_filed_for_the_fast_path_are_bounded(client, app):
    cache = app.state.services.page_cache
    cache.max_routes = 20
    for i in range(100):
        client.get(f"/?n={i}")
    assert len(cache._routes) <= 20
    assert client.get("/?n=1").status_code == 200


def test_odd_careers_filters_share_one_page(client, app):
    cache = app.state.services.page_cache
    client.get("/careers?type=nonsense")
    renders = cache.renders
    for value in ["nothing", "%00", "x" * 300]:
        r = client.get(f"/careers?type={value}")
        assert r.status_code == 200 and "No openings match" in r.text
    assert cache.renders == renders


def _slots(values: dict[str, str]) -> Slots:
    slots = Slots()
    for name, value in values.items():
        slots.register(name, lambda value=value: value)
    return slots


@pytest.mark.parametrize("value", ["tok&<\"'", "x" * 70_000, ""])
def test_gzip_with_slots_is_valid_for_any_value(value):
    mark = SLOT_MARKER.format(name="a")
    html = mark + "<p>" + "lorem ipsum " * 100 + mark + "</p>" + "dolor " * 50 + mark
    page = Page(Rendered(html), _slots({"a": value}))
    now = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    identity, _ = page._body("identity", int(now.timestamp()))
    gz, _ = page._body("gzip", int(now.timestamp()))
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;").replace("'", "&#x27;")
    assert identity == html.replace(mark, escaped).encode()
    assert gzip.decompress(gz) == identity
    assert zlib.decompress(gz, 47) == identity  # and zlib's own gzip reader agrees


def test_slot_markers_need_a_registered_filler():
    with pytest.raises(KeyError):
        Slots().marker("nope")
    with pytest.raises(ValueError, match="slot names"):
        Slots().register("Bad Name", str)


@pytest.mark.browser
def test_the_form_learns_where_the_visitor_came_from_in_the_browser(live_server, page):
    """The cached Request Info page leaves `page` empty; site.js fills it from a same-site referrer."""
    page.route("https://**/*", lambda route: route.abort())
    page.goto(live_server.url + OFFICE)
    page.get_by_role("link", name="Request info").first.click()
    page.wait_for_url("**/request-info")
    assert page.locator("input[name=page]").input_value() == OFFICE
    page.goto(live_server.url + "/request-info")  # typed in: no referrer, nothing to fill
    assert page.locator("input[name=page]").input_value() == ""


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        (b"", []),
        (b"a=1", [(b"host", b"testserver")]),
        (b"utm_source=x", [(b"host", b"testserver")]),
        (b"%75tm_source=x", [(b"host", b"testserver")]),
        (b"UTM_SOURCE=x", []),
        (b"", [(b"host", b"testserver"), (b"referer", b"http://testserver/offices")]),
        (b"", [(b"host", b"testserver"), (b"referer", b"https://testserver")]),
        (b"", [(b"host", b"testserver"), (b"referer", b"https://testserver.evil.example/")]),
        (b"", [(b"host", b"testserver"), (b"referer", b"https://testserver:8443/")]),
        (b"", [(b"host", b"testserver"), (b"referer", b"https://search.example/?q=testserver")]),
        (b"", [(b"referer", b"https://search.example/")]),
        (b"", [(b"host", b"testserver"), (b"referer", b"not a url")]),
    ],
)
def test_the_attribution_pre_check_never_hides_a_landing(query, headers):
    """The cheap check that keeps attribution off the hot path agrees with the full one."""
    from frontdesk.intake.attribution import _landing, _maybe_landing

    scope = {"type": "http", "method": "GET", "path": "/", "query_string": query, "headers": headers}
    if _landing(scope, dt.datetime(2026, 11, 20, tzinfo=dt.UTC)) is not None:
        assert _maybe_landing(scope)
