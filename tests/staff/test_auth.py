"""Sign-in: the cookie, lockout, one answer for every refusal, session expiry on the app clock, sign-out."""

from __future__ import annotations

import hashlib
import re

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from frontdesk.app import create_app
from frontdesk.db import tables
from frontdesk.staff import passwords
from frontdesk.staff.views import login as views_login
from support import STAFF_PASSWORD, add_staff, from_address, in_app, sign_in, write

EMAIL = "ada@staff.example"


@pytest.fixture
def ada(client, staff_password_hash):
    add_staff(client, EMAIL, "viewer", staff_password_hash)
    return client


def audit_actions(client) -> list[tuple[str, str | None]]:
    async def go(app):
        async with app.state.services.db.read() as conn:
            rows = await conn.execute(
                sa.select(tables.audit.c.action, tables.audit.c.detail).order_by(tables.audit.c.id)
            )
            return [(r.action, r.detail) for r in rows]

    return in_app(client, go)


def test_sign_in_sets_a_strict_session_cookie_and_stores_only_its_hash(ada):
    response = sign_in(ada, EMAIL)
    assert response.status_code == 303 and response.headers["location"] == "/staff"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("frontdesk_staff=")
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=strict" in lowered and "path=/" in lowered
    assert "secure" not in lowered  # plain http in tests; see the https test below
    token = ada.cookies["frontdesk_staff"]
    assert len(token) >= 40

    async def stored(app):
        async with app.state.services.db.read() as conn:
            return list((await conn.execute(sa.select(tables.staff_sessions.c.id))).scalars())

    assert in_app(ada, stored) == [hashlib.sha256(token.encode()).hexdigest()]
    page = ada.get("/staff")
    assert page.status_code == 200 and EMAIL in page.text
    assert page.headers["cache-control"] == "no-store"
    assert ("login.ok", None) in audit_actions(ada)


def test_over_https_the_cookie_is_secure_and_host_prefixed(make_settings, clock, staff_password_hash):
    app = create_app(make_settings(public_url="https://staff.example"), clock=clock)
    with TestClient(app, base_url="https://staff.example", follow_redirects=False) as client:
        add_staff(client, EMAIL, "viewer", staff_password_hash)
        response = sign_in(client, EMAIL)
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("__Host-frontdesk_staff=")
        lowered = cookie.lower()
        assert "; secure" in lowered and "httponly" in lowered and "samesite=strict" in lowered and "path=/" in lowered
        assert "domain=" not in lowered
        assert client.get("/staff").status_code == 200


def test_unknown_account_and_wrong_password_look_the_same_and_cost_one_hash(ada, monkeypatch):
    verified = []
    real = passwords._verify
    monkeypatch.setattr(passwords, "_verify", lambda h, p: verified.append(h) or real(h, p))
    unknown = sign_in(ada, "nobody@staff.example")
    wrong = sign_in(ada, EMAIL, "not the right password")
    assert unknown.status_code == wrong.status_code == 401
    assert views_login.FAILED in unknown.text and views_login.FAILED in wrong.text
    # The page differs only by the email typed back into the form.
    assert unknown.text.replace("nobody@staff.example", "X") == wrong.text.replace(EMAIL, "X")
    assert len(verified) == 2  # exactly one Argon2 verification for each, the unknown one against the dummy
    assert verified[0] == passwords._dummy() and verified[1] != verified[0]
    assert "set-cookie" not in unknown.headers and "set-cookie" not in wrong.headers
    details = [d for a, d in audit_actions(ada) if a == "login.failed"]
    assert details == ["unknown account", "wrong password"]


def test_a_password_typed_into_the_email_field_is_not_logged(ada):
    sign_in(ada, "hunter2-my-secret-passphrase", "whatever it is")

    async def actors(app):
        async with app.state.services.db.read() as conn:
            return list((await conn.execute(sa.select(tables.audit.c.actor))).scalars())

    assert "(not an email address)" in in_app(ada, actors)
    assert not any("hunter2" in actor for actor in in_app(ada, actors))


def test_five_failures_lock_the_account_for_fifteen_minutes_growing_on_repeat(ada, clock):
    for _ in range(5):
        assert sign_in(ada, EMAIL, "wrong password!").status_code == 401
    locked = sign_in(ada, EMAIL)  # the right password is refused while locked
    assert locked.status_code == 401 and views_login.FAILED in locked.text
    clock.advance(minutes=14, seconds=59)
    assert sign_in(ada, EMAIL).status_code == 401
    clock.advance(seconds=2)
    assert sign_in(ada, EMAIL).status_code == 303  # 15 minutes on: back in, and the counters reset

    ada.cookies.clear()
    for _ in range(5):
        sign_in(ada, EMAIL, "wrong password!")
    clock.advance(minutes=16)
    assert sign_in(ada, EMAIL).status_code == 303  # a success resets the growth

    ada.cookies.clear()
    for _ in range(5):
        sign_in(ada, EMAIL, "wrong password!")
    clock.advance(minutes=16)
    for _ in range(5):
        sign_in(ada, EMAIL, "wrong password!")  # a second lockout in a row: 30 minutes
    clock.advance(minutes=16)
    assert sign_in(ada, EMAIL).status_code == 401
    clock.advance(minutes=15)
    assert sign_in(ada, EMAIL).status_code == 303
    actions = audit_actions(ada)
    assert sum(1 for a, _ in actions if a == "login.locked") == 4
    assert ("login.failed", "paused for this address") in actions  # the address is paused, not the account


def test_a_pause_is_for_one_address_not_the_account(ada, make_settings, clock):
    """Five wrong passwords from an attacker's address do not keep the owner out from theirs (they did)."""
    for _ in range(5):
        sign_in(ada, EMAIL, "wrong password!")
    assert sign_in(ada, EMAIL).status_code == 401  # that address is paused
    with from_address(ada, "198.51.100.7") as owner:
        assert sign_in(owner, EMAIL).status_code == 303


def test_failures_decay(ada, clock):
    for _ in range(4):
        sign_in(ada, EMAIL, "wrong password!")
    clock.advance(minutes=16)  # four old failures are forgotten: four more do not pause
    for _ in range(4):
        assert sign_in(ada, EMAIL, "wrong password!").status_code == 401
    assert sign_in(ada, EMAIL).status_code == 303


def test_an_admin_lifts_the_pauses_with_an_audit_entry(ada, staff_password_hash):
    for _ in range(5):
        sign_in(ada, EMAIL, "wrong password!")
    add_staff(ada, "boss@staff.example", "admin", staff_password_hash)
    with from_address(ada, "198.51.100.9") as boss:
        assert sign_in(boss, "boss@staff.example").status_code == 303
        page = boss.get("/staff/accounts")
        assert page.status_code == 200 and "1 address paused" in page.text
        ada_id = next(int(m) for m in re.findall(r"/staff/accounts/(\d+)/unlock", page.text))
        r = boss.post(f"/staff/accounts/{ada_id}/unlock")
        assert r.status_code == 303 and "None" in boss.get("/staff/accounts").text
    ada.cookies.clear()
    assert sign_in(ada, EMAIL).status_code == 303  # the paused address is let in again
    assert ("staff.unlock", "1 sources") in [(a, d) for a, d in audit_actions(ada)]


def test_lockout_is_per_account(ada, staff_password_hash):
    add_staff(ada, "grace@staff.example", "viewer", staff_password_hash)
    for _ in range(5):
        sign_in(ada, EMAIL, "wrong password!")
    assert sign_in(ada, "grace@staff.example").status_code == 303


def test_idle_sessions_expire_after_thirty_minutes(ada, clock):
    sign_in(ada, EMAIL)
    for _ in range(3):
        clock.advance(minutes=29)
        assert ada.get("/staff").status_code == 200  # each visit keeps it alive
    clock.advance(minutes=30, seconds=30)
    response = ada.get("/staff/feedback")
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/login?next=/staff/feedback&expired=1"
    assert "Your session ended" in ada.get(response.headers["location"]).text
    assert ada.get("/staff").status_code == 303  # the session row is gone, not just the cookie


def test_sessions_end_after_eight_hours_however_active(ada, clock):
    sign_in(ada, EMAIL)
    for _ in range(24):  # a visit every 20 minutes for 8 hours
        clock.advance(minutes=20)
        assert ada.get("/staff").status_code == 200
    clock.advance(minutes=1)
    assert ada.get("/staff").status_code == 303


def test_sign_out_ends_the_session_on_the_server(ada):
    sign_in(ada, EMAIL)
    token = ada.cookies["frontdesk_staff"]
    response = ada.post("/staff/logout")
    assert response.status_code == 303 and response.headers["location"] == "/staff/login?signed_out=1"
    assert (
        'frontdesk_staff=""' in response.headers["set-cookie"] or "max-age=0" in response.headers["set-cookie"].lower()
    )
    assert "You have signed out." in ada.get("/staff/login?signed_out=1").text
    ada.cookies.set("frontdesk_staff", token)  # a copied cookie is worthless after sign-out
    assert ada.get("/staff").status_code == 303
    assert ("logout", None) in audit_actions(ada)


def test_sign_out_needs_a_post(ada):
    sign_in(ada, EMAIL)
    assert ada.get("/staff/logout").status_code == 405
    assert ada.get("/staff").status_code == 200


def test_signed_in_visitors_skip_the_login_form(ada):
    sign_in(ada, EMAIL)
    response = ada.get("/staff/login?next=/staff/deliveries")
    assert response.status_code == 303 and response.headers["location"] == "/staff/deliveries"


def test_a_disabled_account_is_signed_out_and_refused(ada):
    sign_in(ada, EMAIL)

    async def disable(app):
        from frontdesk.staff import accounts

        await write(
            app.state.services.db, accounts.set_disabled, EMAIL, True, now=app.state.services.clock(), actor="test"
        )

    in_app(ada, disable)
    assert ada.get("/staff").status_code == 303
    assert sign_in(ada, EMAIL).status_code == 401


def test_login_form_is_labelled_and_uncached(client):
    response = client.get("/staff/login")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    html = response.text
    assert '<label for="email">' in html and '<label for="password">' in html
    assert 'autocomplete="current-password"' in html and 'name="robots" content="noindex, nofollow"' in html


@pytest.mark.parametrize("body", [{}, {"email": "x" * 5000, "password": "y"}, {"email": EMAIL, "password": "p" * 5000}])
def test_odd_sign_in_input_is_refused_plainly(ada, body):
    response = ada.post("/staff/login", data=body)
    assert response.status_code == 401 and views_login.FAILED in response.text


def test_new_passwords_need_twelve_characters():
    with pytest.raises(passwords.PasswordRejected):
        passwords.check_new("short pass")
    with pytest.raises(passwords.PasswordRejected):
        passwords.check_new(" " * 12)
    assert passwords.check_new(STAFF_PASSWORD) == STAFF_PASSWORD
    hashed = passwords.hash_password(STAFF_PASSWORD)
    assert hashed.startswith("$argon2id$")
