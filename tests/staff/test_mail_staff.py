"""Email in the staff area: a dead-lettered email is listed, filtered by its type, and replayed like a webhook."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from frontdesk.db import Database, tables
from frontdesk.records import mail
from relay import Relay
from support import post_lead, run


@pytest.fixture
def settings(make_settings, relay: Relay):
    return make_settings(smtp_url=relay.url, mail_from="frontdesk@prairiepoint.example", retry_schedule=(0,))


def test_a_failed_email_is_listed_and_replayed_from_the_staff_area(staff_client, settings, relay):
    from frontdesk.delivery.outbox import Outbox

    client = staff_client("admin")
    relay.mode = "554"
    assert post_lead(client).status_code == 303

    async def drain() -> list[str]:
        db = Database(settings.database_url)
        worker = Outbox(db, settings)
        try:
            await worker.drain_once()
            await worker.stop(grace=0.5)
            async with db.read() as conn:
                d = tables.deliveries
                query = sa.select(d.c.id).where(d.c.event_type == mail.STAFF, d.c.state == "failed")
                return list((await conn.execute(query)).scalars())
        finally:
            await db.dispose()

    (failed,) = run(drain())
    page = client.get(f"/staff/deliveries?state=failed&type={mail.STAFF}").text
    assert failed in page and f'action="/staff/deliveries/{failed}/replay"' in page
    assert "SMTP 554" in client.get(f"/staff/deliveries/{failed}").text
    assert client.post(f"/staff/deliveries/{failed}/replay").status_code == 303
    relay.mode = "ok"
    run(drain())
    assert [a.rcpt_tos for a in relay.arrived if "Ada" in str(a["Subject"])]


def test_staff_find_a_submission_by_the_reference_the_person_quotes(staff_client):
    client = staff_client("admin")
    r = post_lead(client)
    ref = r.headers["location"].split("ref=", 1)[1].split(".", 1)[0]
    found = client.get("/staff/submissions", params={"email": ref.lower().replace("-", " ").replace(" ", "")})
    assert found.status_code == 200 and "ada@example.com" in found.text
    other = client.get("/staff/submissions", params={"email": "FD-ZZZZ-ZZZZ"})
    assert "ada@example.com" not in other.text
