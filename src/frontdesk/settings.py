"""Settings: every `FRONTDESK_*` variable, read once into a frozen object.

The environment is the only source (a `.env` file in the working directory is
honoured, but never overrides a variable that is already set). Everything else
in Frontdesk receives a `Settings` instance and never reads `os.environ` itself,
which is what lets tests build an app from settings of their own::

    settings = Settings.from_env({"FRONTDESK_DATA_DIR": "/tmp/x"})

A bad value raises `SettingsError` whose message is one line that names the
variable and what it allows; the CLI prints it and exits with code 2.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from frontdesk.storage import private_dir

DEFAULT_RETRY_SCHEDULE = (0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)

DEFAULT_RATE_LIMITS = {
    "request_info": "5/minute;30/hour",
    "apply": "3/minute",
    "feedback": "30/minute",
    "login": "5/minute",
    "comment": "5/minute",
    "api": "60/minute",  # per API token, not per client
}


class SettingsError(Exception):
    """A `FRONTDESK_*` variable holds a value Frontdesk cannot use."""


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    content_dir: Path = Path("content")
    data_dir: Path = Path("var")
    database_url: str = ""
    db_lock_timeout: float = 5.0  # seconds a write waits for the write lock before answering 503
    secret_key: str = ""
    public_url: str = "http://127.0.0.1:8000"
    log_level: str = "info"
    # Delivery to the CRM.
    run_worker: bool = True
    count_page_views: bool = True  # FRONTDESK_COUNT_PAGE_VIEWS: pagecache/counter.py
    crm_webhook_url: str = ""
    crm_webhook_secret: str = ""
    retry_schedule: tuple[float, ...] = DEFAULT_RETRY_SCHEDULE
    webhook_timeout: float = 15.0
    worker_poll_seconds: float = 1.0
    lease_seconds: float = 60.0
    delivery_retention_days: int = 90  # delivered deliveries and their attempts are pruned after; 0: kept
    resume_link_days: int = 7
    metrics_token: str = ""
    # Email (docs/email.md): a delivery channel like the webhooks; off while either is empty.
    smtp_url: str = ""  # smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465 (implicit TLS)
    mail_from: str = ""  # the From of every email: addr@example.com or "Name <addr@example.com>"
    mail_confirmations_per_hour: int = 3  # confirmations to one address per hour at most
    alert_to: tuple[str, ...] = ()  # who gets delivery alerts; the active admin accounts when empty
    alert_pending_minutes: float = 60.0  # alert when an endpoint's oldest pending delivery is older
    alert_breaker_minutes: float = 15.0  # alert when an endpoint's breaker stays open longer
    digest_to: tuple[str, ...] = ()  # who gets the weekly digest (none when empty)
    # Abuse resistance.
    trusted_origins: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = ()
    redis_url: str = ""
    rate_limits: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    form_min_seconds: float = 3.0
    form_max_age_seconds: float = 86400.0
    turnstile_sitekey: str = ""
    turnstile_secret: str = ""
    turnstile_verify_url: str = "https://challenges.cloudflare.com/turnstile/v0/siteverify"
    body_timeout_seconds: float = 15.0  # a request body that stalls this long gets 408
    body_min_rate: float = 1024.0  # bytes/s: a body slower than this on average (after 10 s) gets 408
    header_timeout: float = 10.0  # seconds a request has to send its headers, then the connection closes
    keepalive_timeout: float = 5.0  # seconds an idle keep-alive connection stays open
    limit_concurrency: int = 0  # connections and requests at once before uvicorn answers 503 (0: no limit)
    # Personal data.
    retention_days: int = 180
    spam_retention_days: int = 30
    # Staff sessions.
    session_idle_minutes: int = 30
    session_max_hours: int = 8
    # Serving.
    reload_content: bool = False  # watch the content dir and reload on change (reload.py)
    media_dir_override: Path | None = None  # FRONTDESK_MEDIA_DIR: the image variants' cache (media/images.py)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def mail_enabled(self) -> bool:
        return bool(self.smtp_url and self.mail_from)

    @property
    def smtp(self) -> SmtpServer:
        """The relay FRONTDESK_SMTP_URL names (checked when the settings were read)."""
        return parse_smtp_url(self.smtp_url)

    @property
    def https(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def held_dir(self) -> Path:
        """Résumés held for an hour while their application is corrected (records/uploads.py)."""
        return self.data_dir / "held"

    @property
    def media_dir(self) -> Path:
        """Where the image pipeline keeps the encoded sizes of content pictures."""
        return self.media_dir_override or self.data_dir / "media"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, dotenv: bool = True) -> Settings:
        """Read the settings from `environ` (default: `os.environ` plus `.env`)."""
        if environ is None:
            env = dict(os.environ)
            if dotenv and Path(".env").is_file():
                from dotenv import dotenv_values

                for key, value in dotenv_values(".env").items():
                    if value is not None:
                        env.setdefault(key, value)
        else:
            env = dict(environ)
        return _parse(env)

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(f"FRONTDESK_{name}")
    return None if value is None or value.strip() == "" else value.strip()


def _fail(name: str, allowed: str, value: str) -> SettingsError:
    shown = value if len(value) <= 60 else value[:57] + "..."
    return SettingsError(f"FRONTDESK_{name}={shown!r} is invalid: {allowed}")


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = _get(env, name)
    if raw is None:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise _fail(name, "use true or false", raw)


def _number(env: Mapping[str, str], name: str, default: float, *, minimum: float = 0) -> float:
    raw = _get(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise _fail(name, f"use a number >= {minimum:g}", raw) from None
    if value < minimum or value != value:  # NaN compares unequal to itself
        raise _fail(name, f"use a number >= {minimum:g}", raw)
    return value


def _url(env: Mapping[str, str], name: str, default: str, schemes: tuple[str, ...]) -> str:
    raw = _get(env, name)
    if raw is None:
        return default
    parts = urlsplit(raw)
    if parts.scheme not in schemes or not parts.netloc:
        raise _fail(name, f"use an absolute {' or '.join(schemes)} URL", raw)
    return raw


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    username: str
    password: str
    implicit_tls: bool  # smtps://; smtp:// upgrades with STARTTLS (required when a password is given)

    @property
    def shown(self) -> str:
        """The relay without its credentials, for `frontdesk check`, logs and the endpoint's row."""
        return f"{'smtps' if self.implicit_tls else 'smtp'}://{self.host}:{self.port}"


def parse_smtp_url(raw: str) -> SmtpServer:
    """smtp://[user:pass@]host[:port] (587, STARTTLS) or smtps://... (465); ValueError with what is wrong.

    The error never repeats the value: it may hold the relay's password.
    """
    if any(ord(c) < 33 or ord(c) == 127 for c in raw):
        raise ValueError("no spaces or control characters")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise ValueError("the port is not a number from 1 to 65535") from None
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("use smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465 (TLS)")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("nothing may follow host:port")
    implicit = parts.scheme == "smtps"
    return SmtpServer(
        host=parts.hostname,
        port=port or (465 if implicit else 587),
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        implicit_tls=implicit,
    )


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]+@{_LABEL}(?:\.{_LABEL})+")


def check_mail_from(raw: str) -> str:
    """`addr@example.com` or `Name <addr@example.com>`, printable ASCII only (it goes into a header)."""
    if any(ord(c) < 32 or ord(c) > 126 for c in raw) or len(raw) > 300:
        raise ValueError("printable ASCII only, at most 300 characters")
    name, address = parseaddr(raw)
    if not _ADDRESS.fullmatch(address) or any(c in name for c in '<>"'):
        raise ValueError("use addr@example.com or Name <addr@example.com>")
    return raw


def _addresses(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    found = _list(env, name)
    for address in found:
        if not _ADDRESS.fullmatch(address):
            raise _fail(name, "use comma-separated addresses, e.g. ops@example.com,it@example.com", address)
    return found


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = _get(env, name)
    return tuple(x.strip() for x in raw.split(",") if x.strip()) if raw else ()


def _parse(env: Mapping[str, str]) -> Settings:
    d = Settings()
    mode = (_get(env, "ENV") or "development").lower()
    if mode not in {"development", "production"}:
        raise _fail("ENV", "use development or production", mode)

    content_dir = Path(_get(env, "CONTENT_DIR") or "content")
    data_dir = Path(_get(env, "DATA_DIR") or "var")
    media_dir = _get(env, "MEDIA_DIR")

    database_url = _get(env, "DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / 'frontdesk.db'}"
    if not database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise _fail("DATABASE_URL", "use sqlite+aiosqlite:///PATH or postgresql+asyncpg://...", database_url)

    public_url = _url(env, "PUBLIC_URL", d.public_url, ("http", "https")).rstrip("/")

    crm_url = _url(env, "CRM_WEBHOOK_URL", "", ("http", "https"))
    crm_secret = _get(env, "CRM_WEBHOOK_SECRET") or ""
    if crm_secret:
        from base64 import b64decode
        from binascii import Error as B64Error

        try:
            ok = crm_secret.startswith("whsec_") and len(b64decode(crm_secret[6:], validate=True)) >= 16
        except (B64Error, ValueError):
            ok = False
        if not ok:
            raise SettingsError(
                "FRONTDESK_CRM_WEBHOOK_SECRET is invalid: use whsec_ followed by base64 of at least 16 bytes"
            )

    schedule_raw = _get(env, "RETRY_SCHEDULE")
    schedule = d.retry_schedule
    if schedule_raw:
        try:
            schedule = tuple(float(x) for x in schedule_raw.split(","))
        except ValueError:
            raise _fail("RETRY_SCHEDULE", "use comma-separated seconds, e.g. 0,5,300", schedule_raw) from None
        if not schedule or any(x < 0 or x != x for x in schedule):
            raise _fail("RETRY_SCHEDULE", "use comma-separated seconds, e.g. 0,5,300", schedule_raw)

    rate_limits = dict(DEFAULT_RATE_LIMITS)
    for form in DEFAULT_RATE_LIMITS:
        raw = _get(env, f"RATE_LIMIT_{form.upper()}")
        if raw is not None:
            from limits import parse_many

            try:
                parse_many(raw)
            except ValueError:
                raise _fail(f"RATE_LIMIT_{form.upper()}", "use e.g. 5/minute;30/hour", raw) from None
            rate_limits[form] = raw

    redis_url = _url(env, "REDIS_URL", "", ("redis", "rediss"))
    smtp_url = _get(env, "SMTP_URL") or ""
    if smtp_url:
        try:
            parse_smtp_url(smtp_url)
        except ValueError as exc:
            raise SettingsError(f"FRONTDESK_SMTP_URL is invalid: {exc}") from None
    mail_from = _get(env, "MAIL_FROM") or ""
    if mail_from:
        try:
            check_mail_from(mail_from)
        except ValueError as exc:
            raise _fail("MAIL_FROM", str(exc), mail_from) from None
    level = (_get(env, "LOG_LEVEL") or "info").lower()
    if level not in {"debug", "info", "warning", "error"}:
        raise _fail("LOG_LEVEL", "use debug, info, warning or error", level)

    settings = Settings(
        env=mode,
        content_dir=content_dir,
        data_dir=data_dir,
        media_dir_override=Path(media_dir) if media_dir else None,
        database_url=database_url,
        db_lock_timeout=_number(env, "DB_LOCK_TIMEOUT", d.db_lock_timeout, minimum=0.1),
        secret_key=_get(env, "SECRET_KEY") or "",
        public_url=public_url,
        log_level=level,
        run_worker=_bool(env, "RUN_WORKER", True),
        count_page_views=_bool(env, "COUNT_PAGE_VIEWS", True),
        crm_webhook_url=crm_url,
        crm_webhook_secret=crm_secret,
        retry_schedule=schedule,
        webhook_timeout=_number(env, "WEBHOOK_TIMEOUT", d.webhook_timeout, minimum=0.1),
        worker_poll_seconds=_number(env, "WORKER_POLL_SECONDS", d.worker_poll_seconds, minimum=0.01),
        lease_seconds=_number(env, "LEASE_SECONDS", d.lease_seconds, minimum=1),
        delivery_retention_days=int(min(36500, _number(env, "DELIVERY_RETENTION_DAYS", d.delivery_retention_days))),
        resume_link_days=int(_number(env, "RESUME_LINK_DAYS", d.resume_link_days, minimum=1)),
        metrics_token=_get(env, "METRICS_TOKEN") or "",
        trusted_origins=tuple(o.rstrip("/") for o in _list(env, "TRUSTED_ORIGINS")),
        trusted_proxies=_list(env, "TRUSTED_PROXIES"),
        redis_url=redis_url,
        smtp_url=smtp_url,
        mail_from=mail_from,
        alert_to=_addresses(env, "ALERT_TO"),
        digest_to=_addresses(env, "DIGEST_TO"),
        alert_pending_minutes=_number(env, "ALERT_PENDING_MINUTES", d.alert_pending_minutes, minimum=1),
        alert_breaker_minutes=_number(env, "ALERT_BREAKER_MINUTES", d.alert_breaker_minutes, minimum=1),
        mail_confirmations_per_hour=int(
            _number(env, "MAIL_CONFIRMATIONS_PER_HOUR", d.mail_confirmations_per_hour, minimum=0)
        ),
        rate_limits=rate_limits,
        form_min_seconds=_number(env, "FORM_MIN_SECONDS", d.form_min_seconds),
        form_max_age_seconds=_number(env, "FORM_MAX_AGE_SECONDS", d.form_max_age_seconds, minimum=1),
        turnstile_sitekey=_get(env, "TURNSTILE_SITEKEY") or "",
        turnstile_secret=_get(env, "TURNSTILE_SECRET") or "",
        turnstile_verify_url=_url(env, "TURNSTILE_VERIFY_URL", d.turnstile_verify_url, ("http", "https")),
        retention_days=int(_number(env, "RETENTION_DAYS", d.retention_days, minimum=1)),
        spam_retention_days=int(_number(env, "SPAM_RETENTION_DAYS", d.spam_retention_days, minimum=1)),
        session_idle_minutes=int(_number(env, "SESSION_IDLE_MINUTES", d.session_idle_minutes, minimum=1)),
        session_max_hours=int(_number(env, "SESSION_MAX_HOURS", d.session_max_hours, minimum=1)),
        reload_content=_bool(env, "RELOAD_CONTENT", False),
        body_timeout_seconds=_number(env, "BODY_TIMEOUT_SECONDS", d.body_timeout_seconds, minimum=0.1),
        body_min_rate=_number(env, "BODY_MIN_RATE", d.body_min_rate),
        header_timeout=_number(env, "HEADER_TIMEOUT", d.header_timeout, minimum=0.1),
        keepalive_timeout=_number(env, "KEEPALIVE_TIMEOUT", d.keepalive_timeout, minimum=0.1),
        limit_concurrency=int(_number(env, "LIMIT_CONCURRENCY", d.limit_concurrency)),
    )
    _check_abuse_lists(settings)
    if bool(settings.turnstile_sitekey) != bool(settings.turnstile_secret):
        raise SettingsError(
            "FRONTDESK_TURNSTILE_SITEKEY and FRONTDESK_TURNSTILE_SECRET are invalid: set both or neither"
        )
    return settings


def _check_abuse_lists(settings: Settings) -> None:
    """Trusted origins are `scheme://host[:port]`; trusted proxies are IP addresses or CIDR networks."""
    import ipaddress

    for origin in settings.trusted_origins:
        try:
            parts = urlsplit(origin)
            ok = (
                parts.scheme in ("http", "https") and parts.netloc and not (parts.path or parts.query or parts.fragment)
            )
        except ValueError:
            ok = False
        if not ok:
            raise _fail("TRUSTED_ORIGINS", "use comma-separated origins like https://crm.example.com", origin)
    for proxy in settings.trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise _fail("TRUSTED_PROXIES", "use comma-separated IP addresses or CIDR networks", proxy) from None


def ensure_secret_key(settings: Settings) -> Settings:
    """Return settings that carry a secret key.

    In production the key must be given: a generated one would differ between
    instances and sign-ins and links would break at random. In development one
    is generated once and kept in the data dir, so restarts keep sessions.
    """
    if settings.secret_key:
        if len(settings.secret_key) < 32:
            raise SettingsError("FRONTDESK_SECRET_KEY is invalid: use at least 32 characters")
        return settings
    if settings.production:
        raise SettingsError("FRONTDESK_SECRET_KEY is required when FRONTDESK_ENV=production")
    path = settings.data_dir / "secret_key"
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        private_dir(settings.data_dir)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key + "\n")
    return replace(settings, secret_key=key)


def describe(settings: Settings) -> list[tuple[str, str]]:
    """The settings as (name, shown value) pairs, with secrets masked."""
    hidden = {"secret_key", "crm_webhook_secret", "metrics_token", "turnstile_secret"}
    rows = []
    for f in fields(settings):
        if f.name == "media_dir_override":
            rows.append(("media_dir", str(settings.media_dir)))  # the folder in use, set or derived
            continue
        value = getattr(settings, f.name)
        if f.name == "smtp_url" and value:
            rows.append((f.name, settings.smtp.shown + (" (with credentials)" if settings.smtp.username else "")))
            continue
        shown = ("(set)" if value else "(not set)") if f.name in hidden else str(value)
        rows.append((f.name, shown))
    return rows
