"""Tables: the whole schema, as SQLAlchemy Core, for SQLite and PostgreSQL alike.

Alembic migrations under `frontdesk/db/migrations/` create these; the definitions
here are what queries are written against. Times are stored as UTC and always
come back timezone-aware (`UTCDateTime`), on SQLite as on PostgreSQL. JSON
columns hold the cleaned form data, so a submission can be shown and re-sent
exactly as it was accepted.

A submission's way: `submissions` (what the person sent) -> `deliveries` (one
webhook message, its id is the `webhook-id`) -> `delivery_attempts` (each POST).
Feedback also keeps `votes` (one per page and visitor) and `vote_days` (daily
counters, updated in the vote's own transaction so tallies never scan votes).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeAlias

import sqlalchemy as sa

# A result row of any shape: SQLAlchemy 2.1 types rows by their columns (`Row[int, str]`), and the queries here
# hand rows on to templates and callers that read them by name.
Row: TypeAlias = "sa.Row[*tuple[Any, ...]]"

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """A point in time, stored as UTC and read back timezone-aware on every backend.

    PostgreSQL keeps `timestamptz` and hands back aware values; SQLite has no time zones, stores the text
    of the time it is given and hands it back naive. Binding converts every value to UTC first (a naive
    value is taken to be UTC already), and reading attaches UTC to a naive one, so no caller ever has to
    ask which database it is on, and comparing a stored time with `clock()` never raises.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


TS = UTCDateTime()
# Columns kept per touch (first, last) on submissions, and their lengths: the landing page is its path only.
TOUCH_COLUMNS = (("source", 100), ("medium", 100), ("campaign", 150), ("landing", 300))

submissions = sa.Table(
    "submissions",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),  # lead | application | feedback | comment
    sa.Column("created_at", TS, nullable=False),
    sa.Column("email", sa.String(320), nullable=True),  # lower-cased; for staff search and erasure
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("consent", sa.JSON, nullable=True),
    sa.Column("attribution", sa.JSON, nullable=True),
    sa.Column("spam", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("spam_reason", sa.String(200), nullable=True),
    sa.Column("erased_at", TS, nullable=True),  # personal data removed (purge or erase)
    # The two touches of `attribution` that the Sources and Pages reports group by, as plain columns so that
    # a report reads one covering index rather than every row's JSON ("" when the visit was direct).
    *(sa.Column(f"{touch}_{name}", sa.String(size), nullable=False, server_default="")
      for touch in ("first", "last") for name, size in TOUCH_COLUMNS),
    sa.Index("ix_submissions_kind_created", "kind", "created_at"),
    sa.Index("ix_submissions_email", "email"),
    # In GROUP BY order, the time last: a report reads its groups in index order instead of sorting a year
    # of rows (staff/reports.py names them to SQLite's planner, which would rather take the range).
    sa.Index("ix_submissions_first_touch", "spam", "first_source", "first_medium", "first_campaign", "kind",
             "created_at"),
    sa.Index("ix_submissions_last_touch", "spam", "last_source", "last_medium", "last_campaign", "kind",
             "created_at"),
    sa.Index("ix_submissions_landing", "spam", "first_landing", "kind", "created_at"),
)  # fmt: skip

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),  # the webhook-id, stable across retries
    sa.Column("submission_id", sa.String(36), sa.ForeignKey("submissions.id"), nullable=False),
    # The destination (`endpoints.id`), NULL while no endpoint took it. No foreign key: removing an endpoint
    # keeps the history of its deliveries.
    sa.Column("endpoint_id", sa.String(40), nullable=True),
    sa.Column("event_type", sa.String(40), nullable=False),
    # pending (waiting for its next attempt) | delivered | failed (dead letter) | held (spam, never sent)
    # | cancelled (its submission was erased, or its endpoint removed, before it went out)
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("payload", sa.JSON, nullable=False),  # the body, frozen when accepted
    sa.Column("created_at", TS, nullable=False),
    sa.Column("next_attempt_at", TS, nullable=False),
    sa.Column("lease_until", TS, nullable=True),
    sa.Column("lease_owner", sa.String(64), nullable=True),
    sa.Column("delivered_at", TS, nullable=True),
    sa.Column("last_status", sa.Integer, nullable=True),
    sa.Column("last_error", sa.String(500), nullable=True),
    # Only what is due is indexed for the worker: delivered rows, the bulk, stay out of its way.
    sa.Index(
        "ix_deliveries_due",
        "endpoint_id",
        "next_attempt_at",
        sqlite_where=sa.text("state = 'pending'"),
        postgresql_where=sa.text("state = 'pending'"),
    ),
    sa.Index("ix_deliveries_state_created", "state", "created_at"),
    sa.Index("ix_deliveries_submission", "submission_id"),
)

delivery_attempts = sa.Table(
    "delivery_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("delivery_id", sa.String(40), sa.ForeignKey("deliveries.id"), nullable=False),
    sa.Column("at", TS, nullable=False),
    sa.Column("status", sa.Integer, nullable=True),  # HTTP status, or NULL for a transport error
    sa.Column("latency_ms", sa.Integer, nullable=False),
    sa.Column("outcome", sa.String(12), nullable=False),  # delivered | retry | failed | paused
    sa.Column("error", sa.String(500), nullable=True),
    sa.Index("ix_delivery_attempts_delivery", "delivery_id", "at"),
)

# Where webhooks go (records/endpoints.py). `secrets` is a list of {"secret": "whsec_...", "expires_at":
# ISO time or null}: the newest first, older ones kept until their overlap ends. `events` is the filter as
# ",lead.created,comment.created," (or "*"). The breaker columns are shared by every worker and instance.
endpoints = sa.Table(
    "endpoints",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("secrets", sa.JSON, nullable=False),
    sa.Column("events", sa.String(500), nullable=False),
    sa.Column("rate_limit", sa.Float, nullable=True),  # deliveries per second at most; NULL: no limit
    sa.Column("state", sa.String(12), nullable=False),  # active | paused (410 or by hand) | disabled
    sa.Column("state_reason", sa.String(500), nullable=True),
    sa.Column("state_at", TS, nullable=True),
    sa.Column("source", sa.String(12), nullable=False, server_default="admin"),  # admin | env
    sa.Column("breaker_failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("breaker_until", TS, nullable=True),
    sa.Column("created_at", TS, nullable=False),
)

# Admin alerts (delivery/alerts.py): one row per endpoint and condition (dead_letter, paused, breaker,
# stale) that was seen. `since` is when the condition began, `sent_at` when the last alert about it went out
# (at most one an hour), `notified` whether admins were told and so are owed a "resolved" email.
alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("endpoint_id", sa.String(40), primary_key=True),
    sa.Column("condition", sa.String(20), primary_key=True),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("since", TS, nullable=False),
    sa.Column("notified", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("sent_at", TS, nullable=True),
    sa.Column("failed_count", sa.Integer, nullable=False, server_default="0"),  # dead letters when last told
)

# Before endpoints (0005a): one row per URL that answered 410 Gone. Read once, for the endpoint that
# FRONTDESK_CRM_WEBHOOK_URL names, by records.endpoints.sync_env; nothing writes it any more.
endpoint_pauses = sa.Table(
    "endpoint_pauses",
    metadata,
    sa.Column("endpoint", sa.String(500), primary_key=True),
    sa.Column("paused_at", TS, nullable=False),
    sa.Column("reason", sa.String(500), nullable=False),
)

uploads = sa.Table(
    "uploads",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("submission_id", sa.String(36), sa.ForeignKey("submissions.id"), nullable=False),
    sa.Column("stored_name", sa.String(80), nullable=False),  # random, under data_dir/uploads
    sa.Column("original_name", sa.String(255), nullable=True),  # sanitized, metadata only
    sa.Column("mime", sa.String(100), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("erased_at", TS, nullable=True),
    sa.Index("ix_uploads_submission", "submission_id"),
)

votes = sa.Table(
    "votes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("page", sa.String(300), nullable=False),
    sa.Column("visitor", sa.String(64), nullable=False),
    sa.Column("helpful", sa.Boolean, nullable=False),
    sa.Column("reason", sa.String(40), nullable=True),
    sa.Column("comment", sa.Text, nullable=True),
    sa.Column("triage", sa.String(20), nullable=False, server_default="new"),
    sa.Column("submission_id", sa.String(36), nullable=True),  # the latest vote's submission
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.UniqueConstraint("page", "visitor"),
    sa.Index("ix_votes_page_updated", "page", "updated_at"),
    sa.Index("ix_votes_updated", "updated_at"),
)

vote_days = sa.Table(
    "vote_days",
    metadata,
    sa.Column("page", sa.String(300), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("yes", sa.Integer, nullable=False, server_default="0"),
    sa.Column("no", sa.Integer, nullable=False, server_default="0"),
    sa.Index("ix_vote_days_day", "day"),
)

# Page views per path and UTC day, counted in memory and added here in batches (pagecache/counter.py). No
# visitor is identified: a row is a path, a day and a number.
page_views = sa.Table(
    "page_views",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("path", sa.String(300), primary_key=True),
    sa.Column("views", sa.Integer, nullable=False, server_default="0"),
    sa.Index("ix_page_views_path_day_views", "path", "day", "views"),  # GROUP BY path reads it in order
)

# Bearer tokens of the read-only API (/api/v1), one per integration, made and revoked by admins. Only the
# SHA-256 of a token is kept: the token itself is shown once, when it is made.
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String(320), nullable=False),
    sa.Column("last_used_at", TS, nullable=True),
    sa.Column("revoked_at", TS, nullable=True),
)

staff = sa.Table(
    "staff",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("role", sa.String(10), nullable=False),  # viewer | admin
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("failed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("lockouts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", TS, nullable=True),
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", TS, nullable=False),
    # The emails the person chose on /staff/account: the weekly digest (opt in), delivery alerts (opt out;
    # they go to admins only, and only when FRONTDESK_ALERT_TO is not set).
    sa.Column("mail_digest", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("mail_alerts", sa.Boolean, nullable=False, server_default=sa.true()),
)

# Failed sign-ins per account and per source (a client address, an IPv6 /64): a guesser is slowed down where
# they are, and the account's owner signing in from elsewhere is not (staff/accounts.py).
sign_in_failures = sa.Table(
    "sign_in_failures",
    metadata,
    sa.Column("account", sa.String(320), primary_key=True),
    sa.Column("source", sa.String(64), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),  # since the last pause or decay
    sa.Column("pauses", sa.Integer, nullable=False, server_default="0"),  # in a row: each doubles the next
    sa.Column("last_at", TS, nullable=False),
    sa.Column("paused_until", TS, nullable=True),
)

staff_sessions = sa.Table(
    "staff_sessions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),  # sha256 of the cookie token; the token is never stored
    sa.Column("staff_id", sa.Integer, sa.ForeignKey("staff.id"), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("last_seen", TS, nullable=False),
)

audit = sa.Table(
    "audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", TS, nullable=False),
    sa.Column("actor", sa.String(320), nullable=False),  # staff email, or "cli"
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("target", sa.String(300), nullable=True),
    sa.Column("detail", sa.String(500), nullable=True),
    sa.Index("ix_audit_at", "at"),
)

comments = sa.Table(
    "comments",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("submission_id", sa.String(36), sa.ForeignKey("submissions.id"), nullable=False),
    sa.Column("post", sa.String(80), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),  # never shown
    sa.Column("website", sa.String(500), nullable=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("state", sa.String(10), nullable=False),  # pending | approved | spam | deleted
    sa.Column("visitor", sa.String(64), nullable=True),  # lets the author's browser see "awaiting moderation"
    sa.Column("created_at", TS, nullable=False),
    sa.Column("moderated_at", TS, nullable=True),
    sa.Column("moderated_by", sa.String(320), nullable=True),
    sa.Index("ix_comments_post_state", "post", "state", "created_at"),
    sa.Index("ix_comments_email", "email"),
)
