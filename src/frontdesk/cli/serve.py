"""`frontdesk serve`, `frontdesk check` and `frontdesk migrate`: run the site, validate it, migrate it.

`serve` refuses to start on invalid settings or content (one line per problem, exit 2), applies pending
migrations unless told not to, and hands the app to uvicorn. With `--workers N`, uvicorn starts N
processes, each building its own app from the environment (`app.app_from_env`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
from typing import Any

from frontdesk import __version__
from frontdesk.cli.base import CommandError
from frontdesk.settings import Settings, describe, ensure_secret_key


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import sqlalchemy as sa
    import uvicorn

    from frontdesk.app import create_app
    from frontdesk.content import load_content
    from frontdesk.db.migrate import at_head, migrate

    settings = ensure_secret_key(settings)
    content = load_content(settings.content_dir)  # refuse to start on invalid content
    if not args.no_migrate and not at_head(settings.database_url):
        try:
            migrate(settings.database_url)
        except (OSError, sa.exc.SQLAlchemyError) as exc:
            raise CommandError(
                f"cannot migrate the database ({type(exc).__name__}): check FRONTDESK_DATABASE_URL"
            ) from None
    from frontdesk.guard import slow_clients

    slow_clients.configure(settings.header_timeout)
    common: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "log_level": settings.log_level,
        "access_log": args.access_log,
        "proxy_headers": False,  # client IPs come from FRONTDESK_TRUSTED_PROXIES, not blindly from headers
        "server_header": False,
        "timeout_graceful_shutdown": 20,
        "http": slow_clients.protocol(),  # uvicorn's own, with a deadline for request headers
        "timeout_keep_alive": settings.keepalive_timeout,
        "limit_concurrency": settings.limit_concurrency or None,
    }
    if args.reload_content:
        settings = settings.with_overrides(reload_content=True)
    if args.workers > 1:
        if args.reload_content:
            os.environ["FRONTDESK_RELOAD_CONTENT"] = "true"  # each worker process reads its settings anew
        uvicorn.run("frontdesk.app:app_from_env", factory=True, workers=args.workers, **common)
    else:
        app = create_app(settings, content=content, reload_on_sighup=True)
        # Everything built so far (modules, content, templates) lives as long as the process: keep it out of
        # the garbage collector's full passes, which otherwise stall a busy server for many milliseconds.
        gc.freeze()
        uvicorn.run(app, **common)
    return 0


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    from frontdesk.content import load_content
    from frontdesk.public.crawlers import security_txt_expiry_warning

    settings = ensure_secret_key(settings)
    print(f"frontdesk {__version__}")
    print("settings:")
    for name, value in describe(settings):
        print(f"  {name} = {value}")
    content = load_content(settings.content_dir)
    today = dt.date.today()
    print(f"content: {content.root} (version {content.version})")
    print(f"  site: {content.site.name}")
    print(f"  offices: {len(content.offices)} ({', '.join(o.slug for o in content.offices)})")
    open_jobs = content.open_jobs(today)
    print(f"  careers: {len(content.jobs)} postings, {len(open_jobs)} open")
    print(f"  posts: {len(content.posts)}; categories: {len(content.site.categories)}")
    print(f"  pages: {len(content.pages)} ({', '.join('/' + p.slug for p in content.pages)})")
    policy = content.privacy_page
    if policy is not None:
        print(f"  privacy policy: /{policy.slug} (version {content.site.privacy_policy_version})")
    warnings = []
    expiring = security_txt_expiry_warning(content, dt.datetime.now(dt.UTC))
    if expiring:
        warnings.append(expiring)
    if not settings.crm_webhook_url:
        warnings.append(
            "FRONTDESK_CRM_WEBHOOK_URL is not set: submissions are kept as pending until it is, "
            "or until an endpoint takes them (`frontdesk endpoints list`)"
        )
    elif not settings.crm_webhook_secret:
        warnings.append("FRONTDESK_CRM_WEBHOOK_SECRET is not set: webhooks cannot be signed and wait as pending")
    if settings.mail_enabled:
        print(f"  email: through {settings.smtp.shown}, from {settings.mail_from}")
    else:
        unset = [n for n, v in (("SMTP_URL", settings.smtp_url), ("MAIL_FROM", settings.mail_from)) if not v]
        names = " and ".join(f"FRONTDESK_{n}" for n in unset)
        warnings.append(f"{names} {'is' if len(unset) == 1 else 'are'} not set: no email is written or sent")
    if settings.production and not settings.https:
        warnings.append("FRONTDESK_PUBLIC_URL is not https: staff cookies will not be Secure")
    for w in warnings:
        print(f"warning: {w}")
    print("ok")
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from frontdesk.db.migrate import migrate, pending_migrations

    migrate(settings.database_url, args.revision)
    left = pending_migrations(settings.database_url)
    print("database is up to date" if not left else f"pending: {', '.join(left)}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="serve the site with uvicorn (applies pending migrations first)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--no-migrate", action="store_true", help="do not apply pending migrations at start")
    p.add_argument("--access-log", action="store_true", help="log every request (off by default)")
    p.add_argument(
        "--reload-content",
        action="store_true",
        help="watch the content directory and reload it when it changes (SIGHUP always reloads a single worker)",
    )
    p.set_defaults(handler=cmd_serve)

    p = sub.add_parser("check", help="validate settings and content, and print what was found")
    p.set_defaults(handler=cmd_check)

    p = sub.add_parser("migrate", help="apply database migrations")
    p.add_argument("revision", nargs="?", default="head")
    p.set_defaults(handler=cmd_migrate)
