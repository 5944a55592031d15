"""One's own account (/staff/account): the weekly digest (opt in) and delivery alerts (opt out, admins)."""

from __future__ import annotations

import sqlalchemy as sa
from starlette.testclient import TestClient

from frontdesk.app import create_app
from frontdesk.db import tables
from frontdesk.records import alerts, digest
from support import add_staff, in_app, sign_in


def stored(client, email: str):
    async def go(app):
        s = tables.staff
        async with app.state.services.db.read() as conn:
            return (await conn.execute(sa.select(s.c.mail_digest, s.c.mail_alerts).where(s.c.email == email))).one()

    return in_app(client, go)


def entries(client, action: str):
    async def go(app):
        a = tables.audit
        async with app.state.services.db.read() as conn:
            return list(await conn.execute(sa.select(a.c.actor, a.c.detail).where(a.c.action == action)))

    return in_app(client, go)


def addresses(client):
    async def go(app):
        async with app.state.services.db.read() as conn:
            return await alerts.admin_addresses(conn), await digest.recipients(conn, ("Team@Example.com",))

    return in_app(client, go)


def test_a_viewer_asks_for_the_digest_and_has_no_alerts_to_choose(staff_client):
    viewer = staff_client("viewer")
    page = viewer.get("/staff/account")
    assert page.status_code == 200 and "The weekly digest" in page.text and 'name="alerts"' not in page.text
    assert 'href="/staff/account"' in page.text  # the header's name links here, on every staff page
    saved = viewer.post("/staff/account", data={"digest": "yes"}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/staff/account?notice=saved"
    assert "Saved" in viewer.get(saved.headers["location"]).text
    assert tuple(stored(viewer, "viewer@staff.example")) == (True, True)  # a viewer's alerts value is untouched
    assert entries(viewer, "staff.mail") == [("viewer@staff.example", "digest on, alerts on")]
    viewer.post("/staff/account", data={"digest": "yes"})  # nothing changed: no second entry
    assert len(entries(viewer, "staff.mail")) == 1
    _, digest_to = addresses(viewer)
    assert digest_to == ["Team@Example.com", "viewer@staff.example"]


def test_an_admin_opts_out_of_alerts_and_back_in(staff_client):
    admin = staff_client("admin")
    staff_client("admin", "other@staff.example")
    assert addresses(admin)[0] == ["admin@staff.example", "other@staff.example"]
    page = admin.get("/staff/account")
    assert 'name="alerts"' in page.text and "checked" in page.text.split('name="alerts"')[1].split(">")[0]
    admin.post("/staff/account", data={})  # both boxes unticked
    assert tuple(stored(admin, "other@staff.example")) == (False, False)
    admin_addresses, digest_to = addresses(admin)
    assert admin_addresses == ["admin@staff.example"] and digest_to == ["Team@Example.com"]
    admin.post("/staff/account", data={"alerts": "yes"})
    assert addresses(admin)[0] == ["admin@staff.example", "other@staff.example"]
    assert [d for _, d in entries(admin, "staff.mail")] == ["digest off, alerts off", "digest off, alerts on"]


def test_with_alert_to_set_the_admin_is_told_where_alerts_go_and_the_choice_is_kept(
    make_settings, staff_password_hash, clock
):
    settings = make_settings(alert_to=("ops@example.com",))
    with TestClient(create_app(settings, clock=clock), follow_redirects=False) as client:
        add_staff(client, "admin@staff.example", "admin", staff_password_hash)
        assert sign_in(client, "admin@staff.example").status_code == 303
        page = client.get("/staff/account")
        assert "ops@example.com" in page.text and 'name="alerts"' not in page.text
        assert "Email is not set up" in page.text  # no FRONTDESK_SMTP_URL in these settings
        client.post("/staff/account", data={"digest": "yes"})
        assert tuple(stored(client, "admin@staff.example")) == (True, True)


def test_signed_out_the_page_asks_to_sign_in(client):
    answer = client.get("/staff/account", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/staff/login")
    assert client.post("/staff/account", data={"digest": "yes"}, follow_redirects=False).status_code in (303, 403)
