"""The emails a form sends: the staff notification and the person's confirmation, built at accept time.

A form view asks `plan()` for its emails before it accepts the submission; `accept` calls the returned
function with the new submission's id inside its transaction and stores each message as a delivery to
the `mail` endpoint (records/mail.py), so "thank you" means the emails are committed as well, and the
worker sends them later, retried like any delivery. Nothing is built when SMTP is not configured.

- **Staff notification.** A lead goes to the office it names (`leads_to`, else the office's `email`), or
  to the site's (`emails.leads_to`, else `email`) when it names none; an application to the job's
  `contact`, else its office's. A readable summary and a link to the submission in the staff area; no
  attachment (the résumé stays behind the staff sign-in). Reply-To is the person, so staff just answer.
  Held spam writes it `held`; it goes out when staff release the submission (`release_spam`).
- **Confirmation.** To the person, with the submission's reference (`mail.reference`), what they sent
  and what happens next, worded in content (site.yaml `emails:`). Not for held spam, and at most
  FRONTDESK_MAIL_CONFIRMATIONS_PER_HOUR to one address in an hour, so the forms cannot be used to
  mail-bomb somebody else's inbox. The address has passed the form's validation, or there is no form.

The text part is written here; the HTML part is a template (`templates/mail/`) with inline styles only,
no images and no remote resources. Every header value goes through `mail.header_text`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2

from frontdesk.content import Content
from frontdesk.content.models import Confirmation, Job
from frontdesk.db import Database
from frontdesk.records import mail
from frontdesk.records.submissions import Mails
from frontdesk.settings import Settings

HOUR = dt.timedelta(hours=1)
LABELS = {
    "name": "Name",
    "email": "Email",
    "phone": "Phone",
    "company": "Company",
    "interest": "Interested in",
    "office": "Office",
    "message": "Message",
    "links": "Links",
    "cover_letter": "Cover letter",
}


@dataclass(frozen=True)
class Mailing:
    """What a view needs to build a submission's emails (from `web.services`)."""

    settings: Settings
    templates: jinja2.Environment
    content: Content
    now: dt.datetime


def summary(data: Mapping[str, Any], content: Content) -> list[tuple[str, str]]:
    """The fields a person sent, labelled, in a stable order (for both emails)."""
    rows = []
    for key, label in LABELS.items():
        value = data.get(key)
        if not value:
            continue
        if key == "interest":
            value = next((i.name for i in content.site.interests if i.slug == value), value)
        elif key == "office":
            found = content.office(str(value))
            value = found.name if found else value
        elif isinstance(value, list):
            value = "\n".join(str(v) for v in value)
        rows.append((label, str(value)))
    return rows


def _text(rows: list[tuple[str, str]]) -> str:
    return "\n".join(f"{label}: {value}" if "\n" not in value else f"{label}:\n{value}" for label, value in rows)


def _message(
    m: Mailing, *, to: str, reply_to: str | None, subject: str, text: str, template: str, **ctx: Any
) -> dict[str, Any]:
    site = m.content.site
    html = m.templates.get_template(template).render(site=site, subject=subject, **ctx)
    domain = m.settings.mail_from.rsplit("@", 1)[-1].strip(" >")
    message: mail.Message = {
        "to": [mail.header_text(to, 320)],
        "reply_to": reply_to,
        "subject": mail.header_text(subject),
        "date": email.utils.format_datetime(m.now.astimezone(dt.UTC)),
        "message_id": f"<{secrets.token_hex(12)}@{domain}>",
        "text": text,
        "html": html,
    }
    return dict(message)


def _reply_to(data: Mapping[str, Any]) -> str:
    return email.utils.formataddr((mail.header_text(str(data.get("name", "")), 100), str(data["email"])))


def staff_address(content: Content, kind: str, data: Mapping[str, Any], job: Job | None) -> str:
    """Where the staff notification goes (see the module docstring)."""
    if kind == "application" and job is not None:
        return str(job.meta.contact or job.office.meta.leads_to or job.office.meta.email)
    office = content.office(str(data.get("office") or ""))
    if office is not None:
        return str(office.meta.leads_to or office.meta.email)
    return str(content.site.emails.leads_to or content.site.email)


def _confirmation(content: Content, kind: str) -> Confirmation:
    return content.site.emails.application if kind == "application" else content.site.emails.request_info


async def confirmation_allowed(db: Database, settings: Settings, address: str, now: dt.datetime) -> bool:
    """Fewer than the hourly limit of submissions from this address (this one not yet stored)."""
    limit = settings.mail_confirmations_per_hour
    if limit <= 0:
        return False
    async with db.read() as conn:
        return await mail.recent_submissions(conn, address, since=now - HOUR) < limit


async def plan(
    m: Mailing,
    db: Database,
    *,
    kind: str,
    data: Mapping[str, Any],
    spam: bool,
    job: Job | None = None,
) -> Mails | None:
    """The emails of one submission, as `accept(mails=...)` takes them; None when SMTP is not configured."""
    if not m.settings.mail_enabled:
        return None
    confirm = _confirmation(m.content, kind)
    address = str(data.get("email") or "")
    confirming = (
        confirm.send and bool(address) and not spam and await confirmation_allowed(db, m.settings, address, m.now)
    )
    site = m.content.site
    rows = summary(data, m.content)
    what = f"application for {job.title}" if job is not None else "lead"
    name = mail.header_text(str(data.get("name", "")), 100)

    def build(submission_id: str) -> Sequence[tuple[str, Mapping[str, Any]]]:
        ref = mail.reference(submission_id)
        link = f"{m.settings.public_url}/staff/submissions/{submission_id}"
        heading = f"New {what} from {name}"
        staff_text = f"{heading} (reference {ref})\n\n{_text(rows)}\n\nOpen it in the staff area: {link}\n"
        if kind == "application":
            staff_text += "The résumé is attached to the submission in the staff area, not to this email.\n"
        out: list[tuple[str, Mapping[str, Any]]] = [
            (
                mail.STAFF,
                _message(
                    m,
                    to=staff_address(m.content, kind, data, job),
                    reply_to=_reply_to(data) if address else None,
                    subject=f"{heading} ({ref})",
                    text=staff_text,
                    template="mail/staff.html",
                    heading=heading,
                    reference=ref,
                    rows=rows,
                    link=link,
                    application=kind == "application",
                ),
            )
        ]
        if confirming:
            values = {
                "name": name,
                "reference": ref,
                "site": site.name,
                "job": job.title if job is not None else "",
                "office": job.office.name if job is not None else "",
                "phone": site.phone,
                "summary": _text(rows),
            }
            body = confirm.body.format_map(values)
            next_steps = confirm.next_steps.format_map(values)
            out.append(
                (
                    mail.CONFIRMATION,
                    _message(
                        m,
                        to=address,
                        reply_to=str(site.email),
                        subject=confirm.subject.format_map(values),
                        text=f"{body}\n\n{next_steps}\n\n{site.name}, {site.phone}\n",
                        template="mail/confirmation.html",
                        paragraphs=[p for p in body.split("\n\n") if p.strip()],
                        next_steps=next_steps,
                        reference=ref,
                    ),
                )
            )
        return out

    return build
