"""Alerts to admins when webhooks stop arriving: one email per endpoint and condition an hour, then "resolved".

The worker runs `Alerts.check()` every `EVERY` seconds when email is configured. It reads the conditions
that hold now (`records.alerts.seen`: dead letters, a pause, a breaker open longer than
FRONTDESK_ALERT_BREAKER_MINUTES, the oldest pending delivery older than FRONTDESK_ALERT_PENDING_MINUTES)
and what admins were last told (`records.alerts.remembered`), and for each difference:

    a condition begins                 -> remembered (since now); a breaker waits for its minutes
    it holds, admins not told          -> claim, send the alert (at most one an hour per endpoint and condition)
    more dead letters than last told   -> claim, send again (once the hour is over)
    it cleared, admins were told       -> claim, send "resolved"

Each email is claimed with a guarded UPDATE in its own transaction before it is sent, so several workers
send it once; if the relay refuses it, the claim is put back and the next check tries again. Alerts go
straight to the relay rather than through the outbox: they belong to no submission, they are about the
outbox itself, and the next check is their retry. Recipients are FRONTDESK_ALERT_TO, else every active
admin account.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import secrets

from markupsafe import escape

from frontdesk.clock import Clock, utcnow
from frontdesk.db import Database
from frontdesk.db.tables import Row
from frontdesk.delivery.mail import Mailer
from frontdesk.delivery.retries import BREAKER_THRESHOLD
from frontdesk.records import alerts, endpoints
from frontdesk.records.alerts import Key, Seen
from frontdesk.records.mail import Message
from frontdesk.settings import Settings

log = logging.getLogger("frontdesk.alerts")

EVERY = 60.0  # seconds between checks
QUIET = dt.timedelta(hours=1)  # at most one alert per endpoint and condition in this time
TITLES = {
    "dead_letter": "deliveries failed for good",
    "paused": "is paused",
    "breaker": "keeps failing",
    "stale": "has deliveries waiting too long",
}
RESOLVED = {
    "dead_letter": "has no failed deliveries left",
    "paused": "is active again",
    "breaker": "delivers again",
    "stale": "has caught up",
}


class Alerts:
    def __init__(self, db: Database, settings: Settings, mailer: Mailer, clock: Clock = utcnow) -> None:
        self.db = db
        self.settings = settings
        self.mailer = mailer
        self.clock = clock
        self.stale_after = dt.timedelta(minutes=settings.alert_pending_minutes)
        self.breaker_after = dt.timedelta(minutes=settings.alert_breaker_minutes)

    async def check(self) -> int:
        """Compare, claim and send; return how many emails went out."""
        now = self.clock()
        async with self.db.read() as conn:
            holding = await alerts.seen(conn, now=now, stale_after=self.stale_after, threshold=BREAKER_THRESHOLD)
            known = await alerts.remembered(conn)
            to = list(self.settings.alert_to) or await alerts.admin_addresses(conn)
        sent = 0
        for key in sorted(set(holding) | set(known)):
            found, row = holding.get(key), known.get(key)
            if found is None:
                if row is not None and row.active:
                    sent += await self._resolved(key, row, to, now)
                continue
            since = row.since if row is not None and row.active else now
            if since == now:
                async with self.db.write() as conn:
                    await alerts.begin(conn, key, now=now)
            if key[1] == "breaker" and now - since < self.breaker_after:
                continue  # a breaker opens and closes on its own; only one that stays open is news
            sent += await self._alert(key, found, row if row is not None and row.active else None, to, now)
        return sent

    async def _alert(self, key: Key, found: Seen, row: Row | None, to: list[str], now: dt.datetime) -> int:
        async with self.db.write() as conn:
            if not await alerts.claim_alert(conn, key, count=found.count, now=now, quiet=QUIET):
                return 0
        title = f"Endpoint {found.endpoint} {TITLES[key[1]]}"
        body = f"{title}: {found.detail}.\n\nSee {self.settings.public_url}/staff/deliveries and /staff/endpoints."
        if await self._send(to, f"[Frontdesk] {title}", body, now):
            return 1
        async with self.db.write() as conn:  # not sent: the next check tries again
            await alerts.unclaim(
                conn,
                key,
                notified=bool(row is not None and row.notified),
                sent_at=row.sent_at if row is not None else None,
                count=row.failed_count if row is not None else 0,
                resolved=False,
            )
        return 0

    async def _resolved(self, key: Key, row: Row, to: list[str], now: dt.datetime) -> int:
        async with self.db.write() as conn:
            if not await alerts.claim_resolved(conn, key):
                return 0
        name = await self._name(key[0])
        title = f"Resolved: endpoint {name} {RESOLVED[key[1]]}"
        body = f"{title}. It has cleared; nothing more is needed.\n\n{self.settings.public_url}/staff/deliveries"
        if await self._send(to, f"[Frontdesk] {title}", body, now):
            return 1
        async with self.db.write() as conn:
            await alerts.unclaim(conn, key, notified=True, sent_at=row.sent_at, count=row.failed_count, resolved=True)
        return 0

    async def _name(self, endpoint_id: str) -> str:
        async with self.db.read() as conn:
            for ep in await endpoints.listing(conn, now=self.clock()):
                if ep.id == endpoint_id:
                    return ep.name
        return endpoint_id  # removed meanwhile

    async def _send(self, to: list[str], subject: str, text: str, now: dt.datetime) -> bool:
        if not to:
            log.warning("delivery alert not sent: no FRONTDESK_ALERT_TO and no active admin account")
            return False
        domain = self.settings.mail_from.rsplit("@", 1)[-1].strip(" >")
        message: Message = {
            "to": to,
            "reply_to": None,
            "subject": subject,
            "date": email.utils.format_datetime(now.astimezone(dt.UTC)),
            "message_id": f"<alert-{secrets.token_hex(10)}@{domain}>",
            "text": text + "\n",
            "html": "".join(f"<p>{escape(p)}</p>" for p in text.split("\n\n")),
        }
        answer = await self.mailer.send("alert", json.dumps(message))
        if not answer.ok:
            log.warning("delivery alert not sent (%s); the next check tries again", answer.error)
        return answer.ok
