"""Rate limits: client addresses behind trusted proxies, and the limits on memory and on real Redis."""

from __future__ import annotations

import ipaddress
import uuid

import pytest
from starlette.requests import Request
from starlette.testclient import TestClient

from frontdesk.app import create_app
from frontdesk.guard.ratelimit import (
    RateLimiter,
    UnknownRateLimit,
    client_address,
    client_key,
    close_storage,
    make_storage,
    parse_networks,
    retry_after_header,
)
from support import PDF, REDIS_URL, need, run_async

PROXIES = parse_networks(["10.0.0.0/8", "192.0.2.1", "fd00::/8"])


def request(peer: str | None = "203.0.113.7", xff: list[str] | None = None) -> Request:
    headers = [(b"x-forwarded-for", v.encode()) for v in (xff or [])]
    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers, "query_string": b""}
    if peer is not None:
        scope["client"] = (peer, 50000)
    return Request(scope)


def addr(text: str):
    return ipaddress.ip_address(text)


def test_peer_is_the_client_without_trusted_proxies():
    assert client_address("203.0.113.7", ["198.51.100.1"], ()) == addr("203.0.113.7")
    # An untrusted peer's X-Forwarded-For is ignored, whatever it says.
    assert client_address("203.0.113.7", ["198.51.100.1"], PROXIES) == addr("203.0.113.7")


def test_right_most_untrusted_hop_behind_a_trusted_proxy():
    # The client wrote "1.1.1.1" itself; our proxy appended the address it saw (198.51.100.9).
    assert client_address("10.1.2.3", ["1.1.1.1, 198.51.100.9"], PROXIES) == addr("198.51.100.9")
    # Two of our own proxies in a row are skipped.
    assert client_address("10.1.2.3", ["1.1.1.1, 198.51.100.9, 10.9.9.9, 192.0.2.1"], PROXIES) == addr("198.51.100.9")
    # Several header lines read as one list, in order.
    assert client_address("10.1.2.3", ["1.1.1.1", "198.51.100.9"], PROXIES) == addr("198.51.100.9")


def test_odd_forwarded_values():
    assert client_address("10.1.2.3", [], PROXIES) == addr("10.1.2.3")
    assert client_address("10.1.2.3", ["garbage"], PROXIES) == addr("10.1.2.3")
    assert client_address("10.1.2.3", ["1.1.1.1, garbage"], PROXIES) == addr("10.1.2.3")
    assert client_address("10.1.2.3", ["10.0.0.5"], PROXIES) == addr("10.0.0.5")  # all hops ours
    assert client_address("10.1.2.3", ["198.51.100.9:4711"], PROXIES) == addr("198.51.100.9")
    assert client_address("10.1.2.3", ["[2001:db8::1]:443"], PROXIES) == addr("2001:db8::1")
    assert client_address("::ffff:10.1.2.3", ["198.51.100.9"], PROXIES) == addr("198.51.100.9")
    assert client_address(None, ["198.51.100.9"], PROXIES) is None
    assert client_address("not-an-ip", [], PROXIES) is None


def test_keys():
    assert client_key(request("203.0.113.7"), ()) == "203.0.113.7"
    assert client_key(request("2001:db8:1:2:3:4:5:6"), ()) == "2001:db8:1:2::/64"
    assert client_key(request(None), ()) == "unknown"
    assert client_key(request("10.0.0.1", ["198.51.100.9"]), PROXIES) == "198.51.100.9"


def test_bad_proxy_entries_are_named():
    with pytest.raises(ValueError, match="nope"):
        parse_networks(["10.0.0.0/8", "nope"])


def test_retry_after_header_rounds_up():
    assert retry_after_header(0.2) == {"Retry-After": "1"}
    assert retry_after_header(12.01) == {"Retry-After": "13"}


@pytest.fixture(params=["memory", "redis"])
def storage_url(request) -> str:
    if request.param == "memory":
        return ""
    if not REDIS_URL:
        need("Redis tests need FRONTDESK_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/3)")
    return REDIS_URL


async def _limiter(url: str, limits: dict[str, str], namespace: str):
    storage, pool = make_storage(url, key_prefix=f"fdtest-{namespace}")
    return RateLimiter(storage, limits, namespace=namespace), storage, pool


def test_limit_allows_then_refuses_with_a_wait(storage_url):
    async def go():
        limiter, storage, pool = await _limiter(storage_url, {"request_info": "2/minute;3/hour"}, uuid.uuid4().hex)
        try:
            a, b = request("203.0.113.7"), request("203.0.113.8")
            assert await limiter.hit(a, "request_info") is None
            assert await limiter.hit(a, "request_info") is None
            wait = await limiter.hit(a, "request_info")
            assert wait is not None and 55 < wait <= 60
            assert await limiter.hit(b, "request_info") is None  # another client has its own counter
            await limiter.clear(a, "request_info")
            assert await limiter.hit(a, "request_info") is None
            with pytest.raises(UnknownRateLimit):
                await limiter.hit(a, "nope")
        finally:
            await storage.reset()
            await close_storage(storage, pool)

    run_async(go)


def test_a_full_hour_does_not_consume_the_minute(storage_url):
    async def go():
        limiter, storage, pool = await _limiter(storage_url, {"f": "10/minute;2/hour"}, uuid.uuid4().hex)
        try:
            r = request()
            assert await limiter.hit(r, "f") is None
            assert await limiter.hit(r, "f") is None
            for _ in range(5):
                wait = await limiter.hit(r, "f")
                assert wait is not None and wait > 3500  # the hour decides
            minute = limiter.items["f"][0]
            stats = await limiter.strategy.get_window_stats(minute, limiter.namespace, "f", client_key(r, ()))
            assert stats.remaining == 8  # only the two accepted hits were counted
        finally:
            await storage.reset()
            await close_storage(storage, pool)

    run_async(go)


def test_forms_are_counted_separately(storage_url):
    async def go():
        limiter, storage, pool = await _limiter(
            storage_url, {"apply": "1/minute", "feedback": "1/minute"}, uuid.uuid4().hex
        )
        try:
            r = request()
            assert await limiter.hit(r, "apply") is None
            assert await limiter.hit(r, "feedback") is None
            assert await limiter.hit(r, "apply") is not None
        finally:
            await storage.reset()
            await close_storage(storage, pool)

    run_async(go)


def test_redis_shares_limits_between_instances():
    if not REDIS_URL:
        need("Redis tests need FRONTDESK_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/3)")

    async def go():
        namespace = uuid.uuid4().hex
        one, s1, p1 = await _limiter(REDIS_URL, {"login": "3/minute"}, namespace)
        two, s2, p2 = await _limiter(REDIS_URL, {"login": "3/minute"}, namespace)
        try:
            r = request()
            assert await one.hit(r, "login") is None
            assert await two.hit(r, "login") is None
            assert await one.hit(r, "login") is None
            assert await two.hit(r, "login") is not None  # the fourth, on the other instance
        finally:
            await s1.reset()
            await close_storage(s1, p1)
            await close_storage(s2, p2)

    run_async(go)


def test_a_dead_redis_fails_open():
    async def go():
        limiter, storage, pool = await _limiter("redis://127.0.0.1:1/0", {"f": "1/minute"}, "dead")
        try:
            assert await limiter.hit(request(), "f") is None
            assert await limiter.hit(request(), "f") is None
        finally:
            await close_storage(storage, pool)

    run_async(go)


def test_the_app_builds_its_limiter_in_the_lifespan(make_settings, clock, storage_url):
    settings = make_settings(redis_url=storage_url, rate_limits={"request_info": "1/minute"})
    app = create_app(settings, clock=clock)
    with TestClient(app) as client:
        limiter = app.state.services.limiter
        limiter.namespace = uuid.uuid4().hex  # keep this test's Redis keys apart
        # The limiter belongs to the app's event loop: call it there, through the client's portal.
        assert client.portal.call(limiter.hit, request(), "request_info") is None
        assert client.portal.call(limiter.hit, request(), "request_info") is not None
        client.portal.call(limiter.storage.reset)


def test_trusted_proxies_setting_is_validated():
    from frontdesk.settings import Settings, SettingsError

    ok = Settings.from_env({"FRONTDESK_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1, ::1"})
    assert ok.trusted_proxies == ("10.0.0.0/8", "127.0.0.1", "::1")
    with pytest.raises(SettingsError, match="FRONTDESK_TRUSTED_PROXIES"):
        Settings.from_env({"FRONTDESK_TRUSTED_PROXIES": "10.0.0.0/8, proxy.internal"})
    with pytest.raises(SettingsError, match="FRONTDESK_BODY_TIMEOUT_SECONDS"):
        Settings.from_env({"FRONTDESK_BODY_TIMEOUT_SECONDS": "0"})


# ---- through the forms: 429 with Retry-After, the input kept, nothing stored ---------------------------------


@pytest.fixture
def limited_client(make_settings, clock, storage_url):
    limits = {"request_info": "2/minute;30/hour", "apply": "1/minute", "feedback": "1/minute", "login": "5/minute"}
    app = create_app(make_settings(redis_url=storage_url, rate_limits=limits), clock=clock)
    with TestClient(app, follow_redirects=False) as c:
        app.state.services.limiter.namespace = uuid.uuid4().hex  # this test's own counters, also on a shared Redis
        yield c
        c.portal.call(app.state.services.limiter.storage.reset)


def _token(client, path):
    import re

    return re.search(r'name="_t" value="([^"]+)"', client.get(path).text).group(1)


def _rows(client, table):
    from support import db_rows

    return db_rows(client.app.state.services.settings.database_url, table)


LEAD = {
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "interest": "business",
    "message": "Please call me about cover for my 3 engines.",
    "consent": "yes",
}


def test_request_info_over_the_limit_gets_429_with_the_form_kept(limited_client):
    from frontdesk.db import tables

    c = limited_client
    for _ in range(2):
        assert c.post("/request-info", data={**LEAD, "_t": _token(c, "/request-info")}).status_code == 303
    r = c.post("/request-info", data={**LEAD, "_t": _token(c, "/request-info")})
    assert r.status_code == 429
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert r.headers["cache-control"] == "no-store"
    assert "Please wait about" in r.text and "What you typed is kept below." in r.text
    assert (
        'value="Ada Lovelace"' in r.text and "cover for my 3 engines." in r.text and 'value="ada@example.com"' in r.text
    )
    assert '<form method="post" action="/request-info"' in r.text
    assert len(_rows(c, tables.submissions)) == 2  # the refused one is not stored
    j = c.post("/request-info", data=LEAD, headers={"Accept": "application/json"})
    assert j.status_code == 429 and j.json()["ok"] is False and j.json()["retry_after"] >= 1
    assert "retry-after" in j.headers


def test_apply_and_feedback_limits(limited_client):
    from frontdesk.db import tables

    c = limited_client
    pdf = PDF
    job = "/careers/licensed-insurance-agent/apply"
    data = {"name": "Grace Hopper", "email": "grace@example.com", "phone": "605 555 0123", "consent": "yes"}
    assert c.post(job, data={**data, "_t": _token(c, job)}, files={"resume": ("cv.pdf", pdf)}).status_code == 303
    r = c.post(job, data={**data, "_t": _token(c, job)}, files={"resume": ("cv.pdf", pdf)})
    assert r.status_code == 429 and "retry-after" in r.headers
    assert 'value="Grace Hopper"' in r.text and "so is your résumé" in r.text  # held: no need to choose it again
    assert "We have your file <strong>cv.pdf</strong>" in r.text
    assert (
        c.post(
            "/feedback", data={"page": "/customer-care", "helpful": "yes", "_t": _token(c, "/customer-care")}
        ).status_code
        == 303
    )
    r = c.post("/feedback", data={"page": "/customer-care", "helpful": "no", "comment": "Hours are wrong"})
    assert r.status_code == 429 and "Hours are wrong" in r.text
    assert len(_rows(c, tables.submissions)) == 2 and len(_rows(c, tables.uploads)) == 1
    # Another form is not affected by these.
    assert c.post("/request-info", data={**LEAD, "_t": _token(c, "/request-info")}).status_code == 303


def test_clients_behind_a_trusted_proxy_are_told_apart(make_settings, clock):
    settings = make_settings(rate_limits={"request_info": "1/minute"}, trusted_proxies=("127.0.0.0/8",))
    app = create_app(settings, clock=clock)
    with TestClient(app, follow_redirects=False, client=("127.0.0.1", 5000)) as c:
        send = lambda ip: c.post("/request-info", data=LEAD, headers={"X-Forwarded-For": f"6.6.6.6, {ip}"})  # noqa: E731
        assert send("198.51.100.1").status_code == 303
        assert send("198.51.100.2").status_code == 303  # another client behind the same proxy
        assert send("198.51.100.1").status_code == 429
        # The address the client wrote itself (6.6.6.6) is never the key: changing it changes nothing.
        r = c.post("/request-info", data=LEAD, headers={"X-Forwarded-For": "7.7.7.7, 198.51.100.2"})
        assert r.status_code == 429


def test_staff_sign_in_is_limited_per_client_before_any_password_check(limited_client):
    from frontdesk.db import tables

    c = limited_client
    for _ in range(5):
        r = c.post("/staff/login", data={"email": "admin@staff.example", "password": "guess"})
        assert r.status_code == 401
    audit_before = len(_rows(c, tables.audit))
    r = c.post("/staff/login", data={"email": "admin@staff.example", "password": "guess"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert "Too many sign-in attempts" in r.text and 'value="admin@staff.example"' in r.text
    assert len(_rows(c, tables.audit)) == audit_before  # refused before the account was even looked up
