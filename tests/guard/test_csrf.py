"""Cross-origin protection: Go 1.25's CrossOriginProtection algorithm, and its 403 page."""

from __future__ import annotations

import pytest
from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from frontdesk.app import create_app
from frontdesk.guard.csrf import is_cross_origin, origin_host

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


# ---- the real forms ------------------------------------------------------------------------------------------


def test_forged_posts_to_every_form_are_refused_and_store_nothing(client, settings):
    from frontdesk.db import tables
    from support import db_rows

    forged = {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
    lead = {"name": "Ada", "email": "ada@example.com", "interest": "business", "message": "hi", "consent": "yes"}
    for path, data in [
        ("/request-info", lead),
        ("/feedback", {"page": "/customer-care", "helpful": "yes"}),
        ("/careers/licensed-insurance-agent/apply", lead),
        ("/staff/login", {"email": "admin@staff.example", "password": "x"}),
    ]:
        r = client.post(path, data=data, headers=forged)
        assert r.status_code == 403, path
    assert db_rows(settings.database_url, tables.submissions) == []
    assert db_rows(settings.database_url, tables.audit) == []  # the sign-in was not even attempted


@pytest.mark.browser
def test_a_real_browser_posting_from_another_origin_is_refused(live_server, page):
    """Chromium on an attacker's page (another port is another origin) submits a form to our /request-info."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from frontdesk.db import tables
    from support import db_rows

    attacker_page = f"""<!doctype html><title>win a prize</title>
<form method="post" action="{live_server.url}/request-info">
<input name="name" value="Victim"><input name="email" value="v@example.com"><input name="interest" value="auto">
<input name="message" value="forged"><input name="consent" value="yes"><button id="go">Claim</button></form>"""

    class Evil(BaseHTTPRequestHandler):
        def do_GET(self):
            body = attacker_page.encode()
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    evil = ThreadingHTTPServer(("127.0.0.1", 0), Evil)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{evil.server_address[1]}/")
        with page.expect_navigation():
            page.click("#go")
        assert "another website" in page.content()
    finally:
        evil.shutdown()
        evil.server_close()
    assert db_rows(live_server.database_url, tables.submissions) == []
    # The same form on our own page goes through (Sec-Fetch-Site: same-origin).
    page.goto(live_server.url + "/request-info")
    page.fill("#name", "Ada Lovelace")
    page.fill("#email", "ada@example.com")
    page.select_option("#interest", "auto")
    page.fill("#message", "A real request.")
    page.check("#consent")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Thank you")
    assert len(db_rows(live_server.database_url, tables.submissions)) == 1
