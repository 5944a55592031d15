"""The weekly digest for marketing staff: last week's leads, applications and feedback, and falling pages.

Checked by the worker with the alerts (once a minute, `outbox._check_alerts`) when email is set, for
FRONTDESK_DIGEST_TO and the staff accounts that asked for it (`records.digest.recipients`). On the first
check of a week it claims last week's digest (`records.digest.claim`: once, whatever the number of
workers, and remembered across restarts), builds it and sends it straight to the relay; if the relay
refuses it, the claim is given back and the next check tries again. Weeks run Monday to Monday in the
site's time zone, read from `site.yaml` when the worker starts (the standalone worker loads no other
content), so the digest goes out soon after the agency's own Monday begins.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import secrets
import zoneinfo

from markupsafe import escape

from frontdesk.clock import Clock, utcnow
from frontdesk.content.loader import site_timezone
from frontdesk.db import Database
from frontdesk.delivery.mail import Mailer
from frontdesk.records import digest
from frontdesk.records.mail import Message
from frontdesk.settings import Settings

log = logging.getLogger("frontdesk.digest")
LABELS = {"lead": "Leads", "application": "Applications", "feedback": "Feedback"}


def change(now: int, before: int) -> str:
    if before == 0:
        return "new" if now else "no change"
    pct = round(100 * (now - before) / before)
    return f"{pct:+d}%"


class Digest:
    def __init__(
        self, db: Database, settings: Settings, mailer: Mailer, clock: Clock = utcnow, timezone: str | None = None
    ) -> None:
        self.db = db
        self.settings = settings
        self.mailer = mailer
        self.clock = clock
        self.zone = zoneinfo.ZoneInfo(timezone or site_timezone(settings.content_dir))

    async def check(self) -> bool:
        """Send last week's digest if nobody has yet; True if this call sent it."""
        async with self.db.read() as conn:
            to = await digest.recipients(conn, self.settings.digest_to)
        if not to:
            return False  # nobody asked for it: no claim, so the first who does gets last week's
        now = self.clock()
        weeks = digest.weeks(now, self.zone)  # the last complete week, and the one before
        async with self.db.write() as conn:
            if not await digest.claim(conn, weeks.start, now=now):
                return False
        async with self.db.read() as conn:
            this = await digest.counts(conn, weeks.start, weeks.end)
            before = await digest.counts(conn, weeks.before, weeks.start)
            drops = await digest.helpful_drops(conn, weeks.first_day)
        if await self._send(to, weeks, this, before, drops, now):
            return True
        async with self.db.write() as conn:
            await digest.unclaim(conn, weeks.start)
        return False

    async def _send(
        self,
        to: list[str],
        weeks: digest.Weeks,
        this: dict[str, int],
        before: dict[str, int],
        drops: list[digest.Drop],
        now: dt.datetime,
    ) -> bool:
        heading = f"Week of {weeks.first_day.isoformat()} to {weeks.last_day.isoformat()}"
        lines = [f"{LABELS[k]}: {this[k]} (the week before: {before[k]}, {change(this[k], before[k])})" for k in LABELS]
        if drops:
            falling = [f"{d.page}: {d.before:.0f}% -> {d.after:.0f}% found it helpful" for d in drops]
        else:
            falling = ["No page's helpful share fell (pages with at least 5 votes in both weeks)."]
        text = f"{heading}\n\n" + "\n".join(lines) + "\n\nPages whose helpful share fell most:\n" + "\n".join(falling)
        text += f"\n\n{self.settings.public_url}/staff\n"
        html = (
            f"<h1 style='font-size:20px'>{escape(heading)}</h1>"
            + "".join(f"<p style='margin:0'>{escape(line)}</p>" for line in lines)
            + "<h2 style='font-size:17px'>Pages whose helpful share fell most</h2><ul>"
            + "".join(f"<li>{escape(line)}</li>" for line in falling)
            + "</ul>"
        )
        domain = self.settings.mail_from.rsplit("@", 1)[-1].strip(" >")
        message: Message = {
            "to": to,
            "reply_to": None,
            "subject": f"[Frontdesk] Weekly digest: {heading.lower()}",
            "date": email.utils.format_datetime(now.astimezone(dt.UTC)),
            "message_id": f"<digest-{secrets.token_hex(10)}@{domain}>",
            "text": text,
            "html": html,
        }
        answer = await self.mailer.send("digest", json.dumps(message))
        if not answer.ok:
            log.warning("weekly digest not sent (%s); the next check tries again", answer.error)
        return answer.ok
