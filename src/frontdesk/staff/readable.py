"""A stored submission as staff read it: field labels, names instead of slugs, local dates, two touches.

Submissions are stored as the forms cleaned them (slugs, ISO times, field names), which is right for the
CRM and wrong for a person. These functions turn one into rows of (label, text) for the submission page,
using the current content for names (an office or interest since removed keeps its slug) and the site's
locale and time zone (`site.yaml`) for dates, through Babel. They are pure: content and row in, text out.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from babel.dates import format_datetime

from frontdesk.content import Content

LABELS = {
    "name": "Name",
    "email": "Email",
    "phone": "Phone",
    "company": "Company",
    "interest": "Interested in",
    "office": "Preferred office",
    "message": "Message",
    "links": "Links",
    "cover_letter": "Cover letter",
    "job": "Job",
    "resume": "Résumé",
    "page": "Page",
    "helpful": "Helpful",
    "reason": "Reason",
    "comment": "Comment",
    "post": "Article",
    "website": "Website",
    # consent
    "given": "Agreed",
    "text": "Text agreed to",
    "policy_version": "Privacy policy version",
    "at": "When",
    # attribution
    "form_page": "Form",
    "sent_from": "Came to the form from",
}
TOUCH_LABELS = {
    "source": "Source",
    "medium": "Medium",
    "campaign": "Campaign",
    "term": "Term",
    "content": "Content",
    "referrer": "Referrer",
    "landing_page": "Landing page",
    "at": "When",
    "click_ids": "Ad click IDs",
}
SKIP = {"id", "kind"}  # shown elsewhere on the page


@dataclass(frozen=True)
class Local:
    """How the site writes dates: its locale and time zone."""

    locale: str
    timezone: str

    @classmethod
    def of(cls, content: Content) -> Local:
        return cls(content.site.locale, content.site.timezone)

    def when(self, value: dt.datetime | str | None) -> str:
        """A stored time in the site's zone and the locale's medium form, and the zone: "Nov 25, 2026, 4:01 AM CST"."""
        if isinstance(value, str):
            try:
                moment = dt.datetime.fromisoformat(value)
            except ValueError:
                return value
        elif value is None:
            return ""
        else:
            moment = value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        there = moment.astimezone(zoneinfo.ZoneInfo(self.timezone))
        return f"{format_datetime(there, 'medium', locale=self.locale)} {there:%Z}"


def label(key: str) -> str:
    return LABELS.get(key) or key.replace("_", " ").capitalize()


def text(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None or value == "":
        return ""
    if isinstance(value, Mapping):
        return "; ".join(f"{label(str(k))}: {text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(text(v) for v in value)
    return str(value)


def value_text(key: str, value: Any, content: Content, local: Local) -> str:
    """One field's value as a person reads it: names for slugs, local dates, yes/no."""
    if key == "interest" and isinstance(value, str):
        return next((i.name for i in content.site.interests if i.slug == value), value)
    if key == "office" and isinstance(value, str):
        if not value:
            return "No preference"
        office = content.office(value)
        return office.meta.name if office else value
    if key == "job" and isinstance(value, Mapping):
        office = content.office(str(value.get("office", "")))
        title = str(value.get("title") or value.get("slug") or "")
        return f"{title} ({office.meta.name})" if office else title
    if key == "resume" and isinstance(value, Mapping):
        return str(value.get("filename") or "file")
    if key == "at":
        return local.when(value if isinstance(value, str | dt.datetime) else None)
    return text(value)


def fields(data: Mapping[str, Any] | None, content: Content, local: Local) -> list[tuple[str, str]]:
    """(label, text) for each field of a submission's data or consent, in stored order."""
    if not isinstance(data, Mapping):
        return []
    return [(label(k), value_text(k, v, content, local)) for k, v in data.items() if k not in SKIP]


def touch(found: Any, local: Local) -> list[tuple[str, str]]:
    """(label, text) for the non-empty fields of one touch; [] for a direct visit."""
    if not isinstance(found, Mapping):
        return []
    rows = []
    for key, name in TOUCH_LABELS.items():
        value = found.get(key)
        if key == "at":
            shown = local.when(value if isinstance(value, str) else None)
        elif key == "click_ids":
            shown = ", ".join(f"{k}: {v}" for k, v in value.items()) if isinstance(value, Mapping) else ""
        else:
            shown = text(value)
        if shown:
            rows.append((name, shown))
    return rows


def touches(attribution: Mapping[str, Any] | None, local: Local) -> dict[str, list[tuple[str, str]]]:
    """The first and latest touch as rows; the latest is [] when it is the same visit as the first."""
    if not isinstance(attribution, Mapping):
        return {"first": [], "last": [], "pages": []}
    first, last = attribution.get("first_touch"), attribution.get("last_touch")
    pages = [(label(k), str(attribution[k])) for k in ("form_page", "sent_from") if attribution.get(k)]
    return {"first": touch(first, local), "last": [] if last == first else touch(last, local), "pages": pages}
