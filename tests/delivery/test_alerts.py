"""Alerts to admins against a real receiver and a real SMTP relay: a CRM outage is one alert, later one "resolved"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from frontdesk.db import Database, tables
from frontdesk.delivery import crm
from frontdesk.delivery.alerts import Alerts
from frontdesk.delivery.mail import Mailer
from frontdesk.delivery.outbox import Outbox
from frontdesk.delivery.retries import BREAKER_THRESHOLD
from frontdesk.records import deliveries, endpoints
from frontdesk.settings import Settings
from receiver import Receiver
from relay import Relay
from support import FakeClock, accept_lead, add_staff, run

OPS = "ops@example.com"


def make(make_settings: Callable[..., Settings], receiver: Receiver, relay: Relay, **more: Any) -> Settings:
    return make_settings(
        crm_webhook_url=receiver.url,
        crm_webhook_secret=receiver.secret,
        smtp_url=relay.url,
        mail_from="frontdesk@prairiepoint.example",
        retry_schedule=(0,),
        webhook_timeout=3.0,
        **more,
    )


class Harness:
    def __init__(self, settings: Settings, clock: FakeClock) -> None:
        self.settings = settings
        self.clock = clock

    async def _with(self, fn: Callable[[Database], Any]) -> Any:
        db = Database(self.settings.database_url)
        try:
            return await fn(db)
        finally:
            await db.dispose()

    def lead(self) -> None:
        run(self._with(lambda db: accept_lead(db, now=self.clock())))

    def drain(self) -> None:
        async def go(db: Database) -> None:
            async with crm.make_client(self.settings.webhook_timeout, 4) as client:
                worker = Outbox(db, self.settings, client, clock=self.clock, concurrency=4)
                await worker.drain_once()
                await worker.stop(grace=0.5)

        run(self._with(go))

    def check(self) -> int:
        async def go(db: Database) -> int:
            return await Alerts(db, self.settings, Mailer(self.settings), self.clock).check()

        return int(run(self._with(go)))

    def sql(self, statement: Any) -> None:
        async def go(db: Database) -> None:
            async with db.write() as conn:
                await conn.execute(statement)

        run(self._with(go))

    def replay_failed(self) -> None:
        async def go(db: Database) -> None:
            async with db.write() as conn:
                await deliveries.replay_failed(conn, since=self.clock().replace(year=2000), now=self.clock())

        run(self._with(go))


def subjects(relay: Relay) -> list[str]:
    return [str(a["Subject"]) for a in relay.arrived]


def test_a_crm_outage_is_one_alert_and_later_one_resolved(make_settings, receiver, relay, clock):
    h = Harness(make(make_settings, receiver, relay, alert_to=(OPS,)), clock)
    receiver.mode = "fail"
    h.lead()
    h.drain()  # one attempt, then a dead letter
    assert h.check() == 1 and h.check() == 0  # told once
    (alert,) = relay.arrived
    assert alert.rcpt_tos == [OPS] and "crm" in alert["Subject"] and "failed for good" in alert["Subject"]
    assert "1 failed deliveries kept" in alert.message.get_body(("plain",)).get_content()
    assert alert["Message-ID"] and alert["Date"]

    h.lead()
    h.drain()
    clock.advance(minutes=30)
    assert h.check() == 0  # more dead letters, but within the hour
    clock.advance(minutes=31)
    assert h.check() == 1 and "failed for good" in subjects(relay)[-1]  # after the hour: told of the new one

    receiver.mode = "ok"
    h.replay_failed()
    h.drain()
    assert h.check() == 1 and h.check() == 0
    assert subjects(relay)[-1] == "[Frontdesk] Resolved: endpoint crm has no failed deliveries left"
    assert len(relay.arrived) == 3


def test_a_paused_endpoint_and_a_stale_queue_alert_the_admin_accounts(make_settings, receiver, relay, clock, client):
    h = Harness(make(make_settings, receiver, relay, alert_pending_minutes=30), clock)
    add_staff(client, "admin@staff.example", "admin", "x")
    add_staff(client, "viewer@staff.example", "viewer", "x")
    receiver.mode = "410"
    h.lead()
    h.drain()  # 410: the endpoint pauses, the delivery waits
    assert h.check() == 1
    assert relay.arrived[-1].rcpt_tos == ["admin@staff.example"] and "is paused" in subjects(relay)[-1]
    clock.advance(minutes=31)
    assert h.check() == 1 and "waiting too long" in subjects(relay)[-1]

    async def resume(db: Database) -> None:
        async with db.write() as conn:
            await endpoints.set_state(conn, "crm", "active", reason=None, now=clock())

    run(h._with(resume))
    receiver.mode = "ok"
    h.drain()
    assert h.check() == 2
    assert sorted(subjects(relay)[-2:]) == [
        "[Frontdesk] Resolved: endpoint crm has caught up",
        "[Frontdesk] Resolved: endpoint crm is active again",
    ]


def test_a_breaker_alerts_only_once_it_stays_open(make_settings, receiver, relay, clock):
    h = Harness(make(make_settings, receiver, relay, alert_to=(OPS,), alert_breaker_minutes=15), clock)
    h.drain()  # creates the crm endpoint
    e = tables.endpoints
    h.sql(e.update().where(e.c.name == "crm").values(breaker_failures=BREAKER_THRESHOLD))
    assert h.check() == 0
    clock.advance(minutes=16)
    assert h.check() == 1 and "keeps failing" in subjects(relay)[-1]
    h.sql(e.update().where(e.c.name == "crm").values(breaker_failures=0))
    assert h.check() == 1 and "delivers again" in subjects(relay)[-1]


def test_an_alert_the_relay_refuses_is_sent_at_the_next_check(make_settings, receiver, relay, clock):
    h = Harness(make(make_settings, receiver, relay, alert_to=(OPS,)), clock)
    receiver.mode = "fail"
    h.lead()
    h.drain()
    relay.mode = "451"
    assert h.check() == 0 and relay.arrived == []
    relay.mode = "ok"
    assert h.check() == 1 and len(relay.arrived) == 1


def test_no_alert_without_email_and_none_about_the_mail_endpoint(make_settings, receiver, relay, clock):
    h = Harness(make(make_settings, receiver, relay, alert_to=(OPS,)), clock)
    h.drain()  # creates both endpoints
    d = tables.deliveries
    h.lead()
    h.sql(d.update().values(endpoint_id="ep_mail", state="failed"))
    assert h.check() == 0

    async def without_email(db: Database) -> Any:
        return Outbox(db, make_settings()).alerts

    assert run(h._with(without_email)) is None
