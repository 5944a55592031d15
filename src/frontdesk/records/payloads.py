"""The shapes of the webhook payloads' `data`, as types the building code is checked against.

The views and `records.moderation` build these dictionaries; annotating them with the types here lets
mypy hold the builders to the shapes, and `intake/schema.py` turns the same types (with the form models
of `intake/models.py`) into the JSON Schema published at `/webhooks/schema.json`. A field added to a
payload without being added here fails the type check, and a test that validates every payload the
suite produces against the published schema.
"""

from __future__ import annotations

from typing_extensions import TypedDict  # pydantic reads these on Python 3.11 only from typing_extensions


class Consent(TypedDict):
    given: bool
    text: str
    policy_version: str
    at: str  # ISO 8601


class ClickIds(TypedDict, total=False):
    """Ad click IDs of a touch (intake/attribution.py `CLICK_IDS`), those the landing URL carried."""

    gclid: str
    gbraid: str
    wbraid: str
    fbclid: str
    msclkid: str
    li_fat_id: str
    ttclid: str


class Touch(TypedDict):
    """One visit from a campaign or another site: the first one, or the latest."""

    source: str
    medium: str
    campaign: str
    term: str
    content: str
    referrer: str
    landing_page: str
    at: str  # ISO 8601
    click_ids: ClickIds


class Attribution(TypedDict):
    first_touch: Touch | None  # None: a direct visit, no campaign or foreign referrer seen
    last_touch: Touch | None
    form_page: str
    sent_from: str


class Job(TypedDict):
    slug: str
    title: str
    office: str


class Resume(TypedDict):
    url: str  # a signed link that expires (FRONTDESK_RESUME_LINK_DAYS)
    filename: str | None
    content_type: str
    size: int
    sha256: str


class ApplicationExtra(TypedDict):
    resume: Resume


class FeedbackData(TypedDict):
    page: str
    helpful: bool
    reason: str | None
    comment: str | None


class FeedbackExtra(TypedDict):
    """Added when the vote is counted (not for spam)."""

    replaces_previous_vote: bool
    previous_helpful: bool | None


class CommentData(TypedDict):
    post: str
    post_title: str
    url: str
    name: str
    email: str
    website: str | None
    comment: str


class CommentExtra(TypedDict):
    comment_id: str
    state: str  # pending | approved | spam


class PingData(TypedDict):
    endpoint: str
    sender: str
