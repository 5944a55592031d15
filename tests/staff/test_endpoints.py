"""`/staff/endpoints`: admins add, pause, resume, rotate, remove and test endpoints; bad input stays beside its field."""

from __future__ import annotations

import re

import sqlalchemy as sa

from frontdesk.db import tables
from support import in_app

e = tables.endpoints


def endpoint_rows(client):
    async def go(app):
        async with app.state.services.db.read() as conn:
            return list(await conn.execute(sa.select(e)))

    return in_app(client, go)


def test_viewers_cannot_see_endpoints(staff_client):
    assert staff_client("viewer").get("/staff/endpoints").status_code == 403


def test_add_test_rotate_pause_resume_remove(staff_client, receiver):
    client = staff_client("admin")
    page = client.get("/staff/endpoints")
    assert page.status_code == 200 and "No endpoints yet" in page.text
    added = client.post(
        "/staff/endpoints", data={"name": "ats", "url": receiver.url, "events": "application.created, lead.created"}
    )
    assert added.status_code == 200 and "Endpoint ats added." in added.text
    secret = re.search(r"<code>(whsec_[A-Za-z0-9+/=]+)</code>", added.text).group(1)
    assert "shown only this once" in added.text
    assert secret not in client.get("/staff/endpoints").text  # shown once, never again
    (row,) = endpoint_rows(client)
    assert row.events == ",application.created,lead.created," and row.secrets[0]["secret"] == secret

    receiver.secret = secret
    pinged = client.post("/staff/endpoints/ats/test")
    assert pinged.status_code == 200 and "Test event to ats: HTTP 204 in" in pinged.text
    receiver.mode = "fail"
    assert "HTTP 500" in client.post("/staff/endpoints/ats/test").text
    receiver.stop()
    assert "no answer" in client.post("/staff/endpoints/ats/test").text

    bad = client.post("/staff/endpoints/ats/rotate", data={"overlap": "99d"})
    assert bad.status_code == 422 and "at most 30 days" in bad.text
    rotated = client.post("/staff/endpoints/ats/rotate", data={"overlap": "1h"})
    assert rotated.status_code == 200 and "the old ones sign too until" in rotated.text
    (row,) = endpoint_rows(client)
    assert len(row.secrets) == 2 and row.secrets[1]["secret"] == secret

    paused = client.post("/staff/endpoints/ats/pause")
    assert paused.status_code == 303 and paused.headers["location"].endswith("notice=paused")
    assert endpoint_rows(client)[0].state == "paused"
    client.post("/staff/endpoints/ats/resume")
    assert endpoint_rows(client)[0].state == "active"
    disabled = client.post("/staff/endpoints/ats/disable")
    assert disabled.status_code == 303 and disabled.headers["location"].endswith("notice=disabled")
    assert "new submissions make no deliveries for it" in client.get(disabled.headers["location"]).text
    assert endpoint_rows(client)[0].state == "disabled"
    client.post("/staff/endpoints/ats/resume")
    assert endpoint_rows(client)[0].state == "active"
    assert client.post("/staff/endpoints/ats/remove").status_code == 303
    assert endpoint_rows(client) == []
    assert client.post("/staff/endpoints/ats/test").status_code == 404
    actions = {r.action for r in in_app(client, _audit)}
    assert {"endpoint.add", "endpoint.test", "endpoint.rotate", "endpoint.pause", "endpoint.remove"} <= actions


async def _audit(app):
    async with app.state.services.db.read() as conn:
        return list(await conn.execute(sa.select(tables.audit)))


def test_bad_input_is_shown_beside_each_field_and_nothing_is_saved(staff_client):
    client = staff_client("admin")
    typed = {
        "name": "Bad Name\u00b2",
        "url": "ftp://files.example/hook",
        "events": "lead.deleted",
        "secret": "whsec_c2hvcnQ=",
        "rate_limit": "9" * 400,
    }
    answer = client.post("/staff/endpoints", data=typed)
    assert answer.status_code == 422
    html = answer.text
    for field, message in (
        ("name", "a name is 1-64 of a-z"),
        ("url", "must start with http:// or https://"),
        ("events", "unknown event type"),
        ("secret", "a secret is whsec_"),
        ("rate_limit", "the rate limit is between"),
    ):
        shown = re.search(
            rf'id="{field}-error" data-error-for="{field}"><span class="visually-hidden">Error: </span>([^<]*)', html
        )
        assert shown and message in shown.group(1), field  # beside its own field
    assert 'value="ftp://files.example/hook"' in html  # what was typed is kept...
    assert "whsec_c2hvcnQ=" not in html  # ...except a secret
    assert endpoint_rows(client) == []
    taken = {"name": "crm", "url": "https://crm.example/hook", "events": "*"}
    assert client.post("/staff/endpoints", data=taken).status_code == 200
    again = client.post("/staff/endpoints", data=taken)
    assert again.status_code == 422 and "exists already" in again.text
