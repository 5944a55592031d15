"""The `frontdesk` command: serve the site, run the worker, and operate it.

Every subcommand reads settings from the environment once. Problems a person
can fix (a bad setting, an invalid content file, a missing account) print one
clear line to stderr and exit with code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from collections.abc import Callable, Sequence

from frontdesk import __version__
from frontdesk.content import ContentError, load_content
from frontdesk.settings import Settings, SettingsError, describe, ensure_secret_key

Handler = Callable[[argparse.Namespace, Settings], int]


class CommandError(Exception):
    """A command could not do what was asked; the message says why, in one line."""


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per applied migration is enough
    # These echo SQL (with its parameters: people's emails and messages) at INFO and DEBUG, even when
    # FRONTDESK_LOG_LEVEL=debug; sqlalchemy.engine at INFO is exactly `echo=True`. Only warnings are wanted.
    for name in ("aiosqlite", "asyncpg", "sqlalchemy.engine", "sqlalchemy.pool"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # python-multipart warns on every malformed body a bot sends: noise.
    logging.getLogger("python_multipart").setLevel(logging.ERROR)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from frontdesk.app import create_app
    from frontdesk.db import at_head, migrate

    settings = ensure_secret_key(settings)
    content = load_content(settings.content_dir)  # refuse to start on invalid content
    if not args.no_migrate and not at_head(settings.database_url):
        migrate(settings.database_url)
    common = {
        "host": args.host,
        "port": args.port,
        "log_level": settings.log_level,
        "access_log": args.access_log,
        "proxy_headers": False,  # client IPs come from FRONTDESK_TRUSTED_PROXIES, not blindly from headers
        "server_header": False,
        "timeout_graceful_shutdown": 20,
    }
    if args.reload_content:
        settings = settings.with_overrides(reload_content=True)
    if args.workers > 1:
        if args.reload_content:
            os.environ["FRONTDESK_RELOAD_CONTENT"] = "true"  # each worker process reads its settings anew
        uvicorn.run("frontdesk.app:app_from_env", factory=True, workers=args.workers, **common)
    else:
        app = create_app(settings, content=content)
        app.state.reload_content_on_sighup = True
        # Everything built so far (modules, content, templates) lives as long as the process: keep it out of
        # the garbage collector's full passes, which otherwise stall a busy server for many milliseconds.
        gc.freeze()
        uvicorn.run(app, **common)
    return 0


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    settings = ensure_secret_key(settings)
    print(f"frontdesk {__version__}")
    print("settings:")
    for name, value in describe(settings):
        print(f"  {name} = {value}")
    content = load_content(settings.content_dir)
    today = __import__("datetime").date.today()
    print(f"content: {content.root} (version {content.version})")
    print(f"  site: {content.site.name}")
    print(f"  offices: {len(content.offices)} ({', '.join(o.slug for o in content.offices)})")
    open_jobs = content.open_jobs(today)
    print(f"  careers: {len(content.jobs)} postings, {len(open_jobs)} open")
    print(f"  posts: {len(content.posts)}; categories: {len(content.site.categories)}")
    warnings = []
    if not settings.crm_webhook_url:
        warnings.append("FRONTDESK_CRM_WEBHOOK_URL is not set: submissions are kept as pending until it is")
    elif not settings.crm_webhook_secret:
        warnings.append("FRONTDESK_CRM_WEBHOOK_SECRET is not set: webhooks cannot be signed and wait as pending")
    if settings.production and not settings.https:
        warnings.append("FRONTDESK_PUBLIC_URL is not https: staff cookies will not be Secure")
    for w in warnings:
        print(f"warning: {w}")
    print("ok")
    return 0


# Commands that read or write the database. On the embedded SQLite default they bring its schema up to date
# first, as `serve` does, so a new site needs no `frontdesk migrate` before `frontdesk staff add`. On PostgreSQL
# the schema is the operator's decision: they refuse, with one line, until `frontdesk migrate` has run.
DATABASE_COMMANDS = frozenset({"worker", "deliveries", "staff", "purge", "erase"})


def ensure_database(settings: Settings) -> None:
    import sqlalchemy as sa

    from frontdesk.db import at_head, migrate, pending_migrations

    url = settings.database_url
    if at_head(url):
        return
    try:
        if url.startswith("sqlite"):
            migrate(url)
            return
        pending = pending_migrations(url)
    except (OSError, sa.exc.SQLAlchemyError) as exc:
        raise CommandError(f"cannot open the database ({type(exc).__name__}): check FRONTDESK_DATABASE_URL") from None
    if pending:
        raise CommandError(
            "the database schema is not up to date: run `frontdesk migrate` first "
            "(on PostgreSQL, Frontdesk leaves schema changes to you)"
        )


def cmd_init(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from frontdesk.sitefolder import InitRefused, create

    folder = Path(args.folder)
    try:
        create(folder, name=args.name)
    except InitRefused as exc:
        raise CommandError(str(exc)) from None
    print(f"created a new site in {folder}")
    print(f"next: cd {folder} && frontdesk check && frontdesk serve  (then edit content/ and .env)")
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from frontdesk.db import migrate, pending_migrations

    migrate(settings.database_url, args.revision)
    left = pending_migrations(settings.database_url)
    print("database is up to date" if not left else f"pending: {', '.join(left)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="frontdesk", description="Run and operate a Frontdesk site.")
    parser.add_argument("--version", action="version", version=f"frontdesk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

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

    p = sub.add_parser("init", help="create a new site folder to edit and serve (content, .env, README)")
    p.add_argument("folder", help="a new or empty folder")
    p.add_argument("--name", default="Your Agency", help="the agency's name, used in the new content")
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("migrate", help="apply database migrations")
    p.add_argument("revision", nargs="?", default="head")
    p.set_defaults(handler=cmd_migrate)

    for register in _extensions():
        register(sub)
    return parser


# Modules that add subcommands (worker, deliveries, staff, purge, erase) through `register_cli(sub)`.
# They are imported only when the CLI runs, so `frontdesk --version` stays fast.
_EXTENSION_MODULES: tuple[str, ...] = ("frontdesk.staff.cli", "frontdesk.outbox_cli", "frontdesk.privacy")


def _extensions() -> list[Callable[[argparse._SubParsersAction], None]]:  # type: ignore[type-arg]
    import importlib

    return [importlib.import_module(name).register_cli for name in _EXTENSION_MODULES]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        if args.command == "init":  # a new folder: the settings of wherever it runs from do not matter
            return cmd_init(args, Settings())
        settings = Settings.from_env()
        _configure_logging(settings)
        if args.command in DATABASE_COMMANDS:
            ensure_database(settings)
        return int(args.handler(args, settings))
    except SettingsError as exc:
        print(f"frontdesk: {exc}", file=sys.stderr)
        return 2
    except ContentError as exc:
        print(
            f"frontdesk: invalid content ({len(exc.problems)} problem{'s' if len(exc.problems) != 1 else ''}):",
            file=sys.stderr,
        )
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"frontdesk: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    # `python -m frontdesk.cli` runs this file as `__main__`, a second copy of the module. Extension modules
    # raise `frontdesk.cli.CommandError`, so run that copy's main(), whose `except CommandError` catches them.
    from frontdesk.cli import main as imported_main

    sys.exit(imported_main())
