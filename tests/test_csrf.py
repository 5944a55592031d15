"""Cross-origin protection: Go 1.25's CrossOriginProtection algorithm, and its 403 page."""

from __future__ import annotations

import pytest
from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from frontdesk.app import create_app
from frontdesk.csrf import is_cross_origin, origin_host

TRUSTED = frozenset({"https://crm.example.com"})


def refused(method: str, **headers: str) -> bool:
    return is_cross_origin(method, Headers({k.replace("_", "-"): v for k, v in headers.items()}), TRUSTED)


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "get"])
def test_safe_methods_always_pass(method):
    assert not refused(method, sec_fetch_site="cross-site", origin="https://evil.example", host="site.example")


@pytest.mark.parametrize("site", ["same-origin", "none", "Same-Origin"])
def test_sec_fetch_site_same_origin_or_none_passes(site):
    assert not refused("POST", sec_fetch_site=site, origin="https://evil.example", host="site.example")


@pytest.mark.parametrize("site", ["cross-site", "same-site", "garbage"])
def test_other_sec_fetch_site_values_are_refused(site):
    assert refused("POST", sec_fetch_site=site, origin="https://site.example", host="site.example")
    assert refused("PUT", sec_fetch_site=site, host="site.example")


def test_trusted_origin_passes_even_cross_site():
    assert not refused("POST", sec_fetch_site="cross-site", origin="https://crm.example.com", host="site.example")
    assert not refused("POST", sec_fetch_site="cross-site", origin="HTTPS://CRM.example.com/", host="site.example")
    assert refused("POST", sec_fetch_site="cross-site", origin="https://crm.example.com.evil", host="site.example")


def test_without_sec_fetch_site_origin_is_compared_with_host():
    assert not refused("POST", origin="https://site.example", host="site.example")
    assert not refused("POST", origin="http://site.example:8000", host="site.example:8000")
    assert refused("POST", origin="https://evil.example", host="site.example")
    assert refused("POST", origin="https://site.example:444", host="site.example")
    assert refused("POST", origin="null", host="site.example")  # sandboxed iframes, data: URLs
    assert refused("POST", origin="https://site.example", host="")
    assert not refused("POST", origin="https://crm.example.com", host="site.example")


def test_neither_header_is_a_non_browser_client_and_passes():
    assert not refused("POST", host="site.example")
    assert not refused("POST", host="site.example", origin="", sec_fetch_site="")  # empty reads as absent
    assert not refused("DELETE")


@pytest.mark.parametrize(
    "origin", ["null", "http://[::1", "javascript:alert(1)", "https://", "x" * 5000, "https://site.example@evil"]
)
def test_odd_origins_never_match(origin):
    assert origin_host(origin) is None or origin_host(origin) != "site.example"
    assert refused("POST", origin=origin, host="site.example")


def _with_echo(app):
    async def echo(request):
        form = await request.form()
        return PlainTextResponse(f"ok {len(form)}")

    app.router.routes.append(Route("/_echo", echo, methods=["POST"]))
    return app


@pytest.fixture
def echo_client(make_settings, clock):
    app = _with_echo(create_app(make_settings(trusted_origins=("https://crm.example.com",)), clock=clock))
    with TestClient(app, follow_redirects=False) as c:
        yield c


def test_forged_cross_site_post_gets_a_403_page_in_the_layout(echo_client):
    r = echo_client.post(
        "/_echo", data={"a": "1"}, headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
    )
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("text/html")
    assert "<main" in r.text and "another website" in r.text
    assert "content-security-policy" in r.headers  # the security headers wrap the refusal too
    assert r.headers["cache-control"] == "no-store"


def test_forged_post_without_fetch_metadata_is_refused(echo_client):
    r = echo_client.post("/_echo", data={"a": "1"}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403


def test_refusal_is_json_for_json_clients(echo_client):
    r = echo_client.post("/_echo", json={}, headers={"Sec-Fetch-Site": "cross-site", "Accept": "application/json"})
    assert r.status_code == 403 and r.json()["error"] == "Forbidden"


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
        {"Sec-Fetch-Site": "none"},
        {"Origin": "http://testserver"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://crm.example.com"},
        {},
    ],
)
def test_legitimate_posts_pass(echo_client, headers):
    r = echo_client.post("/_echo", data={"a": "1"}, headers=headers)
    assert r.status_code == 200 and r.text == "ok 1"


def test_safe_methods_pass_cross_site(echo_client):
    r = echo_client.get("/", headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"})
    assert r.status_code == 200


def test_trusted_origins_setting_is_validated():
    from frontdesk.settings import Settings, SettingsError

    ok = Settings.from_env({"FRONTDESK_TRUSTED_ORIGINS": "https://crm.example.com/, http://localhost:3000"})
    assert ok.trusted_origins == ("https://crm.example.com", "http://localhost:3000")
    for bad in ("crm.example.com", "https://crm.example.com/path", "ftp://x.example", "https://[bad"):
        with pytest.raises(SettingsError, match="FRONTDESK_TRUSTED_ORIGINS"):
            Settings.from_env({"FRONTDESK_TRUSTED_ORIGINS": bad})
